"""Reads for reports and cases."""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from schools.calendar import add_working_days
from schools.models import Rule

from . import case_counts, chat, deadlines, frozen_sql
from .access import (
    case_schools,
    cases_visible_in,
    cases_visible_to,
    roles_for,
    school_case_scope,
)
from .models import (
    AccessLog,
    Case,
    CaseEvent,
    CaseStatus,
    Evidence,
    ExcerptMessage,
    Meeting,
    Message,
    Referral,
    Report,
)
from .rows import CaseRows, case_rows, case_rows_register

ONE_DAY = datetime.timedelta(days=1)

# What a reporter is told about their case: general terms only, derived from its status.
REPORTER_STATUS = {
    CaseStatus.NEW: (
        "Received",
        "Your report has been received and is waiting to be looked at by a senior member of staff.",
    ),
    CaseStatus.INVESTIGATING: (
        "Being looked into",
        "A senior member of staff is looking into your report.",
    ),
    CaseStatus.ACTION: (
        "Being looked into",
        "A senior member of staff is looking into your report.",
    ),
    CaseStatus.MONITORING: (
        "Being looked into",
        "The school has acted on your report and is keeping the matter under review.",
    ),
    CaseStatus.CLOSED: (
        "Closed",
        "The school has finished looking into your report. To protect "
        "everyone's privacy it may not be able to tell you about any action taken "
        "about another parent.",
    ),
}


def reporter_status(status: str) -> tuple[str, str]:
    return REPORTER_STATUS[CaseStatus(status)]


def report_for_followup(*, report_id: int) -> Report | None:
    return Report.objects.select_related("case", "school").filter(pk=report_id).first()


def followup_context(*, report: Report) -> dict:
    """What the reporter may see on the follow-up page: status, messages, their additions."""
    title, explanation = reporter_status(report.case.status)
    thread = list(
        Message.objects.filter(report=report)
        .select_related(None)
        .prefetch_related("evidence")
        .order_by("created_at", "pk")
    )
    return {
        "report": report,
        "school": report.school,
        "status_title": title,
        "status_explanation": explanation,
        "thread": thread,
        "has_staff_messages": any(m.direction == Message.Direction.TO_REPORTER for m in thread),
    }


# --------------------------------------------------------------------------------------------
# Staff reads


# How many rows each list on the dashboard shows.
DASHBOARD_ROWS = 20
DUE_ROWS = 30
# What the dashboard reads of the cases it lists (`dashboard_html.case_rows`, the deadline
# rows): building whole cases and leads cost more than the database takes to send them.
DASHBOARD_CASE_FIELDS = (
    "id",
    "school_id",
    "reference",
    "status",
    "severity",
    "safeguarding_flag",
    "opened_at",
    "lead__first_name",
    "lead__last_name",
)


def _local_day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# The dashboard's query 2: the first DUE_ROWS new cases of each school (oldest first), awaiting
# a DSL (oldest first) and awaiting a LADO referral (soonest deadline first), the user's
# DASHBOARD_ROWS newest open cases, and how many of each kind are overdue. One part per kind,
# each ranking only its own rows (the new cases straight from their partial index, in its
# order), around the ORM's query of the user's cases of that kind (`cases_visible_to`). Written
# out rather than as Django window filters: those compile each query twice and cost more Python
# time than the whole bare list page.
# How many of a kind are overdue is a row of its own (id NULL), counted where `late` holds:
# a window SUM over every row of the kind made PostgreSQL keep all of a trust's new cases in
# memory (~6 ms), where the count reads them from the index.
_PART = """
SELECT kind, id, school_id, opened_at, lado_due, late, mine FROM (
    SELECT '{kind}' AS kind, k.id, k.school_id, k.opened_at, {lado_due} AS lado_due,
           ROW_NUMBER() OVER ({partition} ORDER BY {order}) AS position,
           0 AS late, CASE WHEN k.mine THEN 1 ELSE 0 END AS mine
    FROM ({inner}) k
) {kind}_ranked WHERE position <= %s"""
_LATE = """
SELECT '{kind}', NULL, NULL, NULL, {lado_due}, COUNT(*), 0 FROM ({inner}) k WHERE k.late"""


# Query 2 as compiled, by everything its text and parameters are made of (see
# `dashboard_summary`): building and compiling its four ORM queries cost more Python time than
# the database takes to run it. Per process and thread, bounded; a new day is a new key.
_FIRST_COMPILED = frozen_sql.KeptPerThread()


def _first_of_each_kind(
    key: tuple, db: str, build: Callable[[], list[tuple[str, Any, str, str, int, bool]]]
) -> list[tuple]:
    """Run query 2 (`_first_compile` of the parts `build` returns), compiled once per `key`."""
    compiled = _FIRST_COMPILED.get(db, key, lambda: _first_compile(build()))
    if compiled is None:
        return []
    statement, converting, converters = compiled
    sql, params = statement.to_run()
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converting is None or not converters:
        return rows
    return list(converting.apply_converters(rows, converters))


def _first_compile(parts: list[tuple[str, Any, str, str, int, bool]]) -> tuple | None:
    """One `_PART` for each (kind, its cases annotated with `late`, PARTITION BY, ORDER BY,
    how many, whether any can be overdue), joined in one query: (its `frozen_sql.Statement`,
    the compiler and converters that turn its values into what Django would give, as on
    SQLite's dates), None if the user has no cases of any kind. Its rows: (kind, id, school,
    opened at, LADO due or None, 0, mine), and for a kind that can be overdue a row (kind,
    None, None, None, None, how many are overdue, 0)."""
    sql, params, converters = [], [], {}
    converting, using = None, "default"
    for kind, cases, partition, order, limit, counted in parts:
        lado = kind == "lado"
        columns = ["id", "school_id", "opened_at", *(["lado_due"] if lado else []), "late", "mine"]
        query = cases.order_by().values_list(*columns).query
        using = cases.db
        compiler = query.get_compiler(using=using)
        try:
            inner_sql, inner_params = compiler.as_sql()
        except EmptyResultSet:  # the user has no cases of this kind to see at all
            continue
        lado_due = "k.lado_due" if lado else "CAST(NULL AS date)"
        sql.append(
            _PART.format(
                kind=kind, lado_due=lado_due, partition=partition, order=order, inner=inner_sql
            )
        )
        params += [*inner_params, limit]
        if counted:
            sql.append(_LATE.format(kind=kind, lado_due="CAST(NULL AS date)", inner=inner_sql))
            params += inner_params
        if lado or converting is None:
            # The converters of id, school, opened at (and LADO due): in columns 1 to 4.
            selected = [col for col, _sql, _alias in compiler.select[: 4 if lado else 3]]
            found = compiler.get_converters(selected)
            converting, converters = compiler, {i + 1: pair for i, pair in found.items()}
    if not sql:
        return None
    # Bound and prepared once on PostgreSQL (`frozen_sql.Statement`).
    statement = frozen_sql.Statement(using, "\nUNION ALL\n".join(sql), params)
    return statement, converting, converters


def _soonest_triage(
    new_rows: list[tuple[datetime.datetime, int, int]],
    triage_date: Callable[[datetime.datetime, int, int], datetime.date | None],
    horizon: datetime.date,
) -> list[tuple[datetime.date, int]]:
    """(triage date, case) of the new cases `new_rows` (opened at, case, school) due by
    `horizon`, soonest first: every one the panel can show (the first `DUE_ROWS`, and any due
    on the same day as the last of them), without working out every row's date.

    A school's triage dates only move later as the opening date does, so its rows, oldest
    first, come due in that order: the schools' next rows are merged by date, each school's
    following row worked out only once its previous one is taken."""
    by_school: dict[int, list[tuple[datetime.datetime, int, int]]] = {}
    for row in sorted(new_rows):
        by_school.setdefault(row[2], []).append(row)
    rows = {school_id: iter(school_rows) for school_id, school_rows in by_school.items()}
    heads: list[tuple[datetime.date, int, int]] = []

    def take_next(school_id: int) -> None:
        for opened_at, pk, _school in rows[school_id]:
            due = triage_date(opened_at, pk, school_id)
            if due is not None:
                heapq.heappush(heads, (due, pk, school_id))
                return

    for school_id in rows:
        take_next(school_id)
    found: list[tuple[datetime.date, int]] = []
    while heads:
        due, pk, school_id = heapq.heappop(heads)
        # Past the horizon, or past the last date the panel shows: so is everything after.
        if due > horizon or (len(found) >= DUE_ROWS and due > found[DUE_ROWS - 1][0]):
            break
        found.append((due, pk))
        take_next(school_id)
    return sorted(found)  # same-day ones by case id


def dashboard_summary(*, user) -> dict:
    """Everything the dashboard shows, in a fixed number of queries (ten at most, with the
    sign-in's four) and a bounded number of rows, whatever the data size.

    The deadline panel shows the soonest `DUE_ROWS` items. Each kind's deadline only moves
    later as its start date does, so the database is asked for the first few of each kind
    (per school where the school's calendar decides) and for exact overdue counts, using a
    per-school cut-off date worked out from the calendars — never for every waiting case.
    """
    roles = roles_for(user)
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=deadlines.HORIZON_DAYS)
    schools = list(case_schools(user))
    # The user's cases (`cases_visible_to`), written with these school ids.
    visible = cases_visible_in(user, schools)
    calendars = deadlines.Calendars()
    calendars.preload(schools)

    def triage_due(school):
        return lambda day: calendars(school).add_school_days(day, school.triage_target_days)

    # Started on or before these days = overdue today (SQL counts them).
    triage_cutoffs = {s.pk: deadlines.last_overdue_start(triage_due(s), today) for s in schools}
    dsl_cutoff = deadlines.last_overdue_start(lambda d: add_working_days(d, 1), today)
    # Schools with the same cut-off (the same calendar and target) share one condition.
    by_cutoff: dict[datetime.date, list[int]] = {}
    for school_id, cutoff in triage_cutoffs.items():
        if cutoff is not None:
            by_cutoff.setdefault(cutoff, []).append(school_id)
    triage_overdue = Q(pk__in=[])
    for cutoff, school_ids in sorted(by_cutoff.items()):
        triage_overdue |= Q(
            school_id__in=school_ids, opened_at__lt=_local_day_start(cutoff + ONE_DAY)
        )
    no_lado_referral = ~Exists(Referral.objects.filter(case=OuterRef("pk"), kind="lado"))
    is_open = ~Q(status=CaseStatus.CLOSED)
    needs_dsl = Q(safeguarding_flag=True, safeguarding_decided_at__isnull=True) & is_open
    needs_lado = is_open & Q(lado_due__isnull=False) & no_lado_referral
    dsl_overdue = needs_dsl & (
        Q(opened_at__lt=_local_day_start(dsl_cutoff + ONE_DAY)) if dsl_cutoff else Q(pk__in=[])
    )
    # The counts per school and status: kept in the cache per school (incidents.case_counts,
    # counted again when a case of the school changes), each school's share as the user may
    # see it (all of its cases, or the safeguarding-flagged ones for a DSL who is not SLT).
    figures = case_counts.school_figures([s.pk for s in schools])
    # Every school the user oversees has a row, those with no cases too (a trust sees at a
    # glance which schools have reported nothing); `schools` is in name order.
    by_school: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = dict.fromkeys(CaseStatus.values, 0)
    for school in schools:
        scope = school_case_scope(user, school)
        row = by_school.setdefault(school.name, dict.fromkeys(CaseStatus.values, 0))
        for status, (every, flagged) in figures.get(school.pk, {}).items():
            n = every if scope == "all" else flagged if scope == "safeguarding" else 0
            row[status] = row.get(status, 0) + n
            totals[status] = totals.get(status, 0) + n
    overdue_count = 0

    # Query 2: the first few of each kind — new (per school, oldest first), awaiting a DSL,
    # awaiting a LADO referral — as plain values, with how many of each are overdue.
    led = is_open & Q(lead=user)

    def overdue_flag(condition: Q | None) -> ExpressionWrapper | Value:
        """Whether a case of the kind is overdue, as a boolean column (never-true: false, not
        the 0 Django writes for a condition it finds empty)."""
        if condition is None:
            return Value(False, output_field=BooleanField())
        return ExpressionWrapper(condition, output_field=BooleanField())

    # Everything query 2 is made of: the user (mine), their schools and roles (their cases),
    # the days (overdue, horizon).
    first_key = (
        user.pk,
        roles,
        tuple(s.pk for s in schools),
        tuple(sorted((cutoff, tuple(ids)) for cutoff, ids in by_cutoff.items())),
        dsl_cutoff,
        today,
        horizon,
        timezone.get_current_timezone_name(),
    )
    first = _first_of_each_kind(
        first_key,
        visible.db,
        lambda: [
            (
                "new",
                visible.filter(status=CaseStatus.NEW).annotate(
                    late=overdue_flag(triage_overdue if by_cutoff else None),
                    mine=overdue_flag(led),
                ),
                "PARTITION BY k.school_id",
                "k.opened_at, k.id",
                DUE_ROWS,
                bool(by_cutoff),
            ),
            (
                "dsl",
                visible.filter(needs_dsl).annotate(
                    late=overdue_flag(dsl_overdue if dsl_cutoff else None),
                    mine=overdue_flag(led),
                ),
                "",
                "k.opened_at, k.id",
                DUE_ROWS,
                bool(dsl_cutoff),
            ),
            (
                "lado",
                visible.filter(needs_lado, lado_due__lte=horizon).annotate(
                    late=overdue_flag(Q(lado_due__lt=today)), mine=overdue_flag(led)
                ),
                "",
                "k.lado_due, k.id",
                DUE_ROWS,
                True,
            ),
            (
                "mine",
                visible.filter(led).annotate(late=overdue_flag(None), mine=overdue_flag(led)),
                "",
                "k.opened_at DESC, k.id DESC",
                DASHBOARD_ROWS,
                False,
            ),
        ],
    )
    school_by_id = {s.pk: s for s in schools}
    new_rows: list[tuple[datetime.datetime, int, int]] = []
    dsl_rows, lado_rows = [], []
    mine: set[int] = set()
    overdue_by_kind: dict[str, int] = {}
    for kind, pk, school_id, opened_at, lado_due, overdue, is_mine in first:
        if pk is None:  # how many of the kind are overdue
            overdue_by_kind[kind] = overdue
            continue
        # "My open cases": the newest, and any other the page lists that I lead.
        if is_mine:
            mine.add(pk)
        if kind == "mine":
            continue
        if kind == "new" and school_id in school_by_id:
            new_rows.append((opened_at, pk, school_id))  # triage dates: when needed, below
        elif kind == "dsl":
            opened = timezone.localtime(opened_at).date()
            dsl_rows.append((opened_at, pk, add_working_days(opened, 1)))
        elif kind == "lado" and lado_due:
            lado_rows.append((lado_due, pk, lado_due))
    overdue_count += sum(overdue_by_kind.values())
    new_rows.sort()
    dsl_rows.sort()
    lado_rows.sort()
    # Query 3 (and on): other apps' deadlines — bars and restrictions — with their cases.
    # (The case's own deadlines are worked out above, bounded; the engine's provider for
    # them would load every waiting case.)
    # Their queries compiled once per `first_key`, as query 2 is.
    window = deadlines.Window(
        cases=visible, today=today, horizon=horizon, calendars=calendars, user=user, key=first_key
    )
    items = [
        item
        for provider in deadlines.PROVIDERS
        if provider is not deadlines.case_deadlines
        for item in provider(window)
        if item is not None
    ]
    overdue_count += sum(1 for d in items if d.overdue(today))
    # The case-level items that can make the panel: the soonest, ties at the edge included.
    triage_on: dict[int, datetime.date | None] = {}  # by case, worked out once

    def triage_date(opened_at: datetime.datetime, pk: int, school_id: int):
        if pk not in triage_on:
            try:
                opened = timezone.localtime(opened_at).date()
                triage_on[pk] = triage_due(school_by_id[school_id])(opened)
            except ValueError:
                triage_on[pk] = None
        return triage_on[pk]

    candidates = sorted(
        [(due, "triage", pk) for due, pk in _soonest_triage(new_rows, triage_date, horizon)]
        + [
            (due, kind, pk)
            for kind, rows in (("dsl_decision", dsl_rows), ("lado", lado_rows))
            for _start, pk, due in rows
            if due is not None and due <= horizon
        ]
    )
    if len(candidates) > DUE_ROWS:
        edge = candidates[DUE_ROWS - 1][0]
        candidates = [c for c in candidates if c[0] <= edge]
    # Query 4: the cases the lists show, and my open cases (found by query 2), by id.
    wanted = mine | {pk for _due, _kind, pk in candidates}
    wanted |= {pk for _start, pk, _school in new_rows[:DASHBOARD_ROWS]}
    wanted |= {pk for _start, pk, _due in dsl_rows[:DASHBOARD_ROWS]}
    wanted |= {pk for _start, pk, _due in lado_rows}
    cases = {}
    # sorted here (the database would walk the date index to find them); each case's school
    # is one of `schools`, already read: not joined and built again for every row. Only what
    # the rows and deadlines show (`DASHBOARD_CASE_FIELDS`): the rest stays in the database.
    rows = visible.filter(pk__in=wanted).select_related("lead").only(*DASHBOARD_CASE_FIELDS)
    for case in rows.order_by():
        case.school = school_by_id[case.school_id]
        cases[case.pk] = case
    # Triage is counted in school days: past the term dates entered, the date is an estimate.
    items += [
        deadlines.due(
            kind,
            cases[pk],
            due,
            estimated=kind == "triage" and calendars(cases[pk].school).is_estimated(due),
        )
        for due, kind, pk in candidates
        if pk in cases
    ]
    items.sort(key=lambda d: (d.due_on, d.reference, d.kind))
    waiting = []
    for opened_at, pk, school_id in new_rows[:DASHBOARD_ROWS]:
        if pk in cases:
            due = triage_date(opened_at, pk, school_id)
            waiting.append((cases[pk], due, due is not None and due < today))
    return {
        "due": [(d, d.overdue(today)) for d in items[:DUE_ROWS]],
        "totals": totals,
        "by_school": by_school if len(by_school) > 1 or roles.trusts else {},
        "waiting": waiting,
        "mine": sorted(
            (c for c in cases.values() if c.pk in mine),
            key=lambda c: (c.opened_at, c.pk),
            reverse=True,
        ),
        "alerts": [cases[pk] for _start, pk, _due in dsl_rows[:DASHBOARD_ROWS] if pk in cases],
        # The deadline engine's LADO items: allegations not yet referred, by their deadline.
        "lado_overdue": [
            deadlines.due("lado", cases[pk], due)
            for _start, pk, due in lado_rows
            if due <= horizon and pk in cases
        ],
        "overdue_count": overdue_count,
        "status_labels": dict(CaseStatus.choices),
        "status_cards": [(value, label, totals[value]) for value, label in CaseStatus.choices],
        "today": today,
    }


def case_list(*, user):
    """The cases the user may see, with what the list shows, ready to filter.

    No report count here: counted per row, it would run for every row an OFFSET skips;
    `case_list_page` adds it where that is cheap.
    """
    return cases_visible_to(user).select_related("school", "lead").order_by("-opened_at", "-pk")


def report_count() -> Coalesce:
    """Each case's number of reports, as a correlated subquery (0 when none)."""
    reports = (
        Report.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(reports), 0)


def report_counts(case_ids: list[int]) -> dict[int, int]:
    """How many reports each of these cases has: one grouped query over their rows only."""
    rows = (
        Report.objects.filter(case_id__in=case_ids)
        .order_by()
        .values_list("case_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


PAGE_SIZE = 50
# Sorts the list can page with a cursor: by opening date, newest or oldest first.
KEYSET_SORTS = {"": True, "-opened": True, "opened": False}


def case_list_page(*, cases, params, sort: str):
    """One page of the filtered list, with each row's report count.

    Ordered by date (the default), it pages by cursor (`after`/`before`), so a deep page
    costs what the first does; other sorts page by number.
    """
    from django.core.paginator import Paginator

    from .pagination import keyset_page

    if sort in KEYSET_SORTS:
        rows = cases.annotate(report_count=report_count())
        first_page = not (params.get("after") or params.get("before"))
        if first_page and (params.get("q") or "").strip():
            # A search's first page: the database finds every match to sort them anyway, so
            # it counts them in the same query (a window) rather than searching twice.
            rows = rows.annotate(list_total=Window(Count("pk")))

        def total(page_rows: list) -> int:
            if page_rows and hasattr(page_rows[0], "list_total"):
                return page_rows[0].list_total
            return cases.count()

        # A cursor page reads only its own rows, so a per-row count costs 51 index lookups,
        # inside the same query.
        return keyset_page(
            rows,
            field_name="opened_at",
            descending=KEYSET_SORTS[sort],
            per_page=PAGE_SIZE,
            after=params.get("after"),
            before=params.get("before"),
            count=total,
        )
    count = cases.count()
    paginator = Paginator(cases, PAGE_SIZE)
    paginator.count = count  # already counted; don't ask the database twice
    numbered = paginator.get_page(params.get("page"))
    rows = list(numbered.object_list)
    numbered.object_list = rows
    counts = report_counts([c.pk for c in rows])
    for case in rows:
        case.report_count = counts.get(case.pk, 0)
    return numbered


# Other apps' parts of the case page (measures: bars and restrictions; letters: the case's
# letters), registered from their AppConfig.ready so incidents never imports them. Each takes
# the case and the user and returns its template context.
CasePagePart = Callable[[Case, Any], dict[str, Any]]
CASE_PAGE_PARTS: list[CasePagePart] = []


def case_page_part_register(part: CasePagePart) -> None:
    if part not in CASE_PAGE_PARTS:
        CASE_PAGE_PARTS.append(part)


def case_detail(*, case, access, event_kind: str = "", user: Any = None) -> dict:
    """The case page's data: a fixed number of queries however many reports or events."""

    reports = case_rows(
        case,
        "reports",
        lambda: case.reports.select_related("group", "witness").order_by("received_at", "pk"),
    )
    evidence = case_rows(
        case,
        "evidence",
        lambda: (
            Evidence.objects.filter(case=case)
            .select_related("uploaded_by")
            .order_by("uploaded_at", "pk")
        ),
    )
    chat_lines = case_rows(
        case,
        "chat_lines",
        lambda: (
            ExcerptMessage.objects.filter(excerpt__report__case=case)
            .select_related("excerpt")
            .order_by("excerpt__created_at", "excerpt_id", "position")
        ),
    )
    evidence_by_pk = {e.pk: e for e in evidence}
    for line in chat_lines:
        line.evidence = evidence_by_pk.get(line.evidence_id) if line.evidence_id else None
    # What typed text must hide from a user who may not see the reporter: their details from
    # the form, and the name their chat export showed them under.
    hidden = (
        None
        if access.can_see_reporter
        else chat.reporter_identity(reports=reports, chat_lines=chat_lines)
    )
    # The rules each report names and the case's own, in one query.
    case_rules, report_rules = _rules_of(case)
    for report in reports:
        report.files = [e for e in evidence if e.report_id == report.pk and not e.message_id]
        report.rule_list = report_rules.get(report.pk, [])
        report.chat = chat.excerpt_for_viewer(
            [line for line in chat_lines if line.excerpt.report_id == report.pk], hidden=hidden
        )
        report.chat_excerpt = next(
            (line.excerpt for line in chat_lines if line.excerpt.report_id == report.pk), None
        )
    # The persons concerned and their other cases, in one query.
    through = type(case).persons.through
    rows = list(
        through.objects.filter(person_id__in=through.objects.filter(case=case).values("person_id"))
        .select_related("person", "case__school")
        .order_by("-case__opened_at", "-case_id")
    )
    persons = sorted(
        {r.person_id: r.person for r in rows if r.case_id == case.pk}.values(),
        key=lambda p: (p.full_name, p.pk),
    )
    for person in persons:
        person.history = [r.case for r in rows if r.person_id == person.pk and r.case_id != case.pk]
    events = case.events.select_related("actor").order_by("created_at", "pk")
    if event_kind:
        events = events.filter(kind=event_kind)
    else:
        events = case_rows(case, "events", lambda: events)
    messages = case_rows(
        case,
        "messages",
        lambda: case.messages.select_related("report", "author").order_by("created_at", "pk"),
    )
    for message in messages:
        message.files = [e for e in evidence if e.message_id == message.pk]
    staff_files = [e for e in evidence if e.report_id is None]
    return {
        "reports": reports,
        "evidence": evidence,
        "staff_files": staff_files,
        "persons": persons,
        "events": list(events),
        "event_kinds": CaseEvent.Kind.choices,
        "event_kind": event_kind,
        "messages_thread": messages,
        "meetings": case_rows(
            case, "meetings", lambda: Meeting.objects.filter(case=case).select_related("person")
        ),
        "referrals": case_rows(case, "referrals", lambda: Referral.objects.filter(case=case)),
        "access_log": case_rows(
            case,
            "access_log",
            lambda: AccessLog.objects.filter(case=case).select_related("user")[:ACCESS_LOG_ROWS],
        )
        if access.can_see_reporter
        else [],
        "rules": case_rules,
        "hidden_reporter": hidden,
    } | {key: value for part in CASE_PAGE_PARTS for key, value in part(case, user).items()}


# The case page's short lists, read with the case itself (`get_case_for_user(page=True)`).
ACCESS_LOG_ROWS = 50
USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active"]
RULE_FIELDS = ["school", "title", "order"]


def _access_log_rows(user):
    # Only where the user may see the reporter (the log names who opened the case).
    schools = roles_for(user).reporter_schools
    if not schools:
        return None
    return AccessLog.objects.filter(case=OuterRef("pk"), case__school_id__in=schools)[
        :ACCESS_LOG_ROWS
    ]


for _spec in (
    # The page's longer lists, read with the case too: one query fewer each.
    CaseRows(
        "reports",
        Report,
        lambda user: Report.objects.filter(case=OuterRef("pk")).order_by("received_at", "pk"),
        related=("group", "witness"),
        fields={"witness": USER_FIELDS},
    ),
    CaseRows(
        "evidence",
        Evidence,
        lambda user: Evidence.objects.filter(case=OuterRef("pk")).order_by("uploaded_at", "pk"),
        related=("uploaded_by",),
        fields={"uploaded_by": USER_FIELDS},
    ),
    CaseRows(
        "chat_lines",
        ExcerptMessage,
        lambda user: ExcerptMessage.objects.filter(excerpt__report__case=OuterRef("pk")).order_by(
            "excerpt__created_at", "excerpt_id", "position"
        ),
        related=("excerpt",),
    ),
    CaseRows(
        "events",
        CaseEvent,
        lambda user: CaseEvent.objects.filter(case=OuterRef("pk")).order_by("created_at", "pk"),
        related=("actor",),
        fields={"actor": USER_FIELDS},
    ),
    CaseRows(
        "messages",
        Message,
        lambda user: Message.objects.filter(case=OuterRef("pk")).order_by("created_at", "pk"),
        related=("report", "author"),
        fields={"author": USER_FIELDS},
    ),
    CaseRows(
        "report_rules",
        Report.rules.through,
        lambda user: Report.rules.through.objects.filter(report__case=OuterRef("pk")),
        related=("rule",),
        fields={"rule": RULE_FIELDS},
    ),
    CaseRows(
        "case_rules",
        Case.rules.through,
        lambda user: Case.rules.through.objects.filter(case=OuterRef("pk")),
        related=("rule",),
        fields={"rule": RULE_FIELDS},
    ),
    CaseRows(
        "meetings",
        Meeting,
        lambda user: Meeting.objects.filter(case=OuterRef("pk")),
        related=("person",),
    ),
    CaseRows("referrals", Referral, lambda user: Referral.objects.filter(case=OuterRef("pk"))),
    CaseRows(
        "access_log",
        AccessLog,
        _access_log_rows,
        related=("user",),
        fields={"user": USER_FIELDS},
    ),
):
    case_rows_register(_spec)


def _rules_of(case) -> tuple[list[Rule], dict[int, list[Rule]]]:
    """The case's rules, and each of its reports' rules (by report id): read with the case
    on its page, else in one query."""
    preloaded = getattr(case, "page_rows", {})
    if "report_rules" in preloaded and "case_rules" in preloaded:
        rows = [(r.report_id, r.rule) for r in preloaded["report_rules"]]
        rows += [(None, r.rule) for r in preloaded["case_rules"]]
        case_rules: list[Rule] = []
        by_report: dict[int, list[Rule]] = {}
        for report_id, rule in sorted(rows, key=lambda r: (r[1].order, r[1].pk)):
            if report_id is None:
                case_rules.append(rule)
            else:
                by_report.setdefault(report_id, []).append(rule)
        return case_rules, by_report
    number: IntegerField = IntegerField()
    report_rows = (
        Report.rules.through.objects.filter(report__case=case)
        .order_by()
        .values_list("report_id", "rule_id", "rule__title", "rule__order")
    )
    case_rows = (
        type(case)
        .rules.through.objects.filter(case=case)
        .order_by()
        .annotate(none=Value(None, output_field=number))
        .values_list("none", "rule_id", "rule__title", "rule__order")
    )
    case_rules = []
    by_report = {}
    for report_id, rule_id, title, order in sorted(
        report_rows.union(case_rows, all=True), key=lambda r: (r[3], r[1])
    ):
        rule = Rule(pk=rule_id, title=title, order=order, school_id=case.school_id)
        if report_id is None:
            case_rules.append(rule)
        else:
            by_report.setdefault(report_id, []).append(rule)
    return case_rules, by_report
