"""Disposal's pass over the free text that staff typed about a case: the chronology's words,
task titles, bars and restrictions, the case's outcome wording, and the SAR register's entries
about a person who is anonymised. Called by `services.dispose` under its lock, in its
transaction.

The chronology is append-only — the model and queryset refuse any change, and on PostgreSQL
a trigger refuses UPDATE and DELETE. Disposal is the one change the law requires of it, so it
has one path (docs/decisions.md, "Anonymising the chronology"): inside the disposal's
transaction `chronology_words_clear` sets the transaction-local `schoolconduct.anonymising`
and updates through the base QuerySet, and the trigger (records migration 0003) lets an UPDATE
through only then, and only if the line's case, kind, actor, time and status change stay as
they were. Its words go; its shape — what happened, who did it and when — stays.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from casetasks.models import CaseTask
from incidents.identity import ReporterIdentity
from incidents.models import Case, CaseEvent, Person, Report
from measures.models import BanReview, ContactRestriction, SiteBan

from .models import SubjectAccessRequest

ANONYMISED = "[anonymised]"
# A value in a chronology line's data that is a code, not words (an outcome, a step, a
# date): kept, so "which steps were taken" still reads the same after disposal.
CODE = re.compile(r"^[a-z0-9_:.\-]{1,40}$")


def identity_of(case: Case, people: list[Person]) -> ReporterIdentity:
    """Everyone the case names that disposal anonymises: the people concerned and the
    reporters (names, first names on their own, email addresses, phone numbers)."""
    reports = list(Report.objects.filter(case=case))
    return ReporterIdentity(
        names=[p.full_name for p in people] + [r.reporter_name for r in reports],
        emails=[p.email for p in people] + [r.reporter_email for r in reports],
        phones=[p.phone for p in people] + [r.reporter_phone for r in reports],
        first_names=True,
    )


def _scrub(value: Any, identity: ReporterIdentity) -> Any:
    """A chronology line's data with every piece of text replaced; ids, flags and codes kept
    (a code that spells someone's name is replaced too)."""
    if isinstance(value, dict):
        return {key: _scrub(item, identity) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, identity) for item in value]
    if isinstance(value, str):
        if CODE.match(value) and not identity.find(value):
            return value
        return ANONYMISED if value else value
    return value


def chronology_words_clear(case: Case, identity: ReporterIdentity) -> int:
    """Replace the words of every chronology line of the case: the summary becomes its kind
    ("Note [anonymised]"), the rationale and the data's text "[anonymised]"."""
    labels = dict(CaseEvent.Kind.choices)
    events = list(CaseEvent.objects.filter(case=case).values("pk", "kind", "rationale", "data"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('schoolconduct.anonymising', 'on', true)")
    try:
        for event in events:
            QuerySet.update(
                CaseEvent.objects.filter(pk=event["pk"]),
                summary=f"{labels.get(event['kind'], 'Event')} {ANONYMISED}",
                rationale=ANONYMISED if event["rationale"] else "",
                data=_scrub(event["data"], identity),
            )
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('schoolconduct.anonymising', 'off', true)")
    return len(events)


def free_text_clear(
    case: Case, identity: ReporterIdentity, *, people_anonymised: list[Person]
) -> dict[str, int]:
    """Everything typed about the case that the rest of disposal doesn't already clear; how
    many rows of each were changed (for the disposal log). `identity`: who the case names
    (`identity_of`, read before disposal began)."""
    cleared = {
        "chronology": chronology_words_clear(case, identity),
        "tasks": CaseTask.objects.filter(case=case).update(title=ANONYMISED),
        "bars": SiteBan.objects.filter(case=case).update(
            reasons=ANONYMISED,
            scope=ANONYMISED,
            duration=ANONYMISED,
            child_arrangements=ANONYMISED,
            immediate_risk_reason="",
            representations="",
            representations_weighed="",
            decision_reasons="",
            override_reason="",
            lift_reason="",
        ),
        "bar_reviews": BanReview.objects.filter(ban__case=case).update(notes=ANONYMISED),
        "restrictions": ContactRestriction.objects.filter(case=case).update(
            contact_point=ANONYMISED, channels=ANONYMISED, reasons=ANONYMISED, end_reason=""
        ),
    }
    # The outcome's wording stays ("Resolved", "merged into …") without anyone's name in it.
    outcome = Case.objects.filter(pk=case.pk).values_list("outcome", flat=True).get()
    Case.objects.filter(pk=case.pk).update(outcome=identity.redact(outcome, ANONYMISED))
    # A closed SAR about a person who is anonymised keeps its dates, not who asked or what
    # for (an open one holds the records: disposal never reaches it).
    cleared["subject_requests"] = SubjectAccessRequest.objects.filter(
        person__in=people_anonymised
    ).update(requester_name=ANONYMISED, scope="", extension_reason="")
    return cleared
