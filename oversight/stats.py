"""The figures behind /staff/reports/ and the governors' report.

Every figure is an aggregate: counts grouped in the database by school and by the thing
counted, so the number of queries is the same for one school or twenty, and for a hundred
cases or a hundred thousand. The only rows that come back one per case are four small columns
of the cases opened in the period (for the clocks: time to triage and to decision against the
school's own targets in school days, which depend on each school's calendar).
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from incidents.models import Case, Channel, Nature, Outcome, Person, Report, Severity
from measures.models import IN_FORCE_BAN_STAGES, BanStage, ContactRestriction, SiteBan
from schools.calendar import SchoolCalendar
from schools.models import Group, InsetDay, School, TermDate

from .periods import Period, half_terms, terms

BUCKETS = {"week": "Week", "half_term": "Half-term", "term": "Term"}
NOT_DECIDED = "not_decided"
OUTCOME_LABELS = {**dict(Outcome.choices), NOT_DECIDED: "No decision yet"}


@dataclass
class Row:
    """One line of a breakdown: a label and a count per school (in the schools' order)."""

    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class Breakdown:
    key: str
    title: str
    rows: list[Row]
    unit: str = "cases"

    @property
    def totals(self) -> list[int]:
        return [sum(col) for col in zip(*(r.counts for r in self.rows), strict=False)]


@dataclass
class Clock:
    """Time to a step, against the school's target, per school."""

    title: str
    counted: list[int]
    within_target: list[int]
    median_days: list[float | None]
    target_days: list[int]


@dataclass
class Figures:
    schools: list[School]
    period: Period
    group: Group | None
    bucket: str
    reports: list[int]
    cases: list[int]
    over_time: Breakdown
    breakdowns: list[Breakdown] = field(default_factory=list)
    clocks: list[Clock] = field(default_factory=list)
    repeat_people: list[int] = field(default_factory=list)
    repeat_people_in_period: list[int] = field(default_factory=list)
    bars_in_force: list[int] = field(default_factory=list)
    restrictions_in_force: list[int] = field(default_factory=list)
    estimated_terms: bool = False

    @property
    def compares(self) -> bool:
        return len(self.schools) > 1


def _period_q(field_name: str, period: Period) -> Q:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _per_school(rows, school_index: dict[int, int], labels: dict) -> list[Row]:
    """Rows of (school_id, key, n) into one `Row` per label, in the labels' order."""
    counts: dict[object, list[int]] = {key: [0] * len(school_index) for key in labels}
    for school_id, key, n in rows:
        if key in counts:
            counts[key][school_index[school_id]] += n
    return [Row(str(labels[key]), counts[key]) for key in labels]


def _count_per_school(rows: QuerySet, school_index: dict[int, int]) -> list[int]:
    """How many of `rows` each school has, in the schools' order (one query)."""
    counts = [0] * len(school_index)
    for school_id, n in (
        rows.filter(school_id__in=list(school_index))
        .values_list("school_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[school_index[school_id]] = n
    return counts


def buckets_for(bucket: str, period: Period, school_ids: list[int]) -> list[Period]:
    """The periods the "over time" chart counts in, clipped to `period`."""
    if bucket == "week":
        monday = period.start - datetime.timedelta(days=period.start.weekday())
        out = []
        while monday <= period.end:
            sunday = monday + datetime.timedelta(days=6)
            out.append(
                Period(f"w/c {monday:%-d %b}", max(monday, period.start), min(sunday, period.end))
            )
            monday += datetime.timedelta(days=7)
        return out
    source = half_terms(school_ids) if bucket == "half_term" else []
    if not source:
        source = terms(school_ids, period.end)
    return [
        Period(p.name, max(p.start, period.start), min(p.end, period.end), p.estimated)
        for p in source
        if p.end >= period.start and p.start <= period.end
    ]


def _over_time(
    model, date_field: str, scope: Q, buckets: list[Period], school_index: dict[int, int]
) -> list[Row]:
    rows = (
        model.objects.filter(scope)
        .annotate(day=TruncDate(date_field))
        .values_list("school_id", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out = [Row(b.name, [0] * len(school_index)) for b in buckets]
    outside = Row("Outside term time", [0] * len(school_index))
    for school_id, day, n in rows:
        for i, b in enumerate(buckets):
            if day in b:
                out[i].counts[school_index[school_id]] += n
                break
        else:
            outside.counts[school_index[school_id]] += n
    return out + ([outside] if outside.total else [])


def _calendars(schools: list[School]) -> dict[int, SchoolCalendar]:
    """Every school's calendar in two queries (not two per school)."""
    terms_by: dict[int, list] = defaultdict(list)
    for sid, start, end in TermDate.objects.filter(school__in=schools).values_list(
        "school_id", "starts_on", "ends_on"
    ):
        terms_by[sid].append((start, end))
    insets: dict[int, set] = defaultdict(set)
    for sid, day in InsetDay.objects.filter(school__in=schools).values_list("school_id", "date"):
        insets[sid].add(day)
    return {s.pk: SchoolCalendar(s, terms_by[s.pk], insets[s.pk]) for s in schools}


def _clocks(schools: list[School], case_scope: Q, school_index: dict[int, int]):
    """Time to triage and to decision, and the outcome counts, from one query."""
    calendars = _calendars(schools)
    by_id = {s.pk: s for s in schools}

    @cache
    def due(school_id: int, opened: datetime.date, days: int) -> datetime.date:
        return calendars[school_id].add_school_days(opened, days)

    n = len(schools)
    triage = Clock(
        "Time to triage", [0] * n, [0] * n, [None] * n, [s.triage_target_days for s in schools]
    )
    decision = Clock(
        "Time to a decision",
        [0] * n,
        [0] * n,
        [None] * n,
        [s.decision_target_days for s in schools],
    )
    days_to: dict[str, list[list[int]]] = {
        "triage": [[] for _ in schools],
        "decision": [[] for _ in schools],
    }
    outcomes: dict[str, list[int]] = {key: [0] * n for key in OUTCOME_LABELS}
    # Cases counted together by school and by the local days they were opened, triaged and
    # decided on (the database does the time zone): a term of a trust's cases is a few
    # thousand rows, not one per case.
    rows = (
        Case.objects.filter(case_scope, merged_into__isnull=True)
        .annotate(
            opened_day=TruncDate("opened_at"),
            triaged_day=TruncDate("triaged_at"),
            decided_day=TruncDate("decided_at"),
        )
        .values_list("school_id", "opened_day", "triaged_day", "decided_day", "actions")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for school_id, opened, triaged, decided, actions, count in rows.iterator(chunk_size=5000):
        i = school_index[school_id]
        school = by_id[school_id]
        for clock, day, key, target in (
            (triage, triaged, "triage", school.triage_target_days),
            (decision, decided, "decision", school.decision_target_days),
        ):
            if day is None:
                continue
            clock.counted[i] += count
            days_to[key][i] += [(day - opened).days] * count
            if day <= due(school_id, opened, target):
                clock.within_target[i] += count
        for action in actions or [NOT_DECIDED]:
            if action in outcomes:
                outcomes[action][i] += count
    for clock, key in ((triage, "triage"), (decision, "decision")):
        clock.median_days = [
            float(statistics.median(values)) if values else None for values in days_to[key]
        ]
    outcome_rows = [Row(str(label), outcomes[key]) for key, label in OUTCOME_LABELS.items()]
    return [triage, decision], outcome_rows


def _repeat_conduct(
    school_ids: list[int], school_index: dict[int, int], period: Period, cases
) -> tuple[list[int], list[int]]:
    """People with more than one case up to the end of the period (by their school), and how
    many of them had a case opened in the period."""
    end = _period_q("opened_at", Period("", datetime.date(1900, 1, 1), period.end))
    # One grouped query over the case–person links (each link is unique): who has more than
    # one case by the end of the period, and whether one of theirs was opened in the period;
    # then the schools of just those people.
    repeat = dict(
        Case.persons.through.objects.filter(
            Q(case__school_id__in=school_ids, case__merged_into__isnull=True)
            & Q(**{f"case__{k}": v for k, v in end.children})
        )
        .values("person_id")
        .annotate(n=Count("case_id"), in_period=Count("case_id", filter=Q(case__in=cases)))
        .filter(n__gt=1)
        .values_list("person_id", "in_period")
        .order_by()
    )
    schools_of = (
        Person.objects.filter(pk__in=list(repeat)).values_list("pk", "school_id") if repeat else []
    )
    n = len(school_ids)
    people, in_period = [0] * n, [0] * n
    for pk, school_id in schools_of:
        if school_id in school_index:
            people[school_index[school_id]] += 1
            if repeat[pk]:
                in_period[school_index[school_id]] += 1
    return people, in_period


def in_force_on(day: datetime.date) -> tuple[Q, Q]:
    """Bars and contact restrictions in force on `day` (for a past term, as they were)."""
    bars = (
        Q(stage__in=[*IN_FORCE_BAN_STAGES, BanStage.LIFTED, BanStage.EXPIRED])
        & Q(starts_on__lte=day)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        & (Q(lifted_on__isnull=True) | Q(lifted_on__gt=day))
    )
    restrictions = Q(starts_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    return bars, restrictions


def figures(
    *,
    schools: list[School],
    period: Period,
    group: Group | None = None,
    bucket: str = "week",
) -> Figures:
    """Everything /staff/reports/ and the governors' report show, for `schools` over
    `period` (both ends included), optionally for one group's reports."""
    school_index = {s.pk: i for i, s in enumerate(schools)}
    school_ids = [s.pk for s in schools]
    report_scope = Q(school_id__in=school_ids) & _period_q("received_at", period)
    case_scope = Q(school_id__in=school_ids) & _period_q("opened_at", period)
    if group is not None:
        report_scope &= Q(group=group)
        case_scope &= Q(pk__in=Report.objects.filter(group=group).values("case_id"))

    buckets = buckets_for(bucket, period, school_ids)
    report_rows = _over_time(Report, "received_at", report_scope, buckets, school_index)
    case_rows = _over_time(
        Case, "opened_at", case_scope & Q(merged_into__isnull=True), buckets, school_index
    )
    over_time = Breakdown("over_time", "Reports over time", report_rows, "reports")

    def grouped(model, scope: Q, key: str):
        return (
            model.objects.filter(scope)
            .values_list("school_id", key)
            .annotate(n=Count("pk"))
            .order_by()
        )

    def by_triage(key: str, choices: type[models.TextChoices]) -> list[Row]:
        """Cases by what triage set (a case merged into another is not counted twice)."""
        return _per_school(
            grouped(Case, case_scope & Q(merged_into__isnull=True), key),
            school_index,
            {**dict(choices.choices), "": "Not yet triaged"},
        )

    groups = {
        g.pk: f"{g.name} ({g.school.name})" if len(schools) > 1 else g.name
        for g in Group.objects.filter(school__in=schools).select_related("school")
    }
    groups[None] = "Not a group (phone, email, in person, other)"
    cases = Case.objects.filter(case_scope, merged_into__isnull=True)
    rule_rows = (
        Case.rules.through.objects.filter(case__in=cases)
        .values_list("case__school_id", "rule__title")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rule_titles = sorted({title for _, title, _ in rule_rows})
    clocks, outcome_rows = _clocks(schools, case_scope, school_index)
    breakdowns = [
        Breakdown(
            "group",
            "Reports by group",
            _per_school(grouped(Report, report_scope, "group_id"), school_index, groups),
            "reports",
        ),
        Breakdown(
            "channel",
            "Reports by how they reached the school",
            _per_school(
                grouped(Report, report_scope, "channel"), school_index, dict(Channel.choices)
            ),
            "reports",
        ),
        Breakdown(
            "rule",
            "Cases by rule of the code broken",
            _per_school(rule_rows, school_index, {t: t for t in rule_titles}),
        ),
        Breakdown("nature", "Cases by nature of the conduct", by_triage("nature", Nature)),
        Breakdown("severity", "Cases by severity", by_triage("severity", Severity)),
        Breakdown("outcome", "Cases by outcome decided", outcome_rows),
    ]
    # Drop rows that are empty everywhere (a group with no reports, an unused channel).
    for b in breakdowns:
        b.rows = [r for r in b.rows if r.total] or b.rows[:0]

    n = len(schools)
    repeat_people, in_period = _repeat_conduct(school_ids, school_index, period, cases)

    bars_q, restrictions_q = in_force_on(min(period.end, timezone.localdate()))
    bars = _count_per_school(SiteBan.objects.filter(bars_q), school_index)
    restrictions = _count_per_school(
        ContactRestriction.objects.filter(restrictions_q), school_index
    )

    return Figures(
        schools=schools,
        period=period,
        group=group,
        bucket=bucket,
        reports=[sum(r.counts[i] for r in report_rows) for i in range(n)],
        cases=[sum(r.counts[i] for r in case_rows) for i in range(n)],
        over_time=over_time,
        breakdowns=[Breakdown("cases_over_time", "Cases opened over time", case_rows), *breakdowns],
        clocks=clocks,
        repeat_people=repeat_people,
        repeat_people_in_period=in_period,
        bars_in_force=bars,
        restrictions_in_force=restrictions,
        estimated_terms=any(b.estimated for b in buckets),
    )
