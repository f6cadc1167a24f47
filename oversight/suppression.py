"""Small-number suppression for figures that leave the school (governors, trustees).

A count from 1 to 4 could point at one family, so it is shown as "fewer than 5". When a
breakdown with a shown total has exactly one suppressed cell, that cell could be worked out
by subtraction, so the next smallest cell is suppressed too (secondary suppression).
"""

from __future__ import annotations

THRESHOLD = 5
SUPPRESSED = "fewer than 5"


def shown(value: int) -> str:
    """The count as governors see it: 0, "fewer than 5", or the number."""
    if 0 < value < THRESHOLD:
        return SUPPRESSED
    return str(value)


def suppress_breakdown(values: list[int], total: int | None = None) -> list[str]:
    """Each count of a breakdown as shown, with secondary suppression when `total` is shown."""
    out = [shown(v) for v in values]
    hidden = [i for i, text in enumerate(out) if text == SUPPRESSED]
    if total is not None and len(hidden) == 1 and shown(total) != SUPPRESSED:
        candidates = [i for i, v in enumerate(values) if i not in hidden and v > 0]
        if candidates:
            smallest = min(candidates, key=lambda i: values[i])
            out[smallest] = SUPPRESSED
    return out


def shown_percent(part: int, whole: int) -> str:
    """A percentage, withheld when either count is small enough to identify someone."""
    if whole == 0:
        return "–"
    if whole < THRESHOLD:
        return "not shown (fewer than 5)"
    return f"{round(100 * part / whole)}%"
