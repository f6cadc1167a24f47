"""The dashboard's table rows, written in Python: the markup of `partials/case_row.html` (with
the school shown), of the "Due soon and overdue" rows and of the "By school" rows, byte for
byte.

An `{% include %}` and a `reverse()` per row cost more than the rest of the page's Python
(the dashboard shows up to ~100 rows); here the case URL is reversed once per page and every
value goes through `format_html`/`conditional_escape`, as the template's autoescape would.
Dates are formatted as the template's `date` filter formats them (in local time).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import Case

DATE = "j M Y"
# References are letters, digits and hyphens (nothing to quote in a URL); anything else is
# reversed on its own.
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9-]+")
_STATUS = dict(Case._meta.get_field("status").flatchoices)
_SEVERITY = dict(Case._meta.get_field("severity").flatchoices)

_CASE_ROW = (
    "<tr>\n"
    '  <td><a href="{}">{}</a>{}</td>\n'
    "  <td>{}</td>\n"
    '  <td><span class="badge status-{}">{}</span></td>\n'
    "  <td>{}</td>\n"
    "  <td>{}</td>\n"
    "  <td>{}</td>\n"
    "  {}\n"
    "</tr>\n"
)
_SAFEGUARDING = mark_safe(' <span class="badge text-bg-danger">Safeguarding</span>')
_ESTIMATED = mark_safe(
    ' <span class="badge text-bg-warning">estimated — add next year\'s term dates</span>'
)


class CaseLinks:
    """A case page's URL by reference, reversed once for the page."""

    def __init__(self) -> None:
        marker = "REFERENCE"
        self.before, _, self.after = reverse("staff:case-detail", args=[marker]).rpartition(marker)

    def __call__(self, reference: str) -> str:
        if _PLAIN_REFERENCE.fullmatch(reference):
            return self.before + reference + self.after
        return reverse("staff:case-detail", kwargs={"reference": reference})


def day_words(value: Any) -> str:
    """`{{ value|date:"j M Y" }}`: a datetime in local time, a date as it is."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        value = value.date()  # the same words: the format has no time in it
    if not isinstance(value, datetime.date):
        return date_filter(value, DATE)
    return _date_words(value, get_language())


@functools.lru_cache(maxsize=2048)
def _date_words(day: datetime.date, language: str | None) -> str:
    """A day as the `date` filter writes it (month names in `language`), worked out once."""
    return date_filter(day, DATE)


def _display(choices: dict, value: Any) -> Any:
    """`get_FOO_display()` without rebuilding the choices on every call."""
    return choices.get(value, value)


def case_rows(cases: Iterable[tuple[Case, Any]], links: CaseLinks) -> SafeString:
    """`partials/case_row.html` with `show_school=True` for each (case, extra); `extra` is
    the last cell (a string or a date, shown as the template shows it; none when falsy)."""
    parts = []
    for case, extra in cases:
        lead = case.lead.get_full_name() if case.lead else ""
        severity = _display(_SEVERITY, case.severity)
        parts.append(
            format_html(
                _CASE_ROW,
                links(case.reference),
                case.reference,
                _SAFEGUARDING if case.safeguarding_flag else "",
                case.school.name,
                case.status,
                _display(_STATUS, case.status),
                severity if severity else "—",
                lead if lead else "—",
                day_words(case.opened_at),
                format_html("<td>{}</td>", formats.localize(extra)) if extra else "",
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 (each part built by format_html)


def due_rows(due: Iterable[tuple[Any, bool]], links: CaseLinks) -> SafeString:
    """The "Due soon and overdue" table's rows for each (deadline item, overdue)."""
    parts = []
    for item, overdue in due:
        href = links(item.case.reference) if item.case is not None else item.subject_path
        day = day_words(item.due_on)
        parts.append(
            format_html(
                '<tr><td><a href="{}">{}</a></td><td>{}{}</td><td>{}{}</td></tr>',
                href,
                item.reference,
                item.label,
                format_html(": {}", item.detail) if item.detail else "",
                format_html('<strong class="text-danger">Overdue: {}</strong>', day)
                if overdue
                else day,
                _ESTIMATED if item.estimated else "",
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 (each part built by format_html)


def school_rows(by_school: dict[str, dict[str, int]]) -> SafeString:
    """The "By school" table's rows: each school's name and its count of each status, as
    `{% for name, counts in by_school.items %}` wrote them (a trust's twenty schools' hundred
    cells cost a template loop more than the rest of the page's markup)."""
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (name, format_html_join("", "<td>{}</td>", ((formats.localize(n),) for n in row)))
            for name, row in ((name, counts.values()) for name, counts in by_school.items())
        ),
    )
