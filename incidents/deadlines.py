"""The deadline engine: what is due soon or overdue, and the daily reminders.

`due_items` feeds the dashboard's "due soon / overdue" panel and the daily job. Reminders go
once per kind, object and due date (a unique row claims each), to the right people, with no
case content in the email — a reference, what is due, and a link.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from schools.calendar import SchoolCalendar, add_working_days
from schools.models import Role, School
from schools.selectors import school_head_teachers, school_staff_with_role

from .models import Case, CaseStatus, Reminder

logger = logging.getLogger(__name__)

# How far ahead "due soon" looks, in days.
HORIZON_DAYS = 5


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


class Calendars:
    """Each school's calendar, loaded once (two queries a school) however many cases."""

    def __init__(self) -> None:
        self._loaded: dict[int, SchoolCalendar] = {}

    def __call__(self, school: School) -> SchoolCalendar:
        if school.pk not in self._loaded:
            self._loaded[school.pk] = SchoolCalendar.for_school(school)
        return self._loaded[school.pk]


@dataclass(frozen=True)
class Window:
    """What a provider is asked about: these cases, today, due on or before `horizon`."""

    cases: QuerySet[Case]
    today: datetime.date
    horizon: datetime.date
    calendars: Calendars

    def due(
        self, kind: str, case: Case, due_on: datetime.date | None, key: str, to: tuple[str, ...]
    ) -> Due | None:
        """An item of a registered kind, or None if it is not due within the window."""
        if due_on is None or due_on > self.horizon:
            return None
        return Due(kind, KIND_LABELS[kind], case, due_on, key, to)


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
        yield window.due("triage", case, due, f"case:{case.pk}", ("head",))
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
) -> list[Due]:
    """Everything every registered provider says is due within `horizon_days` or overdue,
    for these cases, soonest first (the dashboard looks 5 days ahead, the deadlines calendar
    further)."""
    window = Window(
        cases=cases,
        today=today,
        horizon=today + datetime.timedelta(days=horizon_days),
        calendars=calendars or Calendars(),
    )
    items = [due for provider in PROVIDERS for due in provider(window) if due is not None]
    return sorted(items, key=lambda d: (d.due_on, d.case.reference, d.kind))


def _recipients(due: Due) -> list[str]:
    school = due.case.school
    users = []
    lead = due.case.lead
    if "lead" in due.to and lead is not None and lead.is_active:
        users.append(lead)
    if "head" in due.to or ("lead" in due.to and not users):
        users += list(school_head_teachers(school=school))
    if "dsl" in due.to:
        users += list(school_staff_with_role(school=school, roles=[Role.DSL]))
    return sorted({u.email for u in users if u.email})


def reminder_send(due: Due) -> bool:
    """Send one reminder unless it has gone already; True if this call sent it."""
    try:
        with transaction.atomic():
            reminder, _ = Reminder.objects.get_or_create(
                kind=due.kind, key=due.key, due_on=due.due_on, defaults={"case": due.case}
            )
    except IntegrityError:  # another run created it at the same moment
        return False
    if reminder.sent_at:
        return False
    claimed = Reminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    recipients = _recipients(due)
    if not recipients:
        logger.warning("Reminder %s for %s has nobody to send to.", due.kind, due.key)
        return True
    link = settings.SITE_URL + reverse(
        "staff:case-detail", kwargs={"reference": due.case.reference}
    )
    when = "was due" if due.due_on < timezone.localdate() else "is due"
    body = (
        f"{due.label} on case {due.case.reference}: it {when} on "
        f"{due.due_on:%A %d %B %Y}.\n\nFor confidentiality this email does not include "
        f"the case details. Sign in to see them:\n{link}\n\nSchoolConduct — "
        f"{due.case.school.name}\n"
    )
    try:
        EmailMessage(
            subject=f"Reminder: {due.label} — {due.case.reference}",
            body=body,
            bcc=recipients,
        ).send()
    except Exception:
        Reminder.objects.filter(pk=reminder.pk).update(sent_at=None)
        raise
    Reminder.objects.filter(pk=reminder.pk).update(recipients=", ".join(recipients))
    return True


def reminders_send(*, today: datetime.date | None = None) -> int:
    """The daily job: the registered jobs first (expire finished bars), then remind about
    everything due or overdue."""
    today = today or timezone.localdate()
    for job in DAILY:
        job(today)
    sent = 0
    for due in due_items(cases=Case.objects.all(), today=today):
        try:
            sent += reminder_send(due)
        except Exception:
            logger.exception(
                "Reminder %s for %s failed; it will be tried again.", due.kind, due.key
            )
    return sent
