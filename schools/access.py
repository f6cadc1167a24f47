"""Who may see which school. Object-level access functions build on these."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Role, School


def schools_for_user(user, *, roles: list[str] | None = None) -> QuerySet[School]:
    """Schools where `user` holds one of `roles` (any role if None), plus, when no specific
    roles are asked for or SLT is, every school of a trust where they are an executive."""
    if not user.is_authenticated or not user.is_active:
        return School.objects.none()
    membership = Q(memberships__user=user)
    if roles is not None:
        membership &= Q(memberships__role__in=roles)
    condition = membership
    if roles is None or Role.SLT in roles:
        condition |= Q(trust__memberships__user=user)
    return School.objects.filter(condition, is_active=True).distinct()


def is_staff_member(user) -> bool:
    return schools_for_user(user).exists()
