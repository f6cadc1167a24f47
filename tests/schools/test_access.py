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
