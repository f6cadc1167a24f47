"""Browser journeys in Debian's Chromium, driven by Playwright, checked with axe-core."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

PHONE_WIDTH = 360

SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "var/screenshots"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright():
    # Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
    # in a thread with a running loop unless told this is safe (it is: the test drives it
    # serially). Tests that start subprocesses drop it from their environment.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _chromium_present():
    require_service(
        "Chromium", Path(CHROMIUM).exists(), f"{CHROMIUM} missing (apt-get install chromium)"
    )


@pytest.fixture
def phone(browser):
    """A page the size of a small phone (360 px wide)."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(params=[1280, PHONE_WIDTH], ids=["desktop", "phone"])
def staff_width(request) -> int:
    """The staff journeys run twice: on a desktop, and again on a 360 px phone."""
    return request.param


@pytest.fixture
def staff_page(browser, staff_width):
    """A page for a staff journey, at each of `staff_width`'s sizes."""
    context = browser.new_context(viewport={"width": staff_width, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def check_accessibility(page, name: str) -> None:
    """Run axe-core on the page; fail on any serious or critical violation. Also screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = (page.viewport_size or {}).get("width", 0)
    if width and width <= PHONE_WIDTH and "phone" not in name:
        name = f"{name}-phone"
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if width and width <= PHONE_WIDTH:
        # On a phone nothing may push the page sideways.
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name}: {scroll} px wide at {width} px ({page.url})"
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"axe on {name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(n.get("target")) for n in v["nodes"][:3])
        for v in bad
    )


def nav_to(page, name: str) -> None:
    """Follow a link of the staff menu, opening the menu first where it is folded (a phone)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.locator("#staff-nav.show").wait_for()
    page.locator("#staff-nav").get_by_role("link", name=name, exact=True).click()
