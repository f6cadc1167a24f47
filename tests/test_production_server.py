"""From outside: a production-settings gunicorn on 127.0.0.1, asked over HTTP as a browser or an
attacker would, behind a (simulated) proxy that sets X-Forwarded-For and X-Forwarded-Proto.

Checks the security headers, the 413 for an oversized body before it is read, and the sign-in
lockout by real client address.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.helpers import PASSWORD, require_service

pytestmark = pytest.mark.e2e  # slow (collectstatic, a server): runs once, with the browser journeys

ROOT = Path(__file__).resolve().parent.parent
HOST = "conduct.school.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "CACHE_", "DATABASE_", "SCHOOLCONDUCT_"))
        and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL"}
    }
    env.update(
        SCHOOLCONDUCT_ENV="production",
        DJANGO_SETTINGS_MODULE="schoolconduct.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        FOLLOW_UP_CODE_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp / "private"),
        TRUSTED_PROXY_COUNT="1",
        AXES_FAILURE_LIMIT="3",
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["collectstatic", "--noinput", "-v0"],
        [
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model;"
            "from schools.models import School, Membership;"
            f"u = get_user_model().objects.create_user('head', password='{PASSWORD}');"
            "s = School.objects.create(name='Willow Park', slug='willow-park',"
            " reference_prefix='WPS');"
            "Membership.objects.create(user=u, school=s, role='slt')",
        ],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, timeout=180)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "schoolconduct.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("gunicorn did not start")
    yield port
    process.terminate()
    process.wait(timeout=20)


class Browser:
    """Just enough of a browser: cookies, and the proxy's headers on every request."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {
            "Host": HOST,
            # What the proxy adds: the client's address, and that it came over HTTPS.
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, text

    def sign_in(self, password: str):
        _, page = self.request("GET", "/staff/sign-in/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        body = urlencode(
            {"csrfmiddlewaretoken": token, "username": "head", "password": password}
        ).encode()
        return self.request(
            "POST",
            "/staff/sign-in/",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{HOST}/staff/sign-in/",
                "Origin": f"https://{HOST}",
            },
        )


def test_security_headers_on_a_staff_page(server):
    response, _ = Browser(server, "203.0.113.5").request("GET", "/staff/sign-in/")
    assert response.status == 200
    cache = {d.strip() for d in response.headers["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "Secure" in response.headers["Set-Cookie"]


def test_plain_http_is_sent_to_https(server):
    browser = Browser(server, "203.0.113.5")
    response, _ = browser.request("GET", "/staff/", headers={"X-Forwarded-Proto": "http"})
    assert response.status == 301 and response.headers["Location"].startswith("https://")


def test_a_60_mb_report_is_refused_before_it_is_sent(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.putrequest("POST", "/s/willow-park/report/", skip_host=True)
    for name, value in {
        "Host": HOST,
        "X-Forwarded-For": "203.0.113.5",
        "X-Forwarded-Proto": "https",
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(60 * 1024 * 1024),
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    started = time.monotonic()
    connection.send(b"--x\r\n" + b"\0" * 65536)  # a first piece, then the server answers
    response = connection.getresponse()
    text = response.read().decode()
    assert response.status == 413
    assert "That was too much to send at once" in text
    assert time.monotonic() - started < 10  # it did not wait for the other 60 MB
    connection.close()


def test_the_lockout_counts_the_address_the_proxy_saw(server):
    stranger = Browser(server, "198.51.100.7")
    statuses = [stranger.sign_in("guess")[0].status for _ in range(3)]
    assert statuses == [200, 200, 429]
    locked, page = stranger.sign_in(PASSWORD)
    assert locked.status == 429
    assert "You can try again at" in page and "198.51.100.7" in page
    # The head teacher, through the same proxy, from school: not locked out.
    head = Browser(server, "203.0.113.5")
    response, _ = head.sign_in(PASSWORD)
    assert response.status == 302 and response.headers["Location"] == "/staff/"


def test_the_compose_healthcheck_passes_against_the_production_server(server):
    """docker-compose's web healthcheck, run as written against the real server."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["healthcheck"]["test"]
    assert command[:3] == ["CMD", "python", "-c"]
    code = command[3].replace("127.0.0.1:8000", f"127.0.0.1:{server}")
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "ALLOWED_HOSTS": f"{HOST},www.{HOST}"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def proxy(server, tmp_path_factory):
    """deploy/nginx.conf itself, run by Debian's nginx in front of the server: only the
    upstream, the listening port and the certificates' place are changed."""
    nginx = Path("/usr/sbin/nginx")
    require_service("nginx", nginx.exists(), "apt-get install nginx (scripts/system-deps.sh)")
    tmp = tmp_path_factory.mktemp("proxy")
    certs = tmp / "certs"
    certs.mkdir()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")),
            *("-subj", f"/CN={HOST}"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port, plain_port = free_port(), free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = site.replace("server web:8000;", f"server 127.0.0.1:{server};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{plain_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
    site = site.replace("/etc/nginx/certs/", f"{certs}/")
    temp = "\n".join(
        f"  {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    (tmp / "nginx.conf").write_text(
        f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log off;\n{temp}\n"
        f"  uwsgi_temp_path {tmp / 'uwsgi'};\n  scgi_temp_path {tmp / 'scgi'};\n{site}\n}}\n"
    )
    conf = ["-c", str(tmp / "nginx.conf"), "-g", "daemon off; master_process off;"]
    checked = subprocess.run([nginx, "-t", *conf], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([nginx, *conf], stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port, certs / "fullchain.pem"
    process.terminate()
    process.wait(timeout=20)


def https(proxy: tuple[int, Path]) -> http.client.HTTPSConnection:
    port, certificate = proxy
    # Verified against the test's own certificate; it names the site, not 127.0.0.1.
    context = ssl.create_default_context(cafile=str(certificate))
    context.check_hostname = False
    return http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)


def through_proxy(proxy, method: str, path: str, body: bytes = b"", headers=None):
    connection = https(proxy)
    connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    text = response.read().decode(errors="replace")
    connection.close()
    return response, text


def test_the_proxy_refuses_a_60_mb_report_with_our_page(proxy):
    started = time.monotonic()
    connection = https(proxy)
    connection.putrequest("POST", "/s/willow-park/report/", skip_host=True)
    connection.putheader("Host", HOST)
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(60 * 1024 * 1024))
    connection.endheaders()
    connection.send(b"--x\r\n")
    response = connection.getresponse()
    text = response.read().decode()
    assert response.status == 413
    assert "That was too much to send at once" in text  # ours, through the app's Host
    assert time.monotonic() - started < 10


def test_the_proxy_sends_the_real_address_whatever_the_client_claims(proxy):
    response, page = through_proxy(proxy, "GET", "/staff/sign-in/")
    assert response.status == 200
    assert {"private", "no-store"} <= {
        d.strip() for d in response.headers["Cache-Control"].split(",")
    }
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"])[1]
    statuses = []
    for forged in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"):
        reply, text = through_proxy(
            proxy,
            "POST",
            "/staff/sign-in/",
            urlencode(
                {"csrfmiddlewaretoken": token, "username": "nobody", "password": "guess"}
            ).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
                "Referer": f"https://{HOST}/staff/sign-in/",
                "Origin": f"https://{HOST}",
                "X-Forwarded-For": forged,
            },
        )
        statuses.append(reply.status)
    # Every try counted against the address nginx saw, whatever the client wrote.
    assert statuses == [200, 200, 429, 429]
    assert "this address: <strong>127.0.0.1</strong>" in text
