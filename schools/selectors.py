"""Reads for the schools app."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import Role, School


def school_staff_with_role(*, school: School, roles: list[str]) -> QuerySet:
    """Active users holding any of `roles` at `school` (e.g. every DSL and deputy)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__school=school, memberships__role__in=roles)
        .distinct()
        .order_by("pk")
    )


def school_head_teachers(*, school: School) -> QuerySet:
    return get_user_model().objects.filter(
        is_active=True,
        memberships__school=school,
        memberships__role=Role.SLT,
        memberships__is_head_teacher=True,
    )
