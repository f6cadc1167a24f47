"""Filed governors' reports: the PDF as it was given to governors, never regenerated."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from schools.models import School


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class GovernorsReport(models.Model):
    """A termly report for governors or trustees: aggregate figures only, small numbers
    suppressed, no names and no case text. One per school (or trust-wide) and term."""

    class Trigger(models.TextChoices):
        ON_DEMAND = "on_demand", "Made by a member of staff"
        END_OF_TERM = "end_of_term", "Made by the daily job at the end of the term"

    class Status(models.TextChoices):
        """Where the report is: asked for, then built by a Celery task (`build_report`)."""

        QUEUED = "queued", "Waiting to start"
        FIGURES = "figures", "Counting the term's figures"
        RENDERING = "rendering", "Drawing the PDF"
        DONE = "done", "Ready"
        FAILED = "failed", "Could not be made"

    schools = models.ManyToManyField(School, related_name="governors_reports")
    scope_key = models.CharField(
        max_length=200,
        help_text="The schools covered, as sorted ids (one report per scope and term).",
    )
    title = models.CharField(max_length=200)
    term_name = models.CharField(max_length=60)
    term_start = models.DateField()
    term_end = models.DateField()
    # Term dates the school had not entered: the report says its dates are estimated.
    term_estimated = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, choices=Trigger, default=Trigger.ON_DEMAND)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    pdf = models.FileField(storage=_private_storage, upload_to="governors/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-term_start", "-made_at"]
        indexes = [
            # The daily job asks "is this term's report already filed for this scope?"
            models.Index(fields=["scope_key", "term_start"], name="govreport_scope_term"),
        ]
        constraints = [
            # The daily job files one end-of-term report per scope and term, even if it runs
            # twice at once.
            models.UniqueConstraint(
                fields=["scope_key", "term_start"],
                condition=models.Q(trigger="end_of_term"),
                name="govreport_end_of_term_once",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.FIGURES, self.Status.RENDERING)


class CalendarFeed(models.Model):
    """A member of staff's secret iCalendar feed of their deadlines.

    The URL's token is shown once and stored only as its SHA-256, so the database never holds
    a working feed address; revoking (or making a new one) stops the old URL at once. The feed
    carries a case reference and what is due — never names or case text."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} ({'revoked' if self.revoked_at else 'active'})"
