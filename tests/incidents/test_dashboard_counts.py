"""The dashboard's counts per school and status, kept in the cache (incidents.case_counts):
they change as soon as a case changes, each user sees only their share (the same rule as
`cases_visible_to`), a figure stored under an old token is never read, and the page still
works with the cache down. And its tasks, read in one query: counted once each whatever the
number of reports on their case, with the reporter hidden in their titles."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import case_counts, workflow
from incidents.access import case_schools, cases_visible_in, cases_visible_to
from incidents.models import Case, CaseStatus
from incidents.selectors import dashboard_summary
from schools import versions
from schools.models import Role
from tests.factories import (
    CaseTaskFactory,
    MembershipFactory,
    SchoolFactory,
    UserFactory,
    submit_report,
    triage,
)
from tests.helpers import time_machine_at


def totals(client) -> dict[str, int]:
    return client.get("/staff/").context["totals"]


def visible_totals(user) -> dict[str, int]:
    """The counts straight from the access function, as the dashboard must show them."""
    counted = dict.fromkeys(CaseStatus.values, 0)
    rows = cases_visible_to(user).values_list("status").annotate(n=Count("pk")).order_by()
    counted.update(dict(rows))
    return counted


@pytest.mark.django_db
def test_the_counts_change_as_soon_as_a_case_does(client, school, head):
    first, _ = submit_report(school)
    submit_report(school)
    client.force_login(head)
    before = totals(client)
    assert before[CaseStatus.NEW] == 2
    with CaptureQueriesContext(connection) as kept:
        assert totals(client) == before  # from the cache now: no count of the cases
    assert not any("COUNT(" in q["sql"] and "GROUP BY" in q["sql"] for q in kept)

    triage(first.case, head)  # new -> triaged: a status change
    after = totals(client)
    assert after[CaseStatus.NEW] == 1
    assert sum(after.values()) == 2 and after == visible_totals(head)

    submit_report(school)  # a new case
    assert totals(client)[CaseStatus.NEW] == 2

    workflow.case_close(first.case, head, outcome="Resolved", rationale="Post removed")
    assert totals(client) == visible_totals(head)
    assert totals(client)[CaseStatus.CLOSED] == 1


@pytest.mark.django_db
def test_a_schools_change_leaves_other_schools_counts_kept(
    client, school, other_school, head, other_head
):
    submit_report(school)
    submit_report(other_school)
    case_counts.school_figures([school.pk, other_school.pk])
    submit_report(school)  # only this school's figures are out of date
    with CaptureQueriesContext(connection) as counted:
        figures = case_counts.school_figures([school.pk, other_school.pk])
    assert figures[school.pk][CaseStatus.NEW] == (2, 0)
    assert figures[other_school.pk][CaseStatus.NEW] == (1, 0)
    [count] = [q["sql"] for q in counted if "COUNT(" in q["sql"]]
    assert str(school.pk) in count and f"{other_school.pk})" not in count.split("IN")[-1]


@pytest.mark.django_db
def test_each_user_sees_their_own_share_as_cases_visible_to_says(
    client, school, other_school, trust, head, dsl, trust_exec
):
    sister = SchoolFactory(trust=trust, name="Sister School", reference_prefix="SIS")
    for where in (school, sister, other_school):
        submit_report(where)
        submit_report(where, child_at_risk="yes", child_risk_details="Worried")
    triage(Case.objects.filter(school=school).first(), head)
    # SLT at one school and DSL at another: all of the first, the flagged ones of the second.
    both = UserFactory(username="both")
    MembershipFactory(user=both, school=other_school, role=Role.SLT)
    MembershipFactory(user=both, school=sister, role=Role.DSL)
    closed_down = SchoolFactory(trust=trust, name="Closed School", reference_prefix="CLO")
    submit_report(closed_down)
    closed_down.is_active = False
    closed_down.save()
    for user in (head, dsl, trust_exec, both):
        client.force_login(user)
        assert totals(client) == visible_totals(user), user.username
        # The dashboard's form of the access rule: the same cases.
        assert set(cases_visible_in(user, case_schools(user))) == set(cases_visible_to(user))
    client.force_login(dsl)
    assert sum(totals(client).values()) == 1  # the flagged case of their school only
    client.force_login(trust_exec)
    by_school = client.get("/staff/").context["by_school"]
    assert set(by_school) == {school.name, sister.name}
    assert sum(by_school[sister.name].values()) == 2


def _token(school) -> str:
    found = versions.tokens([case_counts.version_name(school.pk)])
    assert found is not None
    return found[case_counts.version_name(school.pk)]


@pytest.mark.django_db
def test_a_figure_stored_under_an_old_token_is_never_read(school):
    submit_report(school)
    case_counts.school_figures([school.pk])
    old = _token(school)
    case_counts.school_changed(school.pk)
    # A slow request that read the old token stores figures counted before the change.
    cache.set(f"case-counts:{school.pk}:{old}", {CaseStatus.NEW: (99, 0)})
    assert case_counts.school_figures([school.pk])[school.pk][CaseStatus.NEW] == (1, 0)


@pytest.mark.django_db
def test_the_token_is_replaced_at_once_and_again_when_the_transaction_commits(
    school, head, django_capture_on_commit_callbacks
):
    report, _ = submit_report(school)
    case_counts.school_figures([school.pk])
    version = _token(school)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        triage(report.case, head)
        inside = _token(school)
    assert inside != version  # this transaction's own reads count again
    assert callbacks
    for callback in callbacks:
        callback()
    assert _token(school) not in (version, inside)


@pytest.mark.django_db
def test_the_dashboard_counts_without_the_cache_when_it_is_down(client, school, head):
    submit_report(school)
    client.force_login(head)
    with (
        mock.patch.object(case_counts.cache, "get_many", side_effect=ConnectionError),
        mock.patch.object(case_counts.cache, "set", side_effect=ConnectionError),
    ):
        submit_report(school)  # saving a case does not fail either
        assert totals(client)[CaseStatus.NEW] == 2


@pytest.mark.django_db
def test_overdue_new_reports_are_counted_again_after_midnight(school, head, time_machine):
    # A report made on Friday 20 November: with a triage target of one school day it is due
    # on Monday 23rd — not overdue that day, overdue from Tuesday.
    school.triage_target_days = 1
    school.save()
    with time_machine_at(time_machine, 2026, 11, 20):
        submit_report(school)
    time_machine.move_to(datetime.datetime(2026, 11, 23, 23, 0, tzinfo=datetime.UTC))
    assert timezone.localdate() == datetime.date(2026, 11, 23)
    assert dashboard_summary(user=head)["overdue_count"] == 0
    time_machine.move_to(datetime.datetime(2026, 11, 24, 0, 30, tzinfo=datetime.UTC))
    assert dashboard_summary(user=head)["overdue_count"] == 1


# --- tasks ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tasks_are_counted_once_each_however_many_reports_their_case_has(client, school, head):
    report, _ = submit_report(school, reporter_name="Zuleika Fairweather-Quill")
    case = report.case
    triage(case, head)
    for i in range(3):  # three more reports on the case: the reporters' join makes rows
        extra, _ = submit_report(school, reporter_name=f"Other reporter {i}")
        workflow.case_merge_into(extra.case, head, target=case)
    today = timezone.localdate()
    for i in range(20):
        CaseTaskFactory(
            case=case, assigned_to=head, title=f"Task {i}", due_on=today + datetime.timedelta(i)
        )
    client.force_login(head)
    response = client.get("/staff/")
    panel = response.context["panels"][0][1]
    shown = panel["overdue"] + panel["today"] + panel["upcoming"]
    assert [t.title for t in shown] == [f"Task {i}" for i in range(15)]
    assert panel["total"] == 20 and panel["more"] == 5
    due = [d for d, _late in response.context["due"] if d.kind == "task"]
    assert sorted(d.key for d in due) == sorted({d.key for d in due})  # each task once
    assert len(due) == 6  # due today and the next five days


@pytest.mark.django_db
def test_a_task_title_naming_a_reporter_is_hidden_from_the_trust(client, school, head, trust_exec):
    report, _ = submit_report(school, reporter_name="Zuleika Fairweather-Quill")
    triage(report.case, head)
    # Written directly: the form refuses such a title, but a report merged later can bring
    # the name in.
    CaseTaskFactory(case=report.case, assigned_to=trust_exec, title="Ring Zuleika back")
    client.force_login(trust_exec)
    text = client.get("/staff/").text
    assert "Zuleika" not in text
    # "Your tasks" (the title, and the button's label for screen readers) and the deadlines.
    assert text.count("Ring [reporter&#x27;s details hidden] back") == 3


@pytest.mark.django_db
def test_my_open_cases_also_lists_an_older_case_of_mine_the_page_shows(client, school, head):
    # An older case I lead awaiting a DSL decision, then my twenty newest open cases.
    flagged = triage(
        submit_report(school, child_at_risk="yes", child_risk_details="x")[0].case, head
    )
    Case.objects.filter(pk=flagged.pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=30)
    )
    for _ in range(20):
        triage(submit_report(school)[0].case, head)
    client.force_login(head)
    context = client.get("/staff/").context
    assert flagged in context["alerts"]
    # Not among the twenty newest, but listed with them: it is on the page already.
    assert len(context["mine"]) == 21 and flagged in context["mine"]


@pytest.mark.django_db
def test_counts_are_not_kept_in_a_cache_not_shared_by_every_process(school, settings):
    settings.CACHE_SHARED = False
    submit_report(school)
    assert case_counts.school_figures([school.pk])[school.pk][CaseStatus.NEW] == (1, 0)
    with CaptureQueriesContext(connection) as queries:
        case_counts.school_figures([school.pk])
    assert len(queries) == 1  # counted again, nothing kept


@pytest.mark.django_db
def test_a_trust_executive_whose_trust_has_no_schools_yet_sees_an_empty_dashboard(
    client, trust_exec
):
    """A new trust before its first school: no cases of any kind to rank, so every part of
    the first-of-each-kind query is empty — the page must still open, with nothing listed."""
    dashboard_summary(user=trust_exec)  # raised EmptyResultSet before
    client.force_login(trust_exec)
    response = client.get("/staff/")
    assert response.status_code == 200


# --- query 2, compiled once per user, roles, schools and day ----------------------------------


@pytest.mark.django_db
def test_the_first_of_each_kind_follows_a_change_of_roles(school):
    """Query 2's SQL is kept per process (`selectors._first_of_each_kind`): a change of roles
    is a new key, so an SLT member made DSL only sees the flagged cases at once."""
    from django.contrib.auth import get_user_model

    from schools.models import Membership
    from tests.factories import staff_member

    member = staff_member(school, Role.SLT, "deputy2", "Dana Deputy")
    plain, _ = submit_report(school)
    flagged, _ = submit_report(school)
    Case.objects.filter(pk=flagged.case.pk).update(safeguarding_flag=True)

    def waiting() -> set[int]:
        fresh = get_user_model().objects.get(pk=member.pk)  # roles read again
        return {case.pk for case, _due, _late in dashboard_summary(user=fresh)["waiting"]}

    assert waiting() == {plain.case.pk, flagged.case.pk}
    assert waiting() == {plain.case.pk, flagged.case.pk}  # the kept SQL
    Membership.objects.filter(user=member, school=school).update(role=Role.DSL)
    assert waiting() == {flagged.case.pk}
    Membership.objects.filter(user=member, school=school).update(role=Role.SLT)
    assert waiting() == {plain.case.pk, flagged.case.pk}
