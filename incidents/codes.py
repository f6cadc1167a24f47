"""References and private follow-up codes.

A follow-up code is 16 symbols from a 32-symbol alphabet: 80 bits from `secrets`. It is shown
once, grouped in fours for reading aloud, and stored only as an HMAC keyed by its own secret
(`FOLLOW_UP_CODE_KEY`), so a copy of the database alone cannot be used to test guesses.

The key is separate from `SECRET_KEY` so that rotating the site's secret (sessions, password
reset links) does not void every parent's code. Codes are checked against the current key, then
each of `FOLLOW_UP_CODE_KEY_FALLBACKS`, then the key this module used to derive from
`SECRET_KEY` (and its fallbacks) — so codes issued before the setting existed keep working. A
code that matches an older key is re-hashed with the current one when it is used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone

# Crockford's base 32: no I, L, O or U, so nothing is misread (0/O, 1/I/L) when read aloud.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
GROUP = 4
_NORMALISE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def generate_followup_code() -> str:
    """A new code, grouped for reading: 'K7QM-3XPA-9TRD-WH2F'."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise_code(code: str) -> str:
    """What the person typed, without spaces or dashes, upper-case, with look-alikes mapped."""
    return "".join(ch for ch in code.upper() if ch.isalnum()).translate(_NORMALISE)


def _key(secret: str, *, legacy: bool = False) -> bytes:
    # Before FOLLOW_UP_CODE_KEY existed the key was derived from SECRET_KEY with this label;
    # the label differs for the new setting so the two can never be confused.
    label = "schoolconduct.followup:" if legacy else "schoolconduct.followup-code-key:"
    return hashlib.sha256((label + secret).encode()).digest()


def _keys() -> list[bytes]:
    """The current key first, then every key a stored hash may still have been made with."""
    keys = []
    if settings.FOLLOW_UP_CODE_KEY:
        keys.append(_key(settings.FOLLOW_UP_CODE_KEY))
    keys += [_key(old) for old in settings.FOLLOW_UP_CODE_KEY_FALLBACKS]
    keys += [
        _key(secret, legacy=True)
        for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    ]
    return keys


def _hmac(key: bytes, code: str) -> str:
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def hash_followup_code(code: str) -> str:
    """The stored form of a code, made with the current key."""
    return _hmac(_keys()[0], code)


def match_followup_code(code: str, stored_hash: str) -> tuple[bool, bool]:
    """(matches, made with an older key) for a typed code against a stored hash.

    Every key is tried whatever the outcome, in constant time each, so the time taken does not
    say which key (if any) matched.
    """
    results = [hmac.compare_digest(_hmac(key, code), stored_hash) for key in _keys()]
    return any(results), any(results[1:]) and not results[0]


def check_followup_code(code: str, stored_hash: str) -> bool:
    """Constant-time comparison of a typed code against the stored hash."""
    return match_followup_code(code, stored_hash)[0]


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


def current_year() -> int:
    return timezone.localdate().year
