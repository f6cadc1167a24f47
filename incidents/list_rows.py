"""The staff case list's rows, written in Python.

The list shows 50 rows of seven cells; through the template language that is ~700 variable
look-ups, filters and escapes per page — more than the rest of the page. Here each row is one
`format_html` (every value escaped as the template would: `conditional_escape`), and the
markup is byte for byte that of `partials/case_row.html` (which the dashboard keeps), with the
case's URL reversed once for the whole list and each day's words worked out once
(`dashboard_html.CaseLinks` and `day_words`, as the dashboard's rows).
`tests/incidents/test_list_rows.py` pins it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .dashboard_html import CaseLinks, day_words
from .models import CaseStatus, Severity

ROW = (
    '<tr>\n  <td><a href="{}">{}</a>{}</td>\n'
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


def case_rows(cases: Iterable[Any], links: CaseLinks | None = None) -> SafeString:
    """The table body's rows for these cases (each with `report_count`), or the "No cases
    match." row when there are none."""
    links = links or CaseLinks()
    statuses = dict(CaseStatus.choices)
    severities = dict(Severity.choices)
    rows = []
    for case in cases:
        lead = case.lead
        lead_name = lead.get_full_name() if lead is not None else ""
        rows.append(
            format_html(
                ROW,
                links(case.reference),
                case.reference,
                SAFEGUARDING if case.safeguarding_flag else "",
                case.school.name,
                case.status,
                statuses.get(case.status, case.status),
                severities.get(case.severity, case.severity) or DASH,
                lead_name or DASH,
                day_words(case.opened_at),
                case.report_count,
            )
        )
    if not rows:
        return NONE_ROW
    return mark_safe("".join(rows))  # noqa: S308 (each row built by format_html)
