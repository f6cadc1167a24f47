"""Staff pages for data protection: SLT of the school and trust executives only (the same
people who run cases). No page here shows who reported: SARs, holds and the disposal log
name the person concerned and case references, never a report's author."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from schools.access import managed_schools, staff_required

from . import casefile, services
from .casefile_forms import BundleForm
from .forms import (
    BreachDecideForm,
    BreachForm,
    HoldForm,
    SarCloseForm,
    SarExtendForm,
    SarForm,
    SarIdentityForm,
)
from .models import Breach, DisposalLog, DisposalProposal, LegalHold, SubjectAccessRequest


def _schools(request: HttpRequest) -> list:
    schools = list(managed_schools(request.user).select_related("trust"))
    if not schools:
        raise Http404("Data protection records are for senior leaders and trust executives.")
    return schools


def _submitted(request: HttpRequest, form, submit, success: str):
    """POST: validate, make the form's one service call; the result if it went through (a
    refusal stays on the form, with what was typed)."""
    if request.method != "POST" or not form.is_valid():
        return None
    result = submit()
    if not form.is_valid():
        return None
    messages.success(request, success)
    return result if result is not None else True


@staff_required
@require_http_methods(["GET", "POST"])
def sar_list(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    form = SarForm(request.POST or None, schools=schools)
    sar = _submitted(
        request, form, lambda: form.submit(request.user), "The request is on the register."
    )
    if sar:
        return redirect("records:sar", sar.pk)
    sars = SubjectAccessRequest.objects.filter(school__in=schools).select_related(
        "person", "school"
    )
    return render(
        request,
        "records/sar_list.html",
        {"form": form, "sars": sars, "today": timezone.localdate()},
    )


SAR_STEPS = {"identity": SarIdentityForm, "extend": SarExtendForm, "close": SarCloseForm}


@staff_required
@require_http_methods(["GET", "POST"])
def sar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schools = _schools(request)
    sar = get_object_or_404(
        SubjectAccessRequest.objects.select_related("person", "school"), pk=pk, school__in=schools
    )
    step = request.POST.get("step") if request.method == "POST" else None
    forms = {
        name: cls(request.POST if name == step else None, schools=schools, prefix=name)
        for name, cls in SAR_STEPS.items()
    }
    if step in forms and _submitted(
        request, forms[step], lambda: forms[step].submit(sar), "Saved."
    ):
        return redirect("records:sar", sar.pk)
    return render(
        request,
        "records/sar_detail.html",
        {
            "sar": sar,
            "forms": forms,
            "cases": services.sar_records(sar).filter(school__in=schools),
            "cases_elsewhere": services.sar_records(sar).exclude(school__in=schools).count(),
            "today": timezone.localdate(),
            # Only those who may read the whole of a bundle see it (casefile.may_download).
            "bundles": [
                (b, casefile.may_approve(request.user, b))
                for b in sar.bundles.select_related(
                    "made_by", "approved_by", "released_by", "school"
                )
                if casefile.may_download(request.user, b)
            ],
            "bundle_form": BundleForm(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def retention(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    form = HoldForm(request.POST or None, schools=schools)
    placed = "The hold is in place: nothing it covers can be disposed of."
    if _submitted(request, form, lambda: form.submit(request.user), placed):
        return redirect("records:retention")
    return render(
        request,
        "records/retention.html",
        {
            "form": form,
            # Holds are read now, not as of last night: one placed today shows at once.
            "proposals": [
                (p, services.holds_for_case(p.case))
                for p in DisposalProposal.objects.filter(case__school__in=schools)
                .exclude(status="done")
                .select_related("case")
            ],
            "holds": LegalHold.objects.filter(
                school__in=schools, released_on__isnull=True
            ).select_related("case", "person"),
            "log": DisposalLog.objects.filter(school__in=schools).select_related("disposed_by")[
                :100
            ],
        },
    )


@staff_required
@require_POST
def dispose(request: HttpRequest, pk: int) -> HttpResponse:
    schools = _schools(request)
    proposal = get_object_or_404(DisposalProposal, pk=pk, case__school__in=schools)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm the disposal.")
        return redirect("records:retention")
    try:
        log = services.dispose(proposal, actor=request.user)
    except services.RecordsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{log.case_reference} has been anonymised.")
    return redirect("records:retention")


@staff_required
@require_POST
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    schools = _schools(request)
    hold = get_object_or_404(LegalHold, pk=pk, school__in=schools)
    try:
        services.hold_release(hold, on=timezone.localdate())
    except services.RecordsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The hold is released.")
    return redirect("records:retention")


@staff_required
@require_http_methods(["GET", "POST"])
def breach_list(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    form = BreachForm(request.POST or None, schools=schools)
    logged = "The breach is logged. The ICO clock is running."
    breach = _submitted(request, form, lambda: form.submit(request.user), logged)
    if breach:
        return redirect("records:breach", breach.pk)
    return render(
        request,
        "records/breach_list.html",
        {
            "form": form,
            "breaches": Breach.objects.filter(school__in=schools).select_related("school"),
            "now": timezone.now(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def breach_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schools = _schools(request)
    breach = get_object_or_404(Breach.objects.select_related("school"), pk=pk, school__in=schools)
    form = BreachDecideForm(request.POST or None, schools=schools)
    if _submitted(request, form, lambda: form.submit(breach), "The decision is recorded."):
        return redirect("records:breach", breach.pk)
    return render(
        request,
        "records/breach_detail.html",
        {"breach": breach, "form": form, "now": timezone.now()},
    )
