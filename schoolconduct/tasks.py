"""Queueing Celery tasks from a request without ever failing it; the outbox's tasks."""

from __future__ import annotations

import contextvars
import functools
import logging
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Set while a view decorated with `publish_after_response` runs: the messages its tasks
# would publish, held until the response has gone.
_held: contextvars.ContextVar[list[tuple[Any, tuple[Any, ...], str]] | None] = (
    contextvars.ContextVar("schoolconduct_tasks_held", default=None)
)


def enqueue(task: Any, *args: Any, fallback: str) -> bool:
    """Queue `task(*args)` now; if the broker can't be reached, log it (with what will catch
    up instead, `fallback`) and return False. Never raises: a parent or member of staff must
    not see an error page because Redis is down.

    Inside a view decorated with `publish_after_response` (and with a broker: tasks run in
    this process are never held) the message is held and sent once the response has gone;
    True then means "will be sent"."""
    held = _held.get()
    if held is not None and not task.app.conf.task_always_eager:
        held.append((task, args, fallback))
        return True
    return _publish(task, args, fallback)


def _publish(task: Any, args: tuple[Any, ...], fallback: str) -> bool:
    try:
        task.delay(*args)
    except Exception:
        logger.warning("Could not queue %s%s; %s", task.name, args, fallback, exc_info=True)
        return False
    return True


def _publish_all(held: list[tuple[Any, tuple[Any, ...], str]]) -> None:
    for task, args, fallback in held:
        _publish(task, args, fallback)


def publish_after_response(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send the view's task messages after its response has reached the person, not before.

    Each message is a round trip to Redis (the parent's report publishes two or three), and
    none of them changes what the response says: the rows they point at are committed
    already, and the sweeps queue again whatever a message lost (a broker that is down, a
    worker killed between the response and the publish) would have done. Django runs a
    response's `close()` once the WSGI server has sent the body, and that is when they go. If the
    view raises, its messages go at once."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        held: list[tuple[Any, tuple[Any, ...], str]] = []
        token = _held.set(held)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            _publish_all(held)
            raise
        finally:
            _held.reset(token)
        if held:
            close = response.close  # called by the WSGI server once the body is sent

            def close_then_publish() -> None:
                try:
                    close()
                finally:
                    _publish_all(held)

            response.close = close_then_publish  # type: ignore[method-assign]
        return response

    return wrapper


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
