"""The follow-up code is shown in exactly one response; a parent's session ends with the browser."""

from __future__ import annotations

import pytest

from incidents.models import Report
from tests.factories import REPORT_URL, report_form_data

RECEIPT = "/s/willow-park/report/receipt/"


def session_cookie(response):
    return response.cookies.get("sessionid")


@pytest.mark.django_db
def test_the_code_is_shown_once_then_only_the_reference(school, client):
    client.post(REPORT_URL, report_form_data(school))
    report = Report.objects.get()
    first = client.get(RECEIPT)
    code = first.context["code"]
    assert code and code in first.text and report.reference in first.text
    # A reload, and a visit after going elsewhere: the reference and how to follow up only.
    reload = client.get(RECEIPT)
    client.get("/s/willow-park/")
    later = client.get(RECEIPT)
    for again in (reload, later):
        assert again.status_code == 200
        assert code not in again.text and code.replace("-", "") not in again.text
        assert report.reference in again.text
        assert "shown only once" in again.text and "/follow-up/" in again.text
        assert 'name="saved"' not in again.text  # nothing left to confirm saving
    # Not in the session either.
    assert code not in str(dict(client.session))


@pytest.mark.django_db
def test_finishing_without_ticking_after_the_code_was_shown_does_not_show_it_again(school, client):
    client.post(REPORT_URL, report_form_data(school))
    code = client.get(RECEIPT).context["code"]
    response = client.post(RECEIPT, {})
    assert response.status_code == 200 and code not in response.text
    assert "shown only once" in response.text


@pytest.mark.django_db
def test_another_schools_receipt_page_shows_nothing(school, other_school, client):
    client.post(REPORT_URL, report_form_data(school))
    page = client.get(f"/s/{other_school.slug}/report/receipt/")
    assert page.context["code"] is None and page.context["receipt"] is None
    # …and did not use up the code.
    assert client.get(RECEIPT).context["code"]


@pytest.mark.django_db
def test_a_parents_session_cookie_ends_when_the_browser_closes(school, client):
    response = client.post(REPORT_URL, report_form_data(school))
    cookie = session_cookie(response)
    assert cookie is not None and cookie.value
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    # Following up: signing in with the code writes a new session cookie, again without expiry.
    report = Report.objects.get()
    code = client.get(RECEIPT).context["code"]
    followed = client.post("/follow-up/", {"reference": report.reference, "code": code})
    cookie = session_cookie(followed)
    assert cookie is not None and cookie["max-age"] == "" and cookie["expires"] == ""


@pytest.mark.django_db
def test_staff_keep_the_configured_session_age(client, settings, head, school):
    # A head teacher who reported as a parent in this browser, then signs in.
    client.post(REPORT_URL, report_form_data(school))
    response = client.post(
        "/staff/sign-in/", {"username": "head", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert cookie is not None and cookie["max-age"] == settings.SESSION_COOKIE_AGE
    assert client.session.get("_session_expiry") is None
