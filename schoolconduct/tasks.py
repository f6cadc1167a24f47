"""Queueing Celery tasks from a request without ever failing it; the outbox's tasks."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import OperationalError, transaction

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any, fallback: str) -> bool:
    """Queue `task(*args)` now; if the broker can't be reached, log it (with what will catch
    up instead, `fallback`) and return False. Never raises: a parent or member of staff must
    not see an error page because Redis is down."""
    try:
        task.delay(*args)
    except Exception:
        logger.warning("Could not queue %s%s; %s", task.name, args, fallback, exc_info=True)
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any, fallback: str) -> None:
    """Queue `task(*args)` once the current transaction commits (tasks take ids of rows
    that must exist by the time a worker looks)."""
    transaction.on_commit(lambda: enqueue(task, *args, fallback=fallback))


@shared_task(
    autoretry_for=(OSError, OperationalError),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def send_notification(notification_id: int) -> bool:
    """Send one outbox row (ids only; safe to run twice: the row is claimed)."""
    from .outbox import notification_send

    return notification_send(notification_id=notification_id)


@shared_task(soft_time_limit=300, time_limit=360)
def sweep_notifications() -> int:
    """Every few minutes: send whatever the per-row task missed."""
    from .outbox import notifications_sweep

    return notifications_sweep()
