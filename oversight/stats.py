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

from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from incidents.models import Case, Channel, Nature, Outcome, Report, Severity
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


def buckets_for(
    bucket: str, period: Period, school_ids: list[int], halves: list[Period] | None = None
) -> list[Period]:
    """The periods the "over time" chart counts in, clipped to `period`. `halves`: the first
    school's half-terms, if the caller has them already (else they are read)."""
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
    if halves is None:
        halves = half_terms(school_ids)
    source = halves if bucket == "half_term" else []
    if not source:
        source = terms(school_ids, period.end, halves=halves)
    return [
        Period(p.name, max(p.start, period.start), min(p.end, period.end), p.estimated)
        for p in source
        if p.end >= period.start and p.start <= period.end
    ]


class _Buckets:
    """Which bucket a day falls in (None: outside them all), remembered per day."""

    def __init__(self, buckets: list[Period]) -> None:
        self.buckets = buckets
        self._seen: dict[datetime.date, int | None] = {}

    def index(self, day: datetime.date) -> int | None:
        if day not in self._seen:
            self._seen[day] = next((i for i, b in enumerate(self.buckets) if day in b), None)
        return self._seen[day]

    def rows(self, n: int) -> tuple[list[Row], Row]:
        return [Row(b.name, [0] * n) for b in self.buckets], Row("Outside term time", [0] * n)


def _calendars(schools: list[School]) -> tuple[dict[int, SchoolCalendar], list[Period]]:
    """Every school's calendar (term dates and INSET days) in one query, and the first
    school's half-terms (the over-time chart's buckets) from the same rows."""
    ids = [s.pk for s in schools]
    text: CharField = CharField()
    rows = (
        TermDate.objects.filter(school_id__in=ids)
        .order_by()
        .annotate(k=Value("term", output_field=text))
        .values_list("school_id", "k", "name", "starts_on", "ends_on")
        .union(
            InsetDay.objects.filter(school_id__in=ids)
            .order_by()
            .annotate(k=Value("inset", output_field=text), nm=Value("", output_field=text))
            .values_list("school_id", "k", "nm", "date", "date"),
            all=True,
        )
    )
    terms_by: dict[int, list] = defaultdict(list)
    insets: dict[int, set] = defaultdict(set)
    halves: list[Period] = []
    for school_id, kind, name, start, end in rows:
        if kind == "term":
            terms_by[school_id].append((start, end))
            if ids and school_id == ids[0]:
                halves.append(Period(name, start, end))
        else:
            insets[school_id].add(start)
    halves.sort(key=lambda p: p.start)
    calendars = {s.pk: SchoolCalendar(s, terms_by[s.pk], insets[s.pk]) for s in schools}
    return calendars, halves


def _cases(
    schools: list[School],
    cases: QuerySet,
    school_index: dict[int, int],
    calendars: dict[int, SchoolCalendar],
    buckets: _Buckets,
) -> dict:
    """From one query over the period's cases: the clocks (time to triage and to decision),
    cases over time, and cases by outcome, nature and severity.

    Cases are counted together by school and by the local days they were opened, triaged and
    decided on (the database does the time zone) and their decided actions, with their
    natures and severities as counts alongside: a term of a trust's cases is a few thousand
    rows, not one per case."""
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
    natures = {**dict(Nature.choices), "": "Not yet triaged"}
    severities = {**dict(Severity.choices), "": "Not yet triaged"}
    by_nature = {key: [0] * n for key in natures}
    by_severity = {key: [0] * n for key in severities}
    over_time, outside = buckets.rows(n)
    counts = {f"nature_{i}": Count("pk", filter=Q(nature=k)) for i, k in enumerate(natures)}
    counts |= {f"severity_{i}": Count("pk", filter=Q(severity=k)) for i, k in enumerate(severities)}
    rows = (
        cases.annotate(
            opened_day=TruncDate("opened_at"),
            triaged_day=TruncDate("triaged_at"),
            decided_day=TruncDate("decided_at"),
        )
        .values_list("school_id", "opened_day", "triaged_day", "decided_day", "actions")
        .annotate(n=Count("pk"), **counts)
        .order_by()
    )
    nature_keys, severity_keys = list(natures), list(severities)
    first_severity = 6 + len(nature_keys)
    for row in rows.iterator(chunk_size=5000):
        school_id, opened, triaged, decided, actions, count = row[:6]
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
        for key, m in zip(nature_keys, row[6:first_severity], strict=True):
            by_nature[key][i] += m
        for key, m in zip(severity_keys, row[first_severity:], strict=True):
            by_severity[key][i] += m
        b = buckets.index(opened)
        (outside if b is None else over_time[b]).counts[i] += count
    for clock, key in ((triage, "triage"), (decision, "decision")):
        clock.median_days = [
            float(statistics.median(values)) if values else None for values in days_to[key]
        ]
    return {
        "clocks": [triage, decision],
        "over_time": over_time + ([outside] if outside.total else []),
        "outcome": [Row(str(label), outcomes[key]) for key, label in OUTCOME_LABELS.items()],
        "nature": [Row(str(label), by_nature[key]) for key, label in natures.items()],
        "severity": [Row(str(label), by_severity[key]) for key, label in severities.items()],
    }


def _reports(report_scope: Q, school_index: dict[int, int], buckets: _Buckets) -> dict:
    """Reports over time and by channel, from one query grouped by school and local day."""
    n = len(school_index)
    channels = dict(Channel.choices)
    counts = {f"channel_{i}": Count("pk", filter=Q(channel=k)) for i, k in enumerate(channels)}
    rows = (
        Report.objects.filter(report_scope)
        .annotate(day=TruncDate("received_at"))
        .values_list("school_id", "day")
        .annotate(n=Count("pk"), **counts)
        .order_by()
    )
    over_time, outside = buckets.rows(n)
    by_channel = {key: [0] * n for key in channels}
    for school_id, day, count, *per_channel in rows:
        i = school_index[school_id]
        b = buckets.index(day)
        (outside if b is None else over_time[b]).counts[i] += count
        for key, m in zip(channels, per_channel, strict=True):
            by_channel[key][i] += m
    return {
        "over_time": over_time + ([outside] if outside.total else []),
        "channel": [Row(str(label), by_channel[key]) for key, label in channels.items()],
    }


def _tallies(
    school_ids: list[int], report_scope: Q, case_links: Q, day: datetime.date
) -> dict[str, list[tuple[int, str | None, int]]]:
    """Four small grouped counts in one query (UNION ALL): reports by group, cases by rule,
    bars and contact restrictions in force on `day`; (school, key, n) rows by kind.
    `case_links`: the period's cases, as a condition on a link to a case."""
    text: CharField = CharField()

    def kind(name: str) -> Value:
        return Value(name, output_field=text)

    bars_q, restrictions_q = in_force_on(day)
    groups = (
        Report.objects.filter(report_scope)
        .annotate(kind=kind("group"), key=Cast("group_id", text))
        .values_list("kind", "school_id", "key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rules = (
        Case.rules.through.objects.filter(case_links)
        .annotate(kind=kind("rule"), key=F("rule__title"))
        .values_list("kind", "case__school_id", "key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    bars = (
        SiteBan.objects.filter(bars_q, school_id__in=school_ids)
        .annotate(kind=kind("bar"), key=kind(""))
        .values_list("kind", "school_id", "key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    restrictions = (
        ContactRestriction.objects.filter(restrictions_q, school_id__in=school_ids)
        .annotate(kind=kind("restriction"), key=kind(""))
        .values_list("kind", "school_id", "key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out: dict[str, list[tuple[int, str | None, int]]] = defaultdict(list)
    for what, school_id, key, n in groups.union(rules, bars, restrictions, all=True):
        out[what].append((school_id, key, n))
    return out


def _per_school(rows, school_index: dict[int, int], labels: dict) -> list[Row]:
    """Rows of (school_id, key, n) into one `Row` per label, in the labels' order."""
    counts: dict[object, list[int]] = {key: [0] * len(school_index) for key in labels}
    for school_id, key, n in rows:
        if key in counts and school_id in school_index:
            counts[key][school_index[school_id]] += n
    return [Row(str(labels[key]), counts[key]) for key in labels]


def _repeat_conduct(
    school_ids: list[int],
    school_index: dict[int, int],
    period: Period,
    cases,
    group: Group | None = None,
) -> tuple[list[int], list[int]]:
    """People with more than one case up to the end of the period (by their school), and how
    many of them had a case opened in the period (of `group`'s, if given)."""
    end = _period_q("opened_at", Period("", datetime.date(1900, 1, 1), period.end))
    # A link's case is already one of the schools', not merged, opened by the period's end:
    # "in the period" is then its opening date (and the group), read from the same join —
    # not a second pass over the period's cases for every link.
    recent = Q(**{f"case__{k}": v for k, v in _period_q("opened_at", period).children})
    if group is not None:
        recent &= Q(case__in=cases)
    # One grouped query over the case–person links (each link is unique): who has more than
    # one case by the end of the period, their school, and whether one of theirs was opened
    # in the period.
    links = Case.persons.through.objects
    # Only people linked to more than one case at all can have more than one here: found
    # first from the links' person index alone, so the join and count below skip everyone
    # else (most people: a whole trust's links otherwise spill the count to disk).
    linked_more_than_once = (
        links.values("person_id").annotate(k=Count("pk")).filter(k__gt=1).values("person_id")
    ).order_by()
    rows = (
        links.filter(
            Q(case__school_id__in=school_ids, case__merged_into__isnull=True)
            & Q(**{f"case__{k}": v for k, v in end.children}),
            person_id__in=linked_more_than_once,
        )
        .values("person_id", "person__school_id")
        .annotate(n=Count("case_id"), in_period=Count("case_id", filter=recent))
        .filter(n__gt=1)
        .values_list("person__school_id", "in_period")
        .order_by()
    )
    n = len(school_ids)
    people, in_period = [0] * n, [0] * n
    for school_id, recent in rows:
        if school_id in school_index:
            people[school_index[school_id]] += 1
            if recent:
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
    groups: list[Group] | None = None,
) -> Figures:
    """Everything /staff/reports/ and the governors' report show, for `schools` over
    `period` (both ends included), optionally for one group's reports. `groups`: the
    schools' groups (school loaded), if the caller has read them already.

    Six queries, whatever the number of schools and cases: the calendars, the reports, the
    cases, the people with more than one case, the four small tallies, and the groups (none
    when `groups` is given)."""
    school_index = {s.pk: i for i, s in enumerate(schools)}
    school_ids = [s.pk for s in schools]
    report_scope = Q(school_id__in=school_ids) & _period_q("received_at", period)
    case_scope = Q(school_id__in=school_ids) & _period_q("opened_at", period)
    if group is not None:
        report_scope &= Q(group=group)
        case_scope &= Q(pk__in=Report.objects.filter(group=group).values("case_id"))
    cases = Case.objects.filter(case_scope, merged_into__isnull=True)

    calendars, halves = _calendars(schools)
    buckets = buckets_for(bucket, period, school_ids, halves=halves)
    in_bucket = _Buckets(buckets)
    reports = _reports(report_scope, school_index, in_bucket)
    counted = _cases(schools, cases, school_index, calendars, in_bucket)
    # The same cases seen from a link table (a case's rules): conditions on the joined case,
    # not a second pass over the cases to match their ids.
    case_links = Q(case__school_id__in=school_ids, case__merged_into__isnull=True) & Q(
        **{f"case__{k}": v for k, v in _period_q("opened_at", period).children}
    )
    if group is not None:
        case_links &= Q(case_id__in=Report.objects.filter(group=group).values("case_id"))
    tallies = _tallies(school_ids, report_scope, case_links, min(period.end, timezone.localdate()))

    if groups is None:
        groups = list(Group.objects.filter(school__in=schools).select_related("school"))
    group_labels: dict[str | None, str] = {
        str(g.pk): f"{g.name} ({g.school.name})" if len(schools) > 1 else g.name
        for g in groups
        if g.school_id in school_index
    }
    group_labels[None] = "Not a group (phone, email, in person, other)"
    rule_titles = sorted({str(title) for _, title, _ in tallies["rule"]})
    breakdowns = [
        Breakdown(
            "group",
            "Reports by group",
            _per_school(tallies["group"], school_index, group_labels),
            "reports",
        ),
        Breakdown(
            "channel", "Reports by how they reached the school", reports["channel"], "reports"
        ),
        Breakdown(
            "rule",
            "Cases by rule of the code broken",
            _per_school(tallies["rule"], school_index, {t: t for t in rule_titles}),
        ),
        Breakdown("nature", "Cases by nature of the conduct", counted["nature"]),
        Breakdown("severity", "Cases by severity", counted["severity"]),
        Breakdown("outcome", "Cases by outcome decided", counted["outcome"]),
    ]
    # Drop rows that are empty everywhere (a group with no reports, an unused channel).
    for b in breakdowns:
        b.rows = [r for r in b.rows if r.total] or b.rows[:0]

    n = len(schools)
    repeat_people, in_period = _repeat_conduct(school_ids, school_index, period, cases, group)
    report_rows, case_rows = reports["over_time"], counted["over_time"]

    def per_school(kind: str) -> list[int]:
        return _per_school(tallies[kind], school_index, {"": ""})[0].counts

    return Figures(
        schools=schools,
        period=period,
        group=group,
        bucket=bucket,
        reports=[sum(r.counts[i] for r in report_rows) for i in range(n)],
        cases=[sum(r.counts[i] for r in case_rows) for i in range(n)],
        over_time=Breakdown("over_time", "Reports over time", report_rows, "reports"),
        breakdowns=[Breakdown("cases_over_time", "Cases opened over time", case_rows), *breakdowns],
        clocks=counted["clocks"],
        repeat_people=repeat_people,
        repeat_people_in_period=in_period,
        bars_in_force=per_school("bar"),
        restrictions_in_force=per_school("restriction"),
        estimated_terms=any(b.estimated for b in buckets),
    )
