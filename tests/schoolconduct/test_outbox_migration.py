"""The move into the one outbox keeps every existing row: sent stays sent, waiting still goes."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import submit_report

BEFORE = [("incidents", "0006_conf_wording"), ("schoolconduct", "0001_initial")]
AFTER = [("incidents", "0007_outbox_one_outbox")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_notifications_and_reminders_are_copied_into_the_outbox(school):
    report, _ = submit_report(school)
    case = report.case
    from schoolconduct.models import Notification

    Notification.objects.all().delete()  # the submission's own rows, in the new outbox
    old = migrate(BEFORE)
    now = timezone.now()
    old.get_model("incidents", "Notification").objects.create(
        kind="reporter_ack", case_id=case.pk, report_id=report.pk, created_at=now
    )
    old.get_model("incidents", "Notification").objects.create(
        kind="slt_new_report", case_id=case.pk, created_at=now, sent_at=now, attempts=1
    )
    old.get_model("incidents", "Reminder").objects.create(
        kind="lado",
        key=f"case:{case.pk}",
        due_on=datetime.date(2026, 11, 24),
        case_id=case.pk,
        sent_at=now,
        recipients="head@example.com, dsl@example.com",
    )
    migrate(AFTER)
    migrate(executor_leaves())
    rows = {n.kind: n for n in Notification.objects.all()}
    assert set(rows) == {"reporter_ack", "slt_new_report", "deadline_reminder"}
    waiting = rows["reporter_ack"]
    assert waiting.target == case and waiting.params == {"report": report.pk}
    assert waiting.sent_at is None  # still to go: the sweep sends it
    assert rows["slt_new_report"].sent_at is not None
    reminder = rows["deadline_reminder"]
    assert reminder.dedupe_key == f"reminder:lado:case:{case.pk}:2026-11-24"
    assert reminder.params["to"] == ["head", "dsl"] and reminder.recipient_count == 2
    assert list(case.notifications.order_by("pk")) == list(Notification.objects.order_by("pk"))


def executor_leaves():
    """Every app back at its latest migration, for the tests that follow."""
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
