"""Site bars, their reviews and contact restrictions (DOMAIN §Site ban, "Enforced").

The tables were created by the incidents app and kept their names when the models moved here
(see docs/decisions.md, "Measures in their own app"). A bar's stage and a restriction's end
change only through `measures.procedure`, whose stage tables say which step may follow which;
the model refuses any other change, as `Case` does for its status.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import Case, Person
from schoolconduct.models import ImmutableRecordError
from schools.models import School


class BanStage(models.TextChoices):
    INTENTION = "intention", "Notice of intention issued"
    TEMPORARY = "temporary", "Temporary bar in force"
    CONFIRMED = "confirmed", "Bar in force"
    NOT_CONFIRMED = "not_confirmed", "Not confirmed"
    LIFTED = "lifted", "Lifted"
    EXPIRED = "expired", "Expired"


# A bar in progress (its person can't be given another) and a bar in force (on the register).
ACTIVE_BAN_STAGES = (BanStage.INTENTION, BanStage.TEMPORARY, BanStage.CONFIRMED)
IN_FORCE_BAN_STAGES = (BanStage.TEMPORARY, BanStage.CONFIRMED)

STAGE_MESSAGE = "A bar's stage changes only through measures.procedure."
END_MESSAGE = "A contact restriction ends only through measures.procedure."


class _GuardedQuerySet(models.QuerySet):
    """Refuses bulk updates of the guarded field: the stage table is the only way."""

    guarded_field = ""
    message = ""

    def update(self, **kwargs: Any) -> int:
        if self.guarded_field in kwargs:
            raise ImmutableRecordError(self.message)
        return super().update(**kwargs)


class SiteBanQuerySet(_GuardedQuerySet):
    guarded_field = "stage"
    message = STAGE_MESSAGE


class ContactRestrictionQuerySet(_GuardedQuerySet):
    guarded_field = "ended_on"
    message = END_MESSAGE


class _GuardedModel(models.Model):
    """`save()` refuses a change of the guarded field unless the procedure allowed it."""

    guarded_field = ""
    message = ""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        touches = fields is None or self.guarded_field in fields
        if touches and not self._state.adding and not getattr(self, "_procedure_allowed", False):
            # Compare with the database, not with what this object was loaded with.
            stored = (
                type(self)
                ._default_manager.filter(pk=self.pk)
                .values_list(self.guarded_field, flat=True)
                .first()
            )
            if stored != getattr(self, self.guarded_field):
                raise ImmutableRecordError(self.message)
        super().save(*args, **kwargs)
        self._procedure_allowed = False


class SiteBan(_GuardedModel):
    guarded_field = "stage"
    message = STAGE_MESSAGE

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="bans")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bans")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="bans")
    stage = models.CharField(max_length=20, choices=BanStage, editable=False)
    reasons = models.TextField()
    scope = models.TextField(help_text="Site areas, times and events it covers.")
    duration = models.CharField(max_length=200)
    child_arrangements = models.TextField(
        help_text="How the child will be dropped off and collected."
    )
    decision_maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notice_on = models.DateField()
    representation_deadline = models.DateField()
    immediate_risk_reason = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    representations = models.TextField(blank=True)
    representations_on = models.DateField(null=True, blank=True)
    representations_weighed = models.TextField(blank=True)
    representations_considered_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reasons = models.TextField(blank=True)
    override_reason = models.TextField(blank=True)
    lifted_on = models.DateField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SiteBanQuerySet.as_manager()

    class Meta:
        db_table = "incidents_siteban"
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The register: a school's bans in force, by stage and dates.
            models.Index(fields=["school", "stage", "starts_on"], name="siteban_register"),
        ]

    def __str__(self) -> str:
        return f"Site ban: {self.person} ({self.get_stage_display().lower()})"


class BanReview(models.Model):
    class Outcome(models.TextChoices):
        CONTINUE = "continue", "Continue"
        VARY = "vary", "Vary"
        LIFT = "lift", "Lift"

    ban = models.ForeignKey(SiteBan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome)
    notes = models.TextField()
    next_review_on = models.DateField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        db_table = "incidents_banreview"
        ordering = ["reviewed_on", "pk"]

    def __str__(self) -> str:
        return f"Review {self.reviewed_on:%d %b %Y}: {self.get_outcome_display()}"


class ContactRestriction(_GuardedModel):
    """A lighter outcome: one point of contact, some channels, a review date."""

    guarded_field = "ended_on"
    message = END_MESSAGE

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="restrictions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="restrictions")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="restrictions")
    contact_point = models.CharField(max_length=200)
    channels = models.CharField(max_length=200, help_text="e.g. email to the office only")
    reasons = models.TextField()
    starts_on = models.DateField()
    review_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True, editable=False)
    end_reason = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ContactRestrictionQuerySet.as_manager()

    class Meta:
        db_table = "incidents_contactrestriction"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Contact restriction: {self.person}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None
