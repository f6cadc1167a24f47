"""Fixtures for the oversight tests."""

from __future__ import annotations

import datetime

import pytest

from oversight.periods import Period
from tests.factories import TermDateFactory

D = datetime.date


@pytest.fixture
def autumn(school):
    """The school's two autumn half terms of 2026; returns the whole term as a `Period`."""
    TermDateFactory(
        school=school, name="Autumn 1", starts_on=D(2026, 9, 3), ends_on=D(2026, 10, 23)
    )
    TermDateFactory(
        school=school, name="Autumn 2", starts_on=D(2026, 11, 2), ends_on=D(2026, 12, 18)
    )
    return Period("Autumn term 2026", D(2026, 9, 3), D(2026, 12, 18))
