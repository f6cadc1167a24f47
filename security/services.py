"""Lifting sign-in lockouts, recorded."""

from __future__ import annotations

from collections.abc import Iterable

from axes.models import AccessAttempt
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
