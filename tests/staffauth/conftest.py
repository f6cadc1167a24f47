"""Helpers for the sign-in tests: a user's authenticator app, codes from it."""

from __future__ import annotations

import time

import pyotp
import pytest

PASSWORD = "correct horse battery staple"


def add_totp(user) -> pyotp.TOTP:
    """Give the user an authenticator app (and recovery codes) as allauth stores them."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return pyotp.TOTP(secret)


def fresh_code(totp: pyotp.TOTP) -> str:
    """The current code, with at least 5 seconds of its 30 left: no test fails because the
    code changed between typing and sending it."""
    left = totp.interval - time.time() % totp.interval
    if left < 5:
        time.sleep(left + 0.1)
    return totp.now()


def recovery_codes(user) -> list[str]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    return RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()


@pytest.fixture
def two_factor_required(settings):
    settings.REQUIRE_TWO_FACTOR = True
    return settings
