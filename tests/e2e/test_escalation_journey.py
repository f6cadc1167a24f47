"""A head teacher takes one case from triage to a formal warning, and — when the conduct goes
on at the school gate — decides again, to a site ban, on the SAME case, as far as the notice of
intention. At every point the next-step panel shows the expected primary step, no form is ever
refused, and the chronology ends with both decisions. The gate incident is logged as staff log
one: in person, at a place, with the member of staff who witnessed it."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from incidents import workflow
from incidents.models import Case, CaseStatus, Conduct, Report
from letters.models import Letter
from measures.models import BanStage, SiteBan
from tests.factories import PersonFactory, autumn_and_spring_terms, submit_report
from tests.helpers import check_accessibility, sign_in


def primary_steps(page) -> list[str]:
    return [text.strip() for text in page.locator("#next-step a.btn-primary").all_inner_texts()]


def submit(page, button: str) -> None:
    """Press the form's button: the next page never says the form was refused."""
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 0, page.locator("main").inner_text()
    assert page.locator(".alert-danger").count() == 0, page.locator("main").inner_text()


def decide(page, where: str, action: str, rationale: str, beyond: str) -> None:
    """Decide (or decide again) from the panel `where` on the case page."""
    page.locator(where).get_by_role("link", name="Decide the outcome").click()
    page.get_by_label(action).check()
    page.get_by_label("Why this is proportionate").fill(rationale)
    page.get_by_label("why lesser steps are not enough").fill(beyond)
    submit(page, "Decide the outcome")


@pytest.mark.django_db(transaction=True)
def test_a_warning_then_a_bar_on_the_same_case_led_by_the_next_step_panel(
    live_server, browser, staff_width, school, head, slt, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC))
    autumn_and_spring_terms(school)
    report, _ = submit_report(school, content="Calls the Year 3 teacher a liar and a disgrace")
    case = report.case
    person = PersonFactory(
        school=school,
        title="Mr",
        full_name="Jason Turner",
        address="14 Orchard Close\nAshford Green",
        postcode="AG1 4TT",
    )
    workflow.case_person_add(case, head, person=person)
    base = live_server.url
    case_url = f"{base}/staff/cases/{case.reference}/"

    context = browser.new_context(viewport={"width": staff_width, "height": 900})
    page = context.new_page()
    sign_in(page, base, "head")

    # New: triage leads.
    page.goto(case_url)
    assert primary_steps(page) == ["Triage"]
    assert "{#" not in page.locator("main").inner_text()  # no template comment shows
    page.locator("#next-step").get_by_role("link", name="Triage").click()
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Nature of the conduct").select_option("threats")
    page.get_by_label("A member of staff", exact=True).check()
    page.get_by_label("No threats, intimidation or bad language").check()
    page.get_by_label("No safeguarding concern").check()
    submit(page, "Triage")

    # Investigating: deciding leads.
    page.goto(case_url)
    assert primary_steps(page)[0] == "Decide the outcome"
    decide(page, "#next-step", "Warning letter", "Abusive post about a teacher", "Threats")

    # Decided: the formal warning leads, with that kind already chosen.
    page.goto(case_url)
    assert primary_steps(page)[0] == "Draft the formal warning"
    check_accessibility(page, "escalation-01-decided-warning")
    page.locator("#next-step").get_by_role("link", name="Draft the formal warning").click()
    assert "/new/warning/" in page.url
    page.get_by_label("How will it be delivered?").select_option("post")
    submit(page, "Draft the letter")
    submit(page, "Approve the letter")
    warning = Letter.objects.get(kind="warning")
    assert warning.approved_at is not None

    page.goto(case_url)
    assert "Draft the formal warning" not in primary_steps(page)
    assert primary_steps(page) == ["Close the case"]

    # The conduct goes on: a colleague saw him at the gate and the head logs it.
    page.goto(f"{base}/staff/cases/log-report/")
    page.get_by_label("How was it reported?").select_option("in_person")
    page.get_by_label("Where and how did it happen?").select_option(Conduct.IN_PERSON)
    page.get_by_label("Where it happened, or who received it").fill("at the school gate")
    page.get_by_label("Member of staff who witnessed").select_option(str(slt.pk))
    page.get_by_label("When did it happen?").fill("2026-11-23")
    page.get_by_label("What was posted, said or done?").fill("Shouted threats at the teacher")
    page.get_by_label("I'm not sure").check()
    page.get_by_label("No", exact=True).check()
    check_accessibility(page, "escalation-02-log-gate")
    submit(page, "Log report")
    gate = Report.objects.get(conduct=Conduct.IN_PERSON)
    page.goto(f"{base}/staff/cases/{gate.case.reference}/")
    assert page.get_by_text("In person: at the school gate").is_visible()
    page.get_by_role("link", name="Merge into another case").first.click()
    page.get_by_label("Reference of the case to merge this report into").fill(case.reference)
    submit(page, "Merge into another case")

    # Decide again, on the same case, with the rationale for the bar.
    page.goto(case_url)
    decide(page, "#other-actions", "Site ban", "Threats went on", "A warning has failed")

    page.goto(case_url)
    assert primary_steps(page)[0] == "Notice of intention to bar"
    check_accessibility(page, "escalation-03-decided-bar")
    page.locator("#next-step").get_by_role("link", name="Notice of intention to bar").click()
    page.get_by_label("Parent to be barred").select_option(label="Jason Turner")
    page.locator("#id_reasons").fill("Threats to staff at the gate after a formal warning")
    page.get_by_label("Proposed scope").fill("The school site and grounds at all times")
    page.get_by_label("Proposed duration").fill("Three months")
    page.get_by_label("Arrangements for the child's drop-off").fill("Met at the gate by a TA")
    page.get_by_label("Who will decide").select_option(label="Helen Carter")
    submit(page, "Notice of intention to bar")
    assert "intention_to_bar" in page.url  # straight on to its letter
    page.get_by_label("How will it be delivered?").select_option("post")
    submit(page, "Draft the letter")
    notice = Letter.objects.get(kind="intention_to_bar")
    href = page.get_by_role("link", name="Preview exactly as it will print").get_attribute("href")
    pdf = page.request.get(base + href).body()
    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "in a message posted in Year 3 parents (WhatsApp) on 22 November 2026 and on " in text
    assert "23 November 2026 at the school gate" in text
    submit(page, "Approve the letter")
    notice.refresh_from_db()
    assert notice.approved_at is not None

    # The same case throughout: both decisions on its chronology, the bar at its notice.
    page.goto(case_url)
    assert primary_steps(page) == ["Start monitoring"]  # a bar is on its way
    check_accessibility(page, "escalation-04-notice")
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.ACTION and case.actions == ["site_ban"]
    assert SiteBan.objects.get().stage == BanStage.INTENTION
    chronology = page.locator("section[aria-labelledby=chronology-h]").inner_text()
    assert "Decided: warning letter" in chronology
    assert "Decided again: site ban" in chronology
    context.close()
