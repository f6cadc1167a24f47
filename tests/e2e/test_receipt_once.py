"""In Chromium: the receipt shows the follow-up code once — not after a reload, not with the
back button (the back/forward cache included)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.helpers import check_accessibility


def send_report(page, base: str, school) -> str:
    page.goto(f"{base}/s/{school.slug}/report/")
    page.get_by_label("What was posted?").fill("The teacher is a liar.")
    page.get_by_label("Which group was it posted in?").select_option(label="Year 3 parents")
    posted = timezone.localdate() - datetime.timedelta(days=1)
    page.get_by_label("When was it posted?").fill(posted.isoformat())
    page.get_by_label("No abusive or personal comments").check()
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url("**/report/receipt/")
    code = page.locator("#receipt-code").inner_text()
    assert len(code) == 19
    return code


@pytest.mark.django_db(transaction=True)
def test_reload_and_back_button_never_show_the_code_again(live_server, phone, school):
    code = send_report(phone, live_server.url, school)
    phone.reload()
    assert phone.locator("#receipt-code").count() == 0
    assert code not in phone.content()
    assert phone.locator("#code-shown-once").is_visible()
    assert phone.locator("#receipt-reference").inner_text().startswith("WPS-")
    check_accessibility(phone, "receipt-after-reload")

    code = send_report(phone, live_server.url, school)
    phone.goto(f"{live_server.url}/s/{school.slug}/")
    phone.go_back()
    phone.wait_for_load_state("load")
    phone.wait_for_selector("#receipt-reference")
    assert code not in phone.content()
    assert phone.locator("#code-shown-once").is_visible()
