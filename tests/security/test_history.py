"""Configuration changes are kept with who, when, before and after (django-auditlog)."""

from __future__ import annotations

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model

from schools.models import Membership, Role, TermDate
from tests.factories import UserFactory

CONFIGURATION = [
    "schools.Trust",
    "schools.School",
    "schools.Rule",
    "schools.Group",
    "schools.Membership",
    "schools.TrustMembership",
    "schools.TermDate",
    "schools.InsetDay",
    "letters.LetterTemplate",
    "letters.Signature",
    "auth.User",
    "auth.Group",
]


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


@pytest.mark.parametrize("label", CONFIGURATION)
def test_every_configuration_model_keeps_a_history(label):
    assert auditlog.contains(apps.get_model(label))


def test_cases_are_not_in_it_their_chronology_is_their_history():
    assert not auditlog.contains(apps.get_model("incidents.Case"))


@pytest.mark.django_db
def test_an_administrator_changing_a_role_in_the_admin_is_recorded(
    client, school, dsl, administrator, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    membership = Membership.objects.get(user=dsl)
    client.force_login(administrator)
    response = client.post(
        f"/admin/schools/membership/{membership.pk}/change/",
        {
            "user": dsl.pk,
            "school": school.pk,
            "role": Role.SLT,
            "job_title": "Deputy head",
        },
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.8",
    )
    assert response.status_code == 302, response.content
    [entry] = [e for e in entries_for(membership) if e.action == LogEntry.Action.UPDATE]
    assert entry.actor == administrator
    assert entry.changes["role"] == [Role.DSL, Role.SLT]  # before, after
    assert entry.changes["job_title"][1] == "Deputy head"
    assert entry.remote_addr == "203.0.113.8"  # the proxy's entry, not the forged first one

    # Administrators read it in the admin; nobody else can.
    log = client.get(f"/admin/auditlog/logentry/{entry.pk}/change/")
    assert log.status_code == 200 and "Deputy head" in log.text


@pytest.mark.django_db
def test_a_senior_leader_adding_and_removing_a_term_is_recorded(client, school, head):
    client.force_login(head)
    client.post(
        "/staff/calendar/",
        {
            "form": "term",
            "term-name": "Autumn 2026",
            "term-starts_on": "2026-09-03",
            "term-ends_on": "2026-10-23",
        },
    )
    term = TermDate.objects.get(school=school)
    client.post(f"/staff/calendar/term/{term.pk}/delete/")
    assert not TermDate.objects.filter(pk=term.pk).exists()
    created, deleted = LogEntry.objects.filter(
        content_type__model="termdate", object_pk=str(term.pk)
    ).order_by("timestamp", "pk")
    assert created.action == LogEntry.Action.CREATE and deleted.action == LogEntry.Action.DELETE
    assert created.actor == deleted.actor == head
    assert created.changes["name"] == [None, "Autumn 2026"]
    assert deleted.changes["ends_on"][0] == "2026-10-23"  # what was removed is kept


@pytest.mark.django_db
def test_account_changes_are_recorded_but_never_the_password(administrator, head):
    with set_actor(administrator):
        head.is_superuser = True
        head.set_password("another long passphrase")
        head.save()
    [entry] = [e for e in entries_for(head) if e.action == LogEntry.Action.UPDATE]
    assert entry.actor == administrator
    assert entry.changes == {"is_superuser": [False, True]}, entry.changes
    assert "password" not in str(LogEntry.objects.values_list("changes", flat=True))


@pytest.mark.django_db
def test_staff_without_admin_rights_cannot_read_the_history(client, head):
    client.force_login(head)
    assert client.get("/admin/auditlog/logentry/").status_code == 302
    assert get_user_model().objects.filter(is_staff=True).count() == 0
