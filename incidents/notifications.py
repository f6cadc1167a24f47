"""Outbox for emails: rows written with the change, sent after commit, swept if missed.

A notification row is created in the same transaction as the change it announces. After the
commit a Celery task is queued for it; if the broker is down the failure is logged and the row
stays unsent until the sweep (`manage.py send_notifications`, also run by beat) sends it.
Sending claims the row with a conditional UPDATE, so two workers never send one twice.
Emails carry no case content: a reference and a link to sign in, at most.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from schoolconduct.tasks import enqueue
from schools.models import Role
from schools.selectors import school_staff_with_role

from .models import Case, Notification, Report

logger = logging.getLogger(__name__)

# A claim older than this is considered abandoned (a worker died mid-send).
CLAIM_TIMEOUT = timedelta(minutes=5)


def notifications_create(*, case: Case, report: Report | None, kinds: list[str]) -> list[int]:
    """Write one outbox row per kind and queue each for sending once the transaction commits."""
    rows = Notification.objects.bulk_create(
        [Notification(case=case, report=report, kind=kind) for kind in kinds]
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: notifications_enqueue(ids=ids))
    return ids


def notifications_enqueue(*, ids: list[int]) -> None:
    """Queue a send task per id. Never raises: a broker outage is logged, the sweep catches up."""
    from .tasks import send_notification

    for pk in ids:
        enqueue(send_notification, pk, fallback="the sweep will send it.")


def _recipients(notification: Notification) -> list[str]:
    school = notification.case.school
    kind = notification.kind
    if kind in (Notification.Kind.REPORTER_ACK, Notification.Kind.REPORTER_MESSAGE):
        email = notification.report.reporter_email if notification.report else ""
        return [email] if email else []
    if kind == Notification.Kind.DSL_URGENT:
        users = list(school_staff_with_role(school=school, roles=[Role.DSL]))
        if not users:
            # Nobody is set up as DSL: a safeguarding alert must still reach someone senior.
            logger.error("School %s has no DSL; sending the urgent alert to SLT.", school.pk)
            users = list(school_staff_with_role(school=school, roles=[Role.SLT]))
        return [u.email for u in users if u.email]
    if kind == Notification.Kind.LEAD_ASSIGNED:
        lead = notification.case.lead
        return [lead.email] if lead and lead.is_active and lead.email else []
    lead = notification.case.lead
    if kind == Notification.Kind.SLT_REPORTER_ADDED and lead and lead.is_active and lead.email:
        return [lead.email]
    return [u.email for u in school_staff_with_role(school=school, roles=[Role.SLT]) if u.email]


def _email(notification: Notification, recipients: list[str]) -> EmailMessage:
    case = notification.case
    context = {
        "school": case.school,
        "reference": notification.report.reference if notification.report else case.reference,
        "case_reference": case.reference,
        "staff_url": settings.SITE_URL
        + reverse("staff:case-detail", kwargs={"reference": case.reference}),
        "follow_up_url": settings.SITE_URL + reverse("reports:follow-up"),
    }
    template = f"emails/{notification.kind}"
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}.txt", context)
    # Staff alerts go to several people: Bcc, so no one learns the others' addresses.
    return EmailMessage(subject=subject, body=body, to=[], bcc=recipients)


def notification_send(*, notification_id: int) -> bool:
    """Send one notification if nobody has; return True if this call sent it."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=notification_id,
        sent_at__isnull=True,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.select_related("case__school", "case__lead", "report").get(
        pk=notification_id
    )
    recipients = _recipients(notification)
    try:
        if recipients:
            _email(notification, recipients).send()
        else:
            logger.warning("Notification %s has nobody to send to.", notification_id)
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            claimed_at=None, last_error=str(exc)[:300]
        )
        raise
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), last_error="")
    return True


def notifications_sweep(*, older_than: timedelta | None = None) -> int:
    """Send every unsent notification older than `older_than`; return how many were sent."""
    if older_than is None:
        older_than = timedelta(minutes=settings.NOTIFICATION_SWEEP_AFTER_MINUTES)
    cutoff = timezone.now() - older_than
    ids = list(
        Notification.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    sent = 0
    for pk in ids:
        try:
            sent += notification_send(notification_id=pk)
        except Exception:
            logger.exception("Sweep could not send notification %s.", pk)
    return sent
