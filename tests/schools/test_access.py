"""The one "schools this user may see" query, the ?school= picker and staff_required."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from schools.access import roles_for, school_from_request, schools_for
from schools.models import Role
from tests.factories import MembershipFactory, SchoolFactory, UserFactory


@pytest.mark.django_db
def test_schools_for_each_role_and_the_trust(school, other_school, trust, office, trust_exec):
    sister = SchoolFactory(trust=trust, name="Aspen Primary")
    closed = SchoolFactory(trust=trust, name="Closed School", is_active=False)
    MembershipFactory(user=office, school=other_school, role=Role.DSL)
    assert list(schools_for(office, Role.OFFICE)) == [school]
    assert list(schools_for(office, Role.DSL)) == [other_school]
    assert list(schools_for(office, Role.SLT)) == []
    assert set(schools_for(office, Role.OFFICE, Role.DSL)) == {school, other_school}
    # A trust executive sees every active school of the trust, whatever roles are asked for.
    assert list(schools_for(trust_exec, Role.SLT)) == [sister, school]
    assert closed not in schools_for(trust_exec, Role.SLT, Role.DSL, Role.OFFICE)


@pytest.mark.django_db
def test_school_from_request_only_picks_an_allowed_school(school, other_school, head):
    allowed = list(schools_for(head, Role.SLT))
    request = RequestFactory().get("/", {"school": str(school.pk)})
    assert school_from_request(request, allowed) == school
    # Another school's id (guessed or tampered with) falls back to the user's own.
    request = RequestFactory().get("/", {"school": str(other_school.pk)})
    assert school_from_request(request, allowed) == school
    request = RequestFactory().post("/", {"school": "not a number"})
    assert school_from_request(request, allowed) == school


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/staff/letters/", "/staff/letters/templates/", "/staff/calendar/", "/staff/"]
)
def test_a_signed_in_user_without_a_staff_role_gets_a_404(client, school, url):
    outsider = UserFactory(username="outsider")
    assert not roles_for(outsider).is_staff_member
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_roles_for_many_loads_what_roles_for_would_in_one_query(
    school, other_school, head, slt, dsl, office, trust_exec
):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from schools.access import NO_ROLES, roles_for_many

    MembershipFactory(user=office, school=other_school, role=Role.DSL)
    MembershipFactory(user=slt, school=SchoolFactory(is_active=False), role=Role.SLT)
    nobody = UserFactory(username="nobody")
    gone = UserFactory(username="gone", is_active=False)
    MembershipFactory(user=gone, school=school, role=Role.SLT)
    people = [head, slt, dsl, office, trust_exec, nobody, gone]
    expected = [roles_for(get_user_model().objects.get(pk=u.pk)) for u in people]
    fresh = list(get_user_model().objects.filter(pk__in=[u.pk for u in people]))
    fresh.sort(key=lambda u: [p.pk for p in people].index(u.pk))
    with CaptureQueriesContext(connection) as queries:
        roles_for_many(fresh)
        loaded = [roles_for(u) for u in fresh]
    assert len(queries) == 1
    assert loaded == expected
    assert loaded[0].head_of == {school.pk} and loaded[3].dsl == {other_school.pk}
    assert loaded[4].trusts and loaded[5] == NO_ROLES and loaded[6] == NO_ROLES
    assert other_school.pk in loaded[3].reporter_schools  # the one rule, from the same sets
    with CaptureQueriesContext(connection) as queries:
        roles_for_many(fresh)  # already known: nothing asked again
    assert len(queries) == 0
