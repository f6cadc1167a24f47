"""The deadlines calendar: every upcoming deadline a member of staff can act on, by day and
week, and the same as a private iCalendar feed.

The deadlines come from the deadline registry (each app registers its providers), so this
page shows whatever the dashboard and the daily reminders know about, further ahead.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.access import cases_visible_to, managed_schools
from incidents.deadlines import Due, due_items

from .models import CalendarFeed

WEEKS_AHEAD = 8


@dataclass
class Week:
    monday: datetime.date
    days: list[tuple[datetime.date, list[Due]]]


def deadlines_for(
    user,
    *,
    today: datetime.date,
    weeks: int = WEEKS_AHEAD,
    school_id: int | None = None,
    lead_id: int | None = None,
) -> list[Due]:
    """Everything due in the next `weeks` weeks (and everything overdue) on cases `user` may
    open, optionally for one school or one case lead — and the subject access requests and
    breaches of the schools whose data protection registers they keep (SLT and trust
    executives: the same rule as the register's pages), which have no lead."""
    cases = cases_visible_to(user)
    schools = managed_schools(user)
    if school_id:
        cases = cases.filter(school_id=school_id)
        schools = schools.filter(pk=school_id)
    if lead_id:
        cases = cases.filter(lead_id=lead_id)
        schools = schools.none()
    return due_items(cases=cases, today=today, horizon_days=7 * weeks, schools=schools)


def by_week(items: list[Due], today: datetime.date) -> tuple[list[Due], list[Week]]:
    """Overdue items, then the rest grouped by week (Monday first) and day."""
    overdue = [d for d in items if d.due_on < today]
    weeks: dict[datetime.date, dict[datetime.date, list[Due]]] = {}
    for item in items:
        if item.due_on < today:
            continue
        monday = item.due_on - datetime.timedelta(days=item.due_on.weekday())
        weeks.setdefault(monday, {}).setdefault(item.due_on, []).append(item)
    return overdue, [Week(m, sorted(days.items())) for m, days in sorted(weeks.items())]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def feed_create(*, user) -> str:
    """A new secret feed token for `user` (their older feeds stop working); shown once."""
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(user=user, token_sha256=_digest(token))
    return token


def feed_revoke(*, user) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_user(token: str):
    """The active user a feed token belongs to, or None (unknown, revoked, inactive)."""
    if not token or len(token) > 100:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_sha256=_digest(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    return feed.user


def feed_ical(user, *, today: datetime.date) -> bytes:
    """The user's deadlines as all-day iCalendar events: the kind and the case's (or the
    register entry's) reference, and a link that needs signing in — nothing else: no task
    title, no name."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//SchoolConduct//Deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "SchoolConduct deadlines")
    stamp = timezone.now()
    for item in deadlines_for(user, today=today, weeks=12):
        event = Event()
        event.add("uid", f"{item.kind}-{item.key}-{item.due_on:%Y%m%d}@schoolconduct")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + datetime.timedelta(days=1))
        event.add("summary", f"{item.label} — {item.reference}")
        link = settings.SITE_URL + item.href
        event.add("url", link)
        event.add("description", f"Sign in to SchoolConduct to see it: {link}")
        cal.add_component(event)
    return cal.to_ical()
