"""Fixtures for the sign-in tests (their helpers — an authenticator app, codes from it — are in
tests/helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def two_factor_required(settings):
    settings.REQUIRE_TWO_FACTOR = True
    return settings
