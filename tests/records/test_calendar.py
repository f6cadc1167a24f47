"""Subject access requests and breaches on the deadlines calendar and its feed: for the
people who keep the register (SLT, trust executives), saying no more than the register."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from icalendar import Calendar

from incidents.models import Person
from oversight.deadlines import deadlines_for, feed_create
from records import services
from tests.helpers import frozen_at

D = datetime.date
TODAY = D(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today():
    with frozen_at(TODAY):
        yield


@pytest.fixture
def sar(school, head):
    person = Person.objects.create(school=school, full_name="Priya Requester-Smythe")
    return services.sar_register(
        school=school,
        person=person,
        requester_name="Priya Requester-Smythe",
        requester_is_subject=True,
        received_on=D(2026, 11, 20),
        identity_checked_on=D(2026, 11, 23),  # the month runs to 23 December
        scope="Everything about my complaint",
        actor=head,
    )


@pytest.fixture
def breach(school, head):
    return services.breach_record(
        school=school,
        summary="Laptop left on a train",
        aware_at=datetime.datetime(2026, 11, 30, 16, tzinfo=datetime.UTC),
        details="",
        actor=head,
    )


def items(user, **kwargs):
    return {(d.kind, d.reference, d.due_on) for d in deadlines_for(user, today=TODAY, **kwargs)}


@pytest.mark.django_db
def test_open_sar_and_undecided_breach_are_on_the_calendar_of_slt_and_trust(
    sar, breach, head, trust_exec, dsl, other_head
):
    expected = {
        ("sar", f"SAR {sar.pk}", D(2026, 12, 23)),
        ("breach", f"Breach {breach.pk}", D(2026, 12, 3)),  # 72 hours after 16:00 on 30 Nov
    }
    assert items(head) == expected
    assert items(trust_exec) == expected
    # The DSL and another school's head don't keep this register.
    assert items(dsl) == set()
    assert items(other_head) == set()


@pytest.mark.django_db
def test_the_sar_clock_edges_and_what_leaves_the_calendar(sar, school, head):
    # Before the identity check the month hasn't started: nothing due yet.
    unchecked = services.sar_register(
        school=school,
        person=sar.person,
        requester_name="Someone",
        requester_is_subject=False,
        received_on=TODAY,
        identity_checked_on=None,
        scope="",
        actor=head,
    )
    assert f"SAR {unchecked.pk}" not in {r for _, r, _ in items(head)}
    # Extended by two months: due 23 February, past the calendar's eight weeks.
    services.sar_extend(sar, months=2, told_on=D(2026, 12, 1), reason="Complex")
    assert items(head) == set()
    assert ("sar", f"SAR {sar.pk}", D(2027, 2, 23)) in items(head, weeks=13)
    services.sar_close(sar, status="responded", on=TODAY)
    assert items(head, weeks=13) == set()


@pytest.mark.django_db
def test_filtering_by_school_keeps_them_and_by_person_drops_them(sar, school, other_school, head):
    assert items(head, school_id=school.pk)
    assert items(head, school_id=other_school.pk) == set()
    assert items(head, lead_id=head.pk) == set()  # no case lead: not anyone's


@pytest.mark.django_db
def test_the_page_and_feed_say_no_more_than_the_register(client, sar, breach, head):
    client.force_login(head)
    html = client.get(reverse("oversight:deadlines")).content.decode()
    assert "Subject access request to answer" in html
    assert reverse("records:sar", args=[sar.pk]) in html
    assert reverse("records:breach", args=[breach.pk]) in html
    for secret in ("Priya", "Smythe", "complaint", "Laptop"):
        assert secret not in html
    token = feed_create(user=head)
    feed = client.get(reverse("oversight:deadline-feed", args=[token]))
    body = feed.content.decode()
    summaries = {str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert f"Subject access request to answer — SAR {sar.pk}" in summaries
    assert reverse("records:sar", args=[sar.pk]) in body
    for secret in ("Priya", "Smythe", "complaint", "Laptop"):
        assert secret not in body


@pytest.mark.django_db
def test_sars_are_not_reminded_twice(sar, head, eager_tasks, django_capture_on_commit_callbacks):
    """The calendar item leaves the reminding to the records app's own email."""
    from django.core import mail

    from incidents.deadlines import reminders_send

    with (
        frozen_at(D(2026, 12, 20), hour=7),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reminders_send(today=D(2026, 12, 20))
    subjects = [m.subject for m in mail.outbox]
    assert len([s for s in subjects if "ubject access" in s]) == 1
