"""Queueing Celery tasks from a request without ever failing it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

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
