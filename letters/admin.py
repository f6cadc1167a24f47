"""Admin: signatures are uploaded here; letters, templates and batches are read-only (they
change only through the staff pages, which keep the chronology)."""

from django.contrib import admin

from schoolconduct.admin import ReadOnlyAdmin

from .models import Letter, LetterTemplate, PrintBatch, Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ("user", "uploaded_at")
    autocomplete_fields = ("user",)


@admin.register(LetterTemplate)
class LetterTemplateAdmin(ReadOnlyAdmin):
    list_display = ("kind", "school", "trust", "version", "created_at", "created_by")
    list_filter = ("kind", "school", "trust")


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "recipient_name", "status", "approved_at", "sent_on")
    list_filter = ("status", "kind")
    search_fields = ("case__reference", "recipient_name")
    exclude = ("body_html", "context", "pdf")


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "school", "status", "created_at", "page_count")
