"""Keyset ("seek") pagination for lists ordered by a date and the primary key.

`OFFSET 50000` makes the database walk past 50,000 rows; a cursor — the date and id of the
last row shown — lets it start from there through the index, so page 1,000 costs what page 1
does. The cursor is plain text in the URL (``2026-03-01T09:30:00+00:00~1234``): a bookmarked
or hand-edited one that does not parse gives the first page, never an error.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q, QuerySet

SEPARATOR = "~"


def cursor_for(value: datetime.datetime, pk: int) -> str:
    return f"{value.isoformat()}{SEPARATOR}{pk}"


def parse_cursor(text: str | None) -> tuple[datetime.datetime, int] | None:
    """(date, id) from a cursor, or None if it is missing or malformed."""
    if not text or SEPARATOR not in text or len(text) > 80:
        return None
    when, _, pk = text.partition(SEPARATOR)
    try:
        value = datetime.datetime.fromisoformat(when)
        number = int(pk)
    except ValueError:
        return None
    if value.tzinfo is None or number < 0:
        return None
    return value, number


@dataclass
class KeysetPage:
    """One page of rows and the cursors either side of it."""

    object_list: list[Any]
    count: int
    per_page: int
    next_cursor: str = ""
    previous_cursor: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # A cursor was given but could not be read (hand-edited, cut short): the first page.
    refused: bool = False

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def keyset_page(
    queryset: QuerySet,
    *,
    field_name: str,
    descending: bool,
    per_page: int,
    after: str | None = None,
    before: str | None = None,
    count: int | Callable[[list], int],
) -> KeysetPage:
    """The page after `after` (or before `before`, or the first page), ordered by
    (`field_name`, pk), newest first when `descending`. One query for the rows (it fetches one
    row more to know whether there is a next page); `count` is the caller's: a number, or a
    function of the page's rows asked only when needed — a first page with no next page has
    counted the whole list already."""
    forward = parse_cursor(after)
    backward = None if forward else parse_cursor(before)
    # A cursor given but unreadable (hand-edited, cut short) gives the first page, said so.
    refused = bool(after or before) and not (forward or backward)
    sign = "-" if descending else ""
    order = (f"{sign}{field_name}", f"{sign}pk")
    reverse = ("" if descending else "-") + field_name, ("" if descending else "-") + "pk"
    # Rows after a cursor are "smaller" when descending, "larger" when ascending.
    beyond, behind = ("lt", "gt") if descending else ("gt", "lt")

    def seek(position: tuple[datetime.datetime, int], op: str) -> Q:
        value, pk = position
        # The first, redundant condition is a plain range the index can seek to; the second
        # breaks ties between rows with the same date.
        return Q(**{f"{field_name}__{op}e": value}) & (
            Q(**{f"{field_name}__{op}": value}) | Q(**{field_name: value, f"pk__{op}": pk})
        )

    if backward:
        rows = list(queryset.filter(seek(backward, behind)).order_by(*reverse)[: per_page + 1])
        more_before = len(rows) > per_page
        rows = rows[:per_page][::-1]
        more_after = True
    else:
        base = queryset.filter(seek(forward, beyond)) if forward else queryset
        rows = list(base.order_by(*order)[: per_page + 1])
        more_after = len(rows) > per_page
        rows = rows[:per_page]
        more_before = bool(forward)
    if not rows and (forward or backward):
        # Nothing on that side of the cursor (a link from before the list changed, or one
        # made up): the first page, said so, rather than an empty page with no way back.
        return replace(
            keyset_page(
                queryset,
                field_name=field_name,
                descending=descending,
                per_page=per_page,
                count=count,
            ),
            refused=True,
        )
    if not (forward or backward) and not more_after:
        total = len(rows)
    else:
        total = count(rows) if callable(count) else count
    page = KeysetPage(rows, total, per_page, refused=refused)
    if rows and more_after:
        page.next_cursor = cursor_for(getattr(rows[-1], field_name), rows[-1].pk)
    if rows and more_before:
        page.previous_cursor = cursor_for(getattr(rows[0], field_name), rows[0].pk)
    return page
