"""Celery tasks for letters: ids in, thin, safe to run twice, time-limited."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_process_init
from django.db import OperationalError

from . import services

# A locked database (SQLite under load, a PostgreSQL lock timeout) is transient: retry it.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 1, "max_retries": 8}


@shared_task(soft_time_limit=60, time_limit=90, **RETRY)
def render_letter(letter_id: int) -> bool:
    return services.letter_render(letter_id=letter_id)


@shared_task(soft_time_limit=240, time_limit=300, **RETRY)
def assemble_batch(batch_id: int) -> bool:
    return services.batch_assemble(batch_id=batch_id)


@worker_process_init.connect
def _warm_weasyprint(**kwargs) -> None:
    from .rendering import warm_up

    warm_up()
