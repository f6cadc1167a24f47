"""Reads for tasks: the dashboard's "Your tasks", the case page's list and the deadlines."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import DenseRank
from django.db.models.lookups import Exact
from django.utils import timezone

from incidents.access import cases_visible_to, roles_for
from incidents.deadlines import HORIZON_DAYS, Due
from incidents.deadlines import Window as DeadlineWindow
from incidents.models import Case, CaseStatus
from incidents.rows import CaseRows, case_rows
from schools.models import Membership, Role, TrustMembership

from .models import CaseTask
from .services import assignees_for, person_name, titles_for_others, titles_shown

# How many tasks the dashboard lists (the rest are counted, and on the deadlines calendar).
DASHBOARD_LIMIT = 15
LABELS = {"task": "Task"}


@dataclass
class DashboardTasks:
    """What the dashboard shows of tasks, read once for both of its parts: the user's own
    open tasks ("Your tasks": the first `DASHBOARD_LIMIT` and how many in all) and every open
    task due by the horizon on the cases they may open (the deadline panel)."""

    mine: list[CaseTask] = field(default_factory=list)
    mine_total: int = 0
    due: list[CaseTask] = field(default_factory=list)


def dashboard_tasks(
    user: Any,
    cases: QuerySet[Case],
    today: datetime.date,
    horizon: datetime.date,
    *,
    window: DeadlineWindow | None = None,
) -> DashboardTasks:
    """One query for both of the dashboard's task parts, with the reporters of the tasks'
    cases joined in (each title is shown with the reporter hidden, as `titles_for_others`
    does), kept on the user object for the rest of the request (`cases`: the user's cases,
    `cases_visible_to` in either of its forms — the first caller's is used). Ranks count
    tasks, not the rows the reporters' join makes (DENSE_RANK over the task's id), so a case
    with several reports still counts each task once. Given the deadline panel's `window`
    (whose `cases` these are), the query is compiled once per its key (`Window.rows`)."""
    key = (today, horizon)
    kept = getattr(user, "_casetasks_dashboard", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    mine = Q(assigned_to=user)

    def build() -> QuerySet[CaseTask]:
        return (
            CaseTask.objects.filter(done_at__isnull=True, case__in=cases)
            .exclude(case__status=CaseStatus.CLOSED)  # a closed case's tasks wait with it
            .filter(Q(due_on__lte=horizon) | mine)
            .annotate(is_mine=ExpressionWrapper(mine, output_field=BooleanField()))
            .annotate(
                mine_rank=Window(
                    DenseRank(),
                    partition_by=[F("is_mine")],
                    order_by=[F("due_on").asc(), F("pk").asc()],
                ),
                # The last of the user's tasks is ranked 1 here: the first row's is their total.
                mine_last=Window(
                    DenseRank(),
                    partition_by=[F("is_mine")],
                    order_by=[F("due_on").desc(), F("pk").desc()],
                ),
                report_pk=F("case__reports__pk"),
                reporter_name=F("case__reports__reporter_name"),
                reporter_email=F("case__reports__reporter_email"),
                reporter_phone=F("case__reports__reporter_phone"),
            )
            .filter(Q(due_on__lte=horizon) | Q(is_mine=True, mine_rank__lte=DASHBOARD_LIMIT))
            .select_related("case__school", "assigned_to")
            .order_by()
        )

    rows: Any = window.rows("casetasks:dashboard", build) if window is not None else build()
    tasks: dict[int, CaseTask] = {}
    reports: dict[int, dict[int, Any]] = {}
    shown: set[int] = set()  # the user's first DASHBOARD_LIMIT ("Your tasks")
    found = DashboardTasks()
    for row in rows:
        task = tasks.setdefault(row.pk, row)
        if row.report_pk is not None:
            reports.setdefault(row.case_id, {})[row.report_pk] = SimpleNamespace(
                reporter_name=row.reporter_name,
                reporter_email=row.reporter_email,
                reporter_phone=row.reporter_phone,
            )
        if row.is_mine and row.mine_rank == 1:
            found.mine_total = row.mine_last
        if row.is_mine and row.mine_rank <= DASHBOARD_LIMIT:
            shown.add(task.pk)
    ordered = sorted(tasks.values(), key=lambda t: (t.due_on, t.pk))
    titles_shown(ordered, {pk: list(by_pk.values()) for pk, by_pk in reports.items()})
    found.mine = [t for t in ordered if t.pk in shown]
    found.due = [t for t in ordered if t.due_on <= horizon]
    user._casetasks_dashboard = (key, found)
    return found


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """ "Your tasks": the user's open tasks on cases they may still open — overdue first,
    then due today, then upcoming. Read with the deadline panel's tasks in one query
    (`dashboard_tasks`). None for staff who can't be given tasks (office staff)."""
    roles = roles_for(user)
    if not (roles.slt or roles.dsl or roles.trusts):
        return None
    today = timezone.localdate()
    found = dashboard_tasks(
        user, cases_visible_to(user), today, today + datetime.timedelta(days=HORIZON_DAYS)
    )
    tasks = found.mine
    return {
        "overdue": [t for t in tasks if t.due_on < today],
        "today": [t for t in tasks if t.due_on == today],
        "upcoming": [t for t in tasks if t.due_on > today],
        "more": found.mine_total - len(tasks),
        "total": found.mine_total,
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


def task_deadlines(window: DeadlineWindow) -> Iterable[Due]:
    """Open tasks on the window's cases, due within it: the label says "Task", the detail
    the title (reporter hidden) and who it is for — the detail is shown on staff pages only,
    never in the iCalendar feed. The task's own reminder goes to its assignee (`to` empty).
    On one person's dashboard (`window.user`), read with "Your tasks" (`dashboard_tasks`)."""
    user = getattr(window, "user", None)
    if user is not None:
        tasks = dashboard_tasks(user, window.cases, window.today, window.horizon, window=window).due
    else:
        tasks = titles_for_others(
            list(
                CaseTask.objects.filter(
                    case__in=window.cases, done_at__isnull=True, due_on__lte=window.horizon
                )
                .exclude(case__status=CaseStatus.CLOSED)
                .select_related("case__school", "assigned_to")
            )
        )
    for task in tasks:
        yield Due(
            "task",
            LABELS["task"],
            task.case,
            task.due_on,
            f"task:{task.pk}",
            (),
            detail=f"{task.shown_title} ({person_name(task.assigned_to)})",
        )
