"""The one outbox: a dedupe key is written once, kinds must be registered, nobody means no mail."""

from __future__ import annotations

import pytest
from django.core import mail

from schoolconduct import outbox
from schoolconduct.models import Notification
from tests.factories import submit_report


@pytest.mark.django_db
def test_the_same_dedupe_key_is_written_and_sent_once(
    school, head, eager_tasks, django_capture_on_commit_callbacks
):
    report, _ = submit_report(school)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.notification_queue(
            kind="slt_new_report", target=report.case, dedupe_key="slt_new_report:test"
        )
        again = outbox.notification_queue(
            kind="slt_new_report", target=report.case, dedupe_key="slt_new_report:test"
        )
    assert first is not None and again is None
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_unregistered_kind_is_refused(school):
    report, _ = submit_report(school)
    with pytest.raises(ValueError, match="Unregistered"):
        outbox.notification_queue(kind="no_such_kind", target=report.case, dedupe_key="x")


@pytest.mark.django_db
def test_with_nobody_to_tell_it_is_marked_sent_without_an_email(
    school, eager_tasks, django_capture_on_commit_callbacks
):
    report, _ = submit_report(school)  # no SLT at this school: nobody to alert
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox.notification_queue(
            kind="slt_new_report", target=report.case, dedupe_key="slt_new_report:test"
        )
    row.refresh_from_db()
    assert row.sent_at is not None and row.recipient_count == 0
    assert mail.outbox == []
