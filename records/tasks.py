from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


@shared_task(soft_time_limit=600, time_limit=660)
def propose_disposals() -> int:
    """Nightly: propose the closed cases whose retention review has come (held ones say why)."""
    from . import services

    return services.proposals_make(today=timezone.localdate())


@shared_task(
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    max_retries=8,
)
def build_case_file(case_file_id: int) -> bool:
    """Make a case file or disclosure bundle's PDF (records.casefile.casefile_build); a
    locked database is retried (the file goes back to the queue first)."""
    from .casefile import casefile_build

    return casefile_build(case_file_id)
