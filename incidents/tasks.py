"""Celery tasks: ids in, thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(soft_time_limit=600, time_limit=660)
def send_reminders() -> int:
    """Daily: each app's housekeeping (bars whose term ended), then every deadline reminder
    from every registered provider into the outbox (each goes once)."""
    from . import deadlines

    return deadlines.reminders_send()


# The pause before each retry of a clean copy grows: 5 s, 15 s, 45 s.
CLEAN_RETRY_SECONDS = 5


@shared_task(bind=True, max_retries=3, soft_time_limit=120, time_limit=150)
def clean_evidence(self, evidence_id: int) -> str:
    """Re-encode one uploaded image into its clean copy, then queue its OCR
    (incidents.evidence.evidence_clean). Retried with a growing pause (a storage or database
    hiccup) unless the picture itself is damaged; after the last try the evidence shows staff
    that it failed, and why."""
    from .evidence import DamagedImage, evidence_clean, evidence_clean_failed

    try:
        return evidence_clean(evidence_id)
    except Exception as error:
        # A damaged picture stays damaged: no retry. Anything else may pass (storage, DB).
        final = isinstance(error, DamagedImage) or self.request.retries >= self.max_retries
        evidence_clean_failed(evidence_id, error, final=final)
        if final:
            return "failed"
        raise self.retry(
            exc=error, countdown=CLEAN_RETRY_SECONDS * 3**self.request.retries
        ) from error


@shared_task(soft_time_limit=60, time_limit=90)
def clean_evidence_each(evidence_ids: list[int]) -> int:
    """The images of one report or message, queued in the request as one message: one
    clean_evidence task each, queued from here (so each is retried on its own, and several
    workers share them). One that can't be queued is left to the sweep."""
    from schoolconduct.tasks import enqueue

    return sum(
        enqueue(clean_evidence, evidence_id, fallback="the evidence sweep queues it again")
        for evidence_id in evidence_ids
    )


@shared_task(soft_time_limit=120, time_limit=150)
def sweep_evidence() -> int:
    """Every 10 minutes: queue again the clean copies whose task was lost, and delete uploads
    an interrupted request left in the incoming folder (incidents.uploads)."""
    from .evidence import evidence_clean_sweep
    from .uploads import incoming_sweep

    incoming_sweep()
    return evidence_clean_sweep()


@shared_task(bind=True, max_retries=5, soft_time_limit=600, time_limit=660)
def build_case_export(self, export_id: int) -> bool:
    """Build a large CSV of the case list (see incidents.exports). A database that was busy
    (a lock) is tried again a moment later: the export is claimed again, queued or failed."""
    from django.db import OperationalError

    from . import exports

    try:
        return exports.export_build(export_id=export_id)
    except OperationalError as error:
        raise self.retry(exc=error, countdown=1) from error


@shared_task(soft_time_limit=120, time_limit=150)
def sweep_case_exports() -> int:
    """Hourly: delete built CSVs of the case list once they are a day old (incidents.exports)."""
    from . import exports

    return exports.exports_sweep()


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=3,
    soft_time_limit=120,
    time_limit=150,
)
def read_evidence_text(evidence_id: int) -> str:
    """OCR one clean evidence image (incidents.ocr.evidence_ocr)."""
    from .ocr import evidence_ocr

    return evidence_ocr(evidence_id)


@shared_task(soft_time_limit=120, time_limit=150)
def sweep_chat_uploads() -> int:
    """Every 10 minutes: delete chat exports left between upload and report (incidents.chat)."""
    from .chat import chat_sweep

    return chat_sweep()
