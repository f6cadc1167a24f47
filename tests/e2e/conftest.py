"""Browser journeys in Debian's Chromium, driven by Playwright, checked with axe-core."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import PHONE_WIDTH, require_service

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


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
