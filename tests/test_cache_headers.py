"""Every staff response and the parents' private pages say `Cache-Control: private, no-store`.

The URL list comes from the resolver, as in test_access_matrix: a new staff URL is covered
without anyone listing it here.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory, report_form_data, submit_report

STAFF_NAMESPACES = {"staff", "calendar", "letters", "session", "oversight", "admin"}


def staff_paths(case_reference: str) -> list[str]:
    """A concrete path for every URL pattern under /staff/ or /admin/, or in a staff namespace."""
    found: list[str] = []

    def fill(route: str) -> str:
        route = re.sub(r"<int:\w+>", "1", route)
        route = re.sub(r"<slug:\w+>", "note", route)
        route = re.sub(r"<(?:str:|path:)?\w+>", case_reference, route)
        return route

    def walk(patterns, prefix: str, namespaces: set[str]) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route, namespaces | {p.namespace})
            elif isinstance(p, URLPattern) and (
                namespaces & STAFF_NAMESPACES or (prefix + route).startswith(("staff/", "admin/"))
            ):
                if route.startswith("^") or "(?P<" in route:
                    # A regex route (the admin's catch-alls): take it literally where possible.
                    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route).strip("^$").replace("\\", "")
                found.append("/" + fill(prefix + route))

    walk(get_resolver().url_patterns, "", set())
    return sorted(set(found))


def directives(response) -> set[str]:
    return {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_every_staff_url_is_private_and_not_stored(client, school, head, admin_user):
    report, _ = submit_report(school)
    paths = staff_paths(report.case.reference)
    assert "/staff/" in paths and "/staff/letters/" in paths and "/admin/" in paths
    assert "/staff/session/keep-alive/" in paths and "/staff/bans/" in paths
    assert any(p.startswith("/staff/reports/") for p in paths)
    assert len(paths) > 40
    missing = []
    for who in (None, head, admin_user):
        client.logout()
        if who is not None:
            client.force_login(who)
        for path in paths:
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if not {"private", "no-store"} <= directives(response):
                    missing.append(f"{method.upper()} {path} as {who}: {response.status_code}")
    assert not missing, "\n".join(missing)


@pytest.mark.django_db
def test_the_lockout_page_is_private(client, head, settings):
    settings.AXES_FAILURE_LIMIT = 1
    client.post("/staff/sign-in/", {"username": "head", "password": "wrong"})
    locked = client.post("/staff/sign-in/", {"username": "head", "password": "wrong"})
    assert locked.status_code == 429
    assert {"private", "no-store"} <= directives(locked)


@pytest.mark.django_db
def test_receipt_and_follow_up_pages_are_private(client, school):

    submitted = client.post("/s/willow-park/report/", report_form_data(school))
    receipt = client.get(submitted["Location"])
    assert receipt.status_code == 200
    assert {"private", "no-store"} <= directives(receipt)
    for path in ("/follow-up/", "/follow-up/add/", "/follow-up/finish/"):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert {"private", "no-store"} <= directives(response), (method, path)


@pytest.mark.django_db
def test_public_pages_without_a_session_stay_cacheable(client, school):
    response = client.get("/s/willow-park/")
    assert response.status_code == 200
    assert "no-store" not in directives(response)


@pytest.mark.django_db
def test_the_passkey_list_renders(client, head):
    """Found by walking every staff URL above: allauth's template needs django.contrib.humanize."""
    client.force_login(head)
    response = client.get("/staff/account/2fa/webauthn/")
    assert response.status_code in (200, 302)
