"""In Chromium: the idle warning, "stay signed in", and nothing typed lost when a session ends."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from incidents.models import CaseEvent
from security.middleware import SESSION_ACTIVITY_KEY
from tests.factories import submit_report
from tests.helpers import SCREENSHOTS, check_accessibility

SIGN_IN_AGAIN = re.compile(r".*/staff/sign-in/\?next=/staff/cases/.*/note/$")
PASSWORD = "correct horse battery staple"
NOTE = "Mr Patel rang: he says the post was about the PTA, not a teacher.\n\nCall back on Friday."


def sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("head")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def case_url(live_server, school, head):
    report, _ = submit_report(school)
    return f"{live_server.url}/staff/cases/{report.case.reference}/"


@pytest.mark.django_db(transaction=True)
def test_the_warning_counts_down_and_stay_signed_in_keeps_the_session(
    live_server, browser, case_url, settings
):
    settings.SESSION_IDLE_TIMEOUT = 16
    settings.SESSION_WARNING_SECONDS = 5
    page = browser.new_page(viewport={"width": 360, "height": 740})
    sign_in(page, case_url + "note/")
    warning = page.get_by_role("alertdialog", name="You will be signed out soon")
    assert warning.is_hidden()
    warning.wait_for(state="visible", timeout=14000)
    assert page.locator(".js-countdown").inner_text().startswith("0:0")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "session-warning-360.png"))
    check_accessibility(page, "session-warning")
    page.get_by_role("button", name="Stay signed in").click()
    warning.wait_for(state="hidden", timeout=3000)
    time.sleep(6)  # past the first deadline: still here, because the button counted
    assert page.get_by_role("heading", name="Add a note").is_visible()
    page.get_by_label("Note").fill("Still signed in.")
    page.get_by_role("button", name="Add a note").click()
    page.wait_for_url(case_url)
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTE).count() == 1
    page.close()


@pytest.mark.django_db(transaction=True)
def test_when_the_warning_runs_out_the_draft_waits_for_the_sign_in(
    live_server, browser, case_url, settings
):
    settings.SESSION_IDLE_TIMEOUT = 6
    settings.SESSION_WARNING_SECONDS = 4
    page = browser.new_page()
    sign_in(page, case_url + "note/")
    page.get_by_label("Note").fill(NOTE)
    # Nothing more is done: the page goes to the sign-in page by itself...
    page.wait_for_url(SIGN_IN_AGAIN, timeout=10000)
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    page.get_by_label("Username").fill("head")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # ...and after signing in, the note is back, with a word about it.
    page.wait_for_url("**/note/")
    assert page.get_by_label("Note").input_value() == NOTE
    assert (
        page.get_by_role("status").filter(has_text="We have put back what you typed").is_visible()
    )
    page.close()


@pytest.mark.django_db(transaction=True)
def test_submitting_after_the_session_ended_loses_nothing(live_server, browser, case_url):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, case_url + "note/")
    page.get_by_label("Note").fill(NOTE)
    # The session ends on the server (idle too long) while the page is open.
    [cookie] = [c for c in context.cookies() if c["name"] == "sessionid"]
    session = SessionStore(session_key=cookie["value"])
    session[SESSION_ACTIVITY_KEY] = time.time() - 31 * 60
    session.save()

    page.get_by_role("button", name="Add a note").click()
    page.wait_for_url(SIGN_IN_AGAIN)
    assert page.get_by_text("You were signed out after 30 minutes without activity").is_visible()
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTE).exists()
    page.get_by_label("Username").fill("head")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/note/")
    assert page.get_by_label("Note").input_value() == NOTE
    page.get_by_role("button", name="Add a note").click()
    page.wait_for_url(case_url)
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTE).count() == 1

    # Saved: going back to the form starts afresh, and signing out forgets every draft.
    page.goto(case_url + "note/")
    assert page.get_by_label("Note").input_value() == ""
    page.get_by_label("Note").fill("half-typed")
    page.get_by_role("button", name="Sign out").click()
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('sc-draft:'))") == []
    context.close()
