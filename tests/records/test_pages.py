"""The records pages: one service call each, refusals keep what was typed."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents import workflow
from incidents.models import Person
from records import services
from records.models import Breach, DisposalLog, DisposalProposal, SubjectAccessRequest
from schoolconduct import outbox
from schoolconduct.models import Notification
from tests.factories import triaged_case


@pytest.fixture
def parent(school):
    return Person.objects.create(school=school, full_name="Pat Parent")


@pytest.mark.django_db
def test_register_a_sar_and_see_its_due_date(client, head, school, parent):
    client.force_login(head)
    response = client.post(
        reverse("records:sars"),
        {
            "school": school.pk,
            "person": parent.pk,
            "requester_name": "Pat Parent",
            "requester_is_subject": "on",
            "received_on": "2025-01-20",
            "identity_checked_on": "2025-01-31",
            "scope": "All emails",
        },
    )
    sar = SubjectAccessRequest.objects.get()
    assert response.url == reverse("records:sar", args=[sar.pk])
    page = client.get(response.url).content.decode()
    assert "28 February 2025" in page  # from the ID check, the later date


@pytest.mark.django_db
def test_a_late_extension_is_refused_on_the_page_and_keeps_the_reason(client, head, school, parent):
    sar = services.sar_register(
        school=school,
        person=parent,
        requester_name="Pat",
        requester_is_subject=True,
        received_on=datetime.date(2025, 1, 31),
        identity_checked_on=datetime.date(2025, 1, 31),
        scope="",
        actor=head,
    )
    client.force_login(head)
    url = reverse("records:sar", args=[sar.pk])
    data = {
        "step": "extend",
        "extend-months": "1",
        "extend-told_on": "2025-03-01",
        "extend-reason": "Many cases to search",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Too late to extend" in page and "Many cases to search" in page
    assert SubjectAccessRequest.objects.get(pk=sar.pk).extension_months == 0
    data["extend-told_on"] = "2025-02-28"
    assert client.post(url, data).status_code == 302
    assert SubjectAccessRequest.objects.get(pk=sar.pk).due_on == datetime.date(2025, 3, 31)


@pytest.mark.django_db
def test_breach_logged_on_the_page_shows_the_ico_deadline(client, head, school):
    client.force_login(head)
    response = client.post(
        reverse("records:breaches"),
        {
            "school": school.pk,
            "summary": "Letter to the wrong address",
            "aware_at": "2026-11-30T09:15",
        },
    )
    breach = Breach.objects.get()
    page = client.get(response.url).content.decode()
    assert "3 December 2026 09:15" in page
    assert breach.ico_due_at - breach.aware_at == datetime.timedelta(hours=72)


@pytest.mark.django_db
def test_breach_with_blank_summary_keeps_what_was_typed(client, head, school):
    client.force_login(head)
    response = client.post(
        reverse("records:breaches"),
        {"school": school.pk, "summary": "   ", "aware_at": "2026-11-30T09:15", "details": "kept"},
    )
    assert response.status_code == 200
    assert "kept" in response.content.decode()
    assert not Breach.objects.exists()


@pytest.mark.django_db
def test_case_page_says_when_it_is_due_for_review(client, head, school, parent, time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 31, 10, tzinfo=datetime.UTC))
    case = triaged_case(school, head, person=parent)
    page = client.get(reverse("staff:case-detail", args=[case.reference]))
    client.force_login(head)
    page = client.get(reverse("staff:case-detail", args=[case.reference])).content.decode()
    assert "due for review" not in page
    workflow.case_close(case, head, outcome="Resolved", rationale="Done")
    page = client.get(reverse("staff:case-detail", args=[case.reference])).content.decode()
    assert "Records due for review on 31 January 2032 (case closure + 6 years)" in page


@pytest.mark.django_db(transaction=True)
def test_dispose_from_the_page_needs_the_box_ticked(client, head, school, parent, time_machine):
    time_machine.move_to(datetime.datetime(2019, 5, 1, 10, tzinfo=datetime.UTC))
    case = triaged_case(school, head, person=parent)
    workflow.case_close(case, head, outcome="Resolved", rationale="Done")
    time_machine.move_to(datetime.datetime(2026, 5, 1, 10, tzinfo=datetime.UTC))
    services.proposals_make(today=timezone.localdate())
    proposal = DisposalProposal.objects.get()
    client.force_login(head)
    url = reverse("records:dispose", args=[proposal.pk])
    client.post(url)
    assert not DisposalLog.objects.exists()
    client.post(url, {"confirm": "yes"})
    page = client.get(reverse("records:retention")).content.decode()
    assert case.reference in page and "Pat Parent" not in page
    assert DisposalLog.objects.get().case_reference == case.reference


@pytest.mark.django_db
def test_reminders_for_a_sar_due_soon_and_an_undecided_breach_go_once(
    school, head, parent, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 28, 7, tzinfo=datetime.UTC))
    services.sar_register(
        school=school,
        person=parent,
        requester_name="Pat",
        requester_is_subject=True,
        received_on=datetime.date(2026, 11, 2),
        identity_checked_on=datetime.date(2026, 11, 2),
        scope="",
        actor=head,
    )
    # Due 2 December: five days ahead of 27 November is the edge; the 26th is too early.
    assert services.reminders_send(today=datetime.date(2026, 11, 26)) == 0
    services.breach_record(
        school=school, summary="Lost", aware_at=timezone.now(), details="", actor=head
    )
    assert services.reminders_send(today=datetime.date(2026, 11, 27)) == 2
    assert services.reminders_send(today=datetime.date(2026, 11, 28)) == 0
    rows = Notification.objects.filter(kind=services.REMINDER)
    assert sorted(row.params["what"] for row in rows) == ["breach", "sar"]
    for row in rows:
        assert outbox.notification_send(notification_id=row.pk)
    assert len(mail.outbox) == 2
    assert all(m.bcc == [head.email] for m in mail.outbox)
    assert any("Subject access request" in m.subject for m in mail.outbox)
    assert all("Pat" not in m.body for m in mail.outbox)
