"""The data-protection clocks at their exact edges."""

from __future__ import annotations

import datetime

import pytest

from records import clocks, services
from records.models import Breach, SubjectAccessRequest
from records.services import RecordsError

D = datetime.date


@pytest.mark.parametrize(
    "received, checked, due",
    [
        (D(2026, 3, 3), D(2026, 3, 3), D(2026, 4, 3)),  # the same date next month
        (D(2027, 1, 31), D(2027, 1, 31), D(2027, 2, 28)),  # 31 January → 28 February
        (D(2028, 1, 31), D(2028, 1, 31), D(2028, 2, 29)),  # … 29 February in a leap year
        (D(2026, 3, 31), D(2026, 3, 31), D(2026, 4, 30)),  # 31 March → 30 April
        (D(2026, 12, 15), D(2026, 12, 15), D(2027, 1, 15)),  # across the year end
        (D(2026, 1, 10), D(2026, 1, 31), D(2026, 2, 28)),  # ID checked later: from the check
        (D(2026, 1, 31), D(2026, 1, 10), D(2026, 2, 28)),  # ID checked first: from receipt
    ],
)
def test_sar_month_runs_from_the_later_of_receipt_and_id_check(received, checked, due):
    assert clocks.sar_due_on(received, checked) == due


def test_sar_clock_waits_for_the_identity_check():
    assert clocks.sar_due_on(D(2026, 3, 3), None) is None


def test_extension_adds_calendar_months_from_the_start():
    assert clocks.sar_due_on(D(2027, 1, 31), D(2027, 1, 31), 2) == D(2027, 4, 30)
    assert clocks.sar_due_on(D(2026, 11, 30), D(2026, 11, 30), 1) == D(2027, 1, 30)


@pytest.fixture
def sar(school, head):
    from incidents.models import Person

    person = Person.objects.create(school=school, full_name="Pat Parent")
    return services.sar_register(
        school=school,
        person=person,
        requester_name="  Pat\u00a0 Parent ",
        requester_is_subject=True,
        received_on=D(2025, 1, 31),
        identity_checked_on=D(2025, 1, 31),
        scope="Everything",
        actor=head,
    )


@pytest.mark.django_db
def test_requester_name_spaces_collapse_and_blank_is_refused(sar, school, head):
    assert sar.requester_name == "Pat Parent"
    with pytest.raises(RecordsError, match="who made the request"):
        services.sar_register(
            school=school,
            person=sar.person,
            requester_name=" \u00a0 ",
            requester_is_subject=True,
            received_on=D(2025, 1, 1),
            identity_checked_on=None,
            scope="",
            actor=head,
        )


@pytest.mark.django_db
def test_extension_told_on_the_last_day_of_the_first_month_is_allowed(sar):
    services.sar_extend(sar, months=2, told_on=D(2025, 2, 28), reason="Complex: many cases")
    sar = SubjectAccessRequest.objects.get(pk=sar.pk)
    assert sar.extension_months == 2
    assert sar.due_on == D(2025, 4, 30)


@pytest.mark.django_db
def test_extension_told_one_day_after_the_first_month_is_refused_with_the_reason(sar):
    with pytest.raises(RecordsError, match=r"Too late to extend.*28 February 2025"):
        services.sar_extend(sar, months=1, told_on=D(2025, 3, 1), reason="Complex")
    sar = SubjectAccessRequest.objects.get(pk=sar.pk)
    assert sar.extension_months == 0
    assert sar.due_on == D(2025, 2, 28)


@pytest.mark.django_db
@pytest.mark.parametrize("months", [0, 3])
def test_extension_is_one_or_two_months(sar, months):
    with pytest.raises(RecordsError, match="one or two further months"):
        services.sar_extend(sar, months=months, told_on=D(2025, 2, 1), reason="Complex")


@pytest.mark.django_db
def test_extension_needs_a_reason_that_is_not_only_spaces(sar):
    with pytest.raises(RecordsError, match="reason"):
        services.sar_extend(sar, months=1, told_on=D(2025, 2, 1), reason=" \u00a0 ")


@pytest.mark.django_db
def test_extension_before_the_identity_check_is_refused(sar):
    sar.identity_checked_on = None
    sar.save()
    with pytest.raises(RecordsError, match="identity check"):
        services.sar_extend(sar, months=1, told_on=D(2025, 2, 1), reason="Complex")


def test_breach_ico_clock_is_72_hours_to_the_minute():
    aware = datetime.datetime(2026, 10, 24, 9, 15, tzinfo=datetime.UTC)
    assert clocks.breach_due_at(aware) == datetime.datetime(
        2026, 10, 27, 9, 15, tzinfo=datetime.UTC
    )


def test_breach_clock_across_the_clocks_going_back_is_72_real_hours():
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # British Summer Time ends on 25 October 2026: 72 elapsed hours end at 08:15 GMT.
    aware = datetime.datetime(2026, 10, 24, 9, 15, tzinfo=london)
    due = clocks.breach_due_at(aware)
    assert (due - aware).total_seconds() == 72 * 3600
    assert due.astimezone(datetime.UTC) == datetime.datetime(
        2026, 10, 27, 8, 15, tzinfo=datetime.UTC
    )


@pytest.mark.django_db
def test_breach_decision_needs_a_reason_and_a_report_time(school, head):
    from django.utils import timezone

    aware = timezone.now() - datetime.timedelta(hours=5)
    breach = services.breach_record(
        school=school, summary="Email to wrong parent", aware_at=aware, details="", actor=head
    )
    assert breach.ico_due_at == aware + datetime.timedelta(hours=72)
    with pytest.raises(RecordsError, match="reason"):
        services.breach_decide(breach, decision="not_report", reason="  ")
    with pytest.raises(RecordsError, match="time it was reported"):
        services.breach_decide(breach, decision="report", reason="Risk to a child")
    services.breach_decide(breach, decision="not_report", reason="Recalled unread")
    assert Breach.objects.get(pk=breach.pk).decision == "not_report"


@pytest.mark.django_db
def test_breach_awareness_in_the_future_is_refused(school, head):
    from django.utils import timezone

    with pytest.raises(RecordsError, match="future"):
        services.breach_record(
            school=school,
            summary="x",
            aware_at=timezone.now() + datetime.timedelta(minutes=5),
            details="",
            actor=head,
        )
