"""Lifting sign-in lockouts, recorded; trimming security records past their retention."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .models import LockoutRelease


def lockout_release(
    *, attempts: Iterable[AccessAttempt], actor: AbstractBaseUser
) -> list[LockoutRelease]:
    """Unlock each username-and-address pair and record who did it, in one transaction.

    Deleting axes' attempt row is what unlocks the pair (axes counts failures on it).
    """
    now = timezone.now()
    records = []
    with transaction.atomic():
        for attempt in attempts:
            records.append(
                LockoutRelease.objects.create(
                    released_at=now,
                    released_by=actor,
                    released_by_name=actor.get_username(),
                    username=attempt.username or "",
                    ip_address=attempt.ip_address,
                    failures=attempt.failures_since_start,
                )
            )
            attempt.delete()
    return records


def security_logs_trim(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete sign-in records and configuration history past their retention period.

    Sign-ins and sign-outs (and failed attempts' log) are kept SIGN_IN_LOG_DAYS; the
    configuration history and recorded unlocks CONFIG_HISTORY_DAYS. Safe to run twice.
    """
    now = now or timezone.now()
    sign_ins = now - datetime.timedelta(days=settings.SIGN_IN_LOG_DAYS)
    history = now - datetime.timedelta(days=settings.CONFIG_HISTORY_DAYS)
    return {
        "sign_ins": AccessLog.objects.filter(attempt_time__lt=sign_ins).delete()[0],
        "failures": AccessFailureLog.objects.filter(attempt_time__lt=sign_ins).delete()[0],
        "history": LogEntry.objects.filter(timestamp__lt=history).delete()[0],
        "unlocks": LockoutRelease.objects.filter(released_at__lt=history).delete()[0],
    }
