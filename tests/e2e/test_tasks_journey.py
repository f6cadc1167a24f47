"""A head gives the deputy a task from the case page (a title of spaces refused, what was
typed kept); the deputy finds it under "Your tasks" on a phone and marks it done; both steps
are on the chronology. Then the head asks for the governors' report and downloads it once
the background task has filed it. Every page checked with axe."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from casetasks.models import CaseTask
from oversight.models import GovernorsReport
from tests.factories import triaged_case
from tests.helpers import check_accessibility, sign_in


@pytest.mark.django_db(transaction=True)
def test_a_task_given_done_and_the_governors_report(
    live_server, desktop, phone, school, head, slt, eager_tasks
):
    case = triaged_case(school, head)
    page = desktop
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    page.get_by_role("link", name="Give a colleague a task").click()
    page.get_by_label("What needs doing").fill("   ")
    page.get_by_label("Who it is for").select_option(label="Dan Deputy")
    page.get_by_label("Due on").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Give a colleague a task").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()
    expect(page.get_by_label("Who it is for")).to_have_value(str(slt.pk))
    check_accessibility(page, "tasks-01-refused")
    page.get_by_label("What needs doing").fill("Collect statements from Year 3 staff")
    page.get_by_role("button", name="Give a colleague a task").click()
    tasks = page.locator("#case-tasks")
    expect(tasks.get_by_text("Collect statements from Year 3 staff", exact=True)).to_be_visible()
    expect(tasks.get_by_text("due today")).to_be_visible()
    check_accessibility(page, "tasks-02-case-page")

    sign_in(phone, live_server.url, "deputy")
    mine = phone.locator("#your-tasks")
    expect(mine.get_by_text("Due today")).to_be_visible()
    expect(mine.get_by_text("Collect statements from Year 3 staff —")).to_be_visible()
    check_accessibility(phone, "tasks-03-dashboard-phone")
    mine.get_by_role("button", name="Mark done").click()
    expect(phone.get_by_text("Done: Collect statements from Year 3 staff.")).to_be_visible()
    expect(phone.locator("#your-tasks").get_by_text("Nobody has given you a task")).to_be_visible()
    assert CaseTask.objects.get().done_by == slt
    summaries = list(case.events.filter(kind="task").values_list("summary", flat=True))
    assert summaries[-1] == "Task done: Collect statements from Year 3 staff"

    page.goto(f"{live_server.url}/staff/reports/governors/")
    page.get_by_role("button", name="Make the PDF").click()
    expect(page.get_by_text("is being made")).to_be_visible()
    # Without a broker the task ran once the request committed: the link is there.
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    check_accessibility(page, "tasks-04-governors")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.startswith("governors-report-")
    assert GovernorsReport.objects.get().status == GovernorsReport.Status.DONE


@pytest.mark.django_db(transaction=True)
def test_the_governors_page_shows_a_report_once_the_worker_files_it(
    live_server, desktop, school, head
):
    """The list updates itself while a report is being made: no reload by the reader."""
    from oversight import governors
    from oversight.periods import Period
    from schools.models import TermDate

    TermDate.objects.create(
        school=school,
        name="Autumn 1",
        starts_on=datetime.date(2026, 9, 3),
        ends_on=datetime.date(2026, 10, 23),
    )
    term = Period("Autumn term 2026", datetime.date(2026, 9, 3), datetime.date(2026, 10, 23))
    # Asked for with no worker running (the broker takes it; nothing builds it yet).
    report = GovernorsReport.objects.create(
        scope_key=str(school.pk),
        title=governors.report_title([school], term),
        term_name=term.name,
        term_start=term.start,
        term_end=term.end,
        made_by=head,
    )
    report.schools.set([school])
    page = desktop
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/reports/governors/")
    expect(page.get_by_text("Waiting to start…")).to_be_visible()
    check_accessibility(page, "tasks-05-governors-waiting")
    assert governors.governors_report_build(report.pk)  # what the worker does
    expect(page.get_by_role("link", name="Download")).to_be_visible(timeout=15000)
    expect(page.get_by_text("Waiting to start…")).to_have_count(0)
