"""The dashboard's deadline providers (letters, bars and restrictions, tasks) build and
compile their queries once per key (`Window.rows`, `frozen_sql.compiled_rows`), as query 2
is: the kept SQL still reads the data afresh, follows a change of roles or of day, and binds
its values safely."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import frozen_sql
from incidents.models import Case
from incidents.selectors import dashboard_summary
from letters.models import Letter, LetterStatus
from schools.models import Membership, Role
from tests.factories import (
    CaseTaskFactory,
    LetterFactory,
    PersonFactory,
    SiteBanFactory,
    staff_member,
    triaged_case,
)


@pytest.mark.django_db
def test_a_compiled_query_is_built_once_per_key_and_reads_the_data_each_run(school, head):
    built = []

    def build():
        built.append(1)
        return Case.objects.filter(school=school).order_by("pk")

    key = ("test:cases", school.pk)
    assert frozen_sql.compiled_rows(key, "default", build) == []
    first = triaged_case(school, head)
    assert frozen_sql.compiled_rows(key, "default", build) == [first]  # the kept SQL, run again
    assert len(built) == 1
    frozen_sql.compiled_rows(("test:cases", school.pk, "another"), "default", build)
    assert len(built) == 2


@pytest.mark.django_db
def test_a_compiled_query_that_can_match_nothing_asks_nothing():
    compiled = frozen_sql.CompiledQuery(Case.objects.filter(pk__in=[]))
    with CaptureQueriesContext(connection) as queries:
        assert compiled.all() == []
    assert len(queries) == 0


@pytest.mark.django_db
def test_a_compiled_query_binds_quotes_and_percent_signs_as_values(school, head):
    case = triaged_case(school, head)
    odd = "B01-O'Brien-100%"
    Case.objects.filter(pk=case.pk).update(reference=odd)
    compiled = frozen_sql.CompiledQuery(Case.objects.filter(reference=odd))
    # Bound into the statement once on PostgreSQL (psycopg would parse it on every run).
    assert compiled.statement is not None
    assert (compiled.statement.params is None) == (connection.vendor == "postgresql")
    assert [c.pk for c in compiled.all()] == [case.pk]
    assert frozen_sql.CompiledQuery(Case.objects.filter(reference="B01-O'Brien-1%")).all() == []
    assert compiled.all()[0].reference == odd  # and run again (EXECUTE, on PostgreSQL)


@pytest.mark.django_db
def test_on_postgresql_the_dashboards_kept_queries_are_prepared_once(client, school, head):
    if connection.vendor != "postgresql":
        pytest.skip("PREPARE is for PostgreSQL")
    triaged_case(school, head)
    client.force_login(head)
    client.get("/staff/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/staff/")
    sql = [q["sql"] for q in queries.captured_queries]
    # Query 2, tasks, bars, restrictions, letters: run, not prepared or planned again.
    assert sum(q.startswith("EXECUTE compiled_") for q in sql) == 5, sql
    assert not any(q.startswith(("PREPARE", "DEALLOCATE")) for q in sql), sql


def _kinds(user_pk: int) -> set[str]:
    fresh = get_user_model().objects.get(pk=user_pk)  # roles read again
    return {item.kind for item, _late in dashboard_summary(user=fresh)["due"]}


@pytest.mark.django_db
def test_the_providers_kept_queries_follow_a_change_of_roles(school, head):
    """A deputy who is SLT sees a letter, a bar and a task on an unflagged case; made DSL,
    they see none of them (the case is no longer theirs to open), and SLT again, all."""
    member = staff_member(school, Role.SLT, "deputy3", "Dee Deputy")
    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    case = triaged_case(school, head, person=person)
    LetterFactory(case=case, actor=head)
    Letter.objects.update(
        status=LetterStatus.READY, approved_at=timezone.now() - datetime.timedelta(days=14)
    )
    SiteBanFactory(case=case, stage="intention")
    CaseTaskFactory(case=case, assigned_to=member, due_on=timezone.localdate())
    every = {"letter_not_sent", "bar_decision", "task"}
    assert _kinds(member.pk) >= every
    assert _kinds(member.pk) >= every  # the kept SQL
    Membership.objects.filter(user=member, school=school).update(role=Role.DSL)
    assert not _kinds(member.pk) & every
    Membership.objects.filter(user=member, school=school).update(role=Role.SLT)
    assert _kinds(member.pk) >= every


@pytest.mark.django_db
def test_the_providers_kept_queries_follow_the_day(school, head, time_machine):
    """A bar's review is due soon from five days before it: the next day's key, with its
    own horizon, finds what yesterday's did not."""
    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    case = triaged_case(school, head, person=person)
    today = timezone.localdate()
    SiteBanFactory(case=case, review_on=today + datetime.timedelta(days=6))
    assert "bar_review" not in _kinds(head.pk)
    assert "bar_review" not in _kinds(head.pk)  # the kept SQL
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1))
    assert "bar_review" in _kinds(head.pk)


@pytest.mark.django_db
def test_the_cases_the_dashboard_lists_are_read_only_for_what_it_shows(client, school, head):
    """Query 4 reads the listed cases' reference, status, severity, flag, opening and lead's
    name (`DASHBOARD_CASE_FIELDS`), not whole cases and leads; the page shows them all."""
    case = triaged_case(school, head)
    client.force_login(head)
    response = client.get("/staff/")
    (listed,) = response.context["mine"]
    assert listed.pk == case.pk
    assert {"outcome", "actions", "nature"} <= listed.get_deferred_fields()
    assert {"password", "email"} <= listed.lead.get_deferred_fields()
    html = response.text
    assert case.reference in html and head.get_full_name() in html
