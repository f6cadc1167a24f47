"""A parent on a phone reads the code, reports with a screenshot, saves the code, follows up."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents.models import Evidence, Message, Report
from tests.helpers import check_accessibility
from tests.images import image_bytes


@pytest.mark.django_db(transaction=True)
def test_parent_reports_with_a_screenshot_and_follows_up(live_server, phone, school, tmp_path):
    shot = tmp_path / "chat.png"
    shot.write_bytes(image_bytes("PNG", size=(720, 1280)))
    page = phone

    page.goto(f"{live_server.url}/s/{school.slug}/")
    check_accessibility(page, "01-school")
    page.get_by_role("link", name="Report a concern").click()

    # Submitting an incomplete form: an error summary, and what was typed is kept.
    page.get_by_label("What was posted?").fill("You are all idiots, the teacher is a liar.")
    page.get_by_role("button", name="Send report").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert page.get_by_label("What was posted?").input_value().startswith("You are all idiots")
    check_accessibility(page, "02-report-errors")

    page.get_by_label("Which group was it posted in?").select_option(label="Year 3 parents")
    posted = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("When was it posted?").fill(posted.isoformat())
    page.get_by_label("No abusive or personal comments").check()
    page.get_by_label("Not sure", exact=True).check()
    page.get_by_label("What makes you think a child may be at risk?").fill("A child is named.")
    page.get_by_label("Screenshots (optional)").set_input_files(str(shot))
    page.get_by_label("Your email address").fill("parent@example.com")
    page.get_by_role("button", name="Send report").click()

    page.wait_for_url("**/report/receipt/")
    reference = page.locator("#receipt-reference").inner_text()
    code = page.locator("#receipt-code").inner_text()
    assert page.get_by_role("button", name="print or save this page").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    check_accessibility(page, "03-receipt")
    page.get_by_label("I have saved my reference and follow-up code").check()
    page.get_by_role("button", name="Finish").click()
    assert "Your report has been sent to the school" in page.content()

    report = Report.objects.get(reference=reference)
    assert report.evidence.count() == 1 and report.case.safeguarding_flag

    page.get_by_role("link", name="Follow up a report").click()
    check_accessibility(page, "04-follow-up-sign-in")
    page.get_by_label("Your reference").fill(reference)
    page.get_by_label("Your follow-up code").fill(code.lower())
    page.get_by_role("button", name="Continue").click()
    assert page.locator("#report-status").inner_text() == "Received"
    check_accessibility(page, "05-follow-up")

    page.get_by_label("What would you like to add?").fill("They have posted again today.")
    page.get_by_label("More screenshots (optional)").set_input_files(str(shot))
    page.get_by_role("button", name="Send to the school").click()
    assert page.get_by_text("They have posted again today.").is_visible()
    assert Message.objects.filter(report=report).count() == 1
    assert Evidence.objects.filter(report=report).count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.django_db(transaction=True)
def test_the_form_works_without_javascript(live_server, browser, school):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{school.slug}/report/")
    page.get_by_label("Which group was it posted in?").select_option(label="Year 3 parents")
    page.get_by_label("When was it posted?").fill(timezone.localdate().isoformat())
    page.get_by_label("What was posted?").fill("Abusive post")
    page.get_by_label("I'm not sure").check()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url("**/report/receipt/")
    assert page.locator("#receipt-code").inner_text()
    assert page.get_by_text("use your browser's menu to print or save this page").is_visible()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_code_fits_on_one_line_of_a_small_phone(live_server, phone, school):
    phone.goto(f"{live_server.url}/s/{school.slug}/report/")
    phone.get_by_label("Which group was it posted in?").select_option(label="Year 3 parents")
    phone.get_by_label("When was it posted?").fill(timezone.localdate().isoformat())
    phone.get_by_label("What was posted?").fill("Abusive post")
    phone.get_by_label("I'm not sure").check()
    phone.get_by_label("No", exact=True).check()
    phone.get_by_role("button", name="Send report").click()
    code = phone.locator("#receipt-code")
    line_height = float(code.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert code.bounding_box()["height"] < line_height * 1.5  # one line, not split mid-group
