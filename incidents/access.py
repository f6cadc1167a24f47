"""Who may see which case, evidence or list. One access function per object.

Anything a user may not see is a 404, never a 403: staff of another school must not learn
that a case exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from schools.models import Membership, Role, School, TrustMembership

from .models import Case, Evidence


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

    def sees_reporter(self, school: School) -> bool:
        """The reporter's identity: SLT and DSL of the school only (not the trust, not office)."""
        return school.pk in self.slt or school.pk in self.dsl


def roles_for(user) -> StaffRoles:
    cached = getattr(user, "_schoolconduct_roles", None)
    if cached is not None:
        return cached
    slt, dsl, office, head = set(), set(), set(), set()
    trusts: set[int] = set()
    if user.is_authenticated and user.is_active:
        rows = Membership.objects.filter(user=user, school__is_active=True).values_list(
            "school_id", "role", "is_head_teacher"
        )
        for school_id, role, is_head in rows:
            {Role.SLT: slt, Role.DSL: dsl, Role.OFFICE: office}[role].add(school_id)
            if is_head:
                head.add(school_id)
        trusts = set(TrustMembership.objects.filter(user=user).values_list("trust_id", flat=True))
    roles = StaffRoles(
        frozenset(slt), frozenset(dsl), frozenset(office), frozenset(trusts), frozenset(head)
    )
    user._schoolconduct_roles = roles
    return roles


def managed_schools(user) -> QuerySet[School]:
    roles = roles_for(user)
    return School.objects.filter(
        Q(pk__in=roles.slt) | Q(trust_id__in=roles.trusts), is_active=True
    ).order_by("name")


def case_schools(user) -> QuerySet[School]:
    """Schools whose cases the user may open (some or all of them): SLT, DSL, trust."""
    roles = roles_for(user)
    return School.objects.filter(
        Q(pk__in=roles.slt | roles.dsl) | Q(trust_id__in=roles.trusts), is_active=True
    ).order_by("name")


def cases_visible_to(user) -> QuerySet[Case]:
    """Every case the user may open: all of their SLT/trust schools' cases, and the
    safeguarding-flagged cases of schools where they are a DSL."""
    roles = roles_for(user)
    condition = Q(school_id__in=roles.slt) | Q(school__trust_id__in=roles.trusts)
    condition |= Q(school_id__in=roles.dsl, safeguarding_flag=True)
    if not (roles.slt or roles.trusts or roles.dsl):
        return Case.objects.none()
    return Case.objects.filter(condition, school__is_active=True)


@dataclass(frozen=True)
class CaseAccess:
    case: Case
    roles: StaffRoles

    @property
    def can_manage(self) -> bool:
        return self.roles.manages(self.case.school)

    @property
    def is_dsl(self) -> bool:
        return self.roles.is_dsl(self.case.school)

    @property
    def can_see_reporter(self) -> bool:
        return self.roles.sees_reporter(self.case.school)

    @property
    def can_download_original(self) -> bool:
        return self.can_see_reporter


def get_case_for_user(user, reference: str) -> CaseAccess:
    """The case with this reference if `user` may open it, else 404."""
    case = (
        cases_visible_to(user)
        .select_related("school__trust", "lead", "merged_into")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404("No such case.")
    return CaseAccess(case=case, roles=roles_for(user))


def get_evidence_for_user(user, pk: int) -> tuple[Evidence, CaseAccess]:
    """Evidence through its case's access; 404 if the case is not visible."""
    evidence = Evidence.objects.select_related("case__school__trust").filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such file.")
    case_ids = cases_visible_to(user).filter(pk=evidence.case_id)
    if not case_ids.exists():
        raise Http404("No such file.")
    return evidence, CaseAccess(case=evidence.case, roles=roles_for(user))
