"""Helpers shared by test modules (no test module imports another's): services a test needs,
waiting for a real worker, settings read in a fresh process, codes from an authenticator app,
the resolver's URL names, the accessibility check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pyotp
import pytest
from django.db import OperationalError
from django.urls import URLPattern, URLResolver, get_resolver

IN_CI = os.environ.get("CI", "").lower() == "true"
# The personas of the access matrices, in column order.
ROLES = ["anon", "slt", "dsl", "office", "trust", "other"]
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "var/screenshots"))
PHONE_WIDTH = 360  # the narrowest phone staff pages are checked at
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"  # every persona's (tests.factories.UserFactory)


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


# Settings as production reads them, in a fresh process (settings are read once, at start).
PROD_ENV = {
    "SCHOOLCONDUCT_ENV": "production",
    "SECRET_KEY": "k" * 30 + "Q7!x" * 10,
    "FOLLOW_UP_CODE_KEY": "f" * 30 + "Z9?w" * 10,
    "ALLOWED_HOSTS": "conduct.school.example",
    "SITE_URL": "https://conduct.school.example",
    "DATABASE_URL": "sqlite:////tmp/schoolconduct-prod-check.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def run_django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() in a new process with only `env` of our variables."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DJANGO_SETTINGS_MODULE",
            "SCHOOLCONDUCT_ENV",
            "DEBUG",
            "SECRET_KEY",
            "FOLLOW_UP_CODE_KEY",
            "ALLOWED_HOSTS",
            "SITE_URL",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
        }
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "schoolconduct.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_value(name: str, env: dict[str, str]) -> str:
    result = run_django(f"from django.conf import settings; print(repr(settings.{name}))", env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def add_totp(user) -> pyotp.TOTP:
    """Give the user an authenticator app (and recovery codes) as allauth stores them."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return pyotp.TOTP(secret)


def fresh_code(totp: pyotp.TOTP) -> str:
    """The current code, with at least 5 seconds of its 30 left: no test fails because the
    code changed between typing and sending it."""
    left = totp.interval - time.time() % totp.interval
    if left < 5:
        time.sleep(left + 0.1)
    return totp.now()


def recovery_codes(user) -> list[str]:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    return RecoveryCodes(
        Authenticator.objects.get(user=user, type="recovery_codes")
    ).get_unused_codes()


def access_failures(client, personas, url: str, expected, where: str) -> list[str]:
    """GET `url` as each persona in the matrices' column order (`ROLES`); a line for every
    status code that differs from the one `expected` gives that persona."""
    failures = []
    for role, status in zip(ROLES, expected, strict=True):
        client.logout()
        if personas[role] is not None:
            client.force_login(personas[role])
        got = client.get(url).status_code
        if got != status:
            failures.append(f"{role} {where}: {got}, expected {status}")
    return failures


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
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
