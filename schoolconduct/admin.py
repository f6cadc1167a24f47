"""The one read-only admin base, and the outbox (read-only: rows change only by sending)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Notification


class ReadOnlyMixin:
    """Nothing is added, changed or deleted through the admin: the records are shown only.
    A mixin, so that another package's admin class (allauth's) can be made read-only too."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Records that never change through the admin: chronology, reports, letters, the outbox,
    the logs of disposals, resets and unlocked lockouts."""


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "target_type", "target_id", "created_at", "sent_at", "attempts")
    list_filter = ("kind", "target_type")
    # Errors name the mail server, never the recipients.
    readonly_fields = ("last_error",)
