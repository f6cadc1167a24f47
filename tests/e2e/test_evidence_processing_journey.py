"""A screenshot still being prepared, or whose preparation failed, on the case page in
Chromium at desktop and phone width: a clear status instead of a broken image, and "Try
again" brings the picture."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incidents.evidence import evidence_clean, evidence_store, inspect_image
from incidents.models import CleanStatus, Evidence, OcrStatus
from tests.factories import submit_report
from tests.helpers import check_accessibility, sign_in
from tests.images import png_upload

# The picture's width once the browser has it decoded (a broken image rejects).
LOADED = "img => img.decode().then(() => img.naturalWidth)"


def decoded_width(page, picture) -> int:
    """LOADED, with the page loaded again once if the first fetch of a just-made copy lost a
    race with the in-process task's write (SQLite in the test server; seen rarely in CI)."""
    from playwright.sync_api import Error

    try:
        return picture.evaluate(LOADED)
    except Error:
        page.reload()
        picture.wait_for()
        return picture.evaluate(LOADED)


@pytest.mark.django_db(transaction=True)
def test_processing_and_failed_pictures_on_the_case_page(
    live_server, staff_page, staff_width, school, head, eager_tasks
):
    report, _ = submit_report(school)
    shots = [inspect_image(png_upload(f"shot-{n}.png")) for n in range(3)]
    ready, waiting, failed = evidence_store(case=report.case, report=report, items=shots)
    unread = {"clean": "", "ocr_status": OcrStatus.PENDING, "ocr_text": ""}
    Evidence.objects.filter(pk=waiting.pk).update(**unread, clean_status=CleanStatus.PROCESSING)
    Evidence.objects.filter(pk=failed.pk).update(
        **unread, clean_status=CleanStatus.FAILED, clean_error="OSError: storage unreachable"
    )
    page = staff_page
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{report.case.reference}/")

    picture = page.locator(f"#evidence-{ready.pk} img.evidence-thumb")
    expect(picture).to_be_visible()
    assert picture.evaluate(LOADED) > 0
    expect(
        page.locator(f"#evidence-{waiting.pk} [data-evidence-status=processing]")
    ).to_contain_text("Processing…")
    expect(page.locator(f"#evidence-{waiting.pk} img")).to_have_count(0)
    expect(page.locator(f"#evidence-{waiting.pk}")).not_to_contain_text("Text being read")
    broken = page.locator(f"#evidence-{failed.pk} [data-evidence-status=failed]")
    expect(broken).to_contain_text("Picture could not be prepared")
    expect(broken).to_contain_text("OSError: storage unreachable")
    check_accessibility(page, f"evidence-processing-{staff_width}")
    page.goto(f"{live_server.url}/staff/evidence/{waiting.pk}/text/")  # its text page waits too
    waiting_box = page.locator("[data-evidence-status=processing]")
    expect(waiting_box).to_contain_text("Processing…")
    assert waiting_box.get_attribute("data-alt") == "The screenshot"
    check_accessibility(page, f"evidence-text-processing-{staff_width}")
    page.goto(f"{live_server.url}/staff/cases/{report.case.reference}/")

    broken.get_by_role("button", name="Try again").click()
    expect(page.get_by_text("The picture will be prepared again in a moment.")).to_be_visible()
    mended = page.locator(f"#evidence-{failed.pk} img.evidence-thumb")
    expect(mended).to_be_visible()
    mended.scroll_into_view_if_needed()
    assert decoded_width(page, mended) > 0
    check_accessibility(page, f"evidence-tried-again-{staff_width}")


@pytest.mark.django_db(transaction=True)
def test_a_picture_appears_when_its_copy_is_made_without_a_reload(
    live_server, page, school, head, broker_down
):
    report, _ = submit_report(school)
    [waiting] = evidence_store(
        case=report.case, report=report, items=[inspect_image(png_upload("later.png"))]
    )
    assert Evidence.objects.get(pk=waiting.pk).clean_status == CleanStatus.PROCESSING
    sign_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/staff/cases/{report.case.reference}/")
    expect(
        page.locator(f"#evidence-{waiting.pk} [data-evidence-status=processing]")
    ).to_be_visible()
    page.evaluate("() => { window.stillThisPage = true; }")

    evidence_clean(waiting.pk)  # what the worker does

    picture = page.locator(f"#evidence-{waiting.pk} img.evidence-thumb")
    expect(picture).to_be_visible(timeout=15_000)
    assert picture.evaluate(LOADED) > 0
    assert picture.get_attribute("alt") == "Screenshot 1: later.png"
    assert page.evaluate("() => window.stillThisPage") is True  # no reload
