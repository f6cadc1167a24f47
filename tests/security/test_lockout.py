"""Sign-in lockout: per username *and* real client address behind the proxy, told when to retry,
lifted by an administrator with a record of it."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from security.models import LockoutRelease
from tests.factories import UserFactory

URL = "/staff/sign-in/"
PASSWORD = "correct horse battery staple"
PROXY = "10.0.0.2"  # what REMOTE_ADDR is behind the proxy, for everybody
ATTACKER = "198.51.100.7"
HEAD_AT_SCHOOL = "203.0.113.5"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 15 / 60


def sign_in(client, password: str, forwarded: str, username: str = "head"):
    return client.post(
        URL,
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_a_stranger_guessing_cannot_lock_the_head_out_from_elsewhere(client, head, behind_proxy):
    statuses = [sign_in(client, "guess", ATTACKER).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]  # the failure that reaches the limit locks
    assert sign_in(client, PASSWORD, ATTACKER).status_code == 429
    # Forging a left-hand X-Forwarded-For entry does not help: the proxy's entry is the last.
    assert sign_in(client, PASSWORD, f"{HEAD_AT_SCHOOL}, {ATTACKER}").status_code == 429
    # The head teacher, through the same proxy from school, signs in.
    ok = sign_in(client, PASSWORD, HEAD_AT_SCHOOL)
    assert ok.status_code == 302 and ok["Location"] == "/staff/"
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("head", ATTACKER)


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_header_is_ignored(client, head, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 2
    for forged in ("192.0.2.1", "192.0.2.2"):
        sign_in(client, "guess", forged)
    # A forged header cannot escape the lock when the app is not behind a proxy.
    assert sign_in(client, PASSWORD, "192.0.2.3").status_code == 429
    assert AccessAttempt.objects.get().ip_address == PROXY


@pytest.mark.django_db
def test_the_page_says_what_happened_and_when_to_retry(client, head, behind_proxy):
    start = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 0, 0))
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            sign_in(client, "guess", ATTACKER)
        locked = sign_in(client, PASSWORD, ATTACKER)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text
    assert "After 3 wrong passwords" in locked.text
    assert "You can try again at <strong>09:15</strong> (in about 15 minutes)" in locked.text
    assert ATTACKER in locked.text  # what to tell the administrator
    # One second before the pause ends it still holds — and, as the page says, trying again
    # during the pause starts it again; once it has run out, the right password works.
    with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=-1), tick=False):
        still = sign_in(client, PASSWORD, ATTACKER)
    assert still.status_code == 429
    assert "try again at <strong>09:29</strong> (in about 15 minutes)" in still.text
    assert "Each try during the pause starts it again" in still.text
    with time_machine.travel(start + datetime.timedelta(minutes=30), tick=False):
        assert sign_in(client, PASSWORD, ATTACKER).status_code == 302


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_an_administrator_unlocks_and_the_unlock_is_recorded(
    client, head, administrator, behind_proxy
):
    for _ in range(3):
        sign_in(client, "guess", HEAD_AT_SCHOOL)
    attempt = AccessAttempt.objects.get()

    admin = client.__class__()
    admin.force_login(administrator)
    changelist = "/admin/axes/accessattempt/"
    page = admin.get(changelist)
    assert page.status_code == 200 and "Unlock the selected" in page.text
    assert "Delete selected" not in page.text  # only the recorded unlock removes a lock
    done = admin.post(
        changelist, {"action": "unlock", "_selected_action": [attempt.pk]}, follow=True
    )
    assert "Unlocked 1: head from 203.0.113.5 unlocked by admin" in done.text

    record = LockoutRelease.objects.get()
    assert (record.username, record.ip_address, record.failures) == ("head", HEAD_AT_SCHOOL, 3)
    assert record.released_by == administrator and record.released_by_name == "admin"
    assert abs((timezone.now() - record.released_at).total_seconds()) < 60
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, PASSWORD, HEAD_AT_SCHOOL).status_code == 302

    # The record is there for administrators to read, and cannot be edited or removed.
    listing = admin.get("/admin/security/lockoutrelease/")
    assert listing.status_code == 200 and "203.0.113.5" in listing.text
    assert admin.post(f"/admin/security/lockoutrelease/{record.pk}/delete/").status_code == 403
    with pytest.raises(ValueError):
        record.save()


@pytest.mark.django_db
def test_staff_without_admin_rights_cannot_unlock(client, head, office):
    client.force_login(office)
    assert client.get("/admin/axes/accessattempt/").status_code == 302
