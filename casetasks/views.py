"""Marking a task done (the case page, the dashboard) and giving it to someone else (the case
page); giving one is a case action, on the case action page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidents.access import get_case_for_user
from incidents.staff_views import case_staff_required
from incidents.workflow import WorkflowError

from .models import CaseTask
from .services import case_task_done, case_task_reassign


def _task_and_case(request: HttpRequest, pk: int):
    task = CaseTask.objects.select_related("case").filter(pk=pk).first()
    if task is None:
        raise Http404("No such task.")
    # Anyone who may not open the case gets the same 404 as for a task that doesn't exist.
    return task, get_case_for_user(request.user, task.case.reference).case


@case_staff_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task, case = _task_and_case(request, pk)
    try:
        case_task_done(case, request.user, task=task)
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Done: {task.title}.")
    if request.POST.get("back") == "dashboard":
        return redirect("staff:dashboard")
    return redirect("staff:case-detail", reference=case.reference)


@case_staff_required
@require_POST
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    task, case = _task_and_case(request, pk)
    chosen = request.POST.get("assigned_to", "")
    # Whoever it names, the action checks they may open the case.
    assignee = get_user_model().objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    try:
        effect = case_task_reassign(case, request.user, task=task, assigned_to=assignee)
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, effect.summary)
    return redirect(reverse("staff:case-detail", args=[case.reference]) + "#case-tasks")
