"""The filter form of a filtered list (values chosen) kept in the cache per set of values
(incidents.filters.FilterChoices.chosen_form_html): rendered once, the same HTML, its own per
set of values, and replaced when the set-up changes."""

from __future__ import annotations

import pytest

from incidents import filters
from tests.factories import RuleFactory, submit_report


def filter_form(html: str) -> str:
    return html[html.index("<aside") : html.index("</aside>")]


def form_renders(response) -> int:
    return sum(t.name == filters.FILTER_FORM_TEMPLATE for t in response.templates)


@pytest.mark.django_db
def test_a_filtered_form_is_rendered_once_and_shown_the_same(client, school, head):
    submit_report(school, content="Mr Quigley again")
    client.force_login(head)
    params = {"status": ["new", "action"], "q": "quigley", "severity": "high"}
    first = client.get("/staff/cases/", params)
    assert form_renders(first) == 1
    again = client.get("/staff/cases/", params)
    assert form_renders(again) == 0
    assert filter_form(again.text) == filter_form(first.text)
    assert '<option value="high" selected>' in again.text and 'value="quigley"' in again.text
    # A later page of the same filtered list: the same form, from the cache.
    later = client.get("/staff/cases/", {**params, "after": "2026-01-01T00:00:00+00:00~1"})
    assert form_renders(later) == 0 and filter_form(later.text) == filter_form(first.text)


@pytest.mark.django_db
def test_other_values_get_their_own_form(client, school, head):
    client.force_login(head)
    high = client.get("/staff/cases/", {"severity": "high"}).text
    low = client.get("/staff/cases/", {"severity": "low"}).text
    assert '<option value="high" selected>' in high and '<option value="low" selected>' in low
    assert '<option value="high" selected>' not in low
    # Invalid values show their error, kept with them.
    bad = client.get("/staff/cases/", {"opened_after": "not a date"})
    assert "Enter a valid date." in bad.text
    assert "Enter a valid date." in client.get("/staff/cases/", {"opened_after": "x"}).text


@pytest.mark.django_db
def test_a_change_to_the_set_up_shows_in_a_kept_filtered_form(client, school, head):
    client.force_login(head)
    before = client.get("/staff/cases/", {"status": "new"}).text  # now in the cache
    RuleFactory(school=school, title="No photos of children")
    assert "No photos of children" not in filter_form(before)
    after = client.get("/staff/cases/", {"status": "new"})
    assert form_renders(after) == 1
    assert "No photos of children" in filter_form(after.text)


@pytest.mark.django_db
def test_long_values_are_not_kept(client, school, head):
    client.force_login(head)
    params = {"q": "x" * (filters.CHOSEN_FORM_MAX + 1)}
    client.get("/staff/cases/", params)
    assert form_renders(client.get("/staff/cases/", params)) == 1


@pytest.mark.django_db
def test_a_kept_filtered_list_reads_the_cache_once(client, school, head, monkeypatch):
    """The set-up's token, the choices and this filtered form: one read (a `get_many`, one
    round trip to Redis), not three."""
    from django.core.cache import cache

    client.force_login(head)
    params = {"status": "new", "q": "quigley"}
    client.get("/staff/cases/", params)  # the choices and this form are now kept
    reads: list[str] = []
    inside = []  # a get_many of the local-memory cache is a get per key: count the outer call

    def spy(name, real):
        def read(*args, **kwargs):
            if not inside:
                reads.append(name)
            inside.append(name)
            try:
                return real(*args, **kwargs)
            finally:
                inside.pop()

        return read

    for name in ("get", "get_many"):
        monkeypatch.setattr(cache, name, spy(name, getattr(cache, name)))
    again = client.get("/staff/cases/", params)
    assert form_renders(again) == 0 and 'value="quigley"' in again.text
    assert reads == ["get_many"]
