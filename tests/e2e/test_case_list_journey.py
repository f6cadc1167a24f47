"""The case list at scale in Chromium: a link to a page that no longer exists says so and
shows the first page; a long list's CSV is prepared in the background and downloaded from
its own page — on a desktop and on a 360 px phone."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from incidents import exports
from incidents.models import CaseExport
from tests.factories import submit_report
from tests.helpers import check_accessibility, sign_in


@pytest.mark.django_db(transaction=True)
def test_a_long_list_is_exported_in_the_background(
    live_server, staff_page, staff_width, school, head, monkeypatch, eager_tasks
):
    monkeypatch.setattr(exports, "INLINE_MAX_ROWS", 2)
    for i in range(4):
        submit_report(school, reporter_name=f"Reporter {i}", reporter_email=f"r{i}@example.org")
    page = staff_page
    sign_in(page, live_server.url, "head")
    # A bookmarked cursor that cannot be read: the first page, with a line saying why.
    page.goto(f"{live_server.url}/staff/cases/?after=2026-01-01T00:00~oops")
    expect(page.get_by_role("status")).to_contain_text("this is the first page")
    expect(page.locator("table tbody tr")).to_have_count(4)
    check_accessibility(page, f"perf-case-list-old-link-{staff_width}")
    page.get_by_role("link", name="Download as CSV").click()
    expect(page.get_by_role("heading", name="Case list export")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Ready: 4 cases")
    check_accessibility(page, f"perf-case-export-ready-{staff_width}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the CSV").click()
    body = download_info.value.path().read_text()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == exports.HEADER and len(rows) == 5
    assert "Reporter" not in body and "@example.org" not in body
    # While a file is being built its page shows how far it has got.
    building = CaseExport.objects.create(
        user=head, status=CaseExport.Status.RUNNING, rows_total=80_000, rows_done=20_000
    )
    page.goto(f"{live_server.url}/staff/exports/{building.pk}/")
    expect(page.get_by_role("status")).to_contain_text("20,000 of 80,000 cases")
    expect(page.get_by_label("Progress")).to_have_attribute("value", "25")
    check_accessibility(page, f"perf-case-export-building-{staff_width}")
