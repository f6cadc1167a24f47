"""Reads for tasks: the dashboard's "Your tasks", the case page's list and the deadlines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q
from django.db.models.lookups import Exact
from django.utils import timezone

from incidents.access import cases_visible_to, roles_for
from incidents.deadlines import Due, Window
from incidents.models import CaseStatus
from incidents.rows import CaseRows, case_rows
from schools.models import Membership, Role, TrustMembership

from .models import CaseTask
from .services import assignees_for, person_name, titles_for_others

# How many tasks the dashboard lists (the rest are counted, and on the deadlines calendar).
DASHBOARD_LIMIT = 15
LABELS = {"task": "Task"}


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """ "Your tasks": the user's open tasks on cases they may still open — overdue first,
    then due today, then upcoming. Two queries (three when there are more than the panel
    lists), whatever the numbers. None for staff who can't be given tasks (office staff)."""
    roles = roles_for(user)
    if not (roles.slt or roles.dsl or roles.trusts):
        return None
    today = timezone.localdate()
    mine = CaseTask.objects.filter(
        assigned_to=user, done_at__isnull=True, case__in=cases_visible_to(user)
    ).exclude(case__status=CaseStatus.CLOSED)  # a closed case's tasks wait with it
    tasks = list(mine.select_related("case").order_by("due_on", "pk")[: DASHBOARD_LIMIT + 1])
    total = len(tasks) if len(tasks) <= DASHBOARD_LIMIT else mine.count()
    tasks = titles_for_others(tasks[:DASHBOARD_LIMIT])
    return {
        "overdue": [t for t in tasks if t.due_on < today],
        "today": [t for t in tasks if t.due_on == today],
        "upcoming": [t for t in tasks if t.due_on > today],
        "more": total - len(tasks),
        "total": total,
    }


USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active"]


def _assignee_rows(user: Any):
    """`services.assignees_for` of the case `OuterRef` stands for: the active SLT of its
    school and executives of its trust, and its DSLs when the case is flagged (the page only
    shows cases of active schools)."""
    school, trust = OuterRef(OuterRef("school_id")), OuterRef(OuterRef("school__trust_id"))
    slt = Membership.objects.filter(school=school, role=Role.SLT).values("user_id")
    executives = TrustMembership.objects.filter(trust_id=trust).values("user_id")
    dsl = Membership.objects.filter(
        Exact(OuterRef(OuterRef("safeguarding_flag")), True), school=school, role=Role.DSL
    ).values("user_id")
    return (
        get_user_model()
        .objects.filter(Q(pk__in=slt) | Q(pk__in=executives) | Q(pk__in=dsl), is_active=True)
        .order_by("first_name", "last_name", "pk")
    )


# The case page's tasks, and who they may be given to, read with the case (incidents.rows).
CASE_ROWS = [
    CaseRows(
        "tasks",
        CaseTask,
        lambda user: CaseTask.objects.filter(case=OuterRef("pk")).order_by("due_on", "pk"),
        related=("assigned_to", "done_by"),
        fields={"assigned_to": USER_FIELDS, "done_by": USER_FIELDS},
    ),
    CaseRows(
        "task_assignees",
        get_user_model(),
        _assignee_rows,
        fields={"": USER_FIELDS},
    ),
]


def case_page_part(case: Any, user: Any) -> dict[str, Any]:
    """The case page's tasks (templates/casetasks/_case_tasks.html): open ones first, each
    marked when its assignee can no longer open the case, whether this user may mark it
    done, and who it may be given to instead. Two queries."""
    tasks = case_rows(
        case,
        "tasks",
        lambda: (
            CaseTask.objects.filter(case=case)
            .select_related("assigned_to", "done_by")
            .order_by("done_at", "due_on", "pk")
        ),
    )
    if not tasks:
        return {"case_tasks": []}
    runs_case = roles_for(user).manages(case.school)
    assignees = case_rows(case, "task_assignees", lambda: assignees_for(case))
    still_allowed = {u.pk for u in assignees}
    for task in tasks:
        task.assignee_lost = task.assigned_to_id not in still_allowed
        task.may_finish = task.done_at is None and (
            runs_case or task.assigned_to_id == getattr(user, "pk", None)
        )
    tasks.sort(key=lambda t: (t.done_at is not None, t.due_on, t.pk))
    return {
        "case_tasks": tasks,
        "today": timezone.localdate(),
        # Who an open task may be given to instead (SLT and trust executives, open case).
        "task_assignees": assignees if runs_case and case.is_open else [],
    }


def task_deadlines(window: Window) -> Iterable[Due]:
    """Open tasks on the window's cases, due within it: the label says "Task", the detail
    the title (reporter hidden) and who it is for — the detail is shown on staff pages only,
    never in the iCalendar feed. The task's own reminder goes to its assignee (`to` empty)."""
    tasks = list(
        CaseTask.objects.filter(
            case__in=window.cases, done_at__isnull=True, due_on__lte=window.horizon
        )
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__school", "assigned_to")
    )
    for task in titles_for_others(tasks):
        yield Due(
            "task",
            LABELS["task"],
            task.case,
            task.due_on,
            f"task:{task.pk}",
            (),
            detail=f"{task.shown_title} ({person_name(task.assigned_to)})",
        )
