"""Reads for bars and restrictions: the case page's part, the front desk's register."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import OuterRef, Q

from incidents import workflow
from incidents.models import Case
from incidents.rows import CaseRows, case_rows
from schools.models import Membership, Role, School

from .models import IN_FORCE_BAN_STAGES, BanStage, ContactRestriction, SiteBan
from .procedure import restriction_stage, stages_for

USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active"]
# Read with the case on its page (and by the close guard there): see incidents.rows.
CASE_ROWS = [
    CaseRows(
        "bans",
        SiteBan,
        lambda user: SiteBan.objects.filter(case=OuterRef("pk")),
        related=("person", "decision_maker"),
        fields={"decision_maker": USER_FIELDS},
    ),
    CaseRows(
        "restrictions",
        ContactRestriction,
        lambda user: ContactRestriction.objects.filter(case=OuterRef("pk")),
        related=("person",),
    ),
]


def case_page_part(case: Case, user: Any) -> dict[str, Any]:
    """Bars and restrictions on the case page, each with the actions offered beside it: those
    the workflow lets this user take now whose stage table has a step from its stage."""
    offered = {
        name: workflow.TRANSITIONS[name].label
        for name in workflow.available_actions(
            case=case, actor=user, offered=(workflow.Offer.OBJECT,)
        )
    }
    bans = case_rows(case, "bans", lambda: case.bans.select_related("person", "decision_maker"))
    for ban in bans:
        ban.offered = [(n, label) for n, label in offered.items() if ban.stage in stages_for(n)]
    restrictions = case_rows(
        case, "restrictions", lambda: case.restrictions.select_related("person")
    )
    for restriction in restrictions:
        stage = restriction_stage(restriction)
        restriction.offered = [(n, label) for n, label in offered.items() if stage in stages_for(n)]
    return {"bans": bans, "restrictions": restrictions}


def register_entries(*, schools: list[School], today: datetime.date) -> list[dict[str, Any]]:
    """Who is barred or under a contact restriction today, for the front desk.

    Only what reception needs: the person, their children's classes, the scope, the dates,
    the child arrangements and who to call. No evidence, no reporter, no case text.
    """
    heads = {
        m.school_id: m.user.get_full_name() or m.user.get_username()
        for m in Membership.objects.filter(
            school__in=schools, role=Role.SLT, is_head_teacher=True
        ).select_related("user")
    }
    entries = []
    bans = (
        SiteBan.objects.filter(
            school__in=schools, stage__in=IN_FORCE_BAN_STAGES, starts_on__lte=today
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("person", "school")
        .order_by("school__name", "person__full_name")
    )
    for ban in bans:
        entries.append(
            {
                "school": ban.school,
                "person": ban.person.full_name,
                "classes": ban.person.children_classes,
                "what": "Temporary bar"
                if ban.stage == BanStage.TEMPORARY
                else "Barred from the site",
                "scope": ban.scope,
                "starts_on": ban.starts_on,
                "until": ban.ends_on,
                "review_on": ban.review_on,
                "child_arrangements": ban.child_arrangements,
                "contact": heads.get(ban.school_id, "the head teacher"),
            }
        )
    restrictions = (
        ContactRestriction.objects.filter(
            school__in=schools, starts_on__lte=today, ended_on__isnull=True
        )
        .select_related("person", "school")
        .order_by("school__name", "person__full_name")
    )
    for restriction in restrictions:
        entries.append(
            {
                "school": restriction.school,
                "person": restriction.person.full_name,
                "classes": restriction.person.children_classes,
                "what": "Contact restriction",
                "scope": f"Contact only through {restriction.contact_point} "
                f"({restriction.channels}).",
                "starts_on": restriction.starts_on,
                "until": None,
                "review_on": restriction.review_on,
                "child_arrangements": "",
                "contact": restriction.contact_point,
            }
        )
    return entries
