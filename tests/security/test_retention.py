"""Security records are kept for their retention period and no longer."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.utils import timezone

from schools.models import Rule
from security.models import LockoutRelease
from security.services import security_logs_trim
from tests.helpers import wait_for

NOW = timezone.make_aware(datetime.datetime(2026, 11, 30, 2, 30))


def days_ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def make_records():
    for days in (settings.SIGN_IN_LOG_DAYS, settings.SIGN_IN_LOG_DAYS + 0.001):
        for model in (AccessLog, AccessFailureLog):
            row = model.objects.create(username="head", ip_address="203.0.113.5")
            # attempt_time is set on creation: move it back afterwards.
            model.objects.filter(pk=row.pk).update(attempt_time=days_ago(days))
    rule = Rule.objects.first()
    rule.title = "Changed"
    rule.save()
    entries = LogEntry.objects.get_for_object(rule)
    kept, old = (
        entries.first(),
        LogEntry.objects.create(
            content_type=entries.first().content_type,
            object_pk=str(rule.pk),
            object_repr="old",
            action=LogEntry.Action.UPDATE,
            changes={},
        ),
    )
    LogEntry.objects.filter(pk=kept.pk).update(timestamp=days_ago(settings.CONFIG_HISTORY_DAYS))
    LogEntry.objects.filter(pk=old.pk).update(
        timestamp=days_ago(settings.CONFIG_HISTORY_DAYS + 0.001)
    )
    for days in (settings.CONFIG_HISTORY_DAYS, settings.CONFIG_HISTORY_DAYS + 0.001):
        LockoutRelease.objects.create(
            released_at=days_ago(days),
            released_by_name="admin",
            username="head",
            ip_address="203.0.113.5",
            failures=5,
        )


def assert_one_of_each_left():
    assert AccessLog.objects.count() == AccessFailureLog.objects.count() == 1
    assert AccessLog.objects.get().attempt_time == days_ago(settings.SIGN_IN_LOG_DAYS)
    assert LogEntry.objects.filter(object_repr="old").count() == 0
    assert LockoutRelease.objects.get().released_at == days_ago(settings.CONFIG_HISTORY_DAYS)


@pytest.mark.django_db
def test_records_on_the_last_day_stay_and_older_ones_go(school):
    make_records()
    removed = security_logs_trim(now=NOW)
    assert removed == {"sign_ins": 1, "failures": 1, "history": 1, "unlocks": 1}
    assert_one_of_each_left()
    assert security_logs_trim(now=NOW) == {"sign_ins": 0, "failures": 0, "history": 0, "unlocks": 0}


def test_the_defaults_and_the_schedule():
    assert settings.SIGN_IN_LOG_DAYS == 365
    assert settings.CONFIG_HISTORY_DAYS >= 6 * 365
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "security.tasks.trim_security_logs" in tasks


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_runs_on_a_real_worker(celery_worker_on_redis, school):
    from security.tasks import trim_security_logs

    make_records()
    # The worker runs in this process (it must see the test database), so the travelled clock
    # is its clock too.
    with time_machine.travel(NOW, tick=False):
        trim_security_logs.apply_async()
        # The unlock records are trimmed last.
        wait_for(lambda: LockoutRelease.objects.count() == 1, 30)
    assert_one_of_each_left()
