"""Every staff page on a 360 px phone: the menu folds, tables stack, nothing scrolls sideways,
axe finds nothing serious; a flagged case puts the DSL's safeguarding decision at the top."""

from __future__ import annotations

import pytest

from incidents import workflow
from tests.factories import LetterFactory, PersonFactory, submit_report, triaged_case
from tests.helpers import PHONE_WIDTH, check_accessibility, nav_to, sign_in

LONG = "Averyveryverylongwordwithoutanyspacesthatwouldpushthepagesidewaysonaphone " * 3


def _pages(case, flagged, letter, gate) -> list[tuple[str, str]]:
    ref = case.reference
    return [
        ("case-gate", f"/staff/cases/{gate.reference}/"),
        ("letters-new-gate", f"/staff/letters/case/{gate.reference}/new/warning/"),
        ("action-rules", f"/staff/cases/{gate.reference}/rules/"),
        ("dashboard", "/staff/"),
        ("case-list", "/staff/cases/"),
        ("case", f"/staff/cases/{ref}/"),
        ("case-flagged", f"/staff/cases/{flagged.reference}/"),
        ("chronology", f"/staff/cases/{ref}/chronology/"),
        ("action-decide", f"/staff/cases/{ref}/decide/"),
        ("action-note", f"/staff/cases/{ref}/note/"),
        ("log-report", "/staff/cases/log-report/"),
        ("register", "/staff/bans/"),
        ("letters-queue", "/staff/letters/"),
        ("letters-templates", "/staff/letters/templates/"),
        ("letters-template-edit", "/staff/letters/templates/warning/"),
        ("letters-case", f"/staff/letters/case/{ref}/"),
        ("letters-new", f"/staff/letters/case/{ref}/new/reminder/"),
        ("letter", f"/staff/letters/{letter.pk}/"),
        ("calendar", "/staff/calendar/"),
        ("deadlines", "/staff/reports/deadlines/"),
        ("statistics", "/staff/reports/"),
        ("governors", "/staff/reports/governors/"),
        ("two-factor", "/staff/account/2fa/"),
    ]


@pytest.mark.django_db(transaction=True)
def test_every_staff_page_fits_a_phone(live_server, phone, school, head, dsl, office):
    person = PersonFactory(
        school=school, full_name="Mr Jason Turner", address="14 Orchard Close\nAshford Green"
    )
    case = triaged_case(school, head, person=person, report_kwargs={"content": LONG})
    letter = LetterFactory(case=case, actor=head)
    workflow.case_note_add(case, head, text=LONG)
    report, _ = submit_report(school, child_at_risk="yes", child_risk_details="A child named")
    flagged = report.case
    for n in range(3):
        submit_report(school, content=f"Report {n} {LONG}")
    # An incident at the gate, with a long place and the staff witness.
    gate = triaged_case(
        school,
        head,
        person=person,
        report_kwargs={
            "conduct": "in_person",
            "conduct_place": f"at the school gate {LONG}"[:120],
            "witness": dsl,
        },
    )

    page = phone
    sign_in(page, live_server.url, "head")
    # The menu is folded behind one button, and opens.
    assert not page.locator("#staff-nav").get_by_role("link", name="Cases").is_visible()
    nav_to(page, "Cases")
    assert page.get_by_role("heading", name="Cases").first.is_visible()
    failures = []
    for name, url in _pages(case, flagged, letter, gate):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status, url
        if response.status != 200:
            failures.append(f"{name}: HTTP {response.status}")
            continue
        try:
            check_accessibility(page, f"phone-{name}")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)
    # Tables stack: each cell carries its column's heading.
    page.goto(f"{live_server.url}/staff/cases/")
    assert page.locator("table.table-stack td[data-label]").count() > 0

    # The DSL opens the urgent email's case on a phone: the decision comes first.
    page.context.clear_cookies()
    sign_in(page, live_server.url, "dsl")
    page.goto(f"{live_server.url}/staff/cases/{flagged.reference}/")
    check_accessibility(page, "phone-dsl-flagged-case")
    first = page.locator("#next-step a.btn-primary").first
    assert first.inner_text() == "Record the safeguarding decision"
    assert first.bounding_box()["y"] < 740  # on the first screen, above the reports
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    # Office staff on a phone: their pages fit too.
    page.context.clear_cookies()
    sign_in(page, live_server.url, "office")
    for name, url in (
        ("office-queue", "/staff/letters/"),
        ("office-log", "/staff/cases/log-report/"),
    ):
        page.goto(f"{live_server.url}{url}")
        check_accessibility(page, f"phone-{name}")
