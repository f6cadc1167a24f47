"""Trusts, schools, their code of conduct, their parents' groups and who works where."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse


class Trust(models.Model):
    """A multi-academy trust: staff with a trust role see every school in it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BanDecisionBy(models.TextChoices):
    HEAD_TEACHER = "head_teacher", "The head teacher"
    ANY_SLT = "any_slt", "Any member of the senior leadership team"
    TRUST_EXECUTIVE = "trust_executive", "A trust executive"


class SchoolQuerySet(models.QuerySet):
    def active(self) -> SchoolQuerySet:
        return self.filter(is_active=True)


class School(models.Model):
    trust = models.ForeignKey(
        Trust, on_delete=models.PROTECT, null=True, blank=True, related_name="schools"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        unique=True, help_text="Used in the school's public address: /s/<slug>/"
    )
    reference_prefix = models.CharField(
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,6}$", "Use 2 to 6 capital letters, e.g. WPS.")],
        help_text="Starts every case reference, e.g. WPS-2026-0042.",
    )
    address = models.TextField(help_text="Postal address, one line per row.")
    postcode = models.CharField(max_length=10)
    phone = models.CharField(max_length=30)
    email = models.EmailField()
    website = models.URLField(blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True)
    childrens_services_phone = models.CharField(
        "local children's services phone",
        max_length=30,
        help_text="The local authority's children's services (front door / MASH) number.",
    )
    police_non_emergency_phone = models.CharField(
        "police non-emergency phone", max_length=30, default="101"
    )
    triage_target_days = models.PositiveSmallIntegerField(
        default=2,
        help_text="School days within which a new report should be triaged (the school's choice).",
    )
    decision_target_days = models.PositiveSmallIntegerField(
        default=20,
        help_text="School days from a report to the decision on the case (the school's own "
        "target, used in the statistics and the governors' report).",
    )
    # Site-ban procedure: defaults are the school's choice, not law (docs/domain.md).
    representation_school_days = models.PositiveSmallIntegerField(
        default=10,
        validators=[
            MinValueValidator(
                5, "Allow at least 5 school days for representations: never fewer than 5."
            )
        ],
        help_text="School days given for representations after a notice of intention to bar "
        "(the school's choice; never fewer than 5).",
    )
    decision_school_days = models.PositiveSmallIntegerField(
        default=5,
        help_text="School days after the representation deadline within which a bar decision "
        "is due (the school's choice).",
    )
    ban_decision_by = models.CharField(
        max_length=20,
        choices=BanDecisionBy,
        default=BanDecisionBy.HEAD_TEACHER,
        help_text="Who may confirm or lift a site ban, under the trust's scheme of delegation.",
    )
    letter_queue_target_days = models.PositiveSmallIntegerField(
        "print queue target (days)",
        default=2,
        validators=[MinValueValidator(1)],
        help_text="Days within which an approved letter should be printed and sent; the print "
        "queue warns about letters waiting longer (the school's choice).",
    )
    is_active = models.BooleanField(default=True)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # The legal floor (DfE: a reasonable time; never fewer than 5 school days) holds in
            # the database too, whatever form or script sets it.
            models.CheckConstraint(
                condition=models.Q(representation_school_days__gte=5),
                name="school_representation_days_at_least_5",
                violation_error_message="Allow at least 5 school days for representations.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("schools:school", kwargs={"school": self.slug})

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]


class RuleQuerySet(models.QuerySet):
    def active(self) -> RuleQuerySet:
        return self.filter(is_active=True)


class Rule(models.Model):
    """One clause of a school's code of conduct for parents' groups."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="rules")
    title = models.CharField(max_length=200)
    explanation = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["school", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "title"], name="rule_unique_title_per_school")
        ]

    def __str__(self) -> str:
        return self.title


class Group(models.Model):
    """A class or year-group chat (WhatsApp or similar) that parents of the school use."""

    class Platform(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        FACEBOOK = "facebook", "Facebook"
        OTHER = "other", "Other social media"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=120, help_text="As parents know it, e.g. 'Year 3 parents'.")
    platform = models.CharField(max_length=20, choices=Platform, default=Platform.WHATSAPP)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["school", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="group_unique_name_per_school")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SLT = "slt", "Senior leadership (SLT)"
    DSL = "dsl", "Designated safeguarding lead"
    OFFICE = "office", "Office staff"


class Membership(models.Model):
    """A member of staff's role at one school. One person may hold several roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role)
    is_head_teacher = models.BooleanField(
        default=False, help_text="SLT only: the default signatory of the school's letters."
    )
    is_deputy = models.BooleanField(
        default=False, help_text="DSL only: a deputy designated safeguarding lead."
    )
    job_title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["school", "role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school", "role"], name="membership_unique_role"
            ),
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(is_head_teacher=True),
                name="membership_one_head_teacher",
            ),
            models.CheckConstraint(
                condition=models.Q(is_head_teacher=False) | models.Q(role="slt"),
                name="membership_head_is_slt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.school}"


class TrustMembership(models.Model):
    """A trust executive: sees the cases of every school in the trust."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_memberships"
    )
    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="memberships")
    job_title = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "trust"], name="trust_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — trust executive at {self.trust}"


class TermDate(models.Model):
    """A term (or half term) when the school is open. School days fall inside terms."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(max_length=80, help_text="e.g. Autumn 1")
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["school", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%d %b %Y} – {self.ends_on:%d %b %Y})"


class InsetDay(models.Model):
    """A staff training day inside a term: not a school day."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="inset_days")
    date = models.DateField()
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["school", "date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="inset_unique_per_school")
        ]

    def __str__(self) -> str:
        return f"INSET {self.date:%d %b %Y}"
