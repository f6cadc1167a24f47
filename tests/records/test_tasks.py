"""The nightly proposal task and the daily reminders, on a real Celery worker and Redis."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from incidents import workflow
from incidents.models import Case, Person
from records import services
from records.models import DisposalProposal
from tests.factories import triaged_case
from tests.helpers import wait_for


@pytest.mark.django_db(transaction=True)
def test_nightly_task_proposes_and_daily_job_reminds_on_a_real_worker(school, head, request):
    from incidents.tasks import send_reminders
    from records.tasks import propose_disposals

    parent = Person.objects.create(school=school, full_name="Pat Parent")
    case = triaged_case(school, head, person=parent)
    workflow.case_close(case, head, outcome="Resolved", rationale="Done")
    Case.objects.filter(pk=case.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=6 * 366)
    )
    today = timezone.localdate()
    services.sar_register(
        school=school,
        person=parent,
        requester_name="Pat",
        requester_is_subject=True,
        received_on=today - datetime.timedelta(days=29),
        identity_checked_on=today - datetime.timedelta(days=29),
        scope="",
        actor=head,
    )
    mail.outbox.clear()
    # The worker starts after the data is written (SQLite's shared test database locks).
    request.getfixturevalue("celery_worker_on_redis")
    propose_disposals.delay()
    wait_for(lambda: DisposalProposal.objects.filter(case=case).exists(), 60)
    assert DisposalProposal.objects.get(case=case).status == "held"  # the open SAR
    send_reminders.delay()
    wait_for(lambda: any("Subject access request" in m.subject for m in mail.outbox), 60)
    assert all("Pat" not in m.body for m in mail.outbox)
