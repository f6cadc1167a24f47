"""Scheduled clean-up of the security records (beat: settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from .services import security_logs_trim


@shared_task(soft_time_limit=300, time_limit=360)
def trim_security_logs() -> None:
    security_logs_trim()
