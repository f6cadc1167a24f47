"""The one way dates and times are written in letters and the pages about them."""

from __future__ import annotations

import datetime

# The formats a date may arrive in: a date input (ISO), and the printed form, with or without
# the day of the week (values of letters drafted before dates were chosen with date inputs).
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%A %d %B %Y")


def long_date(value: datetime.date) -> str:
    """14 December 2026."""
    return f"{value.day} {value:%B %Y}"


def parse_date(value: str) -> datetime.date | None:
    """A date typed or chosen in any of the accepted forms, or None."""
    text = " ".join(value.replace(",", " ").split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def short_time(value: datetime.time) -> str:
    """3.30pm, 9.00am."""
    hour = value.hour % 12 or 12
    return f"{hour}.{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"


def parse_time(value: str) -> datetime.time | None:
    text = value.strip().lower().replace(".", ":")
    for fmt in ("%H:%M", "%H:%M:%S", "%I:%M%p", "%I%p"):
        try:
            return datetime.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None
