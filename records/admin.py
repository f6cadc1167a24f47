from django.contrib import admin

from schoolconduct.admin import ReadOnlyAdmin

from .models import (
    Breach,
    DisposalLog,
    DisposalProposal,
    LegalHold,
    RetentionSchedule,
    SubjectAccessRequest,
)


@admin.register(RetentionSchedule)
class RetentionScheduleAdmin(admin.ModelAdmin):
    list_display = ["school", "case_years", "ban_years", "no_action_years"]


@admin.register(SubjectAccessRequest)
class SubjectAccessRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "school", "person", "received_on", "identity_checked_on", "status"]
    list_filter = ["status", "school"]
    raw_id_fields = ["person"]
    # The clock's extension goes through records.services.sar_extend (the told-in-time rule).
    readonly_fields = ["extension_months", "extension_told_on", "extension_reason"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["kind", "school", "case", "person", "placed_on", "released_on"]
    list_filter = ["kind", "school"]
    raw_id_fields = ["case", "person"]


@admin.register(DisposalProposal)
class DisposalProposalAdmin(admin.ModelAdmin):
    """Read-only: disposal is confirmed on /staff/records/retention/, where holds are checked."""

    list_display = ["case", "rule", "due_on", "status"]
    list_filter = ["status"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DisposalLog)
class DisposalLogAdmin(ReadOnlyAdmin):
    """Append-only: shown, never changed or deleted."""

    list_display = ["case_reference", "school", "rule", "method", "disposed_at", "disposed_by"]


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    list_display = ["summary", "school", "aware_at", "decision"]
    list_filter = ["decision", "school"]
