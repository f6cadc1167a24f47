"""Who may see which case, evidence or list. One access function per object.

Anything a user may not see is a 404, never a 403: staff of another school must not learn
that a case exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from schools.access import StaffRoles, managed_schools, roles_for, schools_for  # noqa: F401
from schools.models import Role, School

from .frozen_sql import FrozenQuery
from .models import Case, Evidence


def case_schools(user) -> QuerySet[School]:
    """Schools whose cases the user may open (some or all of them): SLT, DSL, trust."""
    return schools_for(user, Role.SLT, Role.DSL)


def cases_visible_to(user) -> QuerySet[Case]:
    """Every case the user may open: all of their SLT/trust schools' cases, and the
    safeguarding-flagged cases of schools where they are a DSL."""
    roles = roles_for(user)
    condition = Q(school_id__in=roles.slt) | Q(school__trust_id__in=roles.trusts)
    condition |= Q(school_id__in=roles.dsl, safeguarding_flag=True)
    if not (roles.slt or roles.trusts or roles.dsl):
        return Case.objects.none()
    return Case.objects.filter(condition, school__is_active=True)


def school_case_scope(user, school: School) -> str:
    """Which of `school`'s cases `user` may open — the rule of `cases_visible_to` for one
    active school, for figures counted per school (incidents.case_counts): "all" (SLT of the
    school, or an executive of its trust), "safeguarding" (a DSL there: the flagged cases
    only), or "" (none)."""
    roles = roles_for(user)
    if not school.is_active:
        return ""
    if roles.manages(school):
        return "all"
    if school.pk in roles.dsl:
        return "safeguarding"
    return ""


def cases_visible_in(user, schools) -> QuerySet[Case]:
    """`cases_visible_to(user)` written with the user's `case_schools` already read: the same
    cases (per school, `school_case_scope`), as a simpler query — school ids, no join to the
    school — that is cheaper to build and that the planner estimates better."""
    every, flagged = [], []
    for school in schools:
        scope = school_case_scope(user, school)
        if scope == "all":
            every.append(school.pk)
        elif scope == "safeguarding":
            flagged.append(school.pk)
    if not (every or flagged):
        return Case.objects.none()
    return Case.objects.filter(
        Q(school_id__in=every) | Q(school_id__in=flagged, safeguarding_flag=True)
    )


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


def _cases(user) -> QuerySet[Case]:
    return cases_visible_to(user).select_related("school__trust", "lead", "merged_into")


# The case page's query, built and compiled to SQL once per user and roles in each process
# (`frozen_sql`): building its JSON lists costs more than the database takes to run them. A
# change of roles is a new key.
_PAGE_CASES: dict[tuple, FrozenQuery] = {}


def _page_case(user, reference: str) -> Case | None:
    from .rows import CASE_ROWS, case_rows_annotations

    key = (user.pk, roles_for(user), tuple(map(id, CASE_ROWS.values())), connection.vendor)
    frozen = _PAGE_CASES.get(key)
    if frozen is None:
        if len(_PAGE_CASES) >= 500:
            _PAGE_CASES.clear()
        cases = (
            _cases(user)
            .select_related("safeguarding_decided_by")
            .annotate(**case_rows_annotations(user))
        )
        # As `.first()` would run it.
        frozen = _PAGE_CASES[key] = FrozenQuery(cases.filter(reference=FrozenQuery.MARKER)[:1])
    return frozen.first(reference)


def get_case_for_user(user, reference: str, *, page: bool = False) -> CaseAccess:
    """The case with this reference if `user` may open it, else 404.

    `page`: for the case page, with the short lists registered in `rows.CASE_ROWS` (each
    limited to what `user` may see) read in the same query, as `case.page_rows`."""
    from .rows import case_rows_load

    case = _page_case(user, reference) if page else _cases(user).filter(reference=reference).first()
    if case is None:
        raise Http404("No such case.")
    if page:
        case_rows_load(case)
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


def register_schools(user) -> QuerySet[School]:
    """Schools whose restrictions register the user may see: any staff role there, or the
    trust's schools for an executive."""
    return schools_for(user, Role.SLT, Role.DSL, Role.OFFICE)


def report_log_schools(user) -> QuerySet[School]:
    """Schools for which the user may log a report a parent phoned, emailed or brought in:
    the schools they manage, and those where they are office staff (who take the call but
    never open the case afterwards)."""
    return schools_for(user, Role.SLT, Role.OFFICE)


def may_open_case(user, case: Case) -> bool:
    """Whether `user` may open `case` (the same rule as `get_case_for_user`)."""
    return cases_visible_to(user).filter(pk=case.pk).exists()
