"""SLT triage a report, merge a duplicate, meet the parent, decide a warning and message the
reporter, who reads and replies on the follow-up page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents.models import Case, CaseStatus, Outcome
from tests.factories import submit_report
from tests.helpers import check_accessibility, nav_to


@pytest.mark.django_db(transaction=True)
def test_slt_runs_a_case_and_talks_to_the_reporter(live_server, staff_page, browser, school, head):
    report, code = submit_report(
        school,
        reporter_email="parent@example.com",
        content="The Year 3 teacher is a liar and a bully.",
    )
    duplicate, _ = submit_report(school, content="Same post: teacher called a liar.")
    page = staff_page

    page.goto(f"{live_server.url}/staff/")
    page.get_by_label("Username").fill("head")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    check_accessibility(page, "staff-01-dashboard")

    page.get_by_role("link", name=report.reference).first.click()
    assert page.get_by_text("The Year 3 teacher is a liar").is_visible()
    check_accessibility(page, "staff-02-case-new")

    # Triage.
    page.get_by_role("link", name="Triage").click()
    check_accessibility(page, "staff-03-triage")
    page.get_by_label("Severity").select_option("medium")
    page.get_by_label("Nature of the conduct").select_option("abusive")
    page.get_by_label("A member of staff", exact=True).check()
    page.get_by_label("No safeguarding concern").check()
    page.get_by_role("button", name="Triage").click()
    assert page.locator("#case-status").inner_text() == "Investigating"

    # Merge the duplicate report in.
    page.get_by_role("link", name="Merge other new reports into this case").click()
    check_accessibility(page, "staff-03b-merge-in")
    page.get_by_label(duplicate.reference).check()
    page.get_by_role("button", name="Merge").click()
    assert page.get_by_text(f"1 report merged into {report.reference}").is_visible()

    # Record a meeting with the parent.
    page.get_by_role("link", name="Record a meeting or conversation").click()
    # An informal conversation: part of hearing the parent, not a step on the ladder.
    page.get_by_label("Kind").select_option("conversation")
    when = timezone.localtime() - datetime.timedelta(hours=2)
    page.get_by_label("When").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("What was said").fill("Parent accepted the post was hurtful.")
    page.get_by_role("button", name="Record a meeting or conversation").click()

    # Decide: a warning letter, beyond the usual first step, with reasons.
    page.get_by_role("link", name="Decide the outcome").click()
    assert page.locator("#suggested-step").inner_text() == "Reminder of the code"
    check_accessibility(page, "staff-04-decide")
    page.get_by_label("Warning letter").check()
    page.get_by_label("Why this is proportionate").fill("A personal attack on a named teacher.")
    page.get_by_role("button", name="Decide the outcome").click()
    assert page.get_by_text("The usual next step for this parent").is_visible()
    page.get_by_label("why lesser steps are not enough").fill("Repeated in two groups.")
    page.get_by_role("button", name="Decide the outcome").click()
    assert page.locator("#case-status").inner_text() == "Action"

    # Message the reporter.
    page.get_by_role("link", name="Message the reporter").click()
    page.get_by_label("To the reporter of").select_option(label=report.reference)
    page.get_by_label("Message").fill("Thank you. Could you tell us when you first saw it?")
    page.get_by_role("button", name="Message the reporter").click()
    check_accessibility(page, "staff-05-case-action")

    case = Case.objects.get(pk=report.case.pk)
    assert case.status == CaseStatus.ACTION and case.actions == [Outcome.WARNING]
    assert case.reports.count() == 2
    assert list(case.events.values_list("kind", flat=True)).count("meeting") == 1

    # The reporter reads it and replies, on a phone.
    parent = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    parent.goto(f"{live_server.url}/follow-up/")
    parent.get_by_label("Your reference").fill(report.reference)
    parent.get_by_label("Your follow-up code").fill(code)
    parent.get_by_role("button", name="Continue").click()
    assert parent.get_by_text("Could you tell us when you first saw it?").is_visible()
    assert parent.locator("#report-status").inner_text() == "Being looked into"
    assert "Parent accepted" not in parent.content()  # internal notes never shown
    parent.get_by_label("What would you like to add?").fill("On Monday evening.")
    parent.get_by_role("button", name="Send to the school").click()
    parent.context.close()

    page.reload()
    assert page.get_by_text("On Monday evening.").is_visible()
    nav_to(page, "Cases")
    check_accessibility(page, "staff-06-case-list")
