"""Staff pages. Every view: sign-in required → access function → form → one service call."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from schools.access import school_from_request, staff_required

from . import chat, chat_views, dashboard_html, exports, panels, selectors, services, workflow
from .access import (
    CaseAccess,
    case_schools,
    get_case_for_user,
    get_evidence_for_user,
    managed_schools,
    may_open_case,
    report_log_schools,
    roles_for,
)
from .evidence import evidence_clean_retry
from .filters import FILTER_FORM_TEMPLATE, CaseFilter, FilterChoices, FilterOptions
from .forms import StaffReportForm
from .identity import ReporterIdentity
from .list_rows import case_rows
from .models import (
    AccessLog,
    Case,
    CaseExport,
    Channel,
    Evidence,
    Outcome,
    SensitiveName,
    Target,
)
from .next_step import case_panel
from .staff_forms import (
    ACTION_FORMS,
    FOLLOW_UPS,
    MERGE_WINDOW_DAYS,
    QUOTE_LETTERS,
    EvidenceTextForm,
    MergeInForm,
    RedactionDecisionForm,
    SensitiveNameForm,
    merge_in_cases,
)


def case_staff_required(view: Callable) -> Callable:
    """Staff who may open cases (SLT, DSL, trust executives) — office staff get a 404."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        roles = roles_for(request.user)
        if not (roles.slt or roles.dsl or roles.trusts):
            raise Http404("No case access.")
        return view(request, *args, **kwargs)

    return wrapper


def _log(request: HttpRequest, action: str, case=None, evidence=None, detail: str = "") -> None:
    services.access_log_write(
        user=request.user, action=action, case=case, evidence=evidence, detail=detail
    )


# A visit to a case: its pages (filters, reloads, thumbnails) within this long of each other.
VISIT_SECONDS = 30 * 60
# The case page moves a visit's time on only when it is this old: the session is written
# once a minute at most during a visit, not on every page (a write is three queries).
VISIT_EXTEND_SECONDS = 60


def _case_visit(request: HttpRequest, case, *, extend: bool) -> bool:
    """Whether this request starts a new visit to `case` in this session (then it is logged
    once as "opened the case"); `extend` keeps a visit going (the case page itself). The
    session is saved only when the visits change."""
    now = time.time()
    stored = request.session.get("case_visits", {})
    visits = {key: at for key, at in stored.items() if now - at <= VISIT_SECONDS}
    key = str(case.pk)
    new = key not in visits
    if new or (extend and now - visits[key] >= VISIT_EXTEND_SECONDS):
        visits[key] = now
    if visits != stored:
        request.session["case_visits"] = visits
    return new


@staff_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    roles = roles_for(request.user)
    context: dict = {"roles": roles}
    if roles.slt or roles.dsl or roles.trusts:
        context.update(selectors.dashboard_summary(user=request.user))
        # The tables' rows, written in Python (incidents.dashboard_html): the same markup.
        links = dashboard_html.CaseLinks()
        context["due_rows"] = dashboard_html.due_rows(context["due"], links)
        context["alert_rows"] = dashboard_html.case_rows(
            ((c, "") for c in context["alerts"]), links
        )
        context["waiting_rows"] = dashboard_html.case_rows(
            ((c, "Overdue" if overdue else by) for c, by, overdue in context["waiting"]), links
        )
        context["mine_rows"] = dashboard_html.case_rows(((c, "") for c in context["mine"]), links)
        context["school_rows"] = dashboard_html.school_rows(context["by_school"])
    # After the summary: a panel may reuse what it read (casetasks: the tasks due are "Your
    # tasks" too, read once for the request).
    context["panels"] = panels.dashboard_panels(request.user)
    return render(request, "staff/dashboard.html", context)


def _case_filter(request: HttpRequest, choices: FilterChoices | None = None) -> CaseFilter:
    return CaseFilter(
        request.GET or None,
        queryset=selectors.case_list(user=request.user),
        options=(choices or FilterChoices(request.user)).options,
        request=request,
    )


def _blank_filter_form(options: FilterOptions) -> str:
    blank = CaseFilter(None, queryset=Case.objects.none(), options=options)
    return render_to_string(FILTER_FORM_TEMPLATE, {"form": blank.form})


@case_staff_required
@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    # The form as the cache keeps it: with nothing chosen (the list as it opens, and its later
    # pages), or with the values chosen (a filtered list, and its later pages).
    nothing_chosen = not any(name in request.GET for name in CaseFilter.base_filters)
    choices = FilterChoices(request.user, chosen=None if nothing_chosen else query)
    case_filter = _case_filter(request, choices)
    page = selectors.case_list_page(
        cases=case_filter.qs.only(*LIST_FIELDS),
        params=request.GET,
        sort=request.GET.get("sort", ""),
    )
    return render(
        request,
        "staff/case_list.html",
        {
            "filter": case_filter,
            "filter_form": choices.blank_form_html(_blank_filter_form)
            if nothing_chosen
            else choices.chosen_form_html(
                query,
                lambda: render_to_string(FILTER_FORM_TEMPLATE, {"form": case_filter.form}),
            ),
            "page": page,
            "query": query.urlencode(),
            "keyset": not hasattr(page, "paginator"),
            "rows": case_rows(page),
        },
    )


# What the list's rows show (incidents.list_rows): the rest of each case stays in the database.
LIST_FIELDS = (
    "reference",
    "status",
    "severity",
    "opened_at",
    "safeguarding_flag",
    "school__name",
    "lead__first_name",
    "lead__last_name",
)


@case_staff_required
@require_safe
def case_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered list as CSV: streamed if small, else built by a task (see exports)."""
    case_filter = _case_filter(request)
    cases = case_filter.qs
    query = request.GET.urlencode()
    if cases[: exports.INLINE_MAX_ROWS + 1].count() > exports.INLINE_MAX_ROWS:
        export = exports.export_request(user=request.user, query=query)
        _log(request, AccessLog.Action.EXPORT, detail=f"queued export {export.pk}: {query}"[:300])
        return redirect("staff:case-export-status", pk=export.pk)
    _log(request, AccessLog.Action.EXPORT, detail=query[:300])
    response = StreamingHttpResponse(
        exports.stream_csv(cases), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="cases.csv"'
    return response


def _own_export(request: HttpRequest, pk: int) -> CaseExport:
    """An export is its requester's alone; anyone else gets a 404."""
    export = CaseExport.objects.filter(pk=pk, user_id=request.user.pk or 0).first()
    if export is None:
        raise Http404("No such export.")
    return export


@case_staff_required
@require_safe
def case_export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = _own_export(request, pk)
    exports.export_nudge(export=export)
    return render(request, "staff/case_export.html", {"export": export})


@case_staff_required
@require_safe
def case_export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = _own_export(request, pk)
    if export.status != CaseExport.Status.READY or not export.file:
        raise Http404("Not ready.")
    # Built for the schools the requester saw then: not once they no longer see them all.
    if not set(export.school_ids) <= set(case_schools(request.user).values_list("pk", flat=True)):
        raise Http404("No such export.")
    _log(request, AccessLog.Action.EXPORT, detail=f"downloaded export {export.pk}")
    response = FileResponse(
        export.file.open("rb"),
        content_type="text/csv; charset=utf-8",
        as_attachment=True,
        filename=f"cases-{export.created_at:%Y-%m-%d-%H%M}.csv",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@case_staff_required
@require_safe
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    access = get_case_for_user(request.user, reference, page=True)
    case = access.case
    if _case_visit(request, case, extend=True):
        _log(request, AccessLog.Action.VIEW_CASE, case=case)
    kind = request.GET.get("kind", "")
    context = selectors.case_detail(case=case, access=access, event_kind=kind, user=request.user)
    context.update(
        {
            "case": case,
            "access": access,
            "panel": case_panel(
                case,
                request.user,
                hide=frozenset() if _has_public_wording(context["reports"]) else WORDING,
            ),
            "targets_display": [Target(t).label for t in case.targets if t in Target.values],
            "actions_display": [Outcome(a).label for a in case.actions if a in Outcome.values],
            "quote_letters": [(label, url(case)) for label, url in QUOTE_LETTERS]
            if access.can_manage
            else [],
            # The candidates themselves (50 cases' reports, compared with this case's for
            # likely duplicates) are read on the merge page, not on every view of the case.
            "can_merge_in": access.can_manage and case.is_open and merge_in_cases(case).exists(),
        }
    )
    return render(request, "staff/case_detail.html", context)


WORDING = frozenset({"wording"})


def _has_public_wording(reports) -> bool:
    """Whether a report has words typed by the public that letters could use."""
    return any(
        (r.group_id is None and r.group_other.strip()) or r.poster_description.strip()
        for r in reports
    )


@case_staff_required
@require_safe
def case_chronology_print(request: HttpRequest, reference: str) -> HttpResponse:
    access = get_case_for_user(request.user, reference)
    _log(request, AccessLog.Action.PRINT_CHRONOLOGY, case=access.case)
    events = access.case.events.select_related("actor").order_by("created_at", "pk")
    hidden = None
    if not access.can_see_reporter:
        hidden = ReporterIdentity.of_reports(access.case.reports.all(), first_names=True)
    return render(
        request,
        "staff/chronology_print.html",
        {"case": access.case, "events": events, "hidden_reporter": hidden},
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    access = get_case_for_user(request.user, reference)
    case = access.case
    form_class = ACTION_FORMS.get(action)
    offered = (workflow.Offer.CASE, workflow.Offer.OBJECT)
    if form_class is None:
        raise Http404("That action is not available on this case.")
    if action not in workflow.available_actions(case=case, actor=request.user, offered=offered):
        # A step of this stage that isn't possible yet: say why before any form is filled in.
        reason = workflow.why_not(case=case, actor=request.user, offered=offered).get(action)
        if not reason:
            raise Http404("That action is not available on this case.")
        context = {"case": case, "access": access, "transition": workflow.TRANSITIONS[action]}
        return render(request, "staff/case_action.html", {**context, "refusal": reason})
    transition = workflow.TRANSITIONS[action]
    form = form_class(request.POST or None, request.FILES or None, case=case, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            effect = form.submit()
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            if action == "reissue_code":
                return render(
                    request,
                    "staff/code_reissued.html",
                    {"case": case, "code": effect.result, "report": form.cleaned_data["report"]},
                )
            messages.success(request, effect.summary)
            follow_up = FOLLOW_UPS.get(action)
            if follow_up:
                message, url = follow_up
                messages.info(request, message)
                return redirect(url(case))
            return redirect("staff:case-detail", reference=case.reference)
    return render(
        request,
        "staff/case_action.html",
        {
            "case": case,
            "access": access,
            "form": form,
            "action": action,
            "transition": transition,
        },
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def case_merge_in(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge other new reports into an open case: its own page, reached from the case page,
    listing the school's recent new reports with likely duplicates first. A refused POST shows
    the page again with what was ticked and typed, and says what is wrong at the field."""
    access = get_case_for_user(request.user, reference)
    case = access.case
    if not access.can_manage:
        raise Http404("Not allowed.")
    if not case.is_open:
        messages.error(request, f"{case.reference} is closed: nothing can be merged into it.")
        return redirect("staff:case-detail", reference=case.reference)
    form = MergeInForm(request.POST or None, case=case, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.cases_merge(
                target=case,
                sources=list(form.cleaned_data["sources"]),
                actor=request.user,
                rationale=form.cleaned_data["rationale"],
            )
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            count = len(form.cleaned_data["sources"])
            messages.success(
                request, f"{count} report{'s' if count != 1 else ''} merged into {case.reference}."
            )
            return redirect("staff:case-detail", reference=case.reference)
    return render(
        request,
        "staff/case_merge_in.html",
        {"case": case, "access": access, "form": form, "window_days": MERGE_WINDOW_DAYS},
    )


def _file_response(field, evidence: Evidence, *, attachment: bool) -> FileResponse:
    response = FileResponse(
        field.open("rb"),
        content_type=evidence.content_type,
        as_attachment=attachment,
        filename=evidence.original_name if attachment else "",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@case_staff_required
@require_safe
def evidence_view(request: HttpRequest, pk: int) -> FileResponse:
    """The clean copy of an image (or a document, as a download)."""
    evidence, _access = get_evidence_for_user(request.user, pk)
    # The thumbnails of a case page already logged as "opened the case" are part of that visit;
    # a file opened on its own (a link in an email, a bookmark) is logged by itself.
    if _case_visit(request, evidence.case, extend=False):
        _log(request, AccessLog.Action.VIEW_EVIDENCE, case=evidence.case, evidence=evidence)
    if evidence.kind == Evidence.Kind.IMAGE:
        # Never the original in its place: until the task has made the clean copy, nothing.
        if not evidence.ready or not evidence.clean:
            raise Http404("This picture is still being prepared.")
        return _file_response(evidence.clean, evidence, attachment=False)
    return _file_response(evidence.original, evidence, attachment=True)


@case_staff_required
@require_safe
def evidence_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Whether a picture's clean copy is ready (the case page asks while it is processing).
    Nothing from the evidence itself, so nothing to log."""
    evidence, _access = get_evidence_for_user(request.user, pk)
    response = JsonResponse({"status": evidence.clean_status})
    response["Cache-Control"] = "private, no-store"
    return response


@case_staff_required
@require_safe
def evidence_original(request: HttpRequest, pk: int) -> FileResponse:
    """The sealed original, as uploaded: SLT and DSL of the school only, and logged."""
    evidence, access = get_evidence_for_user(request.user, pk)
    if not access.can_download_original:
        raise Http404("No such file.")
    _log(
        request,
        AccessLog.Action.DOWNLOAD_ORIGINAL,
        case=evidence.case,
        evidence=evidence,
        detail=f"SHA-256 {evidence.original_sha256}",
    )
    return _file_response(evidence.original, evidence, attachment=True)


def _managed_evidence(request: HttpRequest, pk: int) -> Evidence:
    evidence, access = get_evidence_for_user(request.user, pk)
    if not access.can_manage or evidence.kind != Evidence.Kind.IMAGE:
        raise Http404("Not allowed.")
    return evidence


def _back_to_evidence(evidence: Evidence) -> HttpResponse:
    return redirect(
        reverse("staff:case-detail", args=[evidence.case.reference]) + f"#evidence-{evidence.pk}"
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def evidence_text(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the text read from a screenshot (SLT and trust executives who run the case)."""
    evidence = _managed_evidence(request, pk)
    if request.method == "GET":
        _log(request, AccessLog.Action.VIEW_EVIDENCE, case=evidence.case, evidence=evidence)
    # A trust executive runs cases without seeing the reporter: a file's name or the text
    # read from it may name them (they correct the text as they see it).
    hidden = None
    if not CaseAccess(case=evidence.case, roles=roles_for(request.user)).can_see_reporter:
        hidden = ReporterIdentity.of_reports(evidence.case.reports.all(), first_names=True)
    shown_text = hidden.redact(evidence.text) if hidden and evidence.text else evidence.text
    form = EvidenceTextForm(
        request.POST if request.method == "POST" else None, initial={"text": shown_text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_text_correct(
                evidence=evidence, text=form.cleaned_data["text"], actor=request.user
            )
        except services.EvidenceTextError as error:
            form.add_error("text", str(error))
        else:
            messages.success(request, "Text saved. The original reading is kept as well.")
            return _back_to_evidence(evidence)
    return render(
        request,
        "staff/evidence_text.html",
        {"evidence": evidence, "case": evidence.case, "form": form, "hidden_reporter": hidden},
    )


@case_staff_required
@require_http_methods(["POST"])
def evidence_read_again(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _managed_evidence(request, pk)
    if services.evidence_text_read_again(evidence=evidence):
        messages.info(request, "The text will be read again in a moment.")
    return _back_to_evidence(evidence)


@case_staff_required
@require_http_methods(["POST"])
def evidence_clean_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Try again to make the clean copy of a picture whose task failed."""
    evidence = _managed_evidence(request, pk)
    if evidence_clean_retry(evidence):
        messages.info(request, "The picture will be prepared again in a moment.")
    return _back_to_evidence(evidence)


@case_staff_required
@require_http_methods(["POST"])
def evidence_redaction(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _managed_evidence(request, pk)
    form = RedactionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether to confirm or dismiss the suggestion.")
        return _back_to_evidence(evidence)
    try:
        suggestion = services.evidence_redaction_decide(
            evidence=evidence,
            number=form.cleaned_data["number"],
            decision=form.cleaned_data["decision"],
            actor=request.user,
        )
    except services.EvidenceTextError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{suggestion['text']}” {suggestion['status']} for redaction.")
    return _back_to_evidence(evidence)


def _report_log_school(request: HttpRequest):
    # Senior leaders and the office staff who take the call (office staff never see the case).
    schools = list(report_log_schools(request.user))
    if not schools:
        raise Http404("Only senior leaders and office staff can log reports.")
    return school_from_request(request, schools), schools


def _staff_chat_flow(school) -> chat_views.ChatFlow:
    query = f"?school={school.pk}"
    return chat_views.ChatFlow(
        scope=f"staff:{school.pk}",
        base_template="staff/base.html",
        upload_url=reverse("staff:report-log-chat") + query,
        pick_url=reverse("staff:report-log-chat-pick") + query,
        remove_url=reverse("staff:report-log-chat-remove") + query,
        form_url=reverse("staff:report-log") + query,
        context={"staff_school": school},
        hidden={"school": str(school.pk)},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def report_log(request: HttpRequest) -> HttpResponse:
    """Staff log a report on a parent's behalf (phone, email, in person): senior leaders and
    the office staff who take the call. Office staff see the reference and code to give the
    parent, never the case itself."""
    school, schools = _report_log_school(request)
    chat_flow = _staff_chat_flow(school)
    chat_state = chat_flow.state(request)
    chat_draft = chat.chat_draft(state=chat_state, pictures=request.method == "POST")
    channel = request.POST.get("channel", Channel.PHONE)
    if request.method == "POST":
        form = StaffReportForm(request.POST, request.FILES, school=school)
    else:
        form = StaffReportForm(school=school, initial=chat_draft.prefill() if chat_draft else None)
    channel_choices = [c for c in Channel.choices if c[0] != Channel.ONLINE]
    if request.method == "POST" and chat_state and chat_draft is None:
        form.add_error(None, "The chat messages are no longer here: attach the export again.")
        chat_flow.forget(request)
        chat_state = None
    if request.method == "POST" and channel in dict(channel_choices) and form.is_valid():
        report, code = services.report_submit(
            school=school,
            details=form.details(),
            images=form.cleaned_data["screenshots"],
            channel=channel,
            actor=request.user,
            chat=chat_draft,
        )
        chat_flow.forget(request)
        can_open = may_open_case(request.user, report.case)
        return render(
            request,
            "staff/code_reissued.html",
            {"case": report.case, "code": code, "report": report, "new": True, "open": can_open},
        )
    return render(
        request,
        "staff/report_log.html",
        {
            "form": form,
            "schools": schools,
            "school": school,
            "channel": channel,
            "channels": channel_choices,
            "chat_flow": chat_flow,
            "chat_state": chat_state,
            "chat_draft": chat_draft,
        },
    )


@case_staff_required
@require_http_methods(["GET", "POST"])
def report_log_chat(request: HttpRequest) -> HttpResponse:
    """A WhatsApp chat export for a report staff log (step 1: the file)."""
    return chat_views.upload(request, _staff_chat_flow(_report_log_school(request)[0]))


@case_staff_required
@require_http_methods(["GET", "POST"])
def report_log_chat_pick(request: HttpRequest) -> HttpResponse:
    return chat_views.pick(request, _staff_chat_flow(_report_log_school(request)[0]))


@case_staff_required
@require_http_methods(["POST"])
def report_log_chat_remove(request: HttpRequest) -> HttpResponse:
    return chat_views.remove(request, _staff_chat_flow(_report_log_school(request)[0]))


@case_staff_required
@require_http_methods(["GET", "POST"])
def sensitive_names(request: HttpRequest) -> HttpResponse:
    """The school's list of sensitive names, suggested for redaction wherever a screenshot's
    text shows them (SLT and trust executives)."""
    school, schools = _report_log_school(request)
    form = SensitiveNameForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sensitive_name_add(
                school=school, name=form.cleaned_data["name"], actor=request.user
            )
        except services.EvidenceTextError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Name added to the list.")
            return redirect(reverse("staff:sensitive-names") + f"?school={school.pk}")
    return render(
        request,
        "staff/sensitive_names.html",
        {
            "form": form,
            "school": school,
            "schools": schools,
            "names": SensitiveName.objects.filter(school=school).select_related("added_by"),
        },
    )


@case_staff_required
@require_http_methods(["POST"])
def sensitive_name_remove(request: HttpRequest, pk: int) -> HttpResponse:
    schools = managed_schools(request.user)
    name = SensitiveName.objects.filter(pk=pk, school__in=schools).first()
    if name is None:
        raise Http404("No such name.")
    services.sensitive_name_remove(name=name)
    messages.success(request, "Name taken off the list.")
    return redirect(reverse("staff:sensitive-names") + f"?school={name.school_id}")
