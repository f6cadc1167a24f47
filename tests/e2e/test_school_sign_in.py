"""Sign in with the school's own account (OpenID Connect) against a real provider:
node-oidc-provider, started here in a subprocess, reached by Chromium and by the app."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth import get_user_model

from schools.models import Role
from staffauth.models import SchoolSignIn
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import check_accessibility, require_service

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"
APP_ID = "willow-m365"
BUTTON = "Continue with Willow Park (Microsoft 365)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def oidc_provider(live_server):
    """node-oidc-provider on a free port, with one client: this app's callback."""
    node = shutil.which("node")
    require_service("Node.js", node is not None, "install nodejs (scripts/system-deps.sh oidc)")
    require_service(
        "oidc-provider",
        (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(),
        "run: bash scripts/system-deps.sh oidc",
    )
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "OIDC_PORT": str(port),
        "OIDC_CLIENT_ID": "schoolconduct",
        "OIDC_CLIENT_SECRET": "a-long-test-secret-for-the-local-provider",
        "OIDC_REDIRECT_URI": f"{live_server.url}/staff/account/oidc/{APP_ID}/login/callback/",
    }
    process = subprocess.Popen(
        [node, "server.mjs"],
        cwd=PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "listening" in line or process.poll() is not None:
            break
    assert process.poll() is None, "oidc-provider did not start: " + process.stdout.read()
    yield {"issuer": f"http://127.0.0.1:{port}", **env}
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def school_sign_in(oidc_provider, school):
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=APP_ID,
        name="Willow Park (Microsoft 365)",
        client_id=oidc_provider["OIDC_CLIENT_ID"],
        secret=oidc_provider["OIDC_CLIENT_SECRET"],
        settings={"server_url": oidc_provider["issuer"]},
    )
    return SchoolSignIn.objects.create(app=app, school=school, email_domain="willowpark.sch.uk")


@pytest.fixture
def invited(school):
    user = UserFactory(username="helen", email="helen.carter@willowpark.sch.uk")
    MembershipFactory(user=user, school=school, role=Role.SLT)
    return user


def sign_in_at_the_provider(page, live_server, login: str) -> None:
    page.goto(f"{live_server.url}/staff/sign-in/")
    page.get_by_role("button", name=BUTTON).click()
    # node-oidc-provider's own sign-in form (its development interactions).
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()


@pytest.mark.django_db(transaction=True)
def test_invited_staff_sign_in_with_their_school_account(
    live_server, desktop, school_sign_in, invited, settings
):
    settings.REQUIRE_TWO_FACTOR = True  # the school's provider is the second factor (docs)
    page = desktop
    page.goto(f"{live_server.url}/staff/sign-in/")
    check_accessibility(page, "sign-in-01-with-school-account")
    sign_in_at_the_provider(page, live_server, "helen.carter@willowpark.sch.uk")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    [account] = SocialAccount.objects.all()
    assert account.user == invited and account.uid == "helen.carter@willowpark.sch.uk"

    # Signed out and in again: the linked account goes straight through.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert SocialAccount.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("login", "why"),
    [
        ("stranger@willowpark.sch.uk", "no SchoolConduct staff account"),
        ("helen.carter@gmail.example", "Only willowpark.sch.uk accounts"),
        ("unverified:helen.carter@willowpark.sch.uk", "did not confirm your email"),
    ],
)
def test_unknown_or_wrong_domain_accounts_are_refused(
    live_server, desktop, school_sign_in, invited, login, why
):
    # A user with the wrong-domain address exists: the domain rule still refuses it.
    UserFactory(username="lookalike", email="helen.carter@gmail.example")
    users = get_user_model().objects.count()
    page = desktop
    sign_in_at_the_provider(page, live_server, login)
    assert page.get_by_role("heading", name="You cannot sign in with this account").is_visible()
    assert why in page.locator("main").inner_text()
    check_accessibility(page, "sign-in-02-refused")
    assert get_user_model().objects.count() == users
    assert not SocialAccount.objects.exists()
    page.goto(f"{live_server.url}/staff/")
    assert "/staff/sign-in/" in page.url
