"""Two factors for every member of staff: the sign-in step, enforcement, invitations."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model

from tests.helpers import PASSWORD, add_totp, fresh_code, recovery_codes

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/staff/sign-in/", data)


def test_password_alone_does_not_sign_in_a_user_with_a_second_factor(
    client, head, two_factor_required
):
    totp = add_totp(head)
    response = sign_in(client, "head")
    assert response.status_code == 302
    assert response["Location"] == "/staff/account/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302  # still signed out

    wrong = client.post("/staff/account/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    ok = client.post("/staff/account/2fa/authenticate/", {"code": fresh_code(totp)})
    assert ok.status_code == 302 and ok["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_a_code_cannot_be_used_twice(client, head, two_factor_required):
    totp = add_totp(head)
    code = fresh_code(totp)
    sign_in(client, "head")
    assert client.post("/staff/account/2fa/authenticate/", {"code": code}).status_code == 302
    client.post("/staff/sign-out/")
    sign_in(client, "head")
    replay = client.post("/staff/account/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200 and "_auth_user_id" not in client.session


def test_the_second_factor_step_keeps_where_the_user_was_going(client, head):
    totp = add_totp(head)
    sign_in(client, "head", next_url="/staff/bans/")
    ok = client.post("/staff/account/2fa/authenticate/", {"code": fresh_code(totp)})
    assert ok["Location"] == "/staff/bans/"


def test_a_recovery_code_works_once(client, head, two_factor_required):
    add_totp(head)
    code = recovery_codes(head)[0]
    sign_in(client, "head")
    assert client.post("/staff/account/2fa/authenticate/", {"code": code}).status_code == 302
    assert client.get("/staff/").status_code == 200
    client.post("/staff/sign-out/")
    sign_in(client, "head")
    again = client.post("/staff/account/2fa/authenticate/", {"code": code})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_without_a_second_factor_staff_pages_send_you_to_set_one_up(
    client, head, two_factor_required
):
    response = sign_in(client, "head")
    assert response["Location"] == "/staff/"
    for url in ("/staff/", "/staff/cases/", "/staff/letters/", "/admin/"):
        assert client.get(url)["Location"] == "/staff/account/2fa/", url
    # What they may still do: set one up, and sign out. Public pages are not staff pages.
    assert client.get("/staff/account/2fa/").status_code == 200
    assert client.get("/staff/account/2fa/totp/activate/").status_code == 200
    assert client.get("/privacy/").status_code == 200
    assert client.post("/staff/sign-out/").status_code == 302


def test_setting_up_an_authenticator_app_opens_the_staff_pages(
    client, head, two_factor_required, django_capture_on_commit_callbacks
):
    import pyotp

    sign_in(client, "head")
    page = client.get("/staff/account/2fa/totp/activate/")
    secret = page.context["form"].secret
    wrong = client.post("/staff/account/2fa/totp/activate/", {"code": "123456"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=head).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/staff/account/2fa/totp/activate/", {"code": fresh_code(pyotp.TOTP(secret))}
        )
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=head, type="totp").exists()
    assert client.get("/staff/").status_code == 200


def test_a_session_that_skipped_the_second_factor_is_signed_out(client, head, two_factor_required):
    # e.g. a session from before enforcement, or any sign-in that bypassed allauth's step.
    add_totp(head)
    client.force_login(head)
    response = client.get("/staff/cases/")
    assert response["Location"] == "/staff/sign-in/?next=%2Fstaff%2Fcases%2F"
    assert "_auth_user_id" not in client.session


def test_enforcement_off_is_the_demo_and_the_sign_in_page_says_so(client, head, settings):
    settings.REQUIRE_TWO_FACTOR = False
    page = client.get("/staff/sign-in/")
    assert "a second factor is not required on this server" in page.text
    assert sign_in(client, "head")["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_the_sign_in_page_does_not_mention_the_demo_when_enforced(client, two_factor_required):
    page = client.get("/staff/sign-in/")
    assert "not required" not in page.text
    assert "Use a passkey" in page.text


def test_the_admin_has_no_sign_in_of_its_own(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in/?next=/admin/"


def test_lockout_still_counts_failures_at_the_sign_in_page(client, head, settings):
    assert sign_in(client, "head", "wrong").status_code == 200
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "head", "wrong")
    assert sign_in(client, "head").status_code == 429


# --- Accepting an invitation -----------------------------------------------------------------


def invitation_link(mail) -> str:
    return re.search(r"(/staff/password-reset/[^/\s]+/[^/\s]+/)", mail.body).group(1)


NEW_PASSWORD = "a new long passphrase 42"


def accept(client, link: str, password: str = NEW_PASSWORD):
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_accepting_an_invitation_leads_straight_to_setting_up_a_second_factor(
    client, school, mailoutbox, settings
):
    admin_user = get_user_model().objects.create_superuser("admin", "a@x.example", "pw-12345")
    newcomer = get_user_model().objects.create_user("newbie", "newbie@school.example")
    client.force_login(admin_user)
    client.post(
        "/admin/auth/user/", {"action": "send_invitation", "_selected_action": [newcomer.pk]}
    )
    client.logout()
    settings.REQUIRE_TWO_FACTOR = True
    assert "set up two-factor sign-in" in mailoutbox[0].body

    response = accept(client, invitation_link(mailoutbox[0]))
    assert response.status_code == 302 and response["Location"] == "/staff/account/2fa/"
    assert client.session["_auth_user_id"] == str(newcomer.pk)
    page = client.get("/staff/account/2fa/")
    assert "Set up a second factor to continue" in page.text
    # No staff page before a second factor; setting one up needs no password again.
    assert client.get("/staff/")["Location"] == "/staff/account/2fa/"
    assert client.get("/staff/account/2fa/totp/activate/").status_code == 200


def test_a_reset_link_does_not_skip_an_existing_second_factor(client, head, mailoutbox):
    add_totp(head)
    client.post("/staff/password-reset/", {"email": head.email})
    response = accept(client, invitation_link(mailoutbox[0]))
    assert response["Location"] == "/staff/password-reset/complete/"
    assert "_auth_user_id" not in client.session


def test_changing_factors_needs_a_recent_password(client, head, time_machine):
    time_machine.move_to("2026-11-02 09:00", tick=False)
    sign_in(client, "head")
    assert client.get("/staff/account/2fa/totp/activate/").status_code == 200  # just signed in
    time_machine.move_to("2026-11-02 09:06", tick=False)
    response = client.get("/staff/account/2fa/totp/activate/")
    assert response["Location"].startswith("/staff/account/reauthenticate/")


def test_guessing_codes_is_stopped_after_five_tries(client, head, two_factor_required):
    totp = add_totp(head)
    sign_in(client, "head")
    for _ in range(5):
        client.post("/staff/account/2fa/authenticate/", {"code": "000000"})
    blocked = client.post("/staff/account/2fa/authenticate/", {"code": fresh_code(totp)})
    assert blocked.status_code == 200 and "Too many failed" in blocked.text
    assert "_auth_user_id" not in client.session


def test_authenticator_secrets_are_encrypted_and_survive_a_key_rotation(head, settings):
    from allauth.mfa.totp.internal.auth import TOTP
    from cryptography.fernet import InvalidToken

    totp = add_totp(head)
    stored = Authenticator.objects.get(user=head, type="totp")
    assert totp.secret not in str(stored.data)
    settings.MFA_ENCRYPTION_KEYS = ["a brand new key", *settings.MFA_ENCRYPTION_KEYS]
    assert TOTP(stored).validate_code(fresh_code(totp))
    settings.MFA_ENCRYPTION_KEYS = ["a brand new key"]
    with pytest.raises(InvalidToken):
        TOTP(stored).validate_code(fresh_code(totp))
