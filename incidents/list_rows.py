"""The staff case list's rows, written in Python.

The list shows 50 rows of seven cells; through the template language that is ~700 variable
look-ups, filters and escapes per page — more than the rest of the page. Here each row is one
`format_html` (every value escaped as the template would: `conditional_escape`), and the
markup is byte for byte that of `partials/case_row.html` (which the dashboard keeps), with the
case's URL reversed once for the whole list. `tests/incidents/test_list_rows.py` pins it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .models import CaseStatus, Severity

ROW = (
    '<tr>\n  <td><a href="{}{}{}">{}</a>{}</td>\n'
    "  <td>{}</td>\n"
    '  <td><span class="badge status-{}">{}</span></td>\n'
    "  <td>{}</td>\n"
    "  <td>{}</td>\n"
    "  <td>{}</td>\n"
    "  <td>{}</td>\n"
    "</tr>\n      "
)
SAFEGUARDING = mark_safe(' <span class="badge text-bg-danger">Safeguarding</span>')
NONE_ROW = mark_safe('<tr><td colspan="7">No cases match.</td></tr>')
DASH = "—"


def case_link() -> tuple[str, str]:
    """A case page's URL as (before, after) its reference, reversed once for the whole list
    (references are letters, digits and hyphens: nothing to quote; escaped all the same)."""
    marker = "REFERENCE"
    before, _, after = reverse("staff:case-detail", args=[marker]).rpartition(marker)
    return before, after


def _opened(value, months: dict[int, str]) -> str:
    """`date:"j M Y"` (day, month's abbreviation in the active language, year) without
    Django's date formatter per row."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    if value.month not in months:
        months[value.month] = date_format(value, "M")
    return f"{value.day} {months[value.month]} {value.year:04d}"


def case_rows(cases: Iterable[Any], link: tuple[str, str] | None = None) -> SafeString:
    """The table body's rows for these cases (each with `report_count`), or the "No cases
    match." row when there are none."""
    before, after = link or case_link()
    statuses = dict(CaseStatus.choices)
    severities = dict(Severity.choices)
    months: dict[int, str] = {}
    rows = []
    for case in cases:
        lead = case.lead
        lead_name = lead.get_full_name() if lead is not None else ""
        rows.append(
            format_html(
                ROW,
                before,
                case.reference,
                after,
                case.reference,
                SAFEGUARDING if case.safeguarding_flag else "",
                case.school.name,
                case.status,
                statuses.get(case.status, case.status),
                severities.get(case.severity, case.severity) or DASH,
                lead_name or DASH,
                _opened(case.opened_at, months),
                case.report_count,
            )
        )
    if not rows:
        return NONE_ROW
    return mark_safe("".join(rows))  # noqa: S308 (each row built by format_html)
