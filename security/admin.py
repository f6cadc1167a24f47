"""Administrators unlock sign-in lockouts here; every unlock is recorded."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from schoolconduct.admin import ReadOnlyAdmin

from . import services
from .models import LockoutRelease


class RecordedAccessAttemptAdmin(AccessAttemptAdmin):
    """Axes' list of failed sign-ins, where deleting is replaced by a recorded unlock."""

    actions = ["unlock"]

    @admin.action(
        description="Unlock the selected username and address pairs (recorded)",
        permissions=["unlock"],
    )
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        records = services.lockout_release(attempts=list(queryset), actor=request.user)
        self.message_user(
            request,
            f"Unlocked {len(records)}: " + "; ".join(str(r) for r in records),
            messages.SUCCESS,
        )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # an unlock must go through the recorded action

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("axes.delete_accessattempt")


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, RecordedAccessAttemptAdmin)


@admin.register(LockoutRelease)
class LockoutReleaseAdmin(ReadOnlyAdmin):
    list_display = ["released_at", "username", "ip_address", "failures", "released_by_name"]
    search_fields = ["username", "ip_address", "released_by_name"]
    date_hierarchy = "released_at"
