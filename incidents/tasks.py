"""Celery tasks: ids in, thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(soft_time_limit=600, time_limit=660)
def send_reminders() -> int:
    """Daily: each app's housekeeping (bars whose term ended), then every deadline reminder
    from every registered provider into the outbox (each goes once)."""
    from . import deadlines

    return deadlines.reminders_send()
