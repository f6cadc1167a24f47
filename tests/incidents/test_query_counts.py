"""Queries per page are constant: measured at N and 10N rows with their related objects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import workflow
from incidents.evidence import evidence_store, inspect_image
from tests.factories import PersonFactory, submit_report, triage
from tests.images import png_upload


def grow(school, head, n: int, target=None):
    """n more cases with a triaged lead, a person, a note and a screenshot each; and n more
    reports, events, messages and files on `target`."""
    image = inspect_image(png_upload())
    for i in range(n):
        report, _ = submit_report(school, content=f"Post {i}", reporter_name=f"R{i}")
        triage(report.case, head, rules=list(school.rules.all()))
        person = PersonFactory(school=school, full_name=f"Parent {i}")
        workflow.case_person_add(report.case, head, person=person)
        evidence_store(case=report.case, report=report, items=[image])
        if target is not None:
            extra, _ = submit_report(school, content=f"Same post {i}")
            evidence_store(case=target, report=None, items=[image])
            workflow.case_merge_into(extra.case, head, target=target)
            workflow.case_note_add(target, head, text=f"Note {i}")
            workflow.case_reporter_message(
                target, head, report=target.reports.first(), body=f"Question {i}"
            )
            workflow.case_person_add(report.case, head, person=target.persons.first())


def count(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def target(school, head):
    report, _ = submit_report(school)
    triage(report.case, head)
    person = PersonFactory(school=school, full_name="The parent")
    workflow.case_person_add(report.case, head, person=person)
    return report.case


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["dashboard", "list", "case", "export"])
def test_queries_do_not_grow_with_the_data(client, school, head, target, which):
    url = {
        "dashboard": "/staff/",
        "list": "/staff/cases/?sort=-opened",
        "case": f"/staff/cases/{target.reference}/",
        "export": "/staff/cases/export.csv",
    }[which]
    client.force_login(head)
    grow(school, head, 3, target)
    client.get(url)  # warm caches (sessions, content types)
    small, _ = count(client, url)
    grow(school, head, 27, target)
    large, sql = count(client, url)
    assert small == large, "\n".join(sql)
    assert large == EXPECTED_QUERIES[which], "\n".join(sql)


# Every page starts with: session, user, memberships, trust memberships (4).
EXPECTED_QUERIES = {
    # + counts by school and status, waiting, mine, safeguarding alerts, and the deadlines:
    #   new cases, DSL decisions, LADO, bar decisions, bar reviews, bars ending, restriction
    #   reviews, letters approved but not sent (plus two per school whose reports await
    #   triage: its term dates and INSET days), and every school overseen (a row even with
    #   no cases); tasks due (the deadlines) and "Your tasks" (the reporters of their cases,
    #   to hide from titles, only when there are any: see tests/casetasks)
    "dashboard": 19,
    # + schools for the filter, the filter's choices (rules, groups, leads), count, page
    "list": 10,
    # + case, access-log insert, reports, their rules, evidence, kept chat messages, persons,
    #   history, messages, events, meetings, referrals, access log, case rules, bans,
    #   restrictions, letters,
    #   new reports to merge in (2) and their reports (to describe them), the session (the visit
    #   is one "opened the case"), the next step's letters already drafted, and the close
    #   guard: a bar or restriction pending or in force (2, asked twice: once for the actions
    #   open now and once for the next-step panel's "not possible yet" reasons), the case's
    #   tasks (and who may still be given one, only when there are any: see tests/casetasks)
    "case": 30,
    # + schools for the filter, access-log insert, the rows (one chunked query) and how each
    #   case's conduct happened (one query per chunk of rows)
    "export": 8,
}
