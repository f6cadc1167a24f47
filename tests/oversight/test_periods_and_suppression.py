"""Terms from a school's half-terms, and small-number suppression at its exact edge."""

from __future__ import annotations

import datetime

import pytest

from oversight import periods
from oversight.suppression import SUPPRESSED, shown, shown_percent, suppress_breakdown
from schools.models import TermDate

D = datetime.date


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "0"), (1, SUPPRESSED), (4, SUPPRESSED), (5, "5"), (123, "123")]
)
def test_small_numbers_are_suppressed_from_1_to_4(value, expected):
    assert shown(value) == expected


def test_a_lone_suppressed_cell_takes_the_next_smallest_with_it():
    # 12 in all: 3 could be worked out as 12 - 9 if only it were hidden.
    assert suppress_breakdown([9, 3], total=12) == [SUPPRESSED, SUPPRESSED]
    # Two hidden cells already: nothing more to hide.
    assert suppress_breakdown([9, 3, 2], total=14) == ["9", SUPPRESSED, SUPPRESSED]
    # No total shown: no secondary suppression needed.
    assert suppress_breakdown([9, 3]) == ["9", SUPPRESSED]
    # Zero is never "fewer than 5" and is not picked as the second cell.
    assert suppress_breakdown([0, 3, 7], total=10) == ["0", SUPPRESSED, SUPPRESSED]


def test_percentages_need_five_cases_behind_them():
    assert shown_percent(4, 4) == "not shown (fewer than 5)"
    assert shown_percent(4, 5) == "80%"
    assert shown_percent(0, 0) == "–"


@pytest.mark.django_db
def test_terms_come_from_the_schools_half_terms(school):
    for name, start, end in [
        ("Autumn 1", D(2026, 9, 3), D(2026, 10, 23)),
        ("Autumn 2", D(2026, 11, 2), D(2026, 12, 18)),
        ("Spring 1", D(2027, 1, 5), D(2027, 2, 12)),
    ]:
        TermDate.objects.create(school=school, name=name, starts_on=start, ends_on=end)
    found = periods.terms([school.pk], D(2026, 11, 30))
    autumn = periods.term_containing(found, D(2026, 11, 30))
    assert autumn is not None
    assert (autumn.name, autumn.start, autumn.end, autumn.estimated) == (
        "Autumn term 2026",
        D(2026, 9, 3),
        D(2026, 12, 18),
        False,
    )
    # Half-term week belongs to no half-term, but the term spans it.
    assert D(2026, 10, 28) in autumn
    spring = periods.term_containing(found, D(2027, 1, 5))
    assert spring is not None and spring.name == "Spring term 2027" and spring.end == D(2027, 2, 12)
    # The year before has no dates: estimated terms stand in, so "last year" exists.
    last_year = periods.same_term_last_year(found, autumn)
    assert last_year is not None and last_year.estimated and last_year.start == D(2025, 9, 1)
    previous = periods.previous_term(found, autumn)
    assert previous is not None and previous.name == "Summer term 2026"


@pytest.mark.django_db
def test_latest_ended_term_on_the_last_day_and_the_day_after(school):
    TermDate.objects.create(
        school=school, name="Autumn 1", starts_on=D(2026, 9, 3), ends_on=D(2026, 12, 18)
    )
    found = periods.terms([school.pk], D(2026, 12, 18))
    # On the last day the term has not ended yet.
    latest = periods.latest_ended_term(found, D(2026, 12, 18))
    assert latest is not None and latest.name == "Summer term 2026"
    latest = periods.latest_ended_term(found, D(2026, 12, 19))
    assert latest is not None and latest.name == "Autumn term 2026"
