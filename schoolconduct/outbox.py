"""The one outbox: rows written with the change, sent after commit, swept if missed.

An app registers each kind of email it sends (`register`, from its `AppConfig.ready`) with a
function that works out, at sending time, who it goes to and what the template is given. A
notification is written in the same transaction as the change it announces
(`notification_queue`); once the transaction commits a Celery task is queued for it, and if the
broker is down the row stays unsent until the sweep (`manage.py send_notifications`, and beat
every few minutes) sends it. Sending claims the row with a conditional UPDATE, so two workers
never send one twice; a failure is written on the row (`last_error`, `attempts`) and tried again.
After an email has gone, the kind's `on_sent` hook may record it (a letter is marked sent only
then). No email is ever sent inside a web request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification
from .tasks import enqueue

logger = logging.getLogger(__name__)

# A claim older than this is considered abandoned (a worker died mid-send).
CLAIM_TIMEOUT = timedelta(minutes=5)


@dataclass
class Email:
    """What a kind's `compose` returns: who it goes to and what its templates are given."""

    to: list[str]
    context: dict[str, Any]
    # Several staff: Bcc, so no one learns the others' addresses. One parent: To.
    bcc: bool = True
    reply_to: list[str] = field(default_factory=list)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Kind:
    compose: Callable[[Notification], Email]
    # Called once the email has gone, in its own transaction (e.g. mark a letter sent).
    on_sent: Callable[[Notification], None] | None = None


KINDS: dict[str, Kind] = {}


def register(
    kind: str,
    *,
    compose: Callable[[Notification], Email],
    on_sent: Callable[[Notification], None] | None = None,
) -> None:
    """Declare a kind of email (from an app's `AppConfig.ready`); its templates are
    `emails/<kind>.txt` and `emails/<kind>_subject.txt`."""
    KINDS[kind] = Kind(compose=compose, on_sent=on_sent)


def notification_queue(
    *,
    kind: str,
    target: models.Model,
    dedupe_key: str,
    params: dict[str, Any] | None = None,
    requested_by: Any = None,
) -> Notification | None:
    """Write one outbox row (inside the caller's transaction) and queue it for sending once
    the transaction commits. Returns None if a row with this `dedupe_key` already exists: the
    same notification is never written, or sent, twice."""
    if kind not in KINDS:
        raise ValueError(f"Unregistered notification kind {kind!r}.")
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                kind=kind,
                dedupe_key=dedupe_key,
                target_type=ContentType.objects.get_for_model(target),
                target_id=target.pk,
                params=params or {},
                requested_by=requested_by,
            )
    except IntegrityError:
        return None
    pk = notification.pk
    transaction.on_commit(lambda: notifications_enqueue(ids=[pk]))
    return notification


def notifications_enqueue(*, ids: list[int]) -> None:
    """Queue a send task per id. Never raises: a broker outage is logged, the sweep catches up."""
    from .tasks import send_notification

    for pk in ids:
        enqueue(send_notification, pk, fallback="the sweep will send it.")


def _message(notification: Notification, email: Email) -> EmailMessage:
    template = f"emails/{notification.kind}"
    subject = render_to_string(f"{template}_subject.txt", email.context).strip()
    body = render_to_string(f"{template}.txt", email.context)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[] if email.bcc else email.to,
        bcc=email.to if email.bcc else [],
        reply_to=email.reply_to or None,
    )
    for name, content, mimetype in email.attachments:
        message.attach(name, content, mimetype)
    return message


def notification_send(*, notification_id: int) -> bool:
    """Send one notification if nobody has; return True if this call sent it.

    A failure leaves the row unclaimed with the error on it, and is raised so the task retries.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=notification_id,
        sent_at__isnull=True,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.select_related("target_type").get(pk=notification_id)
    kind = KINDS[notification.kind]
    try:
        email = kind.compose(notification)
        if email.to:
            _message(notification, email).send()
        else:
            logger.warning("Notification %s has nobody to send to.", notification_id)
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:300]
        )
        raise
    Notification.objects.filter(pk=notification_id).update(
        sent_at=timezone.now(), last_error="", recipient_count=len(email.to)
    )
    if kind.on_sent is not None:
        notification.refresh_from_db()
        try:
            with transaction.atomic():
                kind.on_sent(notification)
        except Exception:
            # The email has gone; what records it failed. Logged for someone to look at —
            # sending it again would be worse.
            logger.exception("Notification %s was sent but recording it failed.", notification_id)
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
