"""Who may see which school: a user's roles, loaded once per request.

Object-level access functions (cases, evidence, letters) build on these.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Membership, Role, School, TrustMembership


@dataclass(frozen=True)
class StaffRoles:
    """A user's roles, loaded once per request: school ids per role, trust ids."""

    slt: frozenset[int]
    dsl: frozenset[int]
    office: frozenset[int]
    trusts: frozenset[int]
    head_of: frozenset[int]

    @property
    def is_staff_member(self) -> bool:
        return bool(self.slt or self.dsl or self.office or self.trusts)

    def manages(self, school: School) -> bool:
        """SLT of the school, or an executive of its trust: runs cases."""
        return school.pk in self.slt or (
            school.trust_id is not None and school.trust_id in self.trusts
        )

    def is_dsl(self, school: School) -> bool:
        return school.pk in self.dsl

    @property
    def reporter_schools(self) -> frozenset[int]:
        """Schools whose reporters this user may know: see `sees_reporter`."""
        return self.slt | self.dsl

    def sees_reporter(self, school: School) -> bool:
        """THE rule for the reporter's identity: SLT and DSL of the school only — never a
        trust executive, office staff or anyone at another school.

        Every page, PDF, CSV, email, print-queue row and chronology line that could show who
        reported (their name, email or phone, or a letter addressed to them) asks this, or
        filters with `reporter_schools`, which is the same rule as a set of school ids.
        """
        return school.pk in self.reporter_schools


def roles_for(user) -> StaffRoles:
    cached = getattr(user, "_schoolconduct_roles", None)
    if cached is not None:
        return cached
    slt: set[int] = set()
    dsl: set[int] = set()
    office: set[int] = set()
    head: set[int] = set()
    trusts: set[int] = set()
    if user.is_authenticated and user.is_active:
        rows = Membership.objects.filter(user=user, school__is_active=True).values_list(
            "school_id", "role", "is_head_teacher"
        )
        for school_id, role, is_head in rows:
            by_role: dict[str, set[int]] = {Role.SLT: slt, Role.DSL: dsl, Role.OFFICE: office}
            by_role[role].add(school_id)
            if is_head:
                head.add(school_id)
        trusts = set(TrustMembership.objects.filter(user=user).values_list("trust_id", flat=True))
    roles = StaffRoles(
        frozenset(slt), frozenset(dsl), frozenset(office), frozenset(trusts), frozenset(head)
    )
    user._schoolconduct_roles = roles
    return roles


def sees_reporter(user, school: School) -> bool:
    """Whether `user` may learn who reported concerns at `school` (see StaffRoles)."""
    return roles_for(user).sees_reporter(school)


def managed_schools(user) -> QuerySet[School]:
    roles = roles_for(user)
    return School.objects.filter(
        Q(pk__in=roles.slt) | Q(trust_id__in=roles.trusts), is_active=True
    ).order_by("name")
