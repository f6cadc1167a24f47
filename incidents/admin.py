"""Admin: configuration only. Status, chronology, reports and the access log are read-only."""

from django.contrib import admin

from schoolconduct.admin import ReadOnlyAdmin

from .models import AccessLog, Case, CaseEvent, Evidence, Person, Report, SensitiveName


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("reference", "school", "status", "severity", "lead", "opened_at")
    list_filter = ("school", "status", "severity")
    search_fields = ("reference",)
    # Status and outcomes change only through the workflow on the case page.
    readonly_fields = (
        "reference",
        "school",
        "status",
        "opened_at",
        "closed_at",
        "outcome",
        "safeguarding_flag",
        "triaged_at",
        "actions",
        "decided_at",
        "merged_into",
        "safeguarding_decision",
        "safeguarding_record_ref",
        "safeguarding_decided_at",
        "safeguarding_decided_by",
        "lado_due",
        # Severity and lead belong to the workflow too (triage, "change the lead"), which
        # checks who may lead and writes the chronology; the admin only shows them.
        "severity",
        "lead",
    )
    fields = readonly_fields


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "created_at", "kind", "actor", "summary")
    list_filter = ("kind",)
    search_fields = ("case__reference", "summary")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "action", "case")
    list_filter = ("action",)
    search_fields = ("case__reference", "user__username")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("reference", "school", "received_at", "channel")
    list_filter = ("school", "channel")
    search_fields = ("reference",)
    exclude = (
        "followup_code_hash",
        "content",
        "reporter_name",
        "reporter_email",
        "reporter_phone",
        "child_risk_details",
    )


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = (
        "case",
        "kind",
        "original_name",
        "uploaded_at",
        "original_sha256",
        "clean_status",
    )
    # A picture whose clean copy failed is found here too (its case page shows why).
    list_filter = ("clean_status", "kind")
    exclude = ("original", "clean")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("full_name", "school", "trust", "postcode")
    list_filter = ("school",)
    search_fields = ("full_name", "email", "postcode")


@admin.register(SensitiveName)
class SensitiveNameAdmin(admin.ModelAdmin):
    """Names (pupils, staff) whose appearance in a screenshot's text is suggested for
    redaction; SLT also keep the list on the staff site."""

    list_display = ("name", "school", "added_by", "added_at")
    list_filter = ("school",)
    search_fields = ("name",)
    readonly_fields = ("added_by", "added_at")
