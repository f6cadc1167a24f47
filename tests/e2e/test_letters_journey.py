"""A head drafts a formal warning in the editor (types, makes a word bold, can't break a merge
chip), previews the DRAFT and approves it; the office batches it, a second batch from a stale
page can't take it, prints the batch and marks it sent; the case shows who did what. The PDFs
are read back as the parent would receive them."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from incidents.models import Meeting, Severity
from letters.kinds import REQUIRED
from letters.models import Letter, LetterStatus, PrintBatch
from tests.factories import LetterFactory, PersonFactory, triaged_case
from tests.helpers import SCREENSHOTS, check_accessibility, nav_to, sign_in


def pages_text(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.django_db(transaction=True)
def test_warning_drafted_in_the_editor_then_batched_printed_and_sent(
    live_server, browser, school, head, office, tmp_path
):
    parent = PersonFactory(
        school=school,
        title="Mr",
        full_name="Jason  Turner",  # a double space, as typed
        address="14 Orchard Close\nAshford Green",
        postcode="AG1 4TT",
    )
    case = triaged_case(
        school,
        head,
        person=parent,
        severity=Severity.MEDIUM,
        report_kwargs={"content": "The teacher is a liar & a fraud"},
    )
    Meeting.objects.create(
        case=case,
        person=parent,
        kind=Meeting.Kind.SENIOR_LEADER,
        held_at=timezone.now() - datetime.timedelta(days=2),
        notes="Constructive; he agreed to take the post down.",
        recorded_by=head,
    )

    slt = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = slt.new_page()
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    page.get_by_role("link", name="Draft a letter").click()
    page.get_by_role("link", name="Formal warning").click()
    page.get_by_label("How will it be delivered?").select_option("post")
    # Neutral suggestions are already there for the head to edit; dates use a date input.
    assert page.locator("#id_impact").input_value().startswith("The message caused")
    assert page.locator("#id_response_deadline").get_attribute("type") == "date"
    page.locator("#id_response_deadline").fill("2026-12-14")
    check_accessibility(page, "letters-02-draft-form")
    page.get_by_role("button", name="Draft the letter").click()

    # The editor: a toolbar and a text box, no HTML anywhere on the page.
    # The plain text area is there until the deferred editor script has run (slow under load).
    page.locator("textarea[name=body_text]").wait_for(state="hidden")
    editor = page.get_by_role("textbox", name="Letter text")
    assert editor.is_visible()
    chip = page.locator(".merge-chip[data-merge-field=conduct_summary]")
    assert chip.count() == 1
    assert page.locator(".merge-chip[data-merge-field=response_deadline]").inner_text() == (
        "14 December 2026"
    )
    check_accessibility(page, "letters-03-editor")

    # Type at the end, with one word in bold from the toolbar.
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("Please read this ")
    page.get_by_role("button", name="Bold").click()
    assert page.get_by_role("button", name="Bold").get_attribute("aria-pressed") == "true"
    # The toolbar hands focus back to the text a moment later: type only once it has it (under
    # load, keys pressed before that are lost).
    expect(page.locator(".ProseMirror")).to_be_focused()
    page.keyboard.type("carefully")
    page.get_by_role("button", name="Bold").click()
    expect(page.locator(".ProseMirror")).to_be_focused()
    page.keyboard.type(".")
    # A chip can't be typed into or deleted: the required element stays.
    chip.click()
    page.keyboard.type("oops")
    page.keyboard.press("Backspace")
    page.keyboard.press("Delete")
    assert chip.count() == 1
    assert "oops" not in chip.inner_text()
    assert page.get_by_role("status").filter(has_text="must stay in the letter").count() == 1
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_text("Draft saved.").is_visible()
    letter = Letter.objects.get()
    assert "<strong>carefully</strong>" in letter.body_html
    assert "[[conduct_summary]]" in letter.body_html and "oops" not in letter.body_html
    checklist = page.locator(".letter-checklist .checklist-item")
    assert checklist.count() == len(REQUIRED["warning"])
    assert page.locator(".letter-checklist .checklist-item.present").count() == len(
        REQUIRED["warning"]
    )
    page.screenshot(path=str(SCREENSHOTS / "letters-03b-editor-saved.png"), full_page=True)

    href = page.get_by_role("link", name="Preview exactly as it will print").get_attribute("href")
    preview = page.request.get(live_server.url + href)
    assert preview.headers["content-type"] == "application/pdf"
    draft_pages = pages_text(preview.body())
    assert all("DRAFT" in text for text in draft_pages)
    (tmp_path / "preview.pdf").write_bytes(preview.body())

    page.get_by_role("button", name="Approve the letter").click()
    assert page.locator("#letter-status").inner_text() == "Ready to print or send"
    slt.close()

    # The office: two tabs on the queue; the second tab's batch comes too late.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = desk.new_page()
    stale = desk.new_page()
    sign_in(page, live_server.url, "office")
    nav_to(page, "Print queue")
    stale.goto(f"{live_server.url}/staff/letters/")
    row = page.get_by_role("row").filter(has_text="Mr Jason Turner")
    assert "Post" in row.inner_text() and "0 days" in row.inner_text()
    assert "liar" not in page.content()
    check_accessibility(page, "letters-04-queue")
    page.get_by_label("Start with a cover sheet listing the batch").check()
    page.get_by_role("button", name="Make print batch").click()
    assert page.get_by_text("Print batch").first.is_visible()
    stale.get_by_role("button", name="Make print batch").click()
    assert stale.get_by_text("None of the chosen letters can go in a batch").is_visible()
    assert PrintBatch.objects.count() == 1
    stale.close()

    page.reload()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download batch").first.click()
    path = tmp_path / "batch.pdf"
    download_info.value.save_as(path)
    batch_pages = pages_text(path.read_bytes())
    assert "Print batch" in batch_pages[0] and "Mr Jason Turner" in batch_pages[0]
    assert batch_pages[1] == ""  # the cover's blank back: the letter starts on a new sheet
    assert "Dear Mr Turner" in batch_pages[2]
    page.get_by_role("button", name="Mark batch").first.click()
    page.get_by_role("button", name="Mark batch 1 sent").click()
    assert page.get_by_text("1 letter recorded as sent").is_visible()
    check_accessibility(page, "letters-05-queue-after")
    desk.close()

    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT and letter.sent_method == "post"
    assert letter.printed_by == office and letter.sent_by == office
    steps = [e.data["step"] for e in case.events.filter(kind="letter").order_by("pk")]
    assert steps == ["drafted", "approved", "batched", "printed", "sent"]

    # The case shows who printed and sent it.
    slt = browser.new_context(viewport={"width": 1280, "height": 900})
    page = slt.new_page()
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    letters = page.locator("#letters-h + ul").inner_text()
    assert "printed" in letters and "Olivia Price" in letters and "sent (post)" in letters
    slt.close()

    # The letter as the parent reads it.
    with letter.pdf.open("rb") as f:
        issued = pages_text(f.read())
    text = " ".join(issued)
    assert "DRAFT" not in text
    assert "&amp;" not in text and "&#" not in text and "<" not in text
    assert "Dear Mr Turner," in text and "Mr Jason Turner" in text
    assert "Thank you for meeting us on" in text  # the meeting comes first
    assert "Act 1988" not in text  # a medium-severity first warning: no criminal law
    assert "14 December 2026" in text and "carefully" in text
    closing_page = next(t for t in issued if "Yours sincerely" in t)
    # The closing shares its page with the last paragraph (the typed full stop may be lost by
    # the browser's typing under load; the words are what matter here).
    assert closing_page.split("Yours sincerely")[0].strip().rstrip(".").endswith("carefully")
    for name in ("conduct_summary", "impact", "change_required"):
        assert letter.context[name][:30] in text, name


def assert_fits_a_phone(page, name: str) -> None:
    """No horizontal scroll at 360 px (wide tables scroll inside their own box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > 362 && !e.closest('.table-responsive')).slice(0, 5)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert width <= 360, f"{name}: {width}px wide: {wide}"


@pytest.mark.django_db(transaction=True)
def test_letter_pages_on_a_phone_and_the_template_editor(
    live_server, browser, school, head, office
):
    from letters import services
    from tests.factories import DETAILS

    parent = PersonFactory(
        school=school, title="Mrs", full_name="Amy Johnson", address="2 Lane", postcode="AB1 2CD"
    )
    case = triaged_case(school, head, person=parent)
    letter = LetterFactory(
        case=case,
        actor=head,
        kind="warning",
        details=DETAILS,
        delivery_method="hand",
        person=parent,
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    refused = []  # the strict CSP: the editor needs no inline script or style
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    sign_in(page, live_server.url, "head")
    for name, url in (
        ("letters-phone-editor", f"/staff/letters/{letter.pk}/"),
        ("letters-phone-template", "/staff/letters/templates/warning/"),
        ("letters-phone-settings", "/staff/letters/settings/"),
    ):
        page.goto(live_server.url + url)
        assert page.locator(".merge-chip").count() > 0 or name == "letters-phone-settings"
        assert_fits_a_phone(page, name)
        check_accessibility(page, name)
    page.goto(f"{live_server.url}/staff/letters/{letter.pk}/")
    page.get_by_role("textbox", name="Letter text").click()
    page.keyboard.type("Typed on a phone. ")
    page.get_by_role("button", name="Italics").click()
    assert not refused, refused
    services.letter_approve(letter=letter, actor=head)
    context.close()

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    sign_in(page, live_server.url, "office")
    page.goto(f"{live_server.url}/staff/letters/")
    assert page.get_by_text("Mrs Amy Johnson").first.is_visible()
    assert_fits_a_phone(page, "letters-phone-queue")
    check_accessibility(page, "letters-phone-queue")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_plain_editor_still_works(live_server, browser, school, head):
    from tests.factories import DETAILS

    parent = PersonFactory(school=school, full_name="Amy Johnson", address="2 Lane")
    case = triaged_case(school, head, person=parent)
    letter = LetterFactory(case=case, actor=head, kind="reminder", details=DETAILS, person=parent)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/letters/{letter.pk}/")
    text = page.get_by_label("Letter text")
    assert text.is_visible() and "<p>" not in text.input_value()
    assert "[[conduct_summary]]" in text.input_value()
    text.fill(text.input_value() + "\n\nWith **thanks** from us.")
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_text("Draft saved.").is_visible()
    letter.refresh_from_db()
    assert "<p>With <strong>thanks</strong> from us.</p>" in letter.body_html
    page.screenshot(path=str(SCREENSHOTS / "letters-no-javascript.png"), full_page=True)
    context.close()
