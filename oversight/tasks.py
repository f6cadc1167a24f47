"""Oversight's Celery tasks: building a governors' report, and the daily job's share — ask
for each school's termly report once a term ends."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(soft_time_limit=600, time_limit=660)
def make_governors_reports() -> int:
    from .governors import governors_reports_due

    return governors_reports_due()


@shared_task(
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(OperationalError,),
    retry_backoff=1,
    max_retries=8,
)
def build_report(report_id: int) -> bool:
    """Build one requested governors' report (ids only; a report already claimed is left).
    A locked database is retried (the report goes back to the queue first); any other
    failure is written on the report, not retried: the page offers to ask again."""
    from .governors import governors_report_build

    return governors_report_build(report_id)
