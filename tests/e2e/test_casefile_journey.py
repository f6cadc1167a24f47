"""A head teacher makes the termly governors' report and a case file for the police with one
redacted screenshot (an area marked by dragging across it in the redaction tool), downloads
both, and the case file is read back with pypdf. The pages are checked at 360 px too."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from records.models import CaseFile, EvidenceRedaction
from tests.factories import case_with_everything, sar_from_turner
from tests.helpers import check_accessibility, nav_to, sign_in
from tests.images import image_bytes


def drag(page, locator, start, end) -> None:
    """Drag across a part of an element, in fractions of its size."""
    box = locator.bounding_box()
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=8)
    page.mouse.up()


def touch_drag(page, locator, start, end) -> None:
    """Drag a finger across a part of an element (Chromium's touch events, through CDP)."""
    box = locator.bounding_box()

    def at(fraction):
        return {
            "x": box["x"] + box["width"] * fraction[0],
            "y": box["y"] + box["height"] * fraction[1],
        }

    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(start)]})
    for step in range(1, 9):
        point = [start[i] + (end[i] - start[i]) * step / 8 for i in (0, 1)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [at(point)]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def downloaded(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    with open(info.value.path(), "rb") as f:
        return f.read()


@pytest.mark.django_db(transaction=True)
def test_head_makes_the_governors_report_and_a_redacted_case_file(
    live_server, desktop, phone, school, head, eager_tasks
):
    case = case_with_everything(school, head, image=image_bytes("PNG", size=(400, 300)))
    page = desktop
    sign_in(page, live_server.url, "head")

    # The termly report for governors.
    nav_to(page, "Statistics")
    page.goto(f"{live_server.url}/staff/reports/governors/")
    page.get_by_role("button", name="Make the PDF").click()
    link = page.get_by_role("link", name=re.compile(r"Download \(\d+ pages?\)")).first
    expect(link).to_be_visible(timeout=30_000)
    report = PdfReader(io.BytesIO(downloaded(page, link)))
    assert "termly report" in report.pages[0].extract_text()

    # The case: redact the screenshot by dragging across its top left quarter.
    page.goto(f"{live_server.url}/staff/cases/{case.reference}/")
    page.get_by_role("link", name="Make a case file").click()
    check_accessibility(page, "casefile-01-page")
    page.get_by_role("link", name="Mark areas to black out").click()
    canvas = page.locator(".redact-canvas")
    expect(canvas).to_be_visible()
    drag(page, canvas, (0.0, 0.0), (0.5, 0.5))
    expect(page.get_by_label("Area 1: width")).not_to_have_value("")
    expect(page.locator(".js-redact-live")).to_contain_text("Area 1 marked:")
    width = int(page.get_by_label("Area 1: width").input_value())
    assert 190 <= width <= 210  # half of the 400 px picture, in the picture's own pixels
    check_accessibility(page, "casefile-02-redact")
    page.get_by_role("button", name="Save the redacted copy").click()
    expect(page.get_by_text("Redacted copy made.")).to_be_visible()
    copy = EvidenceRedaction.objects.get()

    # The case file for the police, reporter withheld (the default), redacted images.
    page.get_by_label("The police").check()
    page.get_by_label("Name of the recipient").fill("DC Sam Okafor, Kent Police")
    page.get_by_role("button", name="Make the case file").click()
    link = page.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible(timeout=60_000)
    check_accessibility(page, "casefile-03-ready")
    pdf = downloaded(page, link)
    assert hashlib.sha256(pdf).hexdigest() == CaseFile.objects.get().pdf_sha256
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    contents = pages[0]
    assert "The police: DC Sam Okafor, Kent Police" in contents
    for title in ("Case summary", "The reports", "Evidence", "Chronology", "Letters sent"):
        number = int(re.search(rf"{title}[ .]*?(\d+)\s*$", contents, re.MULTILINE).group(1))
        assert pages[number - 1].lstrip().startswith(title)
    text = re.sub(r"\s+", "", "".join(pages))
    assert f"RedactedcopySHA-256:{copy.sha256}" in text
    assert "priya" not in text.lower()

    # The same pages on a phone.
    sign_in(phone, live_server.url, "head")
    phone.goto(f"{live_server.url}/staff/records/cases/{case.reference}/case-file/")
    check_accessibility(phone, "casefile-04-page")
    phone.goto(f"{live_server.url}/staff/records/evidence/{copy.evidence_id}/redact/")
    expect(phone.locator(".redact-canvas")).to_be_visible()
    check_accessibility(phone, "casefile-05-redact")
    # With a finger: a touch drag across the bottom right quarter marks a second area (the
    # first row holds the last copy's area, offered again).
    touch_drag(phone, phone.locator(".redact-canvas"), (0.5, 0.5), (0.99, 0.99))
    expect(phone.get_by_label("Area 2: from the left")).to_have_value(re.compile(r"^(19\d|20\d)$"))


@pytest.mark.django_db(transaction=True)
def test_a_disclosure_bundle_is_made_read_approved_and_released(
    live_server, desktop, phone, school, head, slt, eager_tasks
):
    case = case_with_everything(school, head, image=image_bytes("PNG"))
    sar = sar_from_turner(case, head)
    page = desktop
    sign_in(page, live_server.url, "deputy")
    page.goto(f"{live_server.url}/staff/records/sar/{sar.pk}/")
    page.get_by_label("Other names or phrases to hide").fill("Amelia Rose")
    page.get_by_role("button", name="Make the bundle").click()
    link = page.get_by_role("link", name="Download the PDF")
    expect(link).to_be_visible(timeout=60_000)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(downloaded(page, link))).pages)
    assert "Subject access disclosure" in text and "priya" not in text.lower()
    assert "Amelia" not in text
    page.get_by_role("button", name="Approve for release").click()
    expect(page.get_by_text("Tick the box to say you have read the whole bundle.")).to_be_visible()
    page.get_by_label("I have read the whole bundle").check()
    page.get_by_role("button", name="Approve for release").click()
    expect(page.get_by_text("Approved by Dan Deputy on")).to_be_visible()
    page.get_by_role("button", name="Record that it was released to Jason Turner").click()
    expect(page.get_by_text("Released to Jason Turner by Dan Deputy on")).to_be_visible()
    check_accessibility(page, "casefile-06-sar-bundle")
    sign_in(phone, live_server.url, "head")
    phone.goto(f"{live_server.url}/staff/records/sar/{sar.pk}/")
    check_accessibility(phone, "casefile-07-sar-bundle")


@pytest.mark.django_db(transaction=True)
def test_the_page_follows_a_case_file_being_made_without_a_reload(
    live_server, desktop, school, head, eager_tasks
):
    from records.casefile import casefile_build

    case = case_with_everything(school, head, image=image_bytes("PNG"))
    waiting = CaseFile.objects.create(
        school=school,
        case=case,
        purpose="solicitor",
        recipient_name="Hart & Co",
        case_ids=[case.pk],
        made_by=head,
        status="building",
        progress=40,
        progress_label="Gathering the record",
    )
    page = desktop
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/records/cases/{case.reference}/case-file/")
    expect(page.get_by_text("Being made: gathering the record (40%).")).to_be_visible()
    # The "reload" hint is for pages without JavaScript.
    expect(page.get_by_text("Reload this page")).to_be_hidden()
    CaseFile.objects.filter(pk=waiting.pk).update(status="queued")
    assert casefile_build(waiting.pk)
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible(timeout=15_000)
