"""Staff sessions end after an idle timeout and after an absolute limit; pages warn first."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from tests.helpers import settings_value

START = timezone.make_aware(datetime.datetime(2026, 11, 30, 9, 0, 0))


def at(**delta):
    return time_machine.travel(START + datetime.timedelta(**delta), tick=False)


def signed_in(client) -> bool:
    response = client.get("/staff/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in/?next=/staff/"
    return False


@pytest.mark.django_db
def test_idle_for_the_timeout_signs_out_one_second_less_does_not(client, head, settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60  # the default
    with at():
        client.force_login(head)
    with at(minutes=29, seconds=59):
        assert signed_in(client)  # and this counts as activity
    with at(minutes=59, seconds=58):
        assert signed_in(client)
    with at(minutes=89, seconds=58):
        assert not signed_in(client)
    with at(minutes=89, seconds=59):
        page = client.get("/staff/sign-in/")
        assert "You were signed out after 30 minutes without activity" in page.text


@pytest.mark.django_db
def test_the_absolute_limit_ends_even_a_busy_session(client, head, settings):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 8 * 60 * 60
    with at():
        client.force_login(head)
    for minutes in range(20, 8 * 60, 20):
        with at(minutes=minutes):
            assert signed_in(client), minutes
    with at(hours=8):
        assert not signed_in(client)


@pytest.mark.django_db
def test_requests_within_a_minute_do_not_write_the_session(client, head):
    with at():
        client.force_login(head)
    with at(seconds=30):
        client.get("/staff/")  # warm the per-request caches
    with at(seconds=40):
        response = client.get("/staff/")
    assert response.status_code == 200
    # The page says how long is left from the last *recorded* activity (sign-in, at 0 s).
    assert 'data-remaining="1760"' in response.text


@pytest.mark.django_db
def test_staff_pages_carry_the_warning_and_its_script_without_inline_code(client, head):
    client.force_login(head)
    page = client.get("/staff/cases/")
    match = re.search(r'data-remaining="(\d+)" data-warn="(\d+)"', page.text)
    assert match and 1790 <= int(match[1]) <= 1800 and int(match[2]) == 120
    assert 'src="/static/js/session-timeout.js"' in page.text
    assert "Stay signed in" in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # no inline script
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_stay_signed_in_restarts_the_idle_clock(client, head):
    with at():
        client.force_login(head)
    with at(minutes=28):
        kept = client.post("/staff/session/keep-alive/", HTTP_ACCEPT="application/json")
        assert kept.json() == {"signed_in": True, "remaining": 30 * 60}
    with at(minutes=57):
        assert signed_in(client)


@pytest.mark.django_db
def test_stay_signed_in_without_javascript_goes_back_to_the_page(client, head):
    client.force_login(head)
    back = client.post("/staff/session/keep-alive/", {"next": "/staff/cases/"})
    assert back.status_code == 302 and back["Location"] == "/staff/cases/"
    away = client.post("/staff/session/keep-alive/", {"next": "https://evil.example/"})
    assert away["Location"] == "/staff/"


@pytest.mark.django_db
def test_keep_alive_after_the_end_says_so_and_refuses_get(client, head):
    response = client.post("/staff/session/keep-alive/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401 and response.json()["signed_in"] is False
    client.force_login(head)
    assert client.get("/staff/session/keep-alive/").status_code == 405


def test_the_idle_timeout_is_a_setting():
    env = {"SCHOOLCONDUCT_ENV": "development", "SESSION_IDLE_MINUTES": "10"}
    assert settings_value("SESSION_IDLE_TIMEOUT", env) == "600"


@pytest.mark.django_db
def test_near_the_absolute_limit_the_warning_says_so_and_offers_no_extension(client, head):
    with at():
        client.force_login(head)
    for minutes in range(20, 7 * 60 + 45, 20):  # busy all day: never idle
        with at(minutes=minutes):
            client.get("/staff/")
    with at(hours=7, minutes=45):
        page = client.get("/staff/")
    assert "A sign-in lasts at most 8 hours" in page.text
    assert 'data-remaining="900"' in page.text
    assert "Stay signed in" not in page.text
