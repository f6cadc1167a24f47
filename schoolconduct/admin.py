"""The one read-only admin base, and the outbox (read-only: rows change only by sending)."""

from django.contrib import admin

from .models import Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that never change through the admin: chronology, reports, letters, the outbox."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("kind", "target_type", "target_id", "created_at", "sent_at", "attempts")
    list_filter = ("kind", "target_type")
    # Errors name the mail server, never the recipients.
    readonly_fields = ("last_error",)
