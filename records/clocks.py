"""The data-protection clocks, in one place (DOMAIN §Data protection; docs/data-protection.md).

- A subject access request is answered within one calendar month, counted from the LATER of
  its receipt and the requester's identity check: the same date next month, or the month's
  last day if it has none (31 January → 28 or 29 February).
- The month may be extended by up to two further months, only if the requester is told
  within the first month (on its last day is still within it).
- A personal data breach goes to the ICO within 72 hours of the school becoming aware of it.
- Retention: a case is reviewed 6 years after it closed, a bar 6 years after it ended.
"""

from __future__ import annotations

import datetime

from schools.calendar import add_months

SAR_MONTHS = 1
SAR_MAX_EXTENSION_MONTHS = 2
BREACH_HOURS = 72
DEFAULT_CASE_YEARS = 6
DEFAULT_BAN_YEARS = 6


def sar_start(
    received_on: datetime.date, identity_checked_on: datetime.date | None
) -> datetime.date:
    """The month runs from the later of receipt and the identity check."""
    if identity_checked_on is not None and identity_checked_on > received_on:
        return identity_checked_on
    return received_on


def sar_due_on(
    received_on: datetime.date,
    identity_checked_on: datetime.date | None,
    extension_months: int = 0,
) -> datetime.date | None:
    """The day the response is due, or None while the requester's identity is unchecked
    (the clock has not started)."""
    if identity_checked_on is None:
        return None
    start = sar_start(received_on, identity_checked_on)
    return add_months(start, SAR_MONTHS + extension_months)


def breach_due_at(aware_at: datetime.datetime) -> datetime.datetime:
    """72 elapsed hours to the minute after awareness. Counted in UTC: adding hours to a
    local time would count wall-clock hours and be an hour out when the clocks change."""
    return aware_at.astimezone(datetime.UTC) + datetime.timedelta(hours=BREACH_HOURS)


def add_years(day: datetime.date, years: int) -> datetime.date:
    """Whole years on, 29 February → 28 February in a common year."""
    return add_months(day, 12 * years)


# The retention rules, as the disposal pages and log name them.
RULE_LABELS = {
    "case_closure": "case closure + retention period",
    "ban_end": "end of bar + retention period",
    "no_action": "closed with no action: anonymised sooner",
}
