"""The daily job's share for oversight: file each school's termly report once a term ends."""

from __future__ import annotations

from celery import shared_task


@shared_task(soft_time_limit=600, time_limit=660)
def make_governors_reports() -> int:
    from .governors import governors_reports_due

    return governors_reports_due()
