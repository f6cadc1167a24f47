"""Emails after commit, with no content; sent markers; the sweep; Redis down; a real worker."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Report
from schoolconduct.models import Notification
from schoolconduct.outbox import notification_send, notifications_sweep
from schools.models import Role
from tests.factories import REPORT_URL, MembershipFactory, UserFactory, report_form_data

SECRET_TEXT = "Mrs Smith is a useless teacher"


def all_mail_text() -> str:
    return "\n".join(m.subject + "\n" + m.body for m in mail.outbox)


@pytest.mark.django_db
def test_emails_are_sent_only_after_commit(
    school, head, client, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(REPORT_URL, report_form_data(school))
    assert mail.outbox == []  # nothing left before the transaction committed
    assert callbacks
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_slt_alert_has_the_reference_and_a_link_but_no_content(
    school, head, slt, dsl, client, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REPORT_URL, report_form_data(school))
    report = Report.objects.get()
    [email] = mail.outbox
    assert set(email.bcc) == {head.email, slt.email}  # SLT only, not the DSL for a "no"
    assert email.to == []
    assert report.reference in email.subject
    assert "http://testserver/staff/" in email.body
    assert SECRET_TEXT not in all_mail_text()
    assert Notification.objects.get().sent_at is not None


@pytest.mark.django_db
def test_dsl_gets_an_urgent_alert_and_the_reporter_an_acknowledgement(
    school, head, dsl, client, eager_tasks, django_capture_on_commit_callbacks
):
    data = report_form_data(
        school,
        child_at_risk="unsure",
        child_risk_details="A child is named",
        reporter_email="priya@example.com",
        contact_preference="email",
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REPORT_URL, data)
    report = Report.objects.get()
    by_kind = {m.subject.split(" ")[0]: m for m in mail.outbox}
    urgent = by_kind["URGENT:"]
    assert urgent.bcc == [dsl.email]
    ack = by_kind["We"]
    assert ack.bcc == ["priya@example.com"]
    assert report.reference in ack.body
    text = all_mail_text()
    assert SECRET_TEXT not in text and "A child is named" not in text
    receipt = client.get("/s/willow-park/report/receipt/")
    code = receipt.context["receipt"]["code"]
    assert code not in text and code.replace("-", "") not in text
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_without_a_dsl_the_urgent_alert_goes_to_slt(
    school, head, client, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            REPORT_URL, report_form_data(school, child_at_risk="yes", child_risk_details="x")
        )
    urgent = [m for m in mail.outbox if m.subject.startswith("URGENT")]
    assert urgent and urgent[0].bcc == [head.email]


@pytest.mark.django_db
def test_inactive_staff_and_other_schools_are_not_emailed(
    school, other_school, head, client, eager_tasks, django_capture_on_commit_callbacks
):
    leaver = UserFactory(username="leaver", is_active=False)
    MembershipFactory(user=leaver, school=school, role=Role.SLT)
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, school=other_school, role=Role.SLT)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REPORT_URL, report_form_data(school))
    assert mail.outbox[0].bcc == [head.email]


@pytest.mark.django_db
def test_sending_twice_sends_once(school, head, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        client.post(REPORT_URL, report_form_data(school))
    notification = Notification.objects.get()
    assert notification_send(notification_id=notification.pk) is True
    assert notification_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_for_a_retry(
    school, head, client, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        client.post(REPORT_URL, report_form_data(school))
    notification = Notification.objects.get()

    def smtp_down(self, *args, **kwargs):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", smtp_down)
    with pytest.raises(OSError):
        notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.sent_at is None and notification.claimed_at is None
    assert "unreachable" in notification.last_error
    monkeypatch.undo()
    assert notification_send(notification_id=notification.pk) is True


@pytest.mark.django_db
def test_report_is_saved_while_redis_is_unreachable_and_the_sweep_sends_it(
    school, head, client, broker_down, django_capture_on_commit_callbacks, caplog
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORT_URL, report_form_data(school))
    assert time.monotonic() - started < 15  # the parent is not kept waiting on the broker
    assert response.status_code == 302
    receipt = client.get(response["Location"])
    assert receipt.context["receipt"]["reference"]  # the parent still gets a receipt
    assert Report.objects.count() == 1
    notification = Notification.objects.get()
    assert notification.sent_at is None
    assert "the sweep will send it" in caplog.text
    assert mail.outbox == []

    # Nothing is swept while it is fresh; once old enough, the sweep sends it.
    assert notifications_sweep() == 0
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    call_command("send_notifications")
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_on_redis_delivers_the_notifications(
    school, head, dsl, client, celery_worker_on_redis
):
    data = report_form_data(
        school,
        child_at_risk="yes",
        child_risk_details="Threat to a pupil",
        reporter_email="priya@example.com",
        contact_preference="email",
    )
    response = client.post(REPORT_URL, data)
    assert response.status_code == 302
    from tests.helpers import wait_for

    wait_for(lambda: not Notification.objects.filter(sent_at__isnull=True).exists(), 20)
    assert Notification.objects.count() == 3
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert sorted(m.subject.split(" ")[0] for m in mail.outbox) == ["New", "URGENT:", "We"]
    assert "Threat to a pupil" not in all_mail_text()
