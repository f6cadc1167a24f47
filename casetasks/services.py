"""Tasks on a case: the workflow actions (give a colleague a task, give it to someone else,
mark it done), who may be given one, the titles as others may read them, and the daily
reminder through the one outbox.

Every step is a case action (`incidents.workflow.action`): they run under the case's row lock
and write their chronology line in the same transaction as the change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from incidents.access import may_open_case
from incidents.identity import ReporterIdentity
from incidents.models import Case, CaseEvent, CaseStatus, Report, tidy_name
from incidents.workflow import (
    ANY,
    DSL,
    MANAGE,
    OPEN,
    Effect,
    Offer,
    Transition,
    WorkflowError,
    action,
    may,
    required,
)
from schoolconduct import outbox
from schoolconduct.models import Notification
from schools.models import Role
from schools.selectors import school_head_teachers

from .models import CaseTask

TITLE_MAX = 200
# The outbox kinds of a task's emails (templates emails/<kind>*.txt): "you have been given a
# task", and the daily reminder.
GIVEN = "task_given"
REMINDER = "task_reminder"

TRANSITIONS = [
    Transition(
        name="task_add",
        label="Give a colleague a task",
        sources=OPEN,
        target=None,
        who=frozenset({MANAGE}),
        event=CaseEvent.Kind.TASK,
    ),
    # Offered beside each open task (case page, dashboard). The table lets anyone who may be
    # given a task try; the action itself lets only the task's assignee or SLT finish it.
    # Offered beside each open task on the case page (its assignee left, or is away).
    Transition(
        name="task_reassign",
        label="Give a task to someone else",
        sources=OPEN,
        target=None,
        who=frozenset({MANAGE}),
        event=CaseEvent.Kind.TASK,
        offered=Offer.ELSEWHERE,
    ),
    Transition(
        name="task_done",
        label="Mark a task done",
        sources=ANY,
        target=None,
        who=frozenset({MANAGE, DSL}),
        event=CaseEvent.Kind.TASK,
        offered=Offer.ELSEWHERE,
    ),
]


def assignees_for(case: Case) -> QuerySet:
    """Who may be given a task on `case`: the active staff who may open it — the school's SLT
    and its trust's executives, and its DSLs when the case has a safeguarding flag (the rule
    of `incidents.access.cases_visible_to`, as a list of people)."""
    school = case.school
    if not school.is_active:
        return get_user_model().objects.none()
    condition = Q(memberships__school=school, memberships__role=Role.SLT)
    if school.trust_id is not None:
        condition |= Q(trust_memberships__trust_id=school.trust_id)
    if case.safeguarding_flag:
        condition |= Q(memberships__school=school, memberships__role=Role.DSL)
    return (
        get_user_model()
        .objects.filter(condition, is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "pk")
    )


def person_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _identity(reports: Iterable[Report]) -> ReporterIdentity:
    return ReporterIdentity.of_reports(reports, first_names=True)


@action("task_add")
def case_task_add(
    case: Case, actor: Any, *, title: str, assigned_to: Any, due_on: datetime.date | None
) -> Effect:
    """Give `assigned_to` a task on the case, due on `due_on` (today at the earliest)."""
    title = tidy_name(required(title, "Say what the task is."))
    if len(title) > TITLE_MAX:
        raise WorkflowError(f"Keep the task to {TITLE_MAX} characters.")
    if due_on is None:
        raise WorkflowError("Give the date the task is due.")
    if due_on < timezone.localdate():
        raise WorkflowError("The due date can't be in the past.")
    _may_be_given(assigned_to, case)
    hits = ReporterIdentity.of_reports(case.reports.all()).find(title)
    if hits:
        raise WorkflowError(
            f"The title names the reporter (their {hits[0].what}). It is shown on the "
            "assignee's dashboard and in their reminder email: write “the reporter” instead."
        )
    task = CaseTask.objects.create(
        case=case, title=title, assigned_to=assigned_to, due_on=due_on, created_by=actor
    )
    _tell_assignee(task, actor)
    return Effect(
        summary=f"Task for {person_name(assigned_to)}, due {due_on:%-d %B %Y}: {title}",
        data={"task": task.pk, "step": "added", "due_on": due_on.isoformat()},
        result=task,
    )


def _may_be_given(assignee: Any, case: Case) -> None:
    if assignee is None:
        raise WorkflowError("Choose who the task is for.")
    if not (assignee.is_active and may_open_case(assignee, case)):
        raise WorkflowError(
            f"{person_name(assignee)} can't open this case, so can't be given a task on it."
        )


def _tell_assignee(task: CaseTask, actor: Any) -> None:
    """Email the assignee that they have a task (not someone who gave it to themselves),
    through the outbox, once the step commits: once per task and assignee."""
    if task.assigned_to_id == actor.pk:
        return
    outbox.notification_queue(
        kind=GIVEN,
        target=task,
        dedupe_key=f"{GIVEN}:{task.pk}:{task.assigned_to_id}",
        params={"by": actor.pk, "to": task.assigned_to_id},
    )


def _open_task(case: Case, task: CaseTask) -> CaseTask:
    """The task, locked, if it is on this case and not done yet."""
    locked = CaseTask.objects.select_for_update().filter(pk=task.pk, case=case).first()
    if locked is None:
        raise WorkflowError("That task is not on this case.")
    if locked.done_at is not None:
        raise WorkflowError("This task is already done.")
    return locked


@action("task_reassign")
def case_task_reassign(case: Case, actor: Any, *, task: CaseTask, assigned_to: Any) -> Effect:
    """Give an open task to someone else who may open the case (SLT, trust executives)."""
    locked = _open_task(case, task)
    _may_be_given(assigned_to, case)
    if assigned_to.pk == locked.assigned_to_id:
        raise WorkflowError(f"The task is already {person_name(assigned_to)}'s.")
    before = locked.assigned_to
    locked.assigned_to = assigned_to
    locked.save(update_fields=["assigned_to"])
    task.assigned_to = assigned_to
    _tell_assignee(locked, actor)
    return Effect(
        summary=f"Task given to {person_name(assigned_to)} instead of {person_name(before)}: "
        f"{locked.title}",
        data={"task": locked.pk, "step": "reassigned"},
        result=locked,
    )


@action("task_done")
def case_task_done(case: Case, actor: Any, *, task: CaseTask) -> Effect:
    """Mark a task done: its assignee, or anyone who runs the case (SLT, trust executive)."""
    locked = _open_task(case, task)
    if locked.assigned_to_id != actor.pk and not may(actor, case.school, {MANAGE}):
        raise WorkflowError(
            "Only the person the task is for, or a senior leader, can mark it done."
        )
    locked.done_at = timezone.now()
    locked.done_by = actor
    locked.save(update_fields=["done_at", "done_by"])
    task.done_at, task.done_by = locked.done_at, actor
    return Effect(
        summary=f"Task done: {locked.title}",
        data={"task": locked.pk, "step": "done"},
        result=locked,
    )


def titles_for_others(tasks: list[CaseTask]) -> list[CaseTask]:
    """Set `shown_title` on each task: its title with any trace of its case's reporters
    hidden (one query for all the cases). For the places that are not the case page — the
    dashboard, the deadlines calendar, the reminder email — where the reader may be someone
    who must not learn who reported. (Titles that name the reporter are refused when a task
    is given, but a report merged into the case later can bring a new reporter's name.)"""
    case_ids = {t.case_id for t in tasks}
    by_case: dict[int, list[Report]] = {}
    reports = Report.objects.filter(case_id__in=case_ids).only(
        "case_id", "reporter_name", "reporter_email", "reporter_phone"
    )
    for report in reports if case_ids else ():
        by_case.setdefault(report.case_id, []).append(report)
    return titles_shown(tasks, by_case)


def titles_shown(tasks: list[CaseTask], reports_by_case: dict[int, list[Any]]) -> list[CaseTask]:
    """`titles_for_others` with the reports already read: each case's reports (anything with
    `reporter_name`, `reporter_email` and `reporter_phone`) by case id."""
    identities = {pk: _identity(rows) for pk, rows in reports_by_case.items()}
    for task in tasks:
        identity = identities.get(task.case_id)
        task.shown_title = identity.redact(task.title) if identity else task.title
    return tasks


# --------------------------------------------------------------------------------------------
# The daily reminder


def tasks_remind(today: datetime.date) -> int:
    """The daily job's share: one reminder a day for every open task due today or overdue,
    through the outbox (the dedupe key names the task and the day). Returns how many were
    new."""
    queued = 0
    # A closed case's open tasks wait with it: no reminders until it is reopened.
    tasks = (
        CaseTask.objects.filter(
            done_at__isnull=True, due_on__lte=today, case__school__is_active=True
        )
        .exclude(case__status=CaseStatus.CLOSED)
        .order_by("due_on", "pk")
    )
    for task in tasks.iterator():
        row = outbox.notification_queue(
            kind=REMINDER,
            target=task,
            dedupe_key=f"{REMINDER}:{task.pk}:{today.isoformat()}",
            params={"on": today.isoformat()},
        )
        queued += row is not None
    return queued


def given_compose(notification: Notification) -> outbox.Email:
    """ "You have been given a task": to the person it was given to, if it is still theirs,
    still open and they may still open the case — the title (reporter hidden), who gave it,
    the due date, the case reference and a link."""
    task = CaseTask.objects.select_related("case__school", "assigned_to").get(
        pk=notification.target_id
    )
    assignee = task.assigned_to
    current = (
        task.done_at is None
        and assignee.pk == notification.params.get("to")
        and assignee.is_active
        and may_open_case(assignee, task.case)
    )
    by = get_user_model().objects.filter(pk=notification.params.get("by")).first()
    [task] = titles_for_others([task])
    return outbox.Email(
        to=[assignee.email] if current and assignee.email else [],
        context={
            "title": task.shown_title,
            "reference": task.case.reference,
            "school": task.case.school,
            "due_on": task.due_on,
            "by": person_name(by) if by else "A colleague",
            "staff_url": settings.SITE_URL
            + reverse("staff:case-detail", kwargs={"reference": task.case.reference}),
        },
    )


def reminder_compose(notification: Notification) -> outbox.Email:
    """A task's reminder, worked out when it is sent: to its assignee while they may still
    open the case, else to the school's head teachers (so the task is not lost); nobody once
    it is done. The task's title (reporter hidden), the case reference and a link — nothing
    else about the case."""
    task = CaseTask.objects.select_related("case__school", "assigned_to").get(
        pk=notification.target_id
    )
    on = datetime.date.fromisoformat(notification.params["on"])
    case = task.case
    assignee = task.assigned_to
    still_theirs = assignee.is_active and may_open_case(assignee, case)
    if task.done_at is not None or case.status == CaseStatus.CLOSED:
        to: list[str] = []
    elif still_theirs:
        to = [assignee.email] if assignee.email else []
    else:
        to = sorted({u.email for u in school_head_teachers(school=case.school) if u.email})
    [task] = titles_for_others([task])
    context = {
        "title": task.shown_title,
        "reference": case.reference,
        "school": case.school,
        "due_on": task.due_on,
        "overdue": task.due_on < on,
        "for_someone_else": not still_theirs,
        "assignee": person_name(assignee),
        "staff_url": settings.SITE_URL
        + reverse("staff:case-detail", kwargs={"reference": case.reference}),
    }
    return outbox.Email(to=to, context=context)
