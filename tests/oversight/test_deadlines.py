"""The deadlines calendar and its private iCalendar feed."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from oversight.deadlines import feed_create
from oversight.models import CalendarFeed
from tests.factories import submit_report

D = datetime.date


def _at(day: datetime.date):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), tick=False
    )


@pytest.mark.django_db
def test_calendar_lists_deadlines_by_week_beyond_the_dashboards_five_days(client, school, head):
    school.triage_target_days = 10
    school.save()
    with _at(D(2026, 11, 30)):  # a Monday: ten school days later is Monday 14 December
        report, _ = submit_report(school)
        client.force_login(head)
        response = client.get(reverse("oversight:deadlines"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Week beginning 14 December 2026" in html
    assert "Monday 14 December" in html
    assert report.case.reference in html
    assert "Report waiting for triage" in html


@pytest.mark.django_db
def test_overdue_items_come_first(client, school, head):
    with _at(D(2026, 11, 2)):
        report, _ = submit_report(school)
    with _at(D(2026, 11, 30)):
        client.force_login(head)
        response = client.get(reverse("oversight:deadlines"))
    assert [d.case for d in response.context["overdue"]] == [report.case]


@pytest.mark.django_db
def test_filter_by_school_and_lead(client, school, other_school, trust, trust_exec, head):
    other_school.trust = trust
    other_school.save()
    with _at(D(2026, 11, 30)):
        here, _ = submit_report(school)
        there, _ = submit_report(other_school)
        client.force_login(trust_exec)
        everything = client.get(reverse("oversight:deadlines"))
        one = client.get(reverse("oversight:deadlines"), {"school": other_school.pk})
        nobody = client.get(reverse("oversight:deadlines"), {"lead": head.pk})
    refs = lambda r: {d.case.reference for w in r.context["weeks"] for _, ds in w.days for d in ds}  # noqa: E731
    assert refs(everything) == {here.case.reference, there.case.reference}
    assert refs(one) == {there.case.reference}
    assert refs(nobody) == set()  # new reports have no lead yet


@pytest.mark.django_db
def test_feed_shows_reference_and_kind_only_and_stops_when_revoked(client, school, head):
    school.triage_target_days = 2
    school.save()
    with _at(D(2026, 11, 30)):
        report, _ = submit_report(school, content="Very private words about Mrs Example")
        client.force_login(head)
        client.post(reverse("oversight:deadline-feed-manage"), {"do": "create"})
        page = client.get(reverse("oversight:deadlines"))
        url = page.context["feed_url"]
        assert url and "/staff/reports/deadlines/feed/" in url
        # Shown once only: a reload does not show it again.
        assert client.get(reverse("oversight:deadlines")).context["feed_url"] is None
        path = url.split("testserver", 1)[1]
        client.logout()
        feed = client.get(path)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert "no-store" in feed["Cache-Control"]
    body = feed.content.decode()
    assert "private words" not in body and "Example" not in body
    [event] = Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["summary"]) == f"Report waiting for triage — {report.case.reference}"
    assert event.decoded("dtstart") == D(2026, 12, 2)
    # The database holds only the token's hash.
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_sha256=token).exists()
    client.force_login(head)
    client.post(reverse("oversight:deadline-feed-manage"), {"do": "revoke"})
    client.logout()
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_a_new_address_stops_the_old_one_and_an_inactive_user_gets_nothing(client, head):
    old = feed_create(user=head)
    new = feed_create(user=head)
    assert client.get(reverse("oversight:deadline-feed", args=[old])).status_code == 404
    assert client.get(reverse("oversight:deadline-feed", args=[new])).status_code == 200
    head.is_active = False
    head.save()
    assert client.get(reverse("oversight:deadline-feed", args=[new])).status_code == 404


@pytest.mark.django_db
def test_feed_respects_what_the_user_may_open(client, school, dsl):
    with _at(D(2026, 11, 30)):
        unflagged, _ = submit_report(school)
        flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
        token = feed_create(user=dsl)
        body = client.get(reverse("oversight:deadline-feed", args=[token])).content.decode()
    assert flagged.case.reference in body
    assert unflagged.case.reference not in body
