"""SLT draft a warning letter from a case, preview and approve it; the office prints it in a
batch, downloads the batch and records the letters as sent."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from letters.models import Letter, LetterStatus
from tests.factories import LETTER_DETAILS, PersonFactory, triaged_case
from tests.helpers import check_accessibility, sign_in


@pytest.mark.django_db(transaction=True)
def test_warning_letter_from_case_to_print_batch(
    live_server, browser, school, head, office, tmp_path
):
    parent = PersonFactory(
        school=school,
        full_name="Mr Jason Turner",
        address="14 Orchard Close\nAshford Green",
        postcode="AG1 4TT",
    )
    case = triaged_case(
        school, head, person=parent, report_kwargs={"content": "The teacher is a liar"}
    )

    slt = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = slt.new_page()
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    page.get_by_role("link", name="Draft a letter").click()
    check_accessibility(page, "letters-01-kinds")
    page.get_by_role("link", name="Formal warning").click()
    page.get_by_label("How will it be delivered?").select_option("post")
    for name in ("conduct_summary", "impact", "change_required", "response_deadline"):
        page.locator(f"#id_{name}").fill(LETTER_DETAILS[name])
    check_accessibility(page, "letters-02-draft-form")
    page.get_by_role("button", name="Draft the letter").click()
    assert page.get_by_text("Dear Mr Jason Turner").first.is_visible()
    check_accessibility(page, "letters-03-draft")

    href = page.get_by_role("link", name="Preview exactly as it will print").get_attribute("href")
    preview = page.request.get(live_server.url + href)
    assert preview.headers["content-type"] == "application/pdf"
    page.get_by_role("button", name="Approve the letter").click()
    assert page.locator("#letter-status").inner_text() == "Ready to print or send"
    slt.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = desk.new_page()
    sign_in(page, live_server.url, "office")
    page.get_by_role("link", name="Print queue", exact=True).click()
    check_accessibility(page, "letters-04-queue")
    assert page.get_by_text("Mr Jason Turner").is_visible()
    assert "The teacher is a liar" not in page.content()
    page.get_by_role("button", name="Print batch").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download batch").first.click()
    path = tmp_path / "batch.pdf"
    download_info.value.save_as(path)
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    assert "Mr Jason Turner" in text and case.reference in text
    page.get_by_role("button", name="Mark batch").first.click()
    page.get_by_role("button", name="Sent to Mr Jason Turner").click()
    assert page.get_by_text("Recorded as sent to Mr Jason Turner").is_visible()
    check_accessibility(page, "letters-05-queue-after")
    desk.close()

    letter = Letter.objects.get()
    assert letter.status == LetterStatus.SENT and letter.sent_method == "post"
    steps = [e.data["step"] for e in case.events.filter(kind="letter").order_by("pk")]
    assert steps == ["drafted", "approved", "printed", "sent"]
