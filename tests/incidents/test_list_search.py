"""The list's search written as `pk = ANY(ARRAY(ids))` on PostgreSQL (incidents.filters.AnyOfIds),
its SQL built once per search and guard (incidents.filters.search_ids): the same cases as the
ORM's `pk__in=ids` built afresh, for each kind of match and each kind of user, with the
reporter rule kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory

from incidents import filters, workflow
from incidents.filters import CaseFilter, FilterChoices
from incidents.models import Case, Person
from incidents.selectors import case_list
from schools.models import Role
from tests.factories import (
    SchoolFactory,
    TrustMembershipFactory,
    UserFactory,
    report_with_chat,
    staff_member,
    submit_report,
    triage,
)

TERMS = ["scott", "Scott here", "priya", "after school", "WPS", "quentin", "nobody", "a"]


def search(user, params: dict) -> list[int]:
    request = RequestFactory().get("/staff/cases/", params)
    request.user = user
    case_filter = CaseFilter(
        params,
        queryset=case_list(user=user),
        options=FilterChoices(user).options,
        request=request,
    )
    return sorted(case_filter.qs.values_list("pk", flat=True))


@pytest.fixture
def cases(school, trust, head):
    """Matches of every kind in two schools of the trust, and one in another trust."""
    sister = SchoolFactory(trust=trust, name="Sister School", reference_prefix="SIS")
    elsewhere = SchoolFactory(name="Elsewhere", reference_prefix="ELS")
    made = []
    for where in (school, sister, elsewhere):
        made.append(submit_report(where, content="Mr Scott shouted at the gate")[0].case)
        made.append(submit_report(where, poster_description="Scott's dad")[0].case)
        made.append(submit_report(where, reporter_name="Ann Scott")[0].case)
        made.append(report_with_chat(where).case)  # the reporter is Priya
        case = submit_report(where, content="Nothing to see")[0].case
        staff = staff_member(where, Role.SLT, f"s{where.pk}", "Sam Staff")
        triage(case, staff)
        workflow.case_person_add(
            case, staff, person=Person.objects.create(school=where, full_name="Quentin Scott")
        )
        made.append(case)
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["head", "executive", "head and executive"])
def test_the_search_finds_what_the_orm_in_finds(monkeypatch, cases, school, trust, head, who):
    if who == "executive":
        user = UserFactory(username="exec")
        TrustMembershipFactory(user=user, trust=trust)
    else:
        user = head
        if who == "head and executive":
            TrustMembershipFactory(user=head, trust=trust)
    found = {
        (term, status): search(user, {"q": term, **({"status": status} if status else {})})
        for term in TERMS
        for status in ("", "new", "investigating")
    }
    # The ORM's own: the union built afresh for each search, as `pk__in`.
    monkeypatch.setattr(filters, "search_ids", filters.search_union)
    monkeypatch.setattr(filters, "AnyOfIds", lambda ids: Q(pk__in=ids))
    for (term, status), ids in found.items():
        expected = search(user, {"q": term, **({"status": status} if status else {})})
        assert ids == expected, (term, status)
    # The searches find something, and not everything.
    assert found[("scott", "")] and len(found[("nobody", "")]) == 0
    assert set(found[("scott", "")]) < set(Case.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_on_postgresql_the_ids_are_an_array_read_once(school, head):
    submit_report(school, content="Mr Scott again")
    query = str(
        CaseFilter(
            {"q": "scott"},
            queryset=case_list(user=head),
            options=FilterChoices(head).options,
        ).qs.query
    )
    if connection.vendor == "postgresql":
        assert '"incidents_case"."id" = ANY(ARRAY((SELECT' in query
    else:
        assert '"incidents_case"."id" IN (' in query and "ANY(ARRAY" not in query


@pytest.mark.django_db
def test_the_kept_sql_is_per_search_and_reporter_guard(monkeypatch, cases, school, trust, head):
    """The head teacher sees the reporter at their school; the executive nowhere: the same
    words, searched by one and then the other in the same process, give each their own."""
    executive = UserFactory(username="exec")
    TrustMembershipFactory(user=executive, trust=trust)
    # The reporter's own name in the text: found by who may see the reporter only.
    mine = submit_report(school, content="Ann Scott saw it", reporter_name="Ann Scott")[0].case_id
    built = []
    union = filters.search_union
    monkeypatch.setattr(filters, "search_union", lambda *a: built.append(a) or union(*a))
    filters._search_sql.cache_clear()
    for _ in range(2):
        assert mine in search(head, {"q": "Ann Scott"})
        assert mine not in search(executive, {"q": "Ann Scott"})
    assert len(built) == 2  # once for each guard, not once per request
