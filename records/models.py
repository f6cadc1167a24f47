"""Subject access requests, legal holds, retention schedules, disposal and breaches.

The clocks themselves (a SAR's month, a breach's 72 hours) are computed in `records.clocks`
from the dates stored here, so there is one place that knows the rules.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import Case, Evidence, Person
from schoolconduct.models import AppendOnlyModel
from schoolconduct.storage import private_storage
from schools.models import School

from . import clocks


class SarStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESPONDED = "responded", "Response sent"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SubjectAccessRequest(models.Model):
    """A request by someone for the personal data the school holds about a person."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="subject_requests")
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="subject_requests",
        help_text="Whose records are asked for.",
    )
    requester_name = models.CharField("who asked", max_length=150)
    requester_is_subject = models.BooleanField(
        "the person asked for their own records", default=True
    )
    received_on = models.DateField()
    identity_checked_on = models.DateField(
        null=True, blank=True, help_text="The month runs from this date if it is later."
    )
    scope = models.TextField(blank=True, help_text="What was asked for, in the requester's terms.")
    status = models.CharField(max_length=12, choices=SarStatus, default=SarStatus.OPEN)
    extension_months = models.PositiveSmallIntegerField(default=0, editable=False)
    extension_told_on = models.DateField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)
    response_sent_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = "subject access request"

    def __str__(self) -> str:
        return f"SAR {self.pk} about {self.person}"

    @property
    def starts_on(self) -> datetime.date:
        return clocks.sar_start(self.received_on, self.identity_checked_on)

    @property
    def first_due_on(self) -> datetime.date | None:
        return clocks.sar_due_on(self.received_on, self.identity_checked_on, 0)

    @property
    def due_on(self) -> datetime.date | None:
        return clocks.sar_due_on(self.received_on, self.identity_checked_on, self.extension_months)

    @property
    def is_open(self) -> bool:
        return self.status == SarStatus.OPEN


class HoldKind(models.TextChoices):
    POLICE = "police", "Police investigation"
    LITIGATION = "litigation", "Litigation"
    COMPLAINT = "complaint", "Open complaint"


class LegalHold(models.Model):
    """Stops disposal of a case's records (or all of a person's) until it is released.

    An open SAR holds the person's records on its own, without a row here."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="legal_holds")
    kind = models.CharField(max_length=12, choices=HoldKind)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    reason = models.CharField(max_length=300)
    placed_on = models.DateField(default=timezone.localdate)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(person__isnull=False),
                name="legal_hold_case_or_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"


class RetentionSchedule(models.Model):
    """A school's retention periods (defaults from DOMAIN: closure + 6 years; bans from their
    end + 6 years; no-action reports kept as long as others unless the school chooses)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="retention")
    case_years = models.PositiveSmallIntegerField(
        "years after a case closes", default=clocks.DEFAULT_CASE_YEARS
    )
    ban_years = models.PositiveSmallIntegerField(
        "years after a bar ends", default=clocks.DEFAULT_BAN_YEARS
    )
    no_action_years = models.PositiveSmallIntegerField(
        "years after a case closed with no action",
        null=True,
        blank=True,
        help_text="Leave empty to keep them as long as other cases.",
    )

    def __str__(self) -> str:
        return f"Retention at {self.school}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Due for disposal"
    HELD = "held", "Held"
    DONE = "done", "Disposed of"


class DisposalProposal(models.Model):
    """The nightly job's proposal that a case is due; an administrator confirms it."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="disposal")
    rule = models.CharField(max_length=40)
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=ProposalStatus, default=ProposalStatus.PROPOSED
    )
    held_because = models.CharField(max_length=500, blank=True)
    proposed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} due {self.due_on}"

    @property
    def rule_label(self) -> str:
        return clocks.RULE_LABELS.get(self.rule, self.rule)


class DisposalMethod(models.TextChoices):
    ANONYMISE = "anonymise", "Anonymised (statistics kept)"


class DisposalLog(AppendOnlyModel):
    """What was disposed of, when, by whom, under which rule — never the content."""

    append_only_message = "The disposal log is append-only."

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    case_reference = models.CharField(max_length=20)
    rule = models.CharField(max_length=40)
    method = models.CharField(max_length=12, choices=DisposalMethod)
    disposed_at = models.DateTimeField(default=timezone.now)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    files_removed = models.PositiveIntegerField(default=0)
    records_cleared = models.JSONField(default=dict)

    class Meta:
        ordering = ["-disposed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_reference} ({self.get_method_display()})"

    @property
    def rule_label(self) -> str:
        return clocks.RULE_LABELS.get(self.rule, self.rule)


class BreachDecision(models.TextChoices):
    UNDECIDED = "", "Not yet decided"
    REPORT = "report", "Report to the ICO"
    NOT_REPORT = "not_report", "Not reportable (no risk)"


class Breach(models.Model):
    """A personal data breach. Every one is logged; the ICO must hear within 72 hours of
    awareness if there is a risk to people."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="breaches")
    summary = models.CharField(max_length=200)
    aware_at = models.DateTimeField(help_text="When the school became aware of it.")
    details = models.TextField(blank=True)
    decision = models.CharField(
        max_length=12, choices=BreachDecision, default=BreachDecision.UNDECIDED, blank=True
    )
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    ico_reference = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-aware_at", "-pk"]

    def __str__(self) -> str:
        return self.summary

    @property
    def ico_due_at(self) -> datetime.datetime:
        return clocks.breach_due_at(self.aware_at)


# --------------------------------------------------------------------------------------------
# Case files, disclosure bundles and redacted copies of evidence


class CaseFilePurpose(models.TextChoices):
    POLICE = "police", "The police"
    SOLICITOR = "solicitor", "A solicitor"
    LADO = "lado", "The LADO"
    COMPLAINTS = "complaints", "A complaints panel"
    OTHER = "other", "Someone else"
    SAR = "sar", "The requester (subject access)"


class CaseFileStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be made"
    BUILDING = "building", "Being made"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


STALE_AFTER = datetime.timedelta(minutes=10)


class CaseFile(models.Model):
    """One PDF made for someone outside the school: a case file (one case) or a subject
    access disclosure bundle (every case that holds the requester's data). Made by a task;
    the PDF is filed once and never remade in place — a new request makes a new file."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="case_files")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="case_files"
    )
    sar = models.ForeignKey(
        SubjectAccessRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bundles",
    )
    purpose = models.CharField("who it is for", max_length=12, choices=CaseFilePurpose)
    recipient_name = models.CharField("their name", max_length=150)
    include_reporter = models.BooleanField(default=False)
    use_redacted = models.BooleanField(default=True)
    phrases = models.TextField(blank=True, help_text="Names or phrases hidden in text.")
    case_ids = models.JSONField(default=list, help_text="The cases it covers (set when made).")
    status = models.CharField(max_length=10, choices=CaseFileStatus, default=CaseFileStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_label = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=300, blank=True)
    pdf = models.FileField(storage=private_storage, upload_to="casefiles/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(sar__isnull=False),
                name="case_file_case_or_sar",
            )
        ]

    def __str__(self) -> str:
        subject = self.case.reference if self.case is not None else f"SAR {self.sar_id}"
        return f"{subject} for {self.get_purpose_display().lower()} ({self.recipient_name})"

    @property
    def is_bundle(self) -> bool:
        return self.sar_id is not None

    @property
    def for_whom(self) -> str:
        return f"{self.get_purpose_display()}: {self.recipient_name}"

    @property
    def waited_too_long(self) -> bool:
        """Still waiting after ten minutes: the task queue was probably down when it was asked
        for (the request never fails for that); the page says to ask again."""
        return self.status == CaseFileStatus.QUEUED and timezone.now() - self.made_at > STALE_AFTER


class EvidenceRedaction(models.Model):
    """A redacted copy of an evidence image: the clean copy with the marked rectangles filled
    (not blurred). A new derived file; the sealed original and the clean copy are untouched.
    The newest one of an image is the one bundles use."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="redactions")
    regions = models.JSONField(help_text="[[x, y, width, height], …] in the image's pixels.")
    file = models.FileField(storage=private_storage, upload_to="evidence/redacted/")
    sha256 = models.CharField(max_length=64)
    source_sha256 = models.CharField(max_length=64, help_text="The clean copy it was made from.")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at", "-pk"]

    def __str__(self) -> str:
        return f"Redacted copy of {self.evidence_id} ({len(self.regions)} regions)"
