"""A parent on a 360 px phone attaches a WhatsApp export, picks two messages and reports;
SLT quote one of them into a formal warning, which carries the exact words and time."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from incidents import redaction
from incidents.evidence import evidence_store, inspect_image
from incidents.models import Evidence, ExcerptMessage, Person, Report
from letters.models import Letter
from tests.factories import triage
from tests.helpers import check_accessibility, sign_in
from tests.images import image_bytes, upload


def chat_export(day: datetime.date) -> bytes:
    d = f"{day:%d/%m/%Y}"
    return (
        f"{d}, 19:40 - Messages and calls are end-to-end encrypted. No one outside of this "
        "chat, not even WhatsApp, can read or listen to them.\n"
        f"{d}, 19:41 - Jane Smith added \u202a+44 7700 900456\u202c\n"
        f"{d}, 19:42 - Tom Brown: Has anyone seen the letter about the trip?\n"
        f"{d}, 19:43 - Mark Jones: Mrs Carter is useless and everyone knows it.\n"
        "She should be sacked.\n"
        f"{d}, 19:44 - Jane Smith: That's not fair\n"
        f"{d}, 19:45 - Mark Jones: Someone should wait for her after school \U0001f621\n"
        f"{d}, 19:46 - Tom Brown: Please keep it civil everyone\n"
        + "".join(f"{d}, 20:{i:02d} - Tom Brown: Later message {i}\n" for i in range(10))
    ).encode()


@pytest.mark.django_db(transaction=True)
def test_parent_picks_two_messages_and_slt_quote_one_into_a_warning(
    live_server, browser, phone, school, head, tmp_path
):
    day = timezone.localdate() - datetime.timedelta(days=1)
    export = tmp_path / "WhatsApp Chat with Year 3 parents.txt"
    export.write_bytes(chat_export(day))
    page = phone

    page.goto(f"{live_server.url}/s/{school.slug}/report/")
    page.get_by_role("link", name="Attach a WhatsApp chat export").click()
    # Told before uploading what is kept and what is deleted.
    assert page.get_by_text("deleted as soon as you tick your messages").is_visible()
    check_accessibility(page, "chat-01-upload")
    page.get_by_label("WhatsApp chat export").set_input_files(str(export))
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/report/chat/pick/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    check_accessibility(page, "chat-02-pick")
    # Search as you type (JavaScript) narrows the list on the page.
    page.get_by_label("Find messages").fill("useless")
    assert page.locator(".chat-pick-item:visible").count() == 1
    page.get_by_text("Mrs Carter is useless and everyone knows it.").click()
    page.get_by_label("Find messages").fill("wait for her")
    page.get_by_text("Someone should wait for her after school").click()
    page.get_by_label("Find messages").fill("")
    assert page.locator(".chat-pick-item:visible").count() == 15
    page.get_by_label("Which name in these messages is you?").select_option("Jane Smith")
    page.screenshot(path=str(tmp_path / "pick.png"), full_page=True)
    page.get_by_role("button", name="Use the ticked messages").click()

    page.wait_for_url("**/report/")
    assert page.get_by_text("2 messages attached").is_visible()
    assert (
        page.get_by_label("What was posted?")
        .input_value()
        .startswith(f"[{day:%d/%m/%Y} 19:43] Mrs Carter is useless")
    )
    assert page.get_by_label("When was it posted?").input_value() == day.isoformat()
    check_accessibility(page, "chat-03-report-form")
    page.get_by_label("Which group was it posted in?").select_option(label="Year 3 parents")
    page.get_by_label("No abusive or personal comments").check()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url("**/report/receipt/")
    reference = page.locator("#receipt-reference").inner_text()

    report = Report.objects.get(reference=reference)
    kept = list(ExcerptMessage.objects.filter(excerpt__report=report).order_by("position"))
    assert [m.text[:22] for m in kept if m.picked] == [
        "Mrs Carter is useless ",
        "Someone should wait fo",
    ]
    assert not any("7700" in m.text or "7700" in m.sender for m in kept)
    assert [m.sender for m in kept if m.from_reporter] == ["Jane Smith"]

    # SLT: triage, then quote Mark's first message into a formal warning.
    case = report.case
    parent = Person.objects.create(school=school, full_name="Mr Mark Jones", address="1 Lane")
    triage(case, head, person=parent)
    # A screenshot whose text has been read, with suggestions to confirm (OCR itself is
    # tested on a real worker in tests/incidents/test_evidence_text.py).
    [shot] = evidence_store(
        case=case, report=report, items=[inspect_image(upload(image_bytes("PNG"), "s.png"))]
    )
    Evidence.objects.filter(pk=shot.pk).update(
        ocr_status="done",
        ocr_text="Call me on 07700 900123",
        redaction_suggestions=redaction.suggest("Call me on 07700 900123"),
    )
    slt = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = slt.new_page()
    sign_in(desk, live_server.url, "head")
    desk.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    message = desk.locator(f"#chat-{kept[1].pk}")
    assert "reported" in message.inner_text()
    check_accessibility(desk, "chat-04-case")
    desk.locator(f"#evidence-{shot.pk}").get_by_role("button", name="Confirm").click()
    assert desk.get_by_text("07700 900123” confirmed for redaction").is_visible()
    desk.set_viewport_size({"width": 360, "height": 740})
    assert desk.evaluate("document.documentElement.scrollWidth") <= 360
    check_accessibility(desk, "chat-05-case-phone")
    desk.set_viewport_size({"width": 1280, "height": 900})
    desk.locator(f"#evidence-{shot.pk}").get_by_role("link", name="Correct the text").click()
    check_accessibility(desk, "chat-06-correct-text")
    desk.get_by_label("Text in this screenshot").fill("Call me on 07700 900123 tonight")
    desk.get_by_role("button", name="Save the text").click()
    assert desk.get_by_text("Call me on 07700 900123 tonight").is_visible()
    desk.locator(f"#evidence-{shot.pk}").get_by_role("link", name="Sensitive names").click()
    check_accessibility(desk, "chat-07-sensitive-names")
    desk.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    message.get_by_text("Quote in a letter").click()
    message.get_by_role("link", name="Formal warning").click()
    quote = f"At 19:43 on {day:%d/%m/%Y}: “Mrs Carter is useless and everyone knows it."
    assert desk.locator("#id_conduct_summary").input_value().startswith(quote)
    desk.get_by_label("How will it be delivered?").select_option("post")
    desk.locator("#id_impact").fill("The teacher was upset.")
    desk.locator("#id_change_required").fill("Raise concerns with the school directly.")
    desk.locator("#id_response_deadline").fill("5 December 2026")
    desk.get_by_role("button", name="Draft the letter").click()
    assert desk.get_by_text("Dear Mr Mark Jones").first.is_visible()
    letter = Letter.objects.get()
    assert "Mrs Carter is useless and everyone knows it." in letter.body_html
    assert f"At 19:43 on {day:%d/%m/%Y}" in letter.body_html
    assert "Jane Smith" not in letter.body_html
    # And the letter as it will print says it too.
    href = desk.get_by_role("link", name="Preview exactly as it will print").get_attribute("href")
    pdf = desk.request.get(live_server.url + href)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "Mrs Carter is useless and everyone knows it." in " ".join(text.split())
    assert f"At 19:43 on {day:%d/%m/%Y}" in text
    slt.close()
