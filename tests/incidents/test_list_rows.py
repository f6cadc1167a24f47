"""The case list's rows written in Python (incidents/list_rows.py): the same HTML as the shared
row template, escaping included, and the list reads only the columns they show."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from incidents import workflow
from incidents.list_rows import case_rows
from incidents.models import Case
from schools.models import Role
from tests.factories import staff_member, submit_report, triage


def row_from_template(case) -> str:
    return render_to_string(
        "partials/case_row.html", {"case": case, "show_school": True, "extra": case.report_count}
    )


@pytest.mark.django_db
def test_a_row_is_the_shared_row_template_with_names_escaped(school, head):
    school.name = 'Willow <Park> & "Sons" \'s'
    school.save()
    lead = staff_member(school, Role.SLT, "lead", "Lena <b>O'Lead</b>")
    lead.last_name = 'O\'Lead & "Co"'
    lead.save()
    report, _ = submit_report(school)
    case = report.case
    triage(case, head, severity="high")
    workflow.case_reassign(case, head, lead=lead)
    case = Case.objects.select_related("school", "lead").get(pk=case.pk)
    case.safeguarding_flag = True
    # 23:30 UTC on 30 June is 1 July in London: the date as the school's clock shows it.
    case.opened_at = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    case.report_count = 1
    html = str(case_rows([case]))
    assert html == row_from_template(case).rstrip("\n") + "\n      "
    # What the template escapes, escaped the same (never raw).
    assert "Willow &lt;Park&gt; &amp; &quot;Sons&quot; &#x27;s" in html
    assert "O&#x27;Lead &amp; &quot;Co&quot;" in html and "<b>" not in html
    assert "Safeguarding</span>" in html and ">High<" in html and "1 Jul 2026" in html


@pytest.mark.django_db
def test_a_row_without_lead_severity_or_flag_shows_dashes(school):
    report, _ = submit_report(school)
    case = Case.objects.select_related("school", "lead").get(pk=report.case_id)
    case.report_count = 3
    html = str(case_rows([case]))
    assert html == row_from_template(case).rstrip("\n") + "\n      "
    assert html.count("<td>—</td>") == 2 and "Safeguarding" not in html


@pytest.mark.django_db
def test_every_month_and_a_year_before_1000_show_as_the_date_filter_shows_them(school):
    report, _ = submit_report(school)
    case = Case.objects.select_related("school", "lead").get(pk=report.case_id)
    case.report_count = 1
    for when in [
        *(datetime.datetime(2026, month, 9, 12, tzinfo=datetime.UTC) for month in range(1, 13)),
        datetime.datetime(999, 1, 2, 12, tzinfo=datetime.UTC),
    ]:
        case.opened_at = when
        assert str(case_rows([case])) == row_from_template(case).rstrip("\n") + "\n      "


def test_no_cases_is_the_empty_row():
    assert str(case_rows([])) == '<tr><td colspan="7">No cases match.</td></tr>'


@pytest.mark.django_db
def test_the_list_reads_only_the_columns_its_rows_show(client, school, head):
    submit_report(school)
    client.force_login(head)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/staff/cases/").text
    (rows_query,) = [q["sql"] for q in captured.captured_queries if "report_count" in q["sql"]]
    assert '"incidents_case"."safeguarding_decision"' not in rows_query
    assert '"auth_user"."password"' not in rows_query
    assert "1 case." in page
