"""The core's models: the append-only base and its error, and the one notification outbox."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class ImmutableRecordError(Exception):
    """Raised when code tries to change a record that must never change (a report, the
    chronology, an issued letter)."""


class WriteOnceModel(models.Model):
    """A row is written once and never saved again (a template version, a recorded unlock);
    deleting it is left to the model. `append_only_error` is what a second save raises."""

    append_only_message = "This record is append-only."
    append_only_error: ClassVar[type[Exception]] = ImmutableRecordError

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise self.append_only_error(self.append_only_message)
        super().save(*args, **kwargs)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise self.model.append_only_error(self.model.append_only_message)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise self.model.append_only_error(self.model.append_only_message)


class AppendOnlyModel(WriteOnceModel):
    """Rows are written once and never updated or deleted: the chronology, the access log.
    (On PostgreSQL a trigger enforces it too, see incidents migration 0003.)"""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise self.append_only_error(self.append_only_message)


class Notification(models.Model):
    """An email to send once a change has committed; the task claims it, the sweep retries it.

    `kind` is registered by the app that writes it (`schoolconduct.outbox.register`) and names
    the email's templates, `emails/<kind>.txt` and `emails/<kind>_subject.txt`. `target` is
    the object it is about (a case, a letter); `params` holds ids, dates and labels only —
    recipients are worked out when it is sent, so no address is copied here. `dedupe_key` is
    unique: writing the same notification twice (a job run twice, a double click) sends once.
    """

    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=200, unique=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    params = models.JSONField(default=dict, blank=True)
    # Who asked for it (a letter emailed by the office), if anyone: recorded when it goes.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Claimed by a worker (so a second run skips it); cleared again if sending fails.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    recipient_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The sweep: unsent notifications, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            ),
            # `case.notifications` and `letter.emails` (GenericRelation lookups).
            models.Index(fields=["target_type", "target_id"], name="outbox_target"),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "waiting"
        return f"{self.kind} {self.dedupe_key} ({state})"
