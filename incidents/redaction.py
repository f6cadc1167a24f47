"""Redaction suggestions from text read out of evidence: phone numbers, email addresses and
names the school lists as sensitive. Pure Python; a person confirms or dismisses each one
(the case-file redaction tool uses the confirmed ones)."""

from __future__ import annotations

import re
from collections.abc import Iterable

SUGGESTED = "suggested"
CONFIRMED = "confirmed"
DISMISSED = "dismissed"
DECISIONS = (CONFIRMED, DISMISSED)

KIND_LABELS = {"phone": "Phone number", "email": "Email address", "name": "Sensitive name"}

# UK mobiles and landlines as people and OCR write them: +44 7700 900123, 07700 900123,
# (0161) 496 0000, 020-7946-0000; and any other long international number.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+44[\s.-]?\(?0?\)?[\s.-]?|\(?0)\d{2,4}\)?(?:[\s.-]?\d){6,8}(?!\w)"
    r"|(?<![\w+])\+[1-9](?:[\s.-]?\d){7,14}(?!\w)"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def _name_pattern(name: str) -> re.Pattern[str] | None:
    words = name.split()
    if not words:
        return None
    # OCR and phones put odd spaces between words (double, non-breaking): any run will do.
    body = r"[\s\u00a0\u202f]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def suggest(text: str, *, names: Iterable[str] = ()) -> list[dict[str, object]]:
    """Each distinct phone number, email address and sensitive name found in `text`."""
    found: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, value: str) -> None:
        key = (kind, " ".join(value.split()).casefold())
        if key not in seen:
            seen.add(key)
            found.append({"kind": kind, "text": " ".join(value.split()), "status": SUGGESTED})

    for match in _EMAIL.finditer(text):
        add("email", match.group())
    for match in _PHONE.finditer(text):
        add("phone", match.group())
    for name in names:
        pattern = _name_pattern(name)
        if pattern is not None:
            for match in pattern.finditer(text):
                add("name", match.group())
    return found


def merge(new: list[dict[str, object]], old: list[dict[str, object]]) -> list[dict[str, object]]:
    """New suggestions, keeping the decision already taken on any that were there before."""
    decided = {
        (s["kind"], str(s["text"]).casefold()): s for s in old if s.get("status") in DECISIONS
    }
    return [decided.get((s["kind"], str(s["text"]).casefold()), s) for s in new]
