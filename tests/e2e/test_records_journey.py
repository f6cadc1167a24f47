"""A head teacher records a subject access request (a late extension refused, a timely one
accepted), logs a breach and sees its ICO deadline, and disposes of a case due for review
while a held one says why — on a desktop and on a 360 px phone."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents import workflow
from incidents.models import Case, Person
from records import services
from records.models import DisposalLog
from tests.factories import triaged_case
from tests.helpers import check_accessibility, sign_in


def _sign_in(page, url: str) -> None:
    sign_in(page, url, "head")
    page.goto(f"{url}/staff/records/")


@pytest.mark.django_db(transaction=True)
def test_head_runs_the_data_protection_records(live_server, desktop, phone, school, head):
    parent = Person.objects.create(school=school, full_name="Pat Parent")
    held_parent = Person.objects.create(school=school, full_name="Sam Held")
    due = triaged_case(school, head, person=parent)
    held = triaged_case(school, head, person=held_parent)
    for case in (due, held):
        workflow.case_close(case, head, outcome="Resolved", rationale="Done")
    # Closed seven years ago: due for review now.
    Case.objects.filter(pk__in=[due.pk, held.pk]).update(
        closed_at=timezone.now() - datetime.timedelta(days=7 * 366)
    )
    services.proposals_make(today=timezone.localdate())
    services.hold_place(
        school=school, kind="police", reason="Police asked us to keep it", actor=head, case=held
    )
    page = desktop
    _sign_in(page, live_server.url)
    assert page.get_by_role("heading", name="Subject access requests").is_visible()

    page.get_by_label("About whom").select_option(label="Sam Held")
    page.get_by_label("Who asked").fill("Sam Held")
    page.get_by_label("Received on").fill("2025-01-31")
    page.get_by_label("Identity checked on").fill("2025-01-31")
    page.get_by_role("button", name="Add to the register").click()
    assert page.locator("#sar-due").get_by_text("28 February 2025").is_visible()

    page.get_by_label("Requester told on").fill("2025-03-01")
    page.get_by_label("Reason").fill("Many cases to search")
    page.get_by_role("button", name="Extend").click()
    assert page.get_by_text("Too late to extend").first.is_visible()
    assert page.get_by_label("Reason").input_value() == "Many cases to search"
    check_accessibility(page, "records-01-sar-refused")
    page.get_by_label("Requester told on").fill("2025-02-28")
    page.get_by_role("button", name="Extend").click()
    assert page.locator("#sar-due").get_by_text("31 March 2025").is_visible()

    page.get_by_role("link", name="Breach log").click()
    page.get_by_label("Summary").fill("Letter sent to the wrong address")
    page.get_by_label("The school became aware at").fill("2026-11-30T09:15")
    page.get_by_role("button", name="Log it").click()
    assert page.locator("#ico-due").get_by_text("3 December 2026 09:15").is_visible()
    check_accessibility(page, "records-02-breach")

    page.get_by_role("link", name="Retention and disposal").click()
    held_text = "Held: Police investigation hold: Police asked us to keep it"
    assert page.get_by_text(held_text).is_visible()
    page.get_by_label("I have reviewed it").check()
    page.get_by_role("button", name="Dispose").click()
    assert page.get_by_text(f"{due.reference} has been anonymised").is_visible()
    check_accessibility(page, "records-03-retention")
    assert DisposalLog.objects.get().case_reference == due.reference

    _sign_in(phone, live_server.url)
    phone.goto(f"{live_server.url}/staff/records/retention/")
    check_accessibility(phone, "records-04-retention-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
