"""A record of every sign-in lockout an administrator lifted."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from schoolconduct.models import WriteOnceModel


class LockoutRelease(WriteOnceModel):
    """An administrator unlocked a username from an address: who, when, which pair.

    Append-only: the admin offers no change or delete, and `save` refuses updates; rows go
    only when their retention ends (`security_logs_trim`).
    """

    append_only_message = "A recorded unlock is never changed."
    append_only_error = ValueError

    released_at = models.DateTimeField(db_index=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as text too, so the record still says who it was if the account is deleted.
    released_by_name = models.CharField(max_length=150)
    username = models.CharField("username unlocked", max_length=255)
    ip_address = models.GenericIPAddressField("from address", null=True)
    failures = models.PositiveIntegerField("failed attempts at the time")

    class Meta:
        ordering = ["-released_at"]
        verbose_name = "lockout lifted"
        verbose_name_plural = "lockouts lifted"

    def __str__(self) -> str:
        return f"{self.username} from {self.ip_address} unlocked by {self.released_by_name}"
