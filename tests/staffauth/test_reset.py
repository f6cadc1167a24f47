"""Lost phone or key: an administrator resets a user's second factors, and it is logged."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db import connection

from staffauth.models import SecondFactorReset
from tests.helpers import add_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(db):
    return get_user_model().objects.create_superuser("admin", "a@x.example", "pw-12345")


def reset(client, user, **extra):
    return client.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [user.pk], **extra},
    )


def test_the_reset_asks_why_then_removes_every_factor_and_logs_it(client, administrator, head, dsl):
    add_totp(head)
    add_totp(dsl)
    client.force_login(administrator)

    asked = reset(client, head)
    assert asked.status_code == 200 and "Reset two-factor sign-in" in asked.text
    assert Authenticator.objects.filter(user=head).count() == 2  # nothing removed yet
    blank = reset(client, head, reason="   ")
    assert blank.status_code == 200 and "This field is required" in blank.text
    assert not SecondFactorReset.objects.exists()

    done = reset(client, head, reason="Phone lost; checked in person")
    assert done.status_code == 302
    assert not Authenticator.objects.filter(user=head).exists()
    assert Authenticator.objects.filter(user=dsl).count() == 2  # only the one selected
    [entry] = SecondFactorReset.objects.all()
    assert (entry.actor, entry.user, entry.removed, entry.reason) == (
        administrator,
        head,
        "recovery_codes, totp",
        "Phone lost; checked in person",
    )


def test_the_reset_signs_the_user_out_everywhere(client, administrator, head, settings):
    from django.test import Client

    add_totp(head)
    elsewhere = Client()
    elsewhere.force_login(head)
    assert elsewhere.get("/staff/").status_code == 200
    client.force_login(administrator)
    reset(client, head, reason="Key lost")
    assert elsewhere.get("/staff/")["Location"].startswith("/staff/sign-in/")
    assert client.get("/admin/").status_code == 200  # the administrator is still signed in


def test_the_reset_log_is_read_only_for_administrators(client, administrator, head):
    entry = SecondFactorReset.objects.create(actor=administrator, user=head, removed="totp")
    client.force_login(administrator)
    assert client.get("/admin/staffauth/secondfactorreset/").status_code == 200
    assert client.get("/admin/staffauth/secondfactorreset/add/").status_code == 403
    change = client.post(
        f"/admin/staffauth/secondfactorreset/{entry.pk}/change/", {"reason": "edited"}
    )
    assert change.status_code == 403
    delete = client.post(f"/admin/staffauth/secondfactorreset/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        SecondFactorReset.objects.filter(pk=entry.pk).update(reason="edited")
    with pytest.raises(PermissionError):
        SecondFactorReset.objects.all().delete()
    assert SecondFactorReset.objects.get().reason == ""


@pytest.mark.postgres
def test_postgresql_refuses_to_rewrite_the_reset_log(administrator, head):
    from django.db import DatabaseError, transaction

    entry = SecondFactorReset.objects.create(actor=administrator, user=head, removed="totp")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE staffauth_secondfactorreset SET reason = 'x' WHERE id = %s", [entry.pk]
        )


def test_after_a_reset_the_user_sets_up_a_new_factor_at_sign_in(
    client, administrator, head, settings
):
    add_totp(head)
    client.force_login(administrator)
    reset(client, head, reason="Phone lost")
    client.logout()
    settings.REQUIRE_TWO_FACTOR = True
    response = client.post(
        "/staff/sign-in/", {"username": "head", "password": "correct horse battery staple"}
    )
    assert response["Location"] == "/staff/"  # no second-factor step: there is none
    assert client.get("/staff/")["Location"] == "/staff/account/2fa/"


def test_a_user_with_a_reset_on_record_cannot_be_deleted(administrator, head):
    from django.db.models import ProtectedError

    SecondFactorReset.objects.create(actor=administrator, user=head, removed="totp")
    with pytest.raises(ProtectedError):
        head.delete()


def test_factors_are_listed_for_administrators_but_not_removed_there(client, administrator, head):
    add_totp(head)
    authenticator = Authenticator.objects.get(user=head, type="totp")
    client.force_login(administrator)
    assert "head" in client.get("/admin/mfa/authenticator/").text
    delete = client.post(f"/admin/mfa/authenticator/{authenticator.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()
