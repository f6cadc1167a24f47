"""Deployment checks that `manage.py check --deploy` adds to Django's own."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def follow_up_code_key_check(app_configs: object, **kwargs: object) -> list[CheckMessage]:
    """The follow-up codes need their own key, or rotating SECRET_KEY voids every code."""
    key = settings.FOLLOW_UP_CODE_KEY
    if not key:
        return [
            Warning(
                "FOLLOW_UP_CODE_KEY is not set, so parents' follow-up codes are keyed by "
                "SECRET_KEY and rotating it would void them.",
                hint="Set FOLLOW_UP_CODE_KEY to 50+ random characters; codes already issued "
                "keep working (they are checked against the old key and re-hashed).",
                id="security.W001",
            )
        ]
    if len(key) < 50 or key == settings.SECRET_KEY:
        return [
            Warning(
                "FOLLOW_UP_CODE_KEY must be 50+ random characters, different from SECRET_KEY.",
                id="security.W002",
            )
        ]
    return []
