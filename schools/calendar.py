"""The three clocks of docs/domain.md.

- School days: Monday to Friday, inside one of the school's terms, not a bank holiday of
  England and not an INSET day. (A school with no term dates yet counts every weekday that is
  not a bank holiday, and the UI says so.) Ban deadlines use this clock.
- Working days: Monday to Friday less England's bank holidays. The LADO's one working day.
- Calendar months: subject access requests (one month, clamped to the month's last day).
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
from dataclasses import dataclass, field
from functools import lru_cache

import holidays

from .models import InsetDay, School, TermDate


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.UK(subdiv="ENG", years=year).keys())


def is_bank_holiday(day: datetime.date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day, remaining = start, days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def add_months(start: datetime.date, months: int) -> datetime.date:
    """Calendar months: 31 January + 1 month = 28 (or 29) February."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass
class SchoolCalendar:
    """A school's term dates and INSET days, loaded once (two queries)."""

    school: School
    terms: list[tuple[datetime.date, datetime.date]] = field(default_factory=list)
    insets: set[datetime.date] = field(default_factory=set)

    @classmethod
    def for_school(cls, school: School) -> SchoolCalendar:
        terms = list(TermDate.objects.filter(school=school).values_list("starts_on", "ends_on"))
        insets = set(InsetDay.objects.filter(school=school).values_list("date", flat=True))
        return cls(school, terms, insets)

    @classmethod
    def for_schools(cls, schools: list[School]) -> dict[int, SchoolCalendar]:
        """Many schools' calendars in one query (term dates and INSET days together)."""
        from django.db.models import CharField, Value

        ids = [s.pk for s in schools]
        kind: CharField = CharField()
        terms = TermDate.objects.filter(school_id__in=ids).order_by()
        insets = InsetDay.objects.filter(school_id__in=ids).order_by()
        rows = (
            terms.annotate(k=Value("term", output_field=kind))
            .values_list("school_id", "k", "starts_on", "ends_on")
            .union(
                insets.annotate(k=Value("inset", output_field=kind)).values_list(
                    "school_id", "k", "date", "date"
                ),
                all=True,
            )
        )
        calendars = {s.pk: cls(s) for s in schools}
        for school_id, what, start, end in rows:
            if what == "term":
                calendars[school_id].terms.append((start, end))
            else:
                calendars[school_id].insets.add(start)
        return calendars

    @property
    def has_terms(self) -> bool:
        return bool(self.terms)

    @property
    def known_from(self) -> datetime.date | None:
        return min((start for start, _ in self.terms), default=None)

    @property
    def known_until(self) -> datetime.date | None:
        """The last day of the last term the school has entered."""
        return max((end for _, end in self.terms), default=None)

    def is_estimated(self, day: datetime.date) -> bool:
        """Whether `day` lies outside the term dates the school has entered, where school days
        are assumed to be weekdays less bank holidays (and INSET days)."""
        if not self.terms:
            return True
        return day < self.known_from or day > self.known_until  # type: ignore[operator]

    def is_school_day(self, day: datetime.date) -> bool:
        """A weekday in one of the school's terms, not a bank holiday or INSET day. Beyond the
        term dates entered (a school that has not added next year's yet, or none at all) every
        weekday that is not a bank holiday counts: a stated assumption, shown as "estimated",
        so that no deadline ever fails to come out."""
        if not is_working_day(day) or day in self.insets:
            return False
        if self.is_estimated(day):
            return True
        return any(start <= day <= end for start, end in self.terms)

    def add_school_days_estimated(
        self, start: datetime.date, days: int
    ) -> tuple[datetime.date, bool]:
        """The date `days` school days after `start`, and whether any day counted was outside
        the school's term dates (so the date is an estimate)."""
        day = self.add_school_days(start, days)
        return day, self.is_estimated(day) or self.is_estimated(start + datetime.timedelta(1))

    def add_school_days(self, start: datetime.date, days: int) -> datetime.date:
        """The date `days` school days after `start` (start not counted)."""
        day, remaining = start, days
        while remaining > 0:
            day += datetime.timedelta(days=1)
            if self.is_school_day(day):
                remaining -= 1
        return day

    def school_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """School days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += datetime.timedelta(days=1)
            if self.is_school_day(day):
                count += 1
        return count

    def whole_terms(self) -> list[tuple[datetime.date, datetime.date]]:
        """The school's half-terms joined into terms: a half-term starting August–December is
        in the autumn term, January–March spring, April–July summer, of its academic year."""
        grouped: dict[tuple[int, int], list[tuple[datetime.date, datetime.date]]] = {}
        for start, end in self.terms:
            year = start.year if start.month >= 8 else start.year - 1
            season = 0 if start.month >= 8 else (1 if start.month <= 3 else 2)
            grouped.setdefault((year, season), []).append((start, end))
        return sorted(
            (min(s for s, _ in halves), max(e for _, e in halves)) for halves in grouped.values()
        )

    def end_of_next_term(self, day: datetime.date) -> datetime.date | None:
        """The last day of the term after the one `day` falls in (or, in a holiday, after the
        next one to start), if the school has entered it."""
        terms = self.whole_terms()
        current = next((i for i, (s, e) in enumerate(terms) if day <= e), None)
        if current is None or current + 1 >= len(terms):
            return None
        return terms[current + 1][1]

    def end_of_term(self, day: datetime.date) -> datetime.date | None:
        """The last day of the term containing `day` (or the next term), if known."""
        for _start, end in sorted(self.terms):
            if end >= day:
                return end
        return None


# --- importing term dates --------------------------------------------------------------------


class CalendarImportError(ValueError):
    pass


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def _parse_date(text: str, line: int) -> datetime.date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise CalendarImportError(
        f"Line {line}: “{text}” is not a date (use 2026-09-03 or 03/09/2026)."
    )


@dataclass(frozen=True)
class ImportedCalendar:
    terms: list[tuple[str, datetime.date, datetime.date]]
    insets: list[tuple[datetime.date, str]]


def parse_csv(data: bytes) -> ImportedCalendar:
    """Rows of `name,start,end`; a row whose name contains INSET is a training day (or days).
    A header row is allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarImportError("The file is not UTF-8 text. Save it as CSV (UTF-8).") from None
    terms: list[tuple[str, datetime.date, datetime.date]] = []
    insets: list[tuple[datetime.date, str]] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() in ("name", "term", "title"):
            continue
        if len(row) < 2:
            raise CalendarImportError(f"Line {number}: expected name, start date and end date.")
        name = row[0].strip()
        start = _parse_date(row[1], number)
        end = _parse_date(row[2], number) if len(row) > 2 and row[2].strip() else start
        _add(name, start, end, number, terms, insets)
    return _checked(terms, insets)


def parse_ical(data: bytes) -> ImportedCalendar:
    """VEVENTs with all-day dates; events called INSET or training day are INSET days, the rest
    are term periods. DTEND of an all-day event is exclusive (RFC 5545)."""
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(data)
    except ValueError:
        raise CalendarImportError("The file is not a valid iCalendar (.ics) file.") from None
    terms: list[tuple[str, datetime.date, datetime.date]] = []
    insets: list[tuple[datetime.date, str]] = []
    for number, event in enumerate(cal.walk("VEVENT"), start=1):
        name = str(event.get("SUMMARY", "")).strip() or f"Term {number}"
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if event.get("DTEND") else None
        if isinstance(start, datetime.datetime):
            start = start.date()
        if isinstance(end, datetime.datetime):
            end = end.date()
        elif isinstance(end, datetime.date):
            end -= datetime.timedelta(days=1)
        _add(name, start, end or start, number, terms, insets)
    return _checked(terms, insets)


def _add(name, start, end, number, terms, insets) -> None:
    if end < start:
        raise CalendarImportError(f"Entry {number} ({name}): it ends before it starts.")
    lowered = name.lower()
    if "inset" in lowered or "training day" in lowered:
        day = start
        while day <= end:
            insets.append((day, name))
            day += datetime.timedelta(days=1)
    else:
        terms.append((name[:80], start, end))


def _checked(terms, insets) -> ImportedCalendar:
    if not terms and not insets:
        raise CalendarImportError("The file has no term dates in it.")
    return ImportedCalendar(terms, insets)
