"""The statistics page's cache: figures counted once per change of what they count, never
shown to someone who may not see the schools, never stale after a commit."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Person
from incidents.workflow import case_decide
from oversight import cache as stats_cache
from oversight import stats
from schools import versions
from schools.calendar import ImportedCalendar
from schools.services import calendar_replace
from tests.factories import SchoolFactory, submit_report, triaged_case

D = datetime.date
URL = reverse("oversight:statistics")


def _at(day: datetime.date, hour: int = 10):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def counted(monkeypatch):
    """How many times the page counted its figures (not served from the cache)."""
    calls = []
    real = stats.figures

    def figures(**kwargs):
        calls.append(kwargs["schools"])
        return real(**kwargs)

    monkeypatch.setattr(stats, "figures", figures)
    return calls


def _tokens(*schools) -> dict[int, str]:
    found = versions.tokens(stats_cache.version_name(s.pk) for s in schools)
    assert found is not None
    return {s.pk: found[stats_cache.version_name(s.pk)] for s in schools}


def _settled(*schools) -> dict[int, str]:
    """Flush now what the test's own transaction left pending (its commit never comes: in
    production every commit does this) and return the schools' versions."""
    versions._flush()
    return _tokens(*schools)


def _figures(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["figures"]


@pytest.mark.django_db
def test_a_schools_figures_are_cached_and_change_after_a_report_and_a_decision(
    client, school, head, autumn, counted, django_capture_on_commit_callbacks
):
    client.force_login(head)
    with _at(D(2026, 11, 10)):
        with django_capture_on_commit_callbacks(execute=True):
            case = triaged_case(school, head)
        first = _figures(client)
        assert first.reports == [1] and first.cases == [1]
        assert _figures(client).reports == [1]  # the same page again: from the cache
        assert len(counted) == 1

        with django_capture_on_commit_callbacks(execute=True):
            submit_report(school)
        assert _figures(client).reports == [2]
        assert len(counted) == 2

        with django_capture_on_commit_callbacks(execute=True):
            case_decide(case, head, actions=["reminder"], rationale="First time")
        outcome = {
            r.label: r.counts
            for b in _figures(client).breakdowns
            if b.key == "outcome"
            for r in b.rows
        }
        assert outcome["Reminder of the code"] == [1]
        assert len(counted) == 3
        assert _figures(client).reports == [2] and len(counted) == 3


@pytest.mark.django_db
def test_a_trusts_figures_change_when_one_of_its_schools_changes(
    client,
    school,
    other_school,
    trust,
    trust_exec,
    head,
    other_head,
    counted,
    django_capture_on_commit_callbacks,
):
    other_school.trust = trust
    other_school.save()
    client.force_login(trust_exec)
    with _at(D(2026, 11, 10)):
        with django_capture_on_commit_callbacks(execute=True):
            triaged_case(school, head)
        assert _figures(client).cases == [0, 1]  # Elsewhere Academy, Willow Park Primary
        assert _figures(client).cases == [0, 1] and len(counted) == 1
        before = _settled(school, other_school)
        assert _figures(client).cases == [0, 1] and len(counted) == 1  # still cached
        with django_capture_on_commit_callbacks(execute=True):
            triaged_case(other_school, other_head)
        after = _tokens(school, other_school)
        # Only the school that changed has a new version.
        assert after[school.pk] == before[school.pk]
        assert after[other_school.pk] != before[other_school.pk]
        assert _figures(client).cases == [1, 1] and len(counted) == 2


@pytest.mark.django_db
def test_staff_of_one_school_never_see_another_schools_cached_figures(
    client, school, other_school, head, other_head, autumn
):
    with _at(D(2026, 11, 10)):
        triaged_case(other_school, other_head)
        triaged_case(other_school, other_head)
        triaged_case(school, head)
        stats_cache.changed(school.pk, other_school.pk)
        client.force_login(other_head)
        for _ in range(2):  # counted, then from the cache
            theirs = _figures(client)
            assert [s.pk for s in theirs.schools] == [other_school.pk] and theirs.cases == [2]
        client.force_login(head)
        for _ in range(2):
            ours = _figures(client)
            assert [s.pk for s in ours.schools] == [school.pk] and ours.cases == [1]
        # Asking for the other school by its id gives the user's own school.
        response = client.get(URL, {"school": other_school.pk})
        assert response.context["figures"].cases == [1]
        assert "Elsewhere Academy" not in response.content.decode()


@pytest.mark.django_db
def test_a_cached_page_carries_this_requests_nonce(client, school, head, autumn):
    client.force_login(head)
    with _at(D(2026, 11, 30)):
        triaged_case(school, head)
        stats_cache.changed(school.pk)
        for _ in range(3):
            response = client.get(URL)
            html = response.content.decode()
            nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
            styles = re.findall(r"<style[^>]*>", html)
            assert styles and all(f'nonce="{nonce}"' in s for s in styles)
            assert stats_cache.NONCE_PLACEHOLDER not in html


@pytest.mark.django_db
def test_a_transactions_changes_give_one_new_version_on_commit(
    school, head, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction

    before = _settled(school)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                submit_report(school)
                raise RuntimeError
        except RuntimeError:
            pass
    # Nothing is left to do for a commit that never comes (the version was replaced at once:
    # a recount, harmless).
    assert not callbacks
    before = _settled(school)
    replaced = []
    real = versions._replace
    monkeypatch.setattr(
        versions, "_replace", lambda names: replaced.append(set(names)) or real(names)
    )
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        submit_report(school)
        submit_report(school)
    inside = _tokens(school)
    assert inside != before  # the transaction's own reads count again
    replaced.clear()
    for callback in callbacks:
        callback()
    # One new version for the transaction, however many rows.
    assert len(replaced) == 1 and stats_cache.version_name(school.pk) in replaced[0]
    assert _tokens(school)[school.pk] not in (before[school.pk], inside[school.pk])


@pytest.mark.django_db
def test_term_dates_imported_in_bulk_and_a_person_moving_school_change_the_versions(
    school, other_school, django_capture_on_commit_callbacks
):
    before = _settled(school, other_school)
    imported = ImportedCalendar(terms=[("Spring 1", D(2027, 1, 5), D(2027, 2, 12))], insets=[])
    with django_capture_on_commit_callbacks(execute=True):
        calendar_replace(school=school, imported=imported, replace=False)
    moved = _tokens(school, other_school)
    assert moved[school.pk] != before[school.pk]
    assert moved[other_school.pk] == before[other_school.pk]

    person = Person.objects.create(school=school, full_name="Pat Mover")
    before = _settled(school, other_school)
    person = Person.objects.get(pk=person.pk)
    with django_capture_on_commit_callbacks(execute=True):
        person.school = other_school
        person.save()
    after = _tokens(school, other_school)
    assert after[school.pk] != before[school.pk]  # it left this school's figures
    assert after[other_school.pk] != before[other_school.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("extra_schools", [0, 4])
def test_a_cold_view_takes_at_most_twelve_queries_whatever_the_schools(
    client, school, trust, trust_exec, head, autumn, extra_schools, django_assert_max_num_queries
):
    for _ in range(extra_schools):
        other = SchoolFactory(trust=trust)
        with _at(D(2026, 11, 10)):
            submit_report(other)
    with _at(D(2026, 11, 10)):
        triaged_case(school, head, person=Person.objects.create(school=school, full_name="P"))
    client.force_login(trust_exec)
    with _at(D(2026, 11, 30)):
        for params in ({}, {"period": "last_year"}, {"bucket": "half_term"}):
            client.get(URL, params)  # the session, and each school's first version
            stats_cache.changed(*(s.pk for s in trust.schools.all()))  # cold: nothing cached
            # session, user, roles, schools (with versions), groups, term dates (this term
            # only), then the figures: calendars, reports, cases, people, tallies.
            with django_assert_max_num_queries(12):
                response = client.get(URL, params)
            assert len(response.context["figures"].schools) == 1 + extra_schools
            # warm: the figures' five queries are gone
            with django_assert_max_num_queries(7):
                client.get(URL, params)


@pytest.mark.django_db
def test_the_page_still_counts_when_the_cache_is_down(
    client, school, head, autumn, counted, monkeypatch
):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    client.force_login(head)
    with _at(D(2026, 11, 10)):
        triaged_case(school, head)
        _settled(school)
        monkeypatch.setattr(cache, "get", down)
        monkeypatch.setattr(cache, "set", down)
        assert _figures(client).cases == [1] and _figures(client).cases == [1]
    assert len(counted) == 2  # counted each time, no error page


@pytest.mark.django_db
def test_a_cache_not_shared_by_every_process_is_not_used(
    client, school, head, autumn, counted, settings
):
    """Production without Redis has a per-process cache: the figures are counted every time."""
    settings.CACHE_SHARED = False
    client.force_login(head)
    with _at(D(2026, 11, 10)):
        triaged_case(school, head)
        assert _figures(client).cases == [1] and _figures(client).cases == [1]
    assert len(counted) == 2
