"""A deterministic, realistic data set for `make bench`: one trust, 20 schools, 100,000 cases.

Each case has 1–3 reports, a person concerned and 5–15 chronology events; one in ten has a
letter. Rows go in with PostgreSQL's COPY (or SQLite's executemany) in large batches, with
explicit ids, so 100,000 cases take a minute or two rather than hours. The same seed always
gives the same rows, so two runs measure the same thing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

SEED = 20261201
SCHOOLS = 20
PASSWORD = "bench-password-not-secret"  # noqa: S105 (a throwaway database)

FIRST = (  # noqa: SIM905 (easier to read as text)
    "Amelia Olivia Isla Ava Mia Ivy Lily Isabella Sophia Grace Freya Florence Willow Emily "
    "Ella Poppy Evie Elsie Charlotte Evelyn Zoë Chloé Renée Siobhán Aoife Noah Oliver George "
    "Arthur Leo Muhammad Harry Oscar Archie Henry Theodore Freddie Jack Charlie Theo Alfie "
    "Jacob Thomas Finley Arlo Lucas Isaac Tommy Joshua Mohammed Rhys Dafydd Seán Ciarán José "
    "Priya Aisha Fatima Zainab Amir Yusuf Omar Kwame Ama Chidi Ngozi Wei Mei Hiroshi Anya"
).split()
LAST = (  # noqa: SIM905 (easier to read as text)
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner "
    "Martin Cooper Hill Ward Hughes Moore Clark King Harrison Lewis Baker Lee Allen Morris "
    "Khan Scott Watson Davis Parker James Bennett Young Phillips Richardson Mitchell Bailey "
    "Carter Cook Singh Shaw Bell Collins Morgan Kelly Begum Miller Cox Hussain Marshall "
    "Simpson Price Anderson Adams Wilkinson Ali Ahmed Foster Ellis Murphy Chapman Mason Gray "
    "Richards Webb Griffiths Hunt Palmer Campbell Holmes Mills Rogers Barnes Knight Matthews "
    "Barker Powell Stevens Kaur Dixon Dawson Lloyd Fletcher Ó'Brien Nowak Kowalski Müller "
    "Brontë Okafor Adeyemi Mensah Nguyen Chen Fernández García Rossi Dubois Łukasik"
).split()
WORDS = (  # noqa: SIM905 (easier to read as text)
    "the school teacher staff class message group parents meeting trip homework uniform head "
    "useless rude disgraceful complaint pupils playground lunch behaviour detention photo "
    "shared screenshot comment posted again everyone should report concern worried unfair "
    "favourites nobody listens office phone email letter governors ofsted sports day nativity "
    "assembly swimming reading spelling maths results year three four five six reception "
    "nursery after-school club breakfast pick-up drop-off gate car park"
).split()
STATUSES = (["closed"] * 60) + (["monitoring"] * 12) + (["action"] * 12) + (["investigating"] * 14)
STATUSES += ["new"] * 2
SEVERITIES = ["low", "medium", "high", "critical"]
NATURES = ["criticism", "abusive", "threats", "harassment", "defamation", "confidentiality"]
EVENT_KINDS = ["information", "note", "meeting", "message_to_reporter", "severity", "reassigned"]


@dataclass
class Made:
    """What the bench needs to know about the data it made."""

    head_id: int
    trust_exec_id: int
    school_ids: list[int]
    head_school_id: int
    case_with_15_events: str = ""
    surname: str = ""
    text_term: str = ""
    counts: dict[str, int] = field(default_factory=dict)


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """About 2,000 words with Zipf-like frequencies (a few very common, most rare), so a
    search for a word matches what it would in real reports: WORDS plus made-up words from
    syllables, which give the varied letter triples of real text."""
    syllables = [
        c + v for c in "bcdfghjklmnprstvwyz" for v in ("a", "e", "i", "o", "u", "ay", "ee", "ou")
    ]
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randrange(1, 4))) for _ in range(2500)
    }
    words = sorted(set(WORDS) | made_up)
    rng.shuffle(words)
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    return words, cumulative


def _words(rng: random.Random, n: int, vocabulary: tuple[list[str], list[float]]) -> str:
    words, cumulative = vocabulary
    return " ".join(rng.choices(words, cum_weights=cumulative, k=n))


class Inserter:
    """Inserts rows into one model's table: COPY on PostgreSQL, executemany elsewhere.

    Rows are dicts of column values; every other column gets the field's default, prepared
    once. Only ids and foreign keys the caller gives are used: nothing is looked up.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif isinstance(f, models.CharField | models.TextField | models.FileField):
                value = ""
            elif isinstance(f, models.BooleanField):
                value = False
            else:
                continue
            self.defaults[f.column] = self._prep(f, value)
        self.by_column = {f.column: f for f in self.fields}

    def _prep(self, f: models.Field, value: Any) -> Any:
        if isinstance(f, models.JSONField):
            import json

            return None if value is None else json.dumps(value)
        if isinstance(f, models.DateTimeField) and value is not None:
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(f, models.DateField) and value is not None:
            return connection.ops.adapt_datefield_value(value)
        return value

    def insert(self, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        dt_cols = {
            c
            for c, f in self.by_column.items()
            if isinstance(f, models.DateTimeField | models.DateField | models.JSONField)
        }

        def tuples() -> Iterator[tuple]:
            nonlocal count
            for row in rows:
                count += 1
                out = []
                for c in self.columns:
                    if c in row:
                        v = row[c]
                        out.append(self._prep(self.by_column[c], v) if c in dt_cols else v)
                    else:
                        out.append(self.defaults[c])
                yield tuple(out)

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy_sql = f"COPY {table} ({cols}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for values in tuples():
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 (our names)
                batch: list[tuple] = []
                for values in tuples():
                    batch.append(values)
                    if len(batch) == 20000:
                        cursor.executemany(sql, batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
        return count


def _reset_sequences(models_: list[type[models.Model]]) -> None:
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), models_)
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def generate(cases: int = 100_000, schools: int = SCHOOLS, seed: int = SEED) -> Made:
    """Make the data set in an empty, migrated database."""
    from django.contrib.auth import get_user_model

    from incidents.models import Case, CaseEvent, Person, Report
    from letters.models import Letter
    from schools.models import Group, Membership, Role, Rule, School, Trust, TrustMembership

    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    User = get_user_model()
    now = timezone.now().replace(microsecond=0)
    per_school = cases // schools

    with transaction.atomic():
        trust = Trust.objects.create(name="Bench Learning Trust", slug="bench-trust")
        school_objs = School.objects.bulk_create(
            [
                School(
                    trust=trust,
                    name=f"Bench School {i + 1:02d}",
                    slug=f"bench-{i + 1:02d}",
                    reference_prefix=f"B{i + 1:02d}",
                    address="1 School Lane\nBenchtown",
                    postcode="BT1 1AA",
                    phone="01632 960000",
                    email=f"office@bench-{i + 1:02d}.example",
                )
                for i in range(schools)
            ]
        )
        # bulk_create sets pks on PostgreSQL and SQLite (RETURNING).
        rules: dict[int, list[int]] = {}
        groups: dict[int, list[int]] = {}
        leads: dict[int, list[int]] = {}
        for s in school_objs:
            rules[s.pk] = [
                r.pk
                for r in Rule.objects.bulk_create(
                    [Rule(school=s, title=f"Rule {n + 1} of {s.name}", order=n) for n in range(4)]
                )
            ]
            groups[s.pk] = [
                g.pk
                for g in Group.objects.bulk_create(
                    [Group(school=s, name=f"Year {n} parents", order=n) for n in range(1, 7)]
                )
            ]
        hasher_password = User(username="x")
        hasher_password.set_password(PASSWORD)
        users = []
        for s in school_objs:
            for n in range(3):
                users.append(
                    User(
                        username=f"{s.slug}-slt{n}",
                        first_name=rng.choice(FIRST),
                        last_name=rng.choice(LAST),
                        email=f"slt{n}@{s.slug}.example",
                        password=hasher_password.password,
                    )
                )
        User.objects.bulk_create(users)
        memberships = []
        by_name = {u.username: u for u in User.objects.filter(username__startswith="bench-")}
        for s in school_objs:
            for n in range(3):
                user = by_name[f"{s.slug}-slt{n}"]
                leads.setdefault(s.pk, []).append(user.pk)
                memberships.append(
                    Membership(user=user, school=s, role=Role.SLT, is_head_teacher=(n == 0))
                )
        Membership.objects.bulk_create(memberships)
        executive = User.objects.create(
            username="bench-executive",
            first_name="Tess",
            last_name="Executive",
            email="exec@bench-trust.example",
            password=hasher_password.password,
        )
        TrustMembership.objects.create(user=executive, trust=trust)
        head = by_name[f"{school_objs[0].slug}-slt0"]

    through_rules = Case.rules.through
    through_persons = Case.persons.through
    inserters = {
        "cases": Inserter(Case),
        "persons": Inserter(Person),
        "reports": Inserter(Report),
        "events": Inserter(CaseEvent),
        "letters": Inserter(Letter),
        "case_rules": Inserter(through_rules),
        "case_persons": Inserter(through_persons),
    }
    counts: dict[str, int] = dict.fromkeys(inserters, 0)
    year = now.year
    span = 3 * 365 * 24 * 3600
    case_id = report_id = event_id = person_id = link_id = rule_link = letter_id = 0
    most_events = ("", 0)
    surnames: dict[str, int] = {}
    for s in school_objs:
        # One school at a time, so memory stays flat whatever the number of cases.
        case_rows: list[dict] = []
        case_rules: list[dict] = []
        report_rows: list[dict] = []
        person_rows: list[dict] = []
        case_persons: list[dict] = []
        event_rows: list[dict] = []
        letter_rows: list[dict] = []
        # Opened times spread over three years, oldest first: references follow time.
        offsets = sorted(rng.randrange(span) for _ in range(per_school))
        for n, offset in enumerate(reversed(offsets)):
            case_id += 1
            opened = now - datetime.timedelta(seconds=offset)
            status = rng.choice(STATUSES) if offset > 86400 * 14 else rng.choice(["new", "action"])
            reference = f"{s.reference_prefix}-{year}-{n + 1:05d}"
            lead = None if status == "new" else rng.choice(leads[s.pk])
            flagged = rng.random() < 0.03
            case_rows.append(
                {
                    "id": case_id,
                    "school_id": s.pk,
                    "reference": reference,
                    "status": status,
                    "severity": "" if status == "new" else rng.choice(SEVERITIES),
                    "lead_id": lead,
                    "opened_at": opened,
                    "closed_at": (
                        opened + datetime.timedelta(days=20) if status == "closed" else None
                    ),
                    "outcome": "Warning letter" if status == "closed" else "",
                    "safeguarding_flag": flagged,
                    "safeguarding_decided_at": opened + datetime.timedelta(days=1)
                    if flagged and rng.random() < 0.9
                    else None,
                    "triaged_at": None if status == "new" else opened + datetime.timedelta(days=1),
                    "nature": "" if status == "new" else rng.choice(NATURES),
                    "targets": ["staff"],
                    "safeguarding_screen": "none",
                    "actions": [],
                }
            )
            if status != "new":
                rule_link += 1
                case_rules.append(
                    {"id": rule_link, "case_id": case_id, "rule_id": rng.choice(rules[s.pk])}
                )
            first, last = rng.choice(FIRST), rng.choice(LAST)
            surnames[last] = surnames.get(last, 0) + 1
            person_id += 1
            person_rows.append(
                {
                    "id": person_id,
                    "school_id": s.pk,
                    "trust_id": trust.pk,
                    "full_name": f"{first} {last}",
                    "address": f"{rng.randrange(1, 200)} {rng.choice(LAST)} Road\nBenchtown",
                    "postcode": f"BT{rng.randrange(1, 9)} {rng.randrange(1, 9)}AB",
                    "children_classes": f"Year {rng.randrange(1, 7)}",
                    "created_at": opened,
                }
            )
            link_id += 1
            case_persons.append({"id": link_id, "case_id": case_id, "person_id": person_id})
            for r in range(rng.choices((1, 2, 3), weights=(45, 40, 15))[0]):
                report_id += 1
                received = opened + datetime.timedelta(minutes=r * 90)
                report_rows.append(
                    {
                        "id": report_id,
                        "case_id": case_id,
                        "school_id": s.pk,
                        "reference": f"R{report_id:07d}",
                        "followup_code_hash": f"{report_id:064x}",
                        "received_at": received,
                        "channel": "online",
                        "group_id": rng.choice(groups[s.pk]),
                        "posted_on": received.date(),
                        "content": f"{first} {last} wrote: "
                        + _words(rng, rng.randrange(20, 60), vocabulary),
                        "poster_description": f"{first} {last}, parent in the group"
                        if rng.random() < 0.5
                        else "A parent in the group",
                        "child_at_risk": "no",
                        "reporter_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        "reporter_email": f"reporter{report_id}@example.org",
                        "reporter_relationship": "parent",
                        "contact_preference": "follow_up",
                    }
                )
            n_events = rng.randrange(5, 16)
            for e in range(n_events):
                event_id += 1
                kind = "opened" if e == 0 else rng.choice(EVENT_KINDS)
                event_rows.append(
                    {
                        "id": event_id,
                        "case_id": case_id,
                        "kind": kind,
                        "actor_id": lead,
                        "created_at": opened + datetime.timedelta(hours=e * 6),
                        "summary": "Case opened"
                        if e == 0
                        else _words(rng, 8, vocabulary).capitalize(),
                        "to_status": "new" if e == 0 else "",
                        "rationale": "" if e == 0 else _words(rng, 15, vocabulary),
                        "data": {},
                    }
                )
            if n_events == 15 and s.pk == school_objs[0].pk and not most_events[0]:
                most_events = (reference, n_events)
            if status != "new" and rng.random() < 0.1:
                letter_id += 1
                # Old letters went out long ago; only the last few weeks' wait in the queue.
                recent = offset < 86400 * 21
                state = rng.choice(("sent", "printed", "ready")) if recent else "sent"
                letter_rows.append(
                    {
                        "id": letter_id,
                        "case_id": case_id,
                        "kind": "warning",
                        "status": state,
                        "title": "Warning about conduct",
                        "person_id": person_id,
                        "recipient_name": f"{first} {last}",
                        "recipient_address": "1 Road\nBenchtown",
                        "delivery_method": "post",
                        "body_html": f"<p>Dear {first} {last},</p>"
                        f"<p>{_words(rng, 80, vocabulary)}</p>",
                        "context": {},
                        "signatory_name": "The head teacher",
                        "created_by_id": lead,
                        "created_at": opened + datetime.timedelta(days=3),
                        "approved_by_id": lead,
                        "approved_at": opened + datetime.timedelta(days=3),
                        "pdf_pages": 1,
                        "printed_at": opened + datetime.timedelta(days=4)
                        if state != "ready"
                        else None,
                        "sent_at": opened + datetime.timedelta(days=4) if state == "sent" else None,
                    }
                )
        with transaction.atomic():
            for name, rows in (
                ("cases", case_rows),
                ("persons", person_rows),
                ("reports", report_rows),
                ("events", event_rows),
                ("letters", letter_rows),
                ("case_rules", case_rules),
                ("case_persons", case_persons),
            ):
                counts[name] += inserters[name].insert(rows)

    _reset_sequences([Case, Person, Report, CaseEvent, Letter, through_rules, through_persons])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    # A surname shared by a few dozen people: what a head teacher would search for.
    common = sorted(surnames.items(), key=lambda kv: kv[1])
    surname = common[len(common) // 2][0]
    # A word about as common in reports as a surname: what a text search would look for.
    text_term = vocabulary[0][1000]
    return Made(
        head_id=head.pk,
        trust_exec_id=executive.pk,
        school_ids=[s.pk for s in school_objs],
        head_school_id=school_objs[0].pk,
        case_with_15_events=most_events[0],
        surname=surname,
        text_term=text_term,
        counts=counts,
    )
