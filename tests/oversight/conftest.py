"""The autumn term 2026 of the governors' report tests: two half-terms entered."""

from __future__ import annotations

import datetime

import pytest

from oversight.periods import Period
from schools.models import TermDate

D = datetime.date


@pytest.fixture
def autumn(school):
    TermDate.objects.create(
        school=school, name="Autumn 1", starts_on=D(2026, 9, 3), ends_on=D(2026, 10, 23)
    )
    TermDate.objects.create(
        school=school, name="Autumn 2", starts_on=D(2026, 11, 2), ends_on=D(2026, 12, 18)
    )
    return Period("Autumn term 2026", D(2026, 9, 3), D(2026, 12, 18))
