"""Staff pages for case files, redacted copies of evidence and disclosure bundles.

Who: the people who run the case — SLT of the school and its trust's executives
(`StaffRoles.manages`); a DSL, office staff and other schools get a 404. Who reported may be
included in a case file only by someone for whom `StaffRoles.sees_reporter` holds, and a file
that includes them is downloadable only by such a person. A disclosure bundle is approved by
someone who may read all of it (`casefile.may_approve`) before it is released.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incidents.access import get_case_for_user, get_evidence_for_user, roles_for
from incidents.models import AccessLog, Case, Evidence
from incidents.services import access_log_write
from schools.access import staff_required

from . import casefile, redaction
from .casefile_forms import BundleForm, CaseFileForm, RegionFormSet
from .models import CaseFile, CaseFileStatus, EvidenceRedaction, SubjectAccessRequest


def _managed_case(request: HttpRequest, reference: str):
    access = get_case_for_user(request.user, reference)
    if not access.can_manage:
        raise Http404("Case files are made by the school's senior leaders.")
    return access


def _visible_file(request: HttpRequest, pk: int) -> CaseFile:
    case_file = CaseFile.objects.select_related("case", "sar", "school").filter(pk=pk).first()
    if case_file is None or not casefile.may_download(request.user, case_file):
        raise Http404("No such case file.")
    return case_file


@staff_required
@require_http_methods(["GET", "POST"])
def case_file_page(request: HttpRequest, reference: str) -> HttpResponse:
    access = _managed_case(request, reference)
    case = access.case
    form = CaseFileForm(request.POST or None, may_include_reporter=access.can_see_reporter)
    if request.method == "POST" and form.is_valid():
        made = form.submit(case=case, actor=request.user)
        if made is not None:
            messages.success(request, "The case file is being made. It will be ready here.")
            return redirect(
                reverse("records:case-file", args=[case.reference]) + f"#file-{made.pk}"
            )
    files = [
        f
        for f in CaseFile.objects.filter(case=case).select_related("made_by", "school")
        if not f.include_reporter or access.can_see_reporter
    ]
    images = list(case.evidence.filter(kind=Evidence.Kind.IMAGE).order_by("uploaded_at", "pk"))
    newest = redaction.latest_redactions(e.pk for e in images)
    return render(
        request,
        "records/case_file.html",
        {
            "case": case,
            "access": access,
            "form": form,
            "files": files,
            "images": [(e, newest.get(e.pk)) for e in images],
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_safe
def case_file_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The small status block the page polls while a file is being made."""
    return render(request, "records/_case_file_status.html", {"f": _visible_file(request, pk)})


@staff_required
@require_safe
def case_file_download(request: HttpRequest, pk: int) -> FileResponse:
    case_file = _visible_file(request, pk)
    if case_file.status != CaseFileStatus.READY or not case_file.pdf:
        raise Http404("The case file is not ready.")
    for case in Case.objects.filter(pk__in=case_file.case_ids):
        access_log_write(
            user=request.user,
            action=AccessLog.Action.CASE_FILE_DOWNLOAD,
            case=case,
            detail=f"Case file {case_file.pk} for {case_file.for_whom}",
        )
    subject = case_file.case.reference if case_file.case else f"sar-{case_file.sar_id}"
    response = FileResponse(
        case_file.pdf.open("rb"),
        as_attachment=True,
        filename=f"case-file-{subject}-{case_file.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _managed_image(request: HttpRequest, pk: int) -> Evidence:
    evidence, access = get_evidence_for_user(request.user, pk)
    if not access.can_manage or evidence.kind != Evidence.Kind.IMAGE:
        raise Http404("Not allowed.")
    return evidence


@staff_required
@require_http_methods(["GET", "POST"])
def evidence_redact(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark areas on a screenshot to black out; makes a new redacted copy."""
    evidence = _managed_image(request, pk)
    if not evidence.clean:
        messages.info(request, "That screenshot is still being processed: redact it in a minute.")
        return redirect("records:case-file", evidence.case.reference)
    # "Redact again" starts from the newest copy's areas (each copy is made from the clean one).
    newest = redaction.latest_redactions([evidence.pk]).get(evidence.pk)
    initial = [dict(zip("xywh", r, strict=True)) for r in newest.regions] if newest else []
    formset = RegionFormSet(request.POST or None, prefix="area", initial=initial)
    error = ""
    if request.method == "POST" and formset.is_valid():
        regions = [r for r in (f.region() for f in formset.forms) if r is not None]
        try:
            redaction.evidence_redact(evidence=evidence, regions=regions, actor=request.user)
        except redaction.RedactionError as refused:
            error = str(refused)
        else:
            messages.success(
                request, "Redacted copy made. The original and the clean copy are unchanged."
            )
            return redirect("records:case-file", evidence.case.reference)
    else:
        access_log_write(
            user=request.user,
            action=AccessLog.Action.VIEW_EVIDENCE,
            case=evidence.case,
            evidence=evidence,
        )
    return render(
        request,
        "records/redact.html",
        {"evidence": evidence, "case": evidence.case, "formset": formset, "error": error},
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_safe
def redacted_image(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(EvidenceRedaction.objects.select_related("evidence"), pk=pk)
    _managed_image(request, row.evidence_id)
    response = FileResponse(row.file.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _managed_sar(request: HttpRequest, pk: int) -> SubjectAccessRequest:
    sar = get_object_or_404(SubjectAccessRequest.objects.select_related("school", "person"), pk=pk)
    if not roles_for(request.user).manages(sar.school):
        raise Http404("No such request.")
    return sar


@staff_required
@require_POST
def sar_bundle(request: HttpRequest, pk: int) -> HttpResponse:
    sar = _managed_sar(request, pk)
    form = BundleForm(request.POST)
    if form.is_valid():
        try:
            casefile.sar_bundle_request(
                sar=sar, actor=request.user, phrases=form.cleaned_data["phrases"]
            )
        except casefile.CaseFileError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, "The disclosure bundle is being made. Read it before approving it."
            )
    return redirect(reverse("records:sar", args=[sar.pk]) + "#bundles")


def _bundle_step(request: HttpRequest, pk: int, step, done: str) -> HttpResponse:
    bundle = _visible_file(request, pk)
    if not bundle.is_bundle:
        raise Http404("Not a disclosure bundle.")
    try:
        step(bundle=bundle, actor=request.user)
    except casefile.CaseFileError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(reverse("records:sar", args=[bundle.sar_id]) + "#bundles")


@staff_required
@require_POST
def bundle_approve(request: HttpRequest, pk: int) -> HttpResponse:
    def approve(*, bundle: CaseFile, actor) -> None:
        if request.POST.get("read") != "yes":
            raise casefile.CaseFileError("Tick the box to say you have read the whole bundle.")
        casefile.bundle_approve(bundle=bundle, actor=actor)

    return _bundle_step(request, pk, approve, "Approved for release.")


@staff_required
@require_POST
def bundle_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _bundle_step(
        request, pk, casefile.bundle_release, "The release to the requester is recorded."
    )
