"""The deadline engine: what is due soon or overdue, gathered from every app, and the reminders.

Apps register their providers in their `AppConfig.ready` (`register`, and `register_daily` for
housekeeping; as pretix does with signals): incidents the case's own deadlines, measures its
bars and restrictions, letters the letters approved but not sent. `due_items` feeds the
dashboard's "due soon / overdue" panel, the deadlines calendar and the daily job, so none of
them imports the apps above this one.

Reminders go through the one outbox (`schoolconduct.outbox`), once per kind, object and due
date (the notification's unique dedupe key), to the right people, with no case content in the
email — a reference, what is due and a link (`emails/deadline_reminder.txt`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from schoolconduct import outbox
from schoolconduct.models import Notification
from schools.calendar import SchoolCalendar, add_working_days
from schools.models import Role, School
from schools.selectors import school_head_teachers, school_staff_with_role

from .frozen_sql import compiled_rows
from .models import Case, CaseStatus

logger = logging.getLogger(__name__)

# How far ahead "due soon" looks, in days.
HORIZON_DAYS = 5
# The outbox kind of every deadline reminder (templates emails/deadline_reminder*.txt).
REMINDER = "deadline_reminder"


@dataclass(frozen=True)
class Due:
    """One deadline: most are about a case; a few are about a register's entry (a subject
    access request, a breach), which names its own reference, page and school instead."""

    kind: str
    label: str
    case: Case | None
    due_on: datetime.date
    key: str
    # Who the daily job reminds ("lead", "head", "dsl"). Empty: the app that owns it sends
    # its own reminder (a task to its assignee, a SAR or breach to the head teachers).
    to: tuple[str, ...]
    # Counted in school days past the term dates the school has entered: an estimate
    # (weekdays less bank holidays) until it adds next year's term dates.
    estimated: bool = False
    # Shown after the label on staff pages (a task's title and who it is for); never put in
    # the iCalendar feed or a reminder email.
    detail: str = ""
    # For an item that is not about a case: its reference, the path of its page, its school.
    subject_ref: str = ""
    subject_path: str = ""
    subject_school: School | None = None

    def overdue(self, today: datetime.date) -> bool:
        return self.due_on < today

    @property
    def reference(self) -> str:
        return self.case.reference if self.case is not None else self.subject_ref

    @property
    def href(self) -> str:
        if self.case is not None:
            return reverse("staff:case-detail", kwargs={"reference": self.case.reference})
        return self.subject_path

    @property
    def school(self) -> School | None:
        return self.case.school if self.case is not None else self.subject_school


class Calendars:
    """Each school's calendar, loaded once (two queries a school) however many cases — or
    all of them in one query with `preload`."""

    def __init__(self) -> None:
        self._loaded: dict[int, SchoolCalendar] = {}

    def preload(self, schools: list[School]) -> None:
        self._loaded.update(SchoolCalendar.for_schools(schools))

    def __call__(self, school: School) -> SchoolCalendar:
        if school.pk not in self._loaded:
            self._loaded[school.pk] = SchoolCalendar.for_school(school)
        return self._loaded[school.pk]


@dataclass(frozen=True)
class Window:
    """What a provider is asked about: these cases (and, for registers that are not about a
    case, these schools — None: none), today, due on or before `horizon`."""

    cases: QuerySet[Case]
    today: datetime.date
    horizon: datetime.date
    calendars: Calendars
    schools: QuerySet[School] | None = None
    # The member of staff whose own view this is (the dashboard), when it is one person's:
    # a provider may then answer from what it already read for that person's panel.
    user: Any = None
    # Everything the SQL of `cases` is made of, with `today` and `horizon` (the dashboard's:
    # the user, their roles and schools, the day): a provider's query on this window is then
    # compiled once per key (`rows`). None: built and compiled on every call.
    key: tuple | None = None

    def rows(self, name: str, build: Callable[[], QuerySet]) -> list:
        """`list(build())` — a provider's query on this window, `name` unique to it: with
        a `key`, built and compiled to SQL once per key (`frozen_sql.compiled_rows`), which
        costs more than the database takes to answer it on the dashboard."""
        if self.key is None:
            return list(build())
        return compiled_rows((name, *self.key), self.cases.db, build)

    def due(
        self,
        kind: str,
        case: Case,
        due_on: datetime.date | None,
        key: str,
        to: tuple[str, ...],
        *,
        school_days: bool = False,
    ) -> Due | None:
        """An item of a registered kind, or None if it is not due within the window. A date
        counted in `school_days` is marked estimated where it falls outside the school's
        term dates."""
        if due_on is None or due_on > self.horizon:
            return None
        estimated = school_days and self.calendars(case.school).is_estimated(due_on)
        return Due(kind, KIND_LABELS[kind], case, due_on, key, to, estimated)


# Apps register their deadline providers in AppConfig.ready (incidents: the case's own;
# measures: bars and restrictions), so this module never imports the apps above it. A provider
# is given a Window and yields `Due` items (None for what is not due within it).
Provider = Callable[[Window], Iterable[Due | None]]
PROVIDERS: list[Provider] = []
# Housekeeping the daily job runs before it reminds (measures: bars whose term has ended).
DAILY: list[Callable[[datetime.date], Any]] = []
# Every kind of deadline, with the words staff read on the dashboard and in the reminder.
KIND_LABELS: dict[str, str] = {}


def register(provider: Provider, *, labels: dict[str, str]) -> None:
    """Add a provider of deadlines (from an app's `AppConfig.ready`) and its kinds' labels."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    KIND_LABELS.update(labels)


def register_daily(job: Callable[[datetime.date], Any]) -> None:
    """Add housekeeping the daily job runs before it sends reminders."""
    if job not in DAILY:
        DAILY.append(job)


def triage_due_on(case: Case, calendars: Calendars) -> datetime.date:
    """A new report should be triaged within the school's target, in school days."""
    opened = timezone.localtime(case.opened_at).date()
    return calendars(case.school).add_school_days(opened, case.school.triage_target_days)


CASE_LABELS = {
    "triage": "Report waiting for triage",
    "dsl_decision": "Safeguarding decision not yet recorded",
    "lado": "Allegation to refer to the LADO",
}


def case_deadlines(window: Window) -> Iterable[Due | None]:
    """Triage, the DSL's decision and the LADO referral."""
    base = window.cases.select_related("school", "lead")
    open_cases = base.exclude(status=CaseStatus.CLOSED)
    for case in base.filter(status=CaseStatus.NEW):
        due = triage_due_on(case, window.calendars)
        yield window.due("triage", case, due, f"case:{case.pk}", ("head",), school_days=True)
    for case in open_cases.filter(safeguarding_flag=True, safeguarding_decided_at__isnull=True):
        due = add_working_days(timezone.localtime(case.opened_at).date(), 1)
        yield window.due("dsl_decision", case, due, f"case:{case.pk}", ("dsl", "head"))
    lado = open_cases.filter(lado_due__lte=window.horizon).exclude(referrals__kind="lado")
    for case in lado:
        yield window.due("lado", case, case.lado_due, f"case:{case.pk}", ("head", "dsl"))


def due_items(
    *,
    cases: QuerySet[Case],
    today: datetime.date,
    calendars: Calendars | None = None,
    horizon_days: int = HORIZON_DAYS,
    schools: QuerySet[School] | None = None,
) -> list[Due]:
    """Everything every registered provider says is due within `horizon_days` or overdue,
    for these cases (and the registers of `schools`, if given: subject access requests,
    breaches), soonest first (the dashboard looks 5 days ahead, the deadlines calendar
    further)."""
    window = Window(
        cases=cases,
        today=today,
        horizon=today + datetime.timedelta(days=horizon_days),
        calendars=calendars or Calendars(),
        schools=schools,
    )
    items = [due for provider in PROVIDERS for due in provider(window) if due is not None]
    return sorted(items, key=lambda d: (d.due_on, d.reference, d.kind))


def due(kind: str, case: Case, due_on: datetime.date, *, estimated: bool = False) -> Due:
    """The item for a case-level deadline (triage, DSL decision, LADO referral); `estimated`
    as in `Window.due` (a school-day date past the school's term dates)."""
    to = {"triage": ("head",), "dsl_decision": ("dsl", "head"), "lado": ("head", "dsl")}[kind]
    return Due(kind, KIND_LABELS[kind], case, due_on, f"case:{case.pk}", to, estimated)


def last_overdue_start(
    due_on: Callable[[datetime.date], datetime.date], before: datetime.date
) -> datetime.date | None:
    """The latest start date whose deadline `due_on(start)` falls before `before`, or None.

    Deadlines only move later as the start does, so everything that started on or before
    this date is due before `before`: the dashboard counts those in SQL instead of loading
    each case. Looks back at most a year (past that, everything counts)."""
    day = before - datetime.timedelta(days=1)
    oldest = before - datetime.timedelta(days=366)
    while day >= oldest:
        try:
            if due_on(day) < before:
                return day
        except ValueError:  # no term dates far enough ahead: not countable from here
            return None
        day -= datetime.timedelta(days=1)
    return oldest


def reminder_queue(due: Due) -> bool:
    """Put one reminder in the outbox unless it is there already; True if this call did.
    An item nobody is named for here (`to` empty) is reminded by the app that owns it."""
    if not due.to or due.case is None:
        return False
    row = outbox.notification_queue(
        kind=REMINDER,
        target=due.case,
        dedupe_key=f"reminder:{due.kind}:{due.key}:{due.due_on.isoformat()}",
        params={"deadline": due.kind, "due_on": due.due_on.isoformat(), "to": list(due.to)},
    )
    return row is not None


def _reminder_recipients(case: Case, to: list[str]) -> list[str]:
    school = case.school
    users = []
    lead = case.lead
    if "lead" in to and lead is not None and lead.is_active:
        users.append(lead)
    if "head" in to or ("lead" in to and not users):
        users += list(school_head_teachers(school=school))
    if "dsl" in to:
        users += list(school_staff_with_role(school=school, roles=[Role.DSL]))
    return sorted({u.email for u in users if u.email})


def reminder_compose(notification: Notification) -> outbox.Email:
    """A deadline reminder: who is reminded, and what the template is given."""
    case = Case.objects.select_related("school", "lead").get(pk=notification.target_id)
    params = notification.params
    due_on = datetime.date.fromisoformat(params["due_on"])
    context = {
        "label": KIND_LABELS.get(params["deadline"], params["deadline"]),
        "reference": case.reference,
        "school": case.school,
        "due_on": due_on,
        "overdue": due_on < timezone.localdate(),
        "staff_url": settings.SITE_URL
        + reverse("staff:case-detail", kwargs={"reference": case.reference}),
    }
    return outbox.Email(to=_reminder_recipients(case, params["to"]), context=context)


# How far ahead a school's term dates should reach before its head teachers are asked to add
# the next ones (school-day deadlines past them are estimates).
TERM_DATES_AHEAD_DAYS = 42
TERM_DATES_NOTICE = "term_dates_needed"


def term_dates_notices(today: datetime.date) -> int:
    """Ask each school whose term dates run out within six weeks (or that has none) to add
    them — once for each "entered until" date, through the outbox."""
    queued = 0
    for school in School.objects.filter(is_active=True):
        until = SchoolCalendar.for_school(school).known_until
        if until is not None and until >= today + datetime.timedelta(days=TERM_DATES_AHEAD_DAYS):
            continue
        row = outbox.notification_queue(
            kind=TERM_DATES_NOTICE,
            target=school,
            dedupe_key=f"term-dates:{school.pk}:{until.isoformat() if until else 'none'}",
            params={"until": until.isoformat() if until else ""},
        )
        queued += row is not None
    return queued


def term_dates_compose(notification: Notification) -> outbox.Email:
    school = School.objects.get(pk=notification.target_id)
    until = notification.params.get("until")
    return outbox.Email(
        to=sorted({u.email for u in school_head_teachers(school=school) if u.email}),
        context={
            "school": school,
            "until": datetime.date.fromisoformat(until) if until else None,
            "calendar_url": settings.SITE_URL + reverse("calendar:index"),
        },
    )


def reminders_send(*, today: datetime.date | None = None) -> int:
    """The daily job: the registered jobs first (expire finished bars), then a reminder in the
    outbox for everything due or overdue (each goes once), school by school: one school's
    failure is logged and never stops the others. Returns how many were new."""
    today = today or timezone.localdate()
    for job in [*DAILY, term_dates_notices]:
        try:
            job(today)
        except Exception:
            logger.exception("Daily job %s failed.", getattr(job, "__name__", job))
    queued = 0
    calendars = Calendars()
    for school in School.objects.filter(is_active=True):
        try:
            cases = Case.objects.filter(school=school)
            for due in due_items(cases=cases, today=today, calendars=calendars):
                queued += reminder_queue(due)
        except Exception:
            logger.exception("Deadline reminders for school %s failed.", school.pk)
    return queued
