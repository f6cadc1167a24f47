"""Helpers shared by test modules (no test module imports another's): services a test needs,
waiting for a real worker, the resolver's URL names, the accessibility check."""

from __future__ import annotations

import datetime
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.db import OperationalError
from django.urls import URLPattern, URLResolver, get_resolver

IN_CI = os.environ.get("CI", "").lower() == "true"
# The personas of the access matrices, in column order.
ROLES = ["anon", "slt", "dsl", "office", "trust", "other"]
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "var/screenshots"))
PHONE_WIDTH = 360  # the narrowest phone staff pages are checked at


def require_service(name: str, available: bool, why: str) -> None:
    """Skip a test whose service is missing — but fail in CI, where every service must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is needed and not available in CI: {why}")
    pytest.skip(f"{name} not available: {why}")


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available(url: str | None = None) -> bool:
    parsed = urlparse(url or redis_url())
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OperationalError:  # SQLite's shared test database, busy with the worker
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


def url_names(namespace: str) -> set[str]:
    """Every URL name in a namespace, straight from the resolver."""
    names = set()

    def walk(patterns, current):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or current)
            elif isinstance(p, URLPattern) and current == namespace:
                names.add(p.name)

    walk(get_resolver().url_patterns, None)
    return names


def check_accessibility(page, name: str) -> None:
    """Run axe-core on the page; fail on any serious or critical violation. Also screenshot;
    at phone width (360 px) nothing may push the page sideways."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = (page.viewport_size or {}).get("width", 0)
    if width and width <= PHONE_WIDTH and "phone" not in name:
        name = f"{name}-phone"
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if width and width <= PHONE_WIDTH:
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


def sign_in(page, base: str, username: str) -> None:
    """Sign a persona in through the real sign-in page (browser journeys)."""
    page.goto(f"{base}/staff/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()


class time_machine_at:
    """Within the block the clock says 09:00 UTC on the date given; after it, 07:00 on
    23 November 2026 (the deadline tests' day)."""

    def __init__(self, machine, *date):
        self.machine, self.date = machine, date

    def __enter__(self):
        self.machine.move_to(datetime.datetime(*self.date, 9, 0, tzinfo=datetime.UTC))

    def __exit__(self, *exc):
        self.machine.move_to(datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC))
