"""Letter templates (versioned), letters (a draft, then an immutable issued snapshot + PDF),
print batches and signatures."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import Case, Person, Report
from schoolconduct.models import ImmutableRecordError, WriteOnceModel
from schoolconduct.storage import private_storage
from schools.models import School, Trust

from .kinds import TO_REPORTER, LetterKind


class LetterTemplate(WriteOnceModel):
    """One version of a school's (or a trust's) template for a kind. Never edited: saving a
    change writes a new version."""

    append_only_message = "Templates are versioned: save a new version instead."

    kind = models.CharField(max_length=30, choices=LetterKind)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="letter_templates"
    )
    trust = models.ForeignKey(
        Trust, on_delete=models.CASCADE, null=True, blank=True, related_name="letter_templates"
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Sanitised HTML with [[merge_fields]].")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "school", "version"], name="lettertemplate_school_version"
            ),
            models.CheckConstraint(
                condition=models.Q(school__isnull=True) | models.Q(trust__isnull=True),
                name="lettertemplate_school_or_trust",
            ),
        ]
        indexes = [
            # The current template of a kind for a school: latest version first.
            models.Index(fields=["school", "kind", "-version"], name="lettertemplate_current"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class LetterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved — PDF being made"
    RENDER_FAILED = "render_failed", "PDF failed — retry"
    READY = "ready", "Ready to print or send"
    BATCHED = "batched", "In a print batch"
    PRINTED = "printed", "Printed"
    SENT = "sent", "Sent"


class SendMethod(models.TextChoices):
    POST = "post", "Post"
    HAND = "hand", "By hand"
    EMAIL = "email", "Email"
    FOLLOW_UP = "follow_up", "The reporter's follow-up page"


# Fields a letter's row may still change once approved (the lifecycle, never the content).
LIFECYCLE_FIELDS = {
    "status",
    "pdf",
    "pdf_sha256",
    "pdf_pages",
    "rendered_at",
    "render_error",
    "printed_at",
    "printed_by",
    "sent_at",
    "sent_on",
    "sent_method",
    "sent_by",
    "batch",
    "superseded_by",
}


class Letter(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=30, choices=LetterKind)
    status = models.CharField(max_length=20, choices=LetterStatus, default=LetterStatus.DRAFT)
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, null=True, blank=True)
    template_version = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    # Recipient: the parent concerned, or the reporter (acknowledgement, outcome).
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, null=True, blank=True)
    recipient_name = models.CharField(max_length=150)
    recipient_address = models.TextField(blank=True)
    recipient_email = models.EmailField(blank=True)
    delivery_method = models.CharField(max_length=20, choices=SendMethod)
    # The merged letter, editable while a draft; frozen at approval with the values it used.
    body_html = models.TextField()
    context = models.JSONField(default=dict)
    signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signatory_name = models.CharField(max_length=150)
    signatory_title = models.CharField(max_length=150, blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(storage=private_storage, upload_to="letters/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_pages = models.PositiveSmallIntegerField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_error = models.CharField(max_length=300, blank=True)
    batch = models.ForeignKey(
        "PrintBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="letters"
    )
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_method = models.CharField(max_length=20, choices=SendMethod, blank=True)
    sent_on = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The office print queue: a school's letters in a status, oldest approval first.
            models.Index(fields=["status", "approved_at"], name="letter_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_name} ({self.case.reference})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An issued letter never changes: after approval only its lifecycle fields may. The
        # status is read from the database, not from what this object was loaded with.
        fields = kwargs.get("update_fields")
        if not self._state.adding and (not fields or set(fields) - LIFECYCLE_FIELDS):
            stored = Letter.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored not in (None, LetterStatus.DRAFT):
                raise ImmutableRecordError(
                    "An issued letter can't be changed: write a correction instead."
                )
        super().save(*args, **kwargs)

    @property
    def to_reporter(self) -> bool:
        return self.kind in TO_REPORTER

    @property
    def is_draft(self) -> bool:
        return self.status == LetterStatus.DRAFT


class PrintBatch(models.Model):
    """Approved letters' stored PDFs combined into one file for the office printer: one
    delivery method per batch, each letter starting on an odd page for double-sided printing,
    optionally after a cover sheet listing the batch."""

    class Status(models.TextChoices):
        ASSEMBLING = "assembling", "Being assembled"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed — retry"
        PRINTED = "printed", "Printed"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="print_batches")
    status = models.CharField(max_length=20, choices=Status, default=Status.ASSEMBLING)
    delivery_method = models.CharField(max_length=20, choices=SendMethod, default=SendMethod.POST)
    cover_sheet = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    pdf = models.FileField(storage=private_storage, upload_to="batches/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The letters it held, kept after a cancellation returns them to the queue.
    letter_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "print batches"

    def __str__(self) -> str:
        return f"Print batch {self.pk} ({self.created_at:%d %b %Y %H:%M})"


class Signature(models.Model):
    """A signatory's signature image, printed on the letters they sign (optional)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signature"
    )
    image = models.ImageField(storage=private_storage, upload_to="signatures/")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Signature of {self.user}"
