"""Reports from parents, the cases they open, evidence, messages and the chronology.

Two rules are enforced here, in the model, not only by convention:
- a case's status changes only through `incidents.workflow` (which holds the row lock and
  writes the chronology in the same transaction);
- chronology events (`CaseEvent`) are append-only: no update, no delete.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# private_storage stays importable from here: the migrations name it by this path.
from schoolconduct.models import AppendOnlyModel, ImmutableRecordError
from schoolconduct.storage import private_storage
from schools.models import Group, Rule, School

# --------------------------------------------------------------------------------------------
# Case


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    INVESTIGATING = "investigating", "Investigating"
    ACTION = "action", "Action"
    MONITORING = "monitoring", "Monitoring"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class CaseQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        if "status" in kwargs:
            raise ImmutableRecordError("A case's status changes only through incidents.workflow.")
        return super().update(**kwargs)

    def open(self) -> CaseQuerySet:
        return self.exclude(status=CaseStatus.CLOSED)


class Nature(models.TextChoices):
    CRITICISM = "criticism", "Criticism of the school"
    ABUSIVE = "abusive", "Abusive or personal comments"
    THREATS = "threats", "Threats or intimidation"
    HARASSMENT = "harassment", "Harassment"
    DEFAMATION = "defamation", "Defamation"
    CONFIDENTIALITY = "confidentiality", "Breach of confidentiality"
    OTHER = "other", "Other"


class Target(models.TextChoices):
    STAFF = "staff", "A member of staff"
    PUPIL = "pupil", "A pupil"
    PARENT = "parent", "A parent"


class SafeguardingScreen(models.TextChoices):
    NONE = "none", "No safeguarding concern"
    CONCERN = "concern", "Possible risk to a child: DSL alerted"
    ALLEGATION = "allegation", "Allegation that a member of staff harmed a child (LADO)"


class Outcome(models.TextChoices):
    """Proportionate actions, mildest first: the order is the usual ladder."""

    NO_FURTHER_ACTION = "nfa", "No further action"
    REMINDER = "reminder", "Reminder of the code"
    WARNING = "warning", "Warning letter"
    MEETING_SLT = "meeting_slt", "Meeting with a senior leader"
    MEETING_TRUST = "meeting_trust", "Meeting with the trust executive"
    CONTACT_RESTRICTION = "contact_restriction", "Contact restriction"
    POLICE = "police", "Refer to police"
    LEGAL = "legal", "Seek legal advice"
    SITE_BAN = "site_ban", "Site ban"


class PersonTitle(models.TextChoices):
    NONE = "", "None"
    MR = "Mr", "Mr"
    MRS = "Mrs", "Mrs"
    MS = "Ms", "Ms"
    MX = "Mx", "Mx"
    DR = "Dr", "Dr"


def tidy_name(value: str) -> str:
    """A name with every run of spaces (non-breaking ones too) as one ordinary space."""
    return " ".join(value.split())


class Person(models.Model):
    """The adult whose conduct is in question. Shared by the schools of a trust, so their
    history across the trust is one query."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="people")
    trust = models.ForeignKey(
        "schools.Trust", on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    title = models.CharField(max_length=5, choices=PersonTitle, blank=True)
    full_name = models.CharField(max_length=150)
    preferred_name = models.CharField(
        max_length=150,
        blank=True,
        help_text='How letters greet them after the title: "Johnson" makes "Dear Mr '
        'Johnson". Leave blank to use the last word of the full name (or the full name when '
        "there is no title).",
    )
    address = models.TextField(blank=True, help_text="For letters: one line per row.")
    postcode = models.CharField(max_length=10, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    children_classes = models.CharField(
        "children's classes",
        max_length=200,
        blank=True,
        help_text="Classes only, no children's names (e.g. 'Year 3').",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["full_name", "pk"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.trust_id is None and self.school_id:
            self.trust_id = self.school.trust_id
        super().save(*args, **kwargs)

    @property
    def salutation_name(self) -> str:
        """What follows "Dear": "Mr Johnson", or the preferred or full name without a title.

        A title already typed into the full name ("Mr Jason Turner") is not doubled.
        """
        full = tidy_name(self.full_name)
        preferred = tidy_name(self.preferred_name)
        words = full.split(" ")
        if words and words[0].rstrip(".") in PersonTitle.values and len(words) > 1:
            typed_title, words = words[0].rstrip("."), words[1:]
        else:
            typed_title = ""
        title = self.title or typed_title
        if title:
            return f"{title} {preferred or words[-1]}"
        return preferred or " ".join(words)

    @property
    def address_name(self) -> str:
        """The name on the address block: the title and the full name."""
        full = tidy_name(self.full_name)
        if self.title and not full.startswith(self.title + " "):
            return f"{self.title} {full}"
        return full


class Case(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=20, unique=True)
    status = models.CharField(
        max_length=20, choices=CaseStatus, default=CaseStatus.NEW, editable=False
    )
    severity = models.CharField(max_length=10, choices=Severity, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_cases",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome = models.CharField(max_length=200, blank=True, editable=False)
    # Set when any report or triage suggests a child may be at risk; the DSL records a decision.
    safeguarding_flag = models.BooleanField(default=False, editable=False)

    # Triage
    triaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    rules = models.ManyToManyField(Rule, blank=True, related_name="cases")
    nature = models.CharField(max_length=20, choices=Nature, blank=True)
    targets = models.JSONField(default=list, blank=True, help_text="Who the conduct targeted.")
    safeguarding_screen = models.CharField(max_length=12, choices=SafeguardingScreen, blank=True)
    persons = models.ManyToManyField(Person, blank=True, related_name="cases")
    targeted_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member of staff the conduct targeted, if any: they do "
        "not decide a ban on this case.",
    )
    # Safeguarding decision by a DSL; the child-protection record itself lives elsewhere.
    safeguarding_decision = models.TextField(blank=True, editable=False)
    safeguarding_record_ref = models.CharField(max_length=60, blank=True, editable=False)
    safeguarding_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    safeguarding_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Allegation against staff: head + LADO within one working day.
    lado_due = models.DateField(null=True, blank=True, editable=False)
    # The LADO's recorded decision on an allegation: nothing is done against the parent before.
    lado_decision = models.TextField(blank=True, editable=False)
    lado_decided_on = models.DateField(null=True, blank=True, editable=False)
    # What the public typed, as confirmed or reworded by staff (at triage, or later with the
    # "wording" action). Letters use only these, never the parent's own words.
    group_wording = models.CharField(
        "group or platform, as letters name it", max_length=200, blank=True, editable=False
    )
    poster_wording = models.CharField(
        "who posted it, in the school's words", max_length=200, blank=True, editable=False
    )
    # Decision
    actions = models.JSONField(default=list, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        editable=False,
    )
    # Emails about this case in the one outbox (deleted with the case).
    notifications = GenericRelation(
        "schoolconduct.Notification",
        content_type_field="target_type",
        object_id_field="target_id",
        related_query_name="case",
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            # The dashboard's "by status, newest first" list per school.
            models.Index(fields=["school", "status", "-opened_at"], name="case_school_status"),
            # The case list's order, for one school and for a whole trust: page 1 and every
            # keyset page read 50 index entries instead of sorting every row.
            models.Index(fields=["school", "-opened_at", "-id"], name="case_school_opened"),
            models.Index(fields=["-opened_at", "-id"], name="case_opened"),
            # The dashboard: my open cases, and the few cases awaiting a DSL decision or a
            # LADO referral (partial indexes: small, and only those rows).
            models.Index(fields=["lead", "-opened_at"], name="case_lead_opened"),
            models.Index(
                fields=["opened_at"],
                condition=models.Q(safeguarding_flag=True, safeguarding_decided_at__isnull=True),
                name="case_awaiting_dsl",
            ),
            models.Index(
                fields=["lado_due"],
                condition=models.Q(lado_due__isnull=False),
                name="case_lado_due",
            ),
            # The dashboard's new reports per school, oldest first, and how many are overdue:
            # an index-only scan of the few new cases, already in the order it ranks them.
            models.Index(
                fields=["school", "opened_at", "id"],
                condition=models.Q(status="new"),
                name="case_new_by_school",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        touches_status = fields is None or "status" in fields
        if touches_status and not getattr(self, "_workflow_allowed", False):
            if self._state.adding:
                changing = self.status != CaseStatus.NEW
            else:
                # Compare with the database, not with what this object was loaded with.
                stored = Case.objects.filter(pk=self.pk).values_list("status", flat=True).first()
                changing = stored is not None and stored != self.status
            if changing:
                raise ImmutableRecordError(
                    "A case's status changes only through incidents.workflow."
                )
        super().save(*args, **kwargs)
        self._workflow_allowed = False

    def clean(self) -> None:
        """The lead can only be one of the school's SLT or its trust's executives, active.

        The workflow checks the same rule when it assigns a lead; this covers any form or
        import that calls `full_clean`.
        """
        super().clean()
        lead = self.lead
        if lead is None or self.school_id is None:
            return
        from schools.access import roles_for

        if not (lead.is_active and roles_for(lead).manages(self.school)):
            raise ValidationError(
                {
                    "lead": "The case lead must be one of the school's senior leadership team "
                    "or an executive of its trust."
                }
            )

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class ReferenceCounter(models.Model):
    """The last number used for a school's references in a year; locked while incremented."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "year"], name="refcounter_school_year")
        ]

    def __str__(self) -> str:
        return f"{self.school_id}/{self.year}: {self.last}"


# --------------------------------------------------------------------------------------------
# Report


class ChildRisk(models.TextChoices):
    NO = "no", "No"
    YES = "yes", "Yes"
    UNSURE = "unsure", "Not sure"


class Relationship(models.TextChoices):
    PARENT = "parent", "Parent or carer of a pupil"
    STAFF = "staff", "Member of staff"
    GOVERNOR = "governor", "Governor or trustee"
    OTHER = "other", "Other"


class ContactPreference(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    FOLLOW_UP = "follow_up", "Only through the follow-up page"


class Channel(models.TextChoices):
    ONLINE = "online", "Online form"
    PHONE = "phone", "Phone call"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class Conduct(models.TextChoices):
    """Where and how the conduct itself happened (`Channel` is how the report reached us)."""

    GROUP_POST = "group_post", "A post in a group"
    SOCIAL_MEDIA = "social_media", "Social media"
    IN_PERSON = "in_person", "In person"
    PHONE_CALL = "phone_call", "A phone call"
    EMAIL = "email", "An email"


# Conduct that is a post: it has a group (or platform) and a public reporter can describe it.
POSTED_CONDUCT = frozenset({Conduct.GROUP_POST, Conduct.SOCIAL_MEDIA})


class Report(models.Model):
    """What a reporter told the school. Never edited after it is saved."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reports")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="reports")
    reference = models.CharField(max_length=20, unique=True)
    followup_code_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=20, choices=Channel, default=Channel.ONLINE)

    # Where and how the conduct happened: a post (in `group`), or off-line — in person (at
    # `conduct_place`), a phone call or an email (to `conduct_place`: who received it).
    conduct = models.CharField(
        "where and how it happened", max_length=20, choices=Conduct, default=Conduct.GROUP_POST
    )
    conduct_place = models.CharField(
        "where it happened, or who received it",
        max_length=120,
        blank=True,
        help_text="As letters word it: “at the school gate”, “the school office”.",
    )
    # A member of staff who witnessed or received the conduct (a user of the school, or a
    # name). Not the reporter: the reporter-name guard of letters is not about them.
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="staff witness",
    )
    witness_name = models.CharField("staff witness (not a user)", max_length=120, blank=True)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, null=True, blank=True)
    group_other = models.CharField("other group", max_length=120, blank=True)
    posted_on = models.DateField("date posted")
    posted_time = models.TimeField("time posted", null=True, blank=True)
    content = models.TextField("what was posted")
    rules = models.ManyToManyField(Rule, blank=True, related_name="reports")
    rules_unsure = models.BooleanField("not sure which rules", default=False)
    poster_description = models.CharField("who posted it", max_length=200, blank=True)
    child_at_risk = models.CharField(max_length=10, choices=ChildRisk)
    child_risk_details = models.TextField(blank=True)

    reporter_name = models.CharField(max_length=120, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_phone = models.CharField(max_length=30, blank=True)
    reporter_relationship = models.CharField(max_length=20, choices=Relationship, blank=True)
    contact_preference = models.CharField(
        max_length=20, choices=ContactPreference, default=ContactPreference.FOLLOW_UP
    )
    contact_consent = models.BooleanField(default=False)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            # Letters word an in-person incident by its place ("at the school gate").
            models.CheckConstraint(
                condition=~models.Q(conduct="in_person") | ~models.Q(conduct_place=""),
                name="report_in_person_has_place",
            ),
            models.CheckConstraint(
                condition=models.Q(witness__isnull=True) | models.Q(witness_name=""),
                name="report_one_witness",
            ),
        ]
        indexes = [
            # Statistics and the governors' report count a period's reports per school.
            models.Index(fields=["school", "received_at"], name="report_school_received"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A follow-up code may be re-issued and a report merged into another case; nothing else
        # about it ever changes.
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and set(update_fields or ()) - {"followup_code_hash", "case"}:
            raise ImmutableRecordError("A report is never edited after it is received.")
        if not self._state.adding and not update_fields:
            raise ImmutableRecordError("A report is never edited after it is received.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError("Reports are disposed of only by the retention process.")

    @property
    def is_anonymous(self) -> bool:
        return not (self.reporter_name or self.reporter_email or self.reporter_phone)

    @property
    def needs_dsl_alert(self) -> bool:
        return self.child_at_risk in (ChildRisk.YES, ChildRisk.UNSURE)

    @property
    def is_post(self) -> bool:
        return self.conduct in POSTED_CONDUCT

    @property
    def witness_display(self) -> str:
        """The staff witness's name ("" when none is recorded)."""
        if self.witness_id is not None and self.witness is not None:
            return self.witness.get_full_name() or self.witness.get_username()
        return self.witness_name


# --------------------------------------------------------------------------------------------
# Messages between staff and the reporter (and the reporter's additions)


class Message(models.Model):
    class Direction(models.TextChoices):
        FROM_REPORTER = "from_reporter", "From the reporter"
        TO_REPORTER = "to_reporter", "To the reporter"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=20, choices=Direction)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on {self.created_at:%d %b %Y}"


# --------------------------------------------------------------------------------------------
# Evidence


class OcrStatus(models.TextChoices):
    PENDING = "pending", "Text being read"
    DONE = "done", "Text extracted"
    FAILED = "failed", "Text not extracted"


class CleanStatus(models.TextChoices):
    """An image's clean copy is made by a task after the upload (incidents.evidence)."""

    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be prepared"


class Evidence(models.Model):
    """A file: the sealed original (SLT/DSL only) and, for images, a clean re-encoded copy."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        DOCUMENT = "document", "Document"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    kind = models.CharField(max_length=10, choices=Kind)
    original = models.FileField(storage=private_storage, upload_to="evidence/original/")
    original_name = models.CharField(max_length=255)
    original_sha256 = models.CharField(max_length=64)
    original_size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=50)
    clean = models.FileField(storage=private_storage, upload_to="evidence/clean/", blank=True)
    clean_sha256 = models.CharField(max_length=64, blank=True)
    # Until the clean copy exists no page shows the image (and never the original instead).
    clean_status = models.CharField(max_length=10, choices=CleanStatus, default=CleanStatus.READY)
    clean_error = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    # Text read from the clean copy by OCR (incidents.ocr), after the report is saved. The
    # original reading is kept; a member of staff's correction is kept beside it.
    ocr_status = models.CharField(max_length=10, choices=OcrStatus, blank=True)
    ocr_text = models.TextField(blank=True)
    ocr_at = models.DateTimeField(null=True, blank=True)
    ocr_error = models.CharField(max_length=200, blank=True)
    text_correction = models.TextField(blank=True)
    text_corrected_at = models.DateTimeField(null=True, blank=True)
    text_corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Suggestions for the case-file redaction tool: [{"kind", "text", "status", ...}], each
    # "suggested" until a person confirms or dismisses it (incidents.redaction).
    redaction_suggestions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name

    @property
    def ready(self) -> bool:
        """A document, or an image whose clean copy has been made."""
        return self.clean_status == CleanStatus.READY

    @property
    def text(self) -> str:
        """The text staff work with: their correction if there is one, else what OCR read."""
        return self.text_correction or self.ocr_text


class SensitiveName(models.Model):
    """A name staff list as sensitive for a school (a pupil, a member of staff): text read
    from evidence that contains it is suggested for redaction."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="sensitive_names")
    name = models.CharField(max_length=120)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


# --------------------------------------------------------------------------------------------
# Chronology


# --------------------------------------------------------------------------------------------
# What is kept from a WhatsApp chat export (incidents.whatsapp reads it, incidents.chat keeps
# only the picked messages and a few either side; the rest is never stored).


class ChatExcerpt(AppendOnlyModel):
    """What a reporter kept from a chat export: evidence, never edited."""

    append_only_message = "A kept chat excerpt is never edited."

    # Its case is its report's (a merge moves the report, and so the excerpt, to another case).
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="chat_excerpts")
    platform = models.CharField(max_length=10)
    file_name = models.CharField(max_length=120)
    messages_in_export = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Chat excerpt for {self.report}"


class ExcerptMessage(AppendOnlyModel):
    """One kept message. `from_reporter` marks the sender the reporter said was them: their
    name is reporter identity (incidents.chat.excerpt_for_viewer hides it)."""

    append_only_message = "A kept chat message is never edited."

    excerpt = models.ForeignKey(ChatExcerpt, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(help_text="Its place in the whole export.")
    sent_at = models.DateTimeField()
    sender = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    kind = models.CharField(max_length=10)
    edited = models.BooleanField(default=False)
    picked = models.BooleanField(default=False)
    from_reporter = models.BooleanField(default=False)
    attachment_name = models.CharField(max_length=200, blank=True)
    evidence = models.ForeignKey(
        Evidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["excerpt", "position"]

    def __str__(self) -> str:
        return f"{self.sent_at:%d/%m/%Y %H:%M} {self.text[:40]}"


class CaseEvent(AppendOnlyModel):
    """One line of a case's chronology. Append-only: written with the change it records."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Case opened"
        REPORT_RECEIVED = "report_received", "Report received"
        REPORTER_ADDED_INFORMATION = "reporter_added", "Reporter added information"
        SAFEGUARDING_ALERT = "safeguarding_alert", "Safeguarding alert sent"
        TRIAGED = "triaged", "Triaged"
        MERGED = "merged", "Reports merged"
        INFORMATION = "information", "Information gathered"
        MEETING = "meeting", "Meeting or conversation"
        DECIDED = "decided", "Outcome decided"
        REFERRAL = "referral", "Referral"
        MONITORING = "monitoring", "Monitoring started"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        REASSIGNED = "reassigned", "Lead changed"
        SEVERITY = "severity", "Severity changed"
        PERSON = "person", "Person concerned added"
        MESSAGE_TO_REPORTER = "message_to_reporter", "Message to the reporter"
        SAFEGUARDING_DECISION = "safeguarding_decision", "Safeguarding decision"
        CODE_REISSUED = "code_reissued", "Follow-up code re-issued"
        BAN = "ban", "Site ban"
        RESTRICTION = "restriction", "Contact restriction"
        NOTE = "note", "Note"
        LETTER = "letter", "Letter"
        EVIDENCE_TEXT = "evidence_text", "Evidence text corrected"
        REDACTION = "redaction", "Redaction suggestion decided"
        WORDING = "wording", "Wording confirmed for letters"
        RULES = "rules", "Rules broken recorded"
        TASK = "task", "Task"
        CASE_FILE = "case_file", "Case file made"
        EVIDENCE_REDACTED = "evidence_redacted", "Redacted copy of evidence made"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=300)
    from_status = models.CharField(max_length=20, choices=CaseStatus, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus, blank=True)
    rationale = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    append_only_message = "The chronology is append-only."

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="caseevent_case_time")]

    def __str__(self) -> str:
        return self.summary


# --------------------------------------------------------------------------------------------
# Meetings, referrals and the access log


class Meeting(models.Model):
    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "Informal conversation"
        SENIOR_LEADER = "senior_leader", "Meeting with a senior leader"
        TRUST_EXECUTIVE = "trust_executive", "Meeting with the trust executive"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="meetings")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind)
    held_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    attendees = models.CharField(max_length=300, blank=True)
    notes = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.held_at:%d %b %Y}"


class Referral(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", "Police"
        LADO = "lado", "Local authority designated officer (LADO)"
        LEGAL = "legal", "Legal advice"
        PLATFORM = "platform", "Report to the platform"
        CHILDRENS_SERVICES = "childrens_services", "Children's services"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(max_length=20, choices=Kind)
    made_on = models.DateField()
    external_reference = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["made_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.made_on:%d %b %Y})"


class AccessLog(AppendOnlyModel):
    """Who opened a case, viewed evidence or exported a list, and when."""

    class Action(models.TextChoices):
        VIEW_CASE = "view_case", "Opened the case"
        VIEW_EVIDENCE = "view_evidence", "Viewed evidence"
        DOWNLOAD_ORIGINAL = "download_original", "Downloaded a sealed original"
        EXPORT = "export", "Exported a case list"
        PRINT_CHRONOLOGY = "print_chronology", "Printed the chronology"
        CASE_FILE = "case_file", "Asked for a case file"
        CASE_FILE_DOWNLOAD = "case_file_download", "Downloaded a case file"
        DISCLOSURE = "disclosure", "Released a subject access disclosure"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="access_log"
    )
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, null=True, blank=True)
    action = models.CharField(max_length=20, choices=Action)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    append_only_message = "The access log cannot be edited."

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["case", "-at"], name="accesslog_case_time")]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.at:%d %b %Y %H:%M}"


class CaseExport(models.Model):
    """A large CSV of the case list, built by a task into private storage for the member of
    staff who asked for it (and only them). Holds no reporter identity, like the list."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_exports"
    )
    query = models.CharField(max_length=2000, blank=True, help_text="The list's filters.")
    # The schools whose cases the file may hold (the requester's when it was built): the
    # download is refused once the requester no longer sees every one of them.
    school_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=private_storage, upload_to="exports/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Case export {self.pk} ({self.get_status_display().lower()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
