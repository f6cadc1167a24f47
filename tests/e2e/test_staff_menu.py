"""The staff menu fits on one line at laptop widths, for the role with the most links."""

from __future__ import annotations

import pytest

from tests.helpers import PHONE_WIDTH, check_accessibility, nav_to, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1200, 1280, 1366, 1440])
def test_the_menu_fits_and_each_link_stays_on_one_line(live_server, browser, trust_exec, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, live_server.url, trust_exec.username)
    page.goto(f"{live_server.url}/staff/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    heights = page.eval_on_selector_all(
        "#staff-nav .nav-link, #staff-nav .navbar-text",
        "els => els.map(e => [e.textContent.trim(), e.getBoundingClientRect().height])",
    )
    tall = [(text, h) for text, h in heights if h > 48]
    assert not tall, tall
    # The set-up pages are one click away under "More", and the menu keeps fitting open.
    page.locator("#staff-nav .nav-more summary").click()
    check_accessibility(page, f"staff-menu-more-{width}")
    page.locator("#staff-nav").get_by_role("link", name="Term dates").click()
    page.wait_for_url(f"{live_server.url}/staff/calendar/**")
    context.close()


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_more_opens_in_place_in_the_folded_menu(live_server, phone, trust_exec):
    sign_in(phone, live_server.url, trust_exec.username)
    phone.goto(f"{live_server.url}/staff/")
    phone.locator(".navbar-toggler").click()
    phone.locator("#staff-nav.show").wait_for()
    phone.locator("#staff-nav .nav-more summary").click()
    check_accessibility(phone, "staff-menu-more")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    phone.goto(f"{live_server.url}/staff/")
    nav_to(phone, "Data protection")  # the helper opens the menu and "More" as a person would
    phone.wait_for_url(f"{live_server.url}/staff/records/**")
