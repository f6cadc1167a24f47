"""References and private follow-up codes.

A follow-up code is 16 symbols from a 32-symbol alphabet: 80 bits from `secrets`. It is shown
once, grouped in fours for reading aloud, and stored only as an HMAC keyed by the site's secret,
so a copy of the database alone cannot be used to test guesses.
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


def hash_followup_code(code: str) -> str:
    key = hashlib.sha256(("schoolconduct.followup:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, normalise_code(code).encode(), hashlib.sha256).hexdigest()


def check_followup_code(code: str, stored_hash: str) -> bool:
    """Constant-time comparison of a typed code against the stored hash."""
    return hmac.compare_digest(hash_followup_code(code), stored_hash)


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


def current_year() -> int:
    return timezone.localdate().year
