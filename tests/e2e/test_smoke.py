"""The riskiest CI step first: a real Chromium loads a page and axe-core finds no problems."""

import pytest

from tests.helpers import check_accessibility


@pytest.mark.django_db(transaction=True)
def test_school_page_in_chromium_is_accessible(live_server, phone, school):
    phone.goto(f"{live_server.url}/s/{school.slug}/")
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Code of conduct")
    assert phone.get_by_role("link", name="Report a concern").is_visible()
    # Nothing wider than the phone: no sideways scrolling at 360 px.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    check_accessibility(phone, "school-page-phone")
