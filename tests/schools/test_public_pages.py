import pytest
from django.urls import reverse

from tests.factories import SchoolFactory

PUBLIC_URL_NAMES = ["schools:home", "schools:privacy", "schools:accessibility", "reports:follow-up"]


@pytest.mark.django_db
def test_home_lists_schools(school, other_school, client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Willow Park Primary" in response.text and "Elsewhere Academy" in response.text


@pytest.mark.django_db
def test_home_goes_straight_to_the_only_school(school, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/s/willow-park/"


@pytest.mark.django_db
def test_school_page_shows_the_code_and_how_to_report(school, client):
    response = client.get("/s/willow-park/")
    assert response.status_code == 200
    text = response.text
    for rule in school.rules.all():
        assert rule.title in text
    assert "Before you post" in text
    assert "Worried about something at school?" in text
    assert 'href="/s/willow-park/report/"' in text and "Report a concern" in text
    assert "call 999" in text
    assert school.childrens_services_phone in text


@pytest.mark.django_db
def test_inactive_rules_and_schools_are_hidden(school, client):
    rule = school.rules.first()
    rule.is_active = False
    rule.save()
    assert rule.title not in client.get("/s/willow-park/").text
    closed = SchoolFactory(slug="closed", is_active=False)
    assert client.get(f"/s/{closed.slug}/").status_code == 404


@pytest.mark.django_db
def test_unknown_school_is_a_404_in_the_site_style(client):
    response = client.get("/s/nowhere/")
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/s/willow-park/", "/privacy/", "/accessibility/", "/follow-up/", "/s/willow-park/report/"],
)
def test_every_public_page_links_privacy_and_accessibility(school, client, url):
    text = client.get(url).text
    assert 'href="/privacy/"' in text
    assert 'href="/accessibility/"' in text


@pytest.mark.django_db
def test_privacy_notice_covers_what_why_who_how_long_rights(client):
    text = client.get("/privacy/").text
    for heading in (
        "What we collect",
        "Why we use it",
        "Who sees it",
        "How long we keep it",
        "Your rights",
    ):
        assert heading in text


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/s/willow-park/", "/privacy/", "/accessibility/"])
def test_public_pages_refuse_post(school, client, url):
    assert client.post(url).status_code == 405


@pytest.mark.django_db
def test_security_headers(school, client):
    response = client.get("/s/willow-park/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_urls_reverse():
    for name in PUBLIC_URL_NAMES:
        assert reverse(name)
