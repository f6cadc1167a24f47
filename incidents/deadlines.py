"""The deadline engine: what is due soon or overdue, gathered from every app, and the reminders.

Apps register their deadline kinds, a provider and any daily housekeeping from their
`AppConfig.ready` (`deadlines_register`, as pretix does with signals): measures its bars and
restrictions, letters the letters approved but not sent. `due_items` feeds both the dashboard's
"due soon / overdue" panel and the daily job, so neither imports the apps above this one.

Reminders go through the one outbox (`schoolconduct.outbox`), once per kind, object and due
date (the notification's unique dedupe key), to the right people, with no case content in the
email — a reference, what is due and a link (`emails/deadline_reminder.txt`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from schoolconduct import outbox
from schoolconduct.models import Notification
from schools.calendar import SchoolCalendar, add_working_days
from schools.models import Role, School
from schools.selectors import school_head_teachers, school_staff_with_role

from .models import Case, CaseStatus

# How far ahead "due soon" looks, in days.
HORIZON_DAYS = 5
# The outbox kind of every deadline reminder (templates emails/deadline_reminder*.txt).
REMINDER = "deadline_reminder"


@dataclass(frozen=True)
class Due:
    kind: str
    label: str
    case: Case
    due_on: datetime.date
    key: str
    to: tuple[str, ...]  # "lead", "head", "dsl"

    def overdue(self, today: datetime.date) -> bool:
        return self.due_on < today


KIND_LABELS = {
    "triage": "Report waiting for triage",
    "dsl_decision": "Safeguarding decision not yet recorded",
    "lado": "Allegation to refer to the LADO",
}


# Other apps' deadlines, registered from their AppConfig.ready (measures: bar decisions,
# reviews and endings, restriction reviews), so this module never imports them. A provider
# gets the cases, today, the horizon and the shared calendars, and returns its `Due` items
# within the horizon (or overdue).
DeadlineProvider = Callable[
    [QuerySet[Case], datetime.date, datetime.date, "Calendars"], Iterable[Due]
]
PROVIDERS: list[DeadlineProvider] = []
# Work the daily job does before reminding (measures takes expired bars off the register).
DAILY_JOBS: list[Callable[[datetime.date], object]] = []


def deadlines_register(
    *,
    labels: dict[str, str],
    provider: DeadlineProvider,
    daily_job: Callable[[datetime.date], object] | None = None,
) -> None:
    """Add an app's deadline kinds, their provider and its daily job (from AppConfig.ready)."""
    KIND_LABELS.update(labels)
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    if daily_job is not None and daily_job not in DAILY_JOBS:
        DAILY_JOBS.append(daily_job)


class Calendars:
    """Each school's calendar, loaded once (two queries a school) however many cases."""

    def __init__(self) -> None:
        self._loaded: dict[int, SchoolCalendar] = {}

    def __call__(self, school: School) -> SchoolCalendar:
        if school.pk not in self._loaded:
            self._loaded[school.pk] = SchoolCalendar.for_school(school)
        return self._loaded[school.pk]


def triage_due_on(case: Case, calendars: Calendars) -> datetime.date:
    """A new report should be triaged within the school's target, in school days."""
    opened = timezone.localtime(case.opened_at).date()
    return calendars(case.school).add_school_days(opened, case.school.triage_target_days)


def due_items(
    *, cases: QuerySet[Case], today: datetime.date, calendars: Calendars | None = None
) -> list[Due]:
    """Everything due within the horizon or overdue, for these cases, soonest first."""
    horizon = today + datetime.timedelta(days=HORIZON_DAYS)
    calendar = calendars or Calendars()
    items: list[Due] = []

    def add(
        kind: str, case: Case, due_on: datetime.date | None, key: str, to: tuple[str, ...]
    ) -> None:
        if due_on is not None and due_on <= horizon:
            items.append(Due(kind, KIND_LABELS[kind], case, due_on, key, to))

    base = cases.select_related("school", "lead")
    open_cases = base.exclude(status=CaseStatus.CLOSED)
    for case in base.filter(status=CaseStatus.NEW):
        add("triage", case, triage_due_on(case, calendar), f"case:{case.pk}", ("head",))
    for case in open_cases.filter(safeguarding_flag=True, safeguarding_decided_at__isnull=True):
        due = add_working_days(timezone.localtime(case.opened_at).date(), 1)
        add("dsl_decision", case, due, f"case:{case.pk}", ("dsl", "head"))
    for case in open_cases.filter(lado_due__lte=horizon).exclude(referrals__kind="lado"):
        add("lado", case, case.lado_due, f"case:{case.pk}", ("head", "dsl"))
    for provider in PROVIDERS:
        items += provider(cases, today, horizon, calendar)
    return sorted(items, key=lambda d: (d.due_on, d.case.reference, d.kind))


def reminder_queue(due: Due) -> bool:
    """Put one reminder in the outbox unless it is there already; True if this call did."""
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


def reminders_send(*, today: datetime.date | None = None) -> int:
    """The daily job: the registered jobs first (expire finished bars), then a reminder in the
    outbox for everything due or overdue (each goes once). Returns how many were new."""
    today = today or timezone.localdate()
    for job in DAILY_JOBS:
        job(today)
    queued = 0
    for due in due_items(cases=Case.objects.all(), today=today):
        queued += reminder_queue(due)
    return queued
