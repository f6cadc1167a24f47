"""Who may see which school: a user's roles, loaded once per request, the one
`schools_for(user, *roles)` query, the `?school=` picker and `staff_required`.

Object-level access functions (cases, evidence, letters) build on these.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import CharField, Q, QuerySet, Value
from django.http import Http404, HttpRequest

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


NO_ROLES = StaffRoles(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
# Which of a user's sets a membership's role goes into (a trust membership: "trust").
_SET_OF_ROLE: dict[str, str] = {Role.SLT: "slt", Role.DSL: "dsl", Role.OFFICE: "office"}


def _roles_by_user(user_ids: Collection[int]) -> dict[int, StaffRoles]:
    """The roles of these users, from their school and trust memberships in one query."""
    text: CharField = CharField()
    schools = (
        Membership.objects.filter(user_id__in=user_ids, school__is_active=True)
        .order_by()
        .values_list("user_id", "school_id", "role", "is_head_teacher")
    )
    trust_rows = (
        TrustMembership.objects.filter(user_id__in=user_ids)
        .order_by()
        .annotate(r=Value("trust", output_field=text), h=Value(False))
        .values_list("user_id", "trust_id", "r", "h")
    )
    found: dict[int, dict[str, set[int]]] = {}
    for user_id, object_id, role, is_head in schools.union(trust_rows, all=True):
        sets = found.setdefault(
            user_id, {key: set() for key in ("slt", "dsl", "office", "trust", "head")}
        )
        sets[_SET_OF_ROLE.get(role, "trust")].add(object_id)
        if is_head and role != "trust":
            sets["head"].add(object_id)
    return {
        user_id: StaffRoles(
            frozenset(sets["slt"]),
            frozenset(sets["dsl"]),
            frozenset(sets["office"]),
            frozenset(sets["trust"]),
            frozenset(sets["head"]),
        )
        for user_id, sets in found.items()
    }


def roles_for(user) -> StaffRoles:
    """The user's roles, loaded once (kept on the user object; every staff page starts with
    this one query)."""
    cached = getattr(user, "_schoolconduct_roles", None)
    if cached is not None:
        return cached
    roles = NO_ROLES
    if user.is_authenticated and user.is_active:
        roles = _roles_by_user([user.pk]).get(user.pk, NO_ROLES)
    user._schoolconduct_roles = roles
    return roles


def roles_for_many(users: Iterable) -> None:
    """Load the roles of several users in one query, as `roles_for` keeps them, so asking
    each afterwards costs nothing (a list that names many people, such as the dashboard's
    letters to reporters, stays at one query however many there are)."""
    todo = [u for u in users if getattr(u, "_schoolconduct_roles", None) is None]
    active = {u.pk for u in todo if u.is_authenticated and u.is_active}
    loaded = _roles_by_user(active) if active else {}
    for user in todo:
        user._schoolconduct_roles = loaded.get(user.pk, NO_ROLES)


def sees_reporter(user, school: School) -> bool:
    """Whether `user` may learn who reported concerns at `school` (see StaffRoles)."""
    return roles_for(user).sees_reporter(school)


def schools_for(user, *roles: str) -> QuerySet[School]:
    """Active schools where the user holds one of `roles` (`Role.SLT`, `Role.DSL`,
    `Role.OFFICE`), and every active school of a trust they are an executive of — by name."""
    held = roles_for(user)
    by_role: dict[str, frozenset[int]] = {
        Role.SLT: held.slt,
        Role.DSL: held.dsl,
        Role.OFFICE: held.office,
    }
    ids: frozenset[int] = frozenset().union(*(by_role[role] for role in roles))
    return School.objects.filter(
        Q(pk__in=ids) | Q(trust_id__in=held.trusts), is_active=True
    ).order_by("name")


def managed_schools(user) -> QuerySet[School]:
    """Schools the user runs: SLT there, or an executive of its trust."""
    return schools_for(user, Role.SLT)


def school_from_request(request: HttpRequest, schools: list[School]) -> School:
    """The school `?school=` (or a posted `school`) names among `schools`, which the caller has
    already limited to what the user may see; the first of them if it names none of them."""
    wanted = request.POST.get("school") or request.GET.get("school")
    return next((s for s in schools if str(s.pk) == str(wanted)), schools[0])


def staff_required(view: Callable) -> Callable:
    """Signed in, and holding a staff role somewhere; anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not roles_for(request.user).is_staff_member:
            raise Http404("Not a member of staff.")
        return view(request, *args, **kwargs)

    return wrapper
