"""Helpers shared by test modules (no test module imports another's): services a test needs,
waiting for a real worker, settings read in a fresh process, codes from an authenticator app,
the resolver's URL names, the accessibility check."""

from __future__ import annotations

import datetime
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
    link = page.locator("#staff-nav").get_by_role("link", name=name, exact=True)
    if not link.is_visible():  # a set-up page, folded under "More"
        page.locator("#staff-nav .nav-more summary").click()
    link.click()


def sign_in(page, base: str, username: str) -> None:
    """Sign a persona in through the real sign-in page (browser journeys)."""
    page.goto(f"{base}/staff/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


class S3Bucket:
    """A bucket on the tests' local S3 server, and what is in it."""

    def __init__(self, endpoint: str, name: str) -> None:
        import boto3

        self.endpoint, self.name = endpoint, name
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="eu-west-2",
        )

    @classmethod
    def create(cls, endpoint: str) -> S3Bucket:
        import uuid

        bucket = cls(endpoint, f"schoolconduct-{uuid.uuid4().hex[:12]}")
        bucket.client.create_bucket(
            Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        return bucket

    def options(self) -> dict[str, str]:
        """schoolconduct.storage.s3_options' arguments for this bucket (without the prefix)."""
        return {
            "bucket": self.name,
            "endpoint_url": self.endpoint,
            "access_key": "test",
            "secret_key": "test",
            "region": "eu-west-2",
        }

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def is_private(self, key: str) -> bool:
        grants = self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]
        return all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers, no group


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listens on port {port}")


class HttpResponse:
    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class HttpSession:
    """Just enough of a browser over real HTTP to a server on 127.0.0.1: cookies, CSRF
    headers, forms and multipart uploads."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes = b"", headers=None) -> HttpResponse:
        import http.client
        from http.cookies import SimpleCookie

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        origin = f"http://127.0.0.1:{self.port}"
        sent = {
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Origin": origin,
            "Referer": origin + path,
            **(headers or {}),
        }
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return HttpResponse(response.status, response.headers, data)

    def get(self, path: str) -> HttpResponse:
        return self.request("GET", path)

    def post_multipart(self, path: str, fields: dict, files: dict) -> HttpResponse:
        import uuid

        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{'' if item is None else item}\r\n".encode()
                )
        for name, (filename, content_type, data) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        kind = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, body, {"Content-Type": kind})

    def sign_in(self, username: str, password: str) -> HttpResponse:
        import re

        page = self.get("/staff/sign-in/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        fields = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        return self.post_multipart("/staff/sign-in/", fields, files={})


def frozen_at(day, hour: int = 9):
    """time-machine standing still at `hour` (UTC) on `day`."""
    import datetime

    import time_machine

    moment = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)
    return time_machine.travel(moment, tick=False)


class time_machine_at:
    """Within the block the clock says 09:00 UTC on the date given; after it, 07:00 on
    23 November 2026 (the deadline tests' day)."""

    def __init__(self, machine, *date):
        self.machine, self.date = machine, date

    def __enter__(self):
        self.machine.move_to(datetime.datetime(*self.date, 9, 0, tzinfo=datetime.UTC))

    def __exit__(self, *exc):
        self.machine.move_to(datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC))
