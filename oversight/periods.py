"""Terms and half-terms of a school, for statistics and the governors' report.

A school's `TermDate` rows are its half-terms ("Autumn 1", "Autumn 2" …). A term is the
half-terms of one season of one academic year: a half-term starting August–December belongs to
the autumn term, January–March to spring, April–July to summer. A school with no term dates
gets the usual English terms (1 September – 31 December, 1 January – 31 March, 1 April –
31 August), marked as estimated, so the figures still come out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from schools.models import TermDate

SEASONS = ("Autumn", "Spring", "Summer")


def academic_year(day: datetime.date) -> int:
    """The year the academic year starts in: 2026 for 1 September 2026 – 31 August 2027."""
    return day.year if day.month >= 8 else day.year - 1


def season_of(day: datetime.date) -> str:
    if day.month >= 8:
        return "Autumn"
    if day.month <= 3:
        return "Spring"
    return "Summer"


@dataclass(frozen=True)
class Period:
    """A named span of dates, both ends included."""

    name: str
    start: datetime.date
    end: datetime.date
    estimated: bool = False

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m-%d}"

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _term_name(season: str, year: int) -> str:
    return f"{season} term {year if season == 'Autumn' else year + 1}"


def _estimated_terms(first_year: int, last_year: int) -> list[Period]:
    terms = []
    for year in range(first_year, last_year + 1):
        terms += [
            Period(
                _term_name("Autumn", year),
                datetime.date(year, 9, 1),
                datetime.date(year, 12, 31),
                True,
            ),
            Period(
                _term_name("Spring", year),
                datetime.date(year + 1, 1, 1),
                datetime.date(year + 1, 3, 31),
                True,
            ),
            Period(
                _term_name("Summer", year),
                datetime.date(year + 1, 4, 1),
                datetime.date(year + 1, 8, 31),
                True,
            ),
        ]
    return terms


def half_terms(school_ids: list[int]) -> list[Period]:
    """The first school's half-terms (a trust compares schools over the same periods)."""
    if not school_ids:
        return []
    rows = (
        TermDate.objects.filter(school_id=school_ids[0])
        .order_by("starts_on")
        .values_list("name", "starts_on", "ends_on")
    )
    return [Period(name, start, end) for name, start, end in rows]


def terms(
    school_ids: list[int], around: datetime.date, *, halves: list[Period] | None = None
) -> list[Period]:
    """Terms from the school's half-terms, or the usual English terms if it has none, covering
    at least the two academic years before `around` and the one after. `halves`: the first
    school's half-terms, if the caller has read them already."""
    if halves is None:
        halves = half_terms(school_ids)
    first = academic_year(around) - 2
    if not halves:
        return _estimated_terms(first, academic_year(around) + 1)
    grouped: dict[tuple[int, str], list[Period]] = {}
    for half in halves:
        key = (academic_year(half.start), season_of(half.start))
        grouped.setdefault(key, []).append(half)
    found = [
        Period(_term_name(season, year), min(h.start for h in hs), max(h.end for h in hs))
        for (year, season), hs in grouped.items()
    ]
    found.sort(key=lambda p: p.start)
    # Years the school has not entered yet still get estimated terms, so that "the same term
    # last year" exists; a year with any real dates uses only those.
    known_years = {academic_year(p.start) for p in found}
    for est in _estimated_terms(first, academic_year(around) + 1):
        if academic_year(est.start) not in known_years:
            found.append(est)
    found.sort(key=lambda p: p.start)
    return found


def term_containing(all_terms: list[Period], day: datetime.date) -> Period | None:
    for term in all_terms:
        if day in term:
            return term
    return None


def latest_ended_term(all_terms: list[Period], today: datetime.date) -> Period | None:
    """The most recent term that has ended by `today` (the one a termly report is about)."""
    ended = [t for t in all_terms if t.end < today]
    return ended[-1] if ended else None


def previous_term(all_terms: list[Period], term: Period) -> Period | None:
    earlier = [t for t in all_terms if t.end < term.start]
    return earlier[-1] if earlier else None


def same_term_last_year(all_terms: list[Period], term: Period) -> Period | None:
    season = term.name.split()[0]
    year = academic_year(term.start) - 1
    for t in all_terms:
        if academic_year(t.start) == year and t.name.startswith(season):
            return t
    return None
