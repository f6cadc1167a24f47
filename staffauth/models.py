"""A school's own sign-in (OpenID Connect) and the log of second-factor resets."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from schoolconduct.models import AppendOnlyModel
from schools.models import School, Trust


class SchoolSignIn(models.Model):
    """Sign in with the school's (or the trust's) Microsoft 365 or Google Workspace account.

    The issuer, client id and secret live on allauth's `SocialApp` (provider "OpenID Connect");
    this row says whose staff it serves and which email domain it may vouch for.
    """

    app = models.OneToOneField(
        SocialApp,
        on_delete=models.CASCADE,
        related_name="school_sign_in",
        limit_choices_to={"provider": "openid_connect"},
        verbose_name="OpenID Connect app",
        help_text="The social application holding the issuer (server URL), client id and secret.",
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="sign_ins"
    )
    trust = models.ForeignKey(
        Trust,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sign_ins",
        help_text="For a trust-wide tenant: staff of every school in the trust may use it.",
    )
    email_domain = models.CharField(
        max_length=253,
        validators=[
            RegexValidator(
                r"^@?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
                "Enter a domain such as willowpark.sch.uk (no spaces, no https://).",
            )
        ],
        help_text="Only addresses at exactly this domain are accepted, e.g. willowpark.sch.uk.",
    )
    issuer_verifies_email = models.BooleanField(
        "the issuer owns this domain",
        default=False,
        help_text="Tick for a single-tenant Microsoft 365 issuer (the tenant id in its URL) whose "
        "verified domain this is: Microsoft does not send 'email_verified'. Google does, and "
        "needs no tick.",
    )

    class Meta:
        verbose_name = "school sign-in (Microsoft 365 / Google)"
        verbose_name_plural = "school sign-ins (Microsoft 365 / Google)"
        constraints = [
            models.CheckConstraint(
                condition=(Q(school__isnull=False) & Q(trust__isnull=True))
                | (Q(school__isnull=True) & Q(trust__isnull=False)),
                name="school_sign_in_for_a_school_or_a_trust",
            )
        ]

    def __str__(self) -> str:
        return f"{self.app.name} ({self.school or self.trust})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email_domain = self.email_domain.strip().lstrip("@").lower()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        issuer = (self.app.settings or {}).get("server_url", "") if self.app_id else ""
        if self.app_id and not issuer:
            raise ValidationError(
                {"app": 'Give the app its issuer in Settings: {"server_url": "https://…"}.'}
            )
        if issuer and settings.IS_PRODUCTION and not issuer.startswith("https://"):
            raise ValidationError({"app": "The issuer (server_url) must be an https:// address."})


class SecondFactorReset(AppendOnlyModel):
    """An administrator removed a user's second factors (a lost phone or key). Append-only:
    PostgreSQL refuses UPDATE and DELETE on the table (migration 0001)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="second_factor_resets_done",
        verbose_name="reset by",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="second_factor_resets",
        verbose_name="for",
    )
    removed = models.CharField(max_length=200, help_text="What was removed, e.g. 'totp, webauthn'.")
    reason = models.CharField(max_length=300, blank=True)

    append_only_message = "The second-factor reset log is append-only."
    append_only_error = PermissionError

    class Meta:
        ordering = ["-at"]
        verbose_name = "second-factor reset"

    def __str__(self) -> str:
        return f"{self.at:%d %b %Y %H:%M} {self.actor} reset {self.user}"
