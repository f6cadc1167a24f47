"""SLT take a case from a warning to a notice of intention, record representations after the
deadline and confirm a bar with a review date; the office sees it on the register and
prints it."""

from __future__ import annotations

import datetime

import pytest

from incidents import workflow
from incidents.models import Nature, Outcome
from measures.models import BanStage, SiteBan
from tests.factories import PersonFactory, autumn_and_spring_terms, triaged_case
from tests.helpers import check_accessibility, nav_to, sign_in


@pytest.mark.django_db(transaction=True)
def test_from_warning_to_a_confirmed_bar_on_the_register(
    live_server, browser, staff_width, school, head, office, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC))
    autumn_and_spring_terms(school)
    person = PersonFactory(
        school=school,
        full_name="Mr Jason Turner",
        children_classes="Year 3",
        address="14 Orchard Close",
    )
    case = triaged_case(
        school,
        head,
        person=person,
        nature=Nature.THREATS,
        report_kwargs={"content": "Threatening messages about a teacher"},
    )
    workflow.case_decide(
        case,
        head,
        actions=[Outcome.WARNING],
        rationale="First formal step",
        escalation_reason="Threats",
    )

    context = browser.new_context(viewport={"width": staff_width, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    # The warning did not work: close and reopen to decide a bar with the new rationale.
    page.get_by_role("link", name="Close the case").click()
    page.get_by_label("Outcome").fill("Warning issued")
    page.get_by_label("Why the case can be closed").fill("Warning letter sent")
    page.get_by_role("button", name="Close the case").click()
    page.get_by_role("link", name="Reopen the case").click()
    page.get_by_label("Why the case is being reopened").fill("Further threats after warning")
    page.get_by_role("button", name="Reopen the case").click()
    page.get_by_role("link", name="Decide the outcome").click()
    page.get_by_label("Site ban").check()
    page.get_by_label("Why this is proportionate").fill("Threats continued after a warning")
    page.get_by_label("why lesser steps are not enough").fill("A warning has already failed")
    page.get_by_role("button", name="Decide the outcome").click()

    page.get_by_role("link", name="Notice of intention to bar").click()
    check_accessibility(page, "bans-01-notice")
    page.get_by_label("Parent to be barred").select_option(label="Mr Jason Turner")
    page.locator("#id_reasons").fill("Repeated threats to staff after a formal warning")
    page.get_by_label("Proposed scope").fill("The school site and grounds at all times")
    page.get_by_label("Proposed duration").fill("Three months")
    page.get_by_label("Arrangements for the child's drop-off").fill("Met at the gate by a TA")
    page.get_by_label("Who will decide").select_option(label="Helen Carter")
    page.get_by_role("button", name="Notice of intention to bar").click()
    assert "intention_to_bar" in page.url  # straight on to the letter, details merged in
    deadline = page.get_by_label("Representations by", exact=True)
    assert deadline.input_value() == "7 December 2026"
    assert deadline.is_disabled()  # the procedure's own date: from the recorded notice
    ban = SiteBan.objects.get()
    assert ban.stage == BanStage.INTENTION

    # After the deadline: representations, then the decision with a review date.
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    page.get_by_role("link", name="Record representations").click()
    page.get_by_label("Representations received").fill("Letter of 4 December: apologises")
    page.get_by_label("Received on").fill("2026-12-04")
    page.get_by_label("How they were weighed").fill("Apology noted; threats were serious")
    page.get_by_role("button", name="Record representations").click()
    page.get_by_role("link", name="Decide on the bar").click()
    check_accessibility(page, "bans-02-decide")
    page.get_by_label("Confirm the bar").check()
    page.locator("#id_reasons").fill("The risk to staff remains")
    page.get_by_label("Review by").fill("2027-02-12")
    page.get_by_role("button", name="Decide on the bar").click()
    assert "bar_decision" in page.url
    ban.refresh_from_db()
    assert ban.stage == BanStage.CONFIRMED and ban.review_on == datetime.date(2027, 2, 12)
    context.close()

    desk = browser.new_context(viewport={"width": staff_width, "height": 900})
    page = desk.new_page()
    sign_in(page, live_server.url, "office")
    nav_to(page, "Restrictions register")
    assert page.get_by_role("rowheader", name="Mr Jason Turner").is_visible()
    assert "Threatening messages" not in page.content()
    check_accessibility(page, "bans-03-register")
    pdf = page.request.get(f"{live_server.url}/staff/bans/?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    desk.close()
