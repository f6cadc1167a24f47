"""Marking a task done, from the case page or the dashboard (giving one is a case action, on
the case action page)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from incidents.access import get_case_for_user
from incidents.staff_views import case_staff_required
from incidents.workflow import WorkflowError

from .models import CaseTask
from .services import case_task_done


@case_staff_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = CaseTask.objects.select_related("case").filter(pk=pk).first()
    if task is None:
        raise Http404("No such task.")
    # Anyone who may not open the case gets the same 404 as for a task that doesn't exist.
    case = get_case_for_user(request.user, task.case.reference).case
    try:
        case_task_done(case, request.user, task=task)
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Done: {task.title}.")
    if request.POST.get("back") == "dashboard":
        return redirect("staff:dashboard")
    return redirect("staff:case-detail", reference=case.reference)
