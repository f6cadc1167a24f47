"""Two-factor sign-in in Chromium: an authenticator app (codes computed here with pyotp) with a
recovery code, and a passkey on Chromium's virtual authenticator (CDP WebAuthn domain)."""

from __future__ import annotations

import pyotp
import pytest

from tests.helpers import PASSWORD, check_accessibility, fresh_code


@pytest.fixture
def enforced(settings):
    settings.REQUIRE_TWO_FACTOR = True


def password_sign_in(page, live_server, username: str = "head") -> None:
    page.goto(f"{live_server.url}/staff/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/sign-in/")


@pytest.mark.django_db(transaction=True)
def test_authenticator_app_journey_with_a_recovery_code(live_server, desktop, head, enforced):
    page = desktop
    password_sign_in(page, live_server)
    # No second factor yet: no staff page, only setting one up.
    page.wait_for_url(f"{live_server.url}/staff/account/2fa/")
    assert page.get_by_text("Set up a second factor to continue").is_visible()
    check_accessibility(page, "2fa-01-set-up")
    page.goto(f"{live_server.url}/staff/cases/")
    page.wait_for_url(f"{live_server.url}/staff/account/2fa/")

    page.get_by_role("link", name="Set up an authenticator app").click()
    check_accessibility(page, "2fa-02-authenticator-app")
    totp = pyotp.TOTP(page.locator("#authenticator_secret").input_value())
    page.get_by_label("Authenticator code").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Activate").click()
    assert page.get_by_text("Incorrect code").is_visible()
    page.get_by_label("Authenticator code").fill(fresh_code(totp))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/2fa/recovery-codes/")
    check_accessibility(page, "2fa-03-recovery-codes")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    page.goto(f"{live_server.url}/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # Password, then a code from the app.
    sign_out(page)
    password_sign_in(page, live_server)
    page.wait_for_url("**/staff/account/2fa/authenticate/")
    check_accessibility(page, "2fa-04-code")
    page.get_by_label("Code").fill(fresh_code(totp))
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # A recovery code works once.
    for attempt in ("first", "again"):
        sign_out(page)
        password_sign_in(page, live_server)
        page.get_by_label("Code").fill(codes[0])
        page.get_by_role("button", name="Sign in").click()
        if attempt == "first":
            assert page.get_by_role("heading", name="Dashboard").is_visible()
        else:
            assert page.get_by_text("Incorrect code").is_visible()
            assert "/2fa/authenticate/" in page.url


def add_virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, result["authenticatorId"]


@pytest.mark.django_db(transaction=True)
def test_a_passkey_is_registered_and_signs_in(live_server, desktop, head, enforced):
    from allauth.mfa.models import Authenticator

    page = desktop
    cdp, authenticator_id = add_virtual_authenticator(page)
    password_sign_in(page, live_server)
    page.wait_for_url(f"{live_server.url}/staff/account/2fa/")
    page.get_by_role("link", name="Add a passkey").click()
    check_accessibility(page, "2fa-05-add-passkey")
    page.get_by_label("Name").fill("Work laptop")
    assert page.get_by_label("Passwordless").is_checked()  # a passkey signs in on its own
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url("**/2fa/recovery-codes/")
    [passkey] = Authenticator.objects.filter(user=head, type="webauthn")
    assert passkey.wrap().name == "Work laptop" and passkey.wrap().is_passwordless
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    page.goto(f"{live_server.url}/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # The passkey alone (it verifies the user): no password typed.
    sign_out(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # Or as the second step after the password.
    sign_out(page)
    password_sign_in(page, live_server)
    page.wait_for_url("**/staff/account/2fa/authenticate/")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()

    # Without the authenticator the passkey cannot be used, and nobody is signed in.
    sign_out(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator_id})
    page.goto(f"{live_server.url}/staff/")
    assert "/staff/sign-in/" in page.url
