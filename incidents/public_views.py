"""Public pages for parents: the report form, the receipt and the follow-up page.

No account: a reporter proves who they are with their reference and private code, which are
only ever POSTed (never in a URL). A successful check grants a short follow-up session.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from schoolconduct import ratelimit
from schoolconduct.tasks import publish_after_response
from schools.views import get_public_school

from . import chat, chat_views, selectors, services
from .evidence import NOT_STORED, EvidenceNotStored
from .forms import AddInformationForm, ChatExportForm, FollowUpForm, ReportForm
from .uploads import screenshot_uploads

logger = logging.getLogger(__name__)

RECEIPT_SESSION_KEY = "report_receipt"
FOLLOWUP_SESSION_KEY = "followup_report"
FOLLOWUP_SESSION_SECONDS = 30 * 60


def _too_many(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context["rate_limited"] = True
    return render(request, template, context, status=429)


CHAT_GONE = (
    "The messages from your chat export are no longer here (they are deleted after an hour). "
    "Attach the export again, or send the report without it."
)


@screenshot_uploads
@publish_after_response
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, school: str) -> HttpResponse:
    school_obj = get_public_school(school)
    chat_state = _chat_flow(school_obj).state(request)
    chat_draft = chat.chat_draft(state=chat_state, pictures=request.method == "POST")
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, school=school_obj)
        # Counted before the honeypot check, so a bot filling the honeypot still uses up its
        # address's allowance and is refused like anyone else once over it.
        if not ratelimit.hit(
            scope="report",
            key=ratelimit.client_ip(request),
            limit=settings.RATE_LIMIT_REPORT,
        ):
            return _too_many(
                request, "public/report_form.html", {"school": school_obj, "form": form}
            )
        if form.is_bot():
            # Look like success to a bot; save nothing.
            logger.info("Honeypot filled on the report form; nothing saved.")
            return render(request, "public/report_thanks.html", {"school": school_obj})
        if chat_state and chat_state.get("stage") == "picked" and chat_draft is None:
            form.add_error(None, CHAT_GONE)
            request.session.pop(chat.SESSION_KEY, None)
            chat_state = None
        report_obj = None
        if form.is_valid():
            try:
                report_obj, code = services.report_submit(
                    school=school_obj,
                    details=form.details(),
                    images=form.cleaned_data["screenshots"],
                    chat=chat_draft,
                )
            except EvidenceNotStored:
                form.add_error("screenshots", NOT_STORED)
        if report_obj is not None:
            chat.chat_discard(state=chat_state)
            request.session.pop(chat.SESSION_KEY, None)
            # Shown once on the receipt page, then removed from the session.
            request.session[RECEIPT_SESSION_KEY] = {
                "reference": report_obj.reference,
                "code": code,
                "school": school_obj.slug,
                "email": bool(report_obj.reporter_email),
            }
            return redirect("reports:receipt", school=school_obj.slug)
    else:
        form = ReportForm(school=school_obj, initial=chat_draft.prefill() if chat_draft else None)
    return render(
        request,
        "public/report_form.html",
        {"school": school_obj, "form": form, "chat_state": chat_state, "chat_draft": chat_draft},
    )


def _chat_flow(school_obj) -> chat_views.ChatFlow:
    slug = school_obj.slug
    return chat_views.ChatFlow(
        scope=slug,
        base_template="public/base.html",
        upload_url=reverse("reports:chat-upload", kwargs={"school": slug}),
        pick_url=reverse("reports:chat-pick", kwargs={"school": slug}),
        remove_url=reverse("reports:chat-remove", kwargs={"school": slug}),
        form_url=reverse("reports:report", kwargs={"school": slug}),
        context={"school": school_obj},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def chat_upload(request: HttpRequest, school: str) -> HttpResponse:
    """Step 1 of adding a WhatsApp chat export to a report: the file."""
    flow = _chat_flow(get_public_school(school))
    if request.method == "POST" and not ratelimit.hit(
        scope="chat", key=ratelimit.client_ip(request), limit=settings.RATE_LIMIT_REPORT
    ):
        return flow.render(
            request,
            "public/chat_upload.html",
            {"form": ChatExportForm(), "rate_limited": True, "status": 429},
        )
    return chat_views.upload(request, flow)


@never_cache
@require_http_methods(["GET", "POST"])
def chat_pick(request: HttpRequest, school: str) -> HttpResponse:
    """Step 2: the parent ticks the messages they are reporting."""
    return chat_views.pick(request, _chat_flow(get_public_school(school)))


@never_cache
@require_POST
def chat_remove(request: HttpRequest, school: str) -> HttpResponse:
    return chat_views.remove(request, _chat_flow(get_public_school(school)))


@never_cache
@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest, school: str) -> HttpResponse:
    """The reference and, in exactly one response, the follow-up code.

    The first response that shows the code removes it from the session: a reload, the back
    button or a later visit shows the reference and how to follow up, never the code again.
    "I have saved it" forgets the receipt altogether.
    """
    school_obj = get_public_school(school)
    receipt_data = request.session.get(RECEIPT_SESSION_KEY)
    if not receipt_data or receipt_data.get("school") != school_obj.slug:
        receipt_data = None
    if request.method == "POST" and request.POST.get("saved"):
        request.session.pop(RECEIPT_SESSION_KEY, None)
        messages.success(request, "Thank you. Your report has been sent to the school.")
        return redirect(school_obj)
    code = receipt_data.get("code") if receipt_data else None
    if receipt_data and code:
        request.session[RECEIPT_SESSION_KEY] = {
            k: v for k, v in receipt_data.items() if k != "code"
        }
    saved_error = request.method == "POST" and bool(code)
    return render(
        request,
        "public/receipt.html",
        {"school": school_obj, "receipt": receipt_data, "code": code, "saved_error": saved_error},
        status=400 if saved_error else 200,
    )


def _granted_report(request: HttpRequest):
    grant = request.session.get(FOLLOWUP_SESSION_KEY)
    if not grant or grant.get("expires", 0) < time.time():
        request.session.pop(FOLLOWUP_SESSION_KEY, None)
        return None
    return selectors.report_for_followup(report_id=grant["report"])


@never_cache
@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if not ratelimit.hit(
            scope="followup", key=ratelimit.client_ip(request), limit=settings.RATE_LIMIT_FOLLOWUP
        ):
            return _too_many(request, "public/follow_up_sign_in.html", {"form": form})
        if form.is_valid():
            report_obj = services.report_authenticate(
                reference=form.cleaned_data["reference"], code=form.cleaned_data["code"]
            )
            if report_obj is None:
                form.add_error(
                    None,
                    "We could not find a report with that reference and code. "
                    "Check both and try again.",
                )
            else:
                request.session.cycle_key()
                request.session[FOLLOWUP_SESSION_KEY] = {
                    "report": report_obj.pk,
                    "expires": time.time() + FOLLOWUP_SESSION_SECONDS,
                }
                return redirect("reports:follow-up")
        return render(request, "public/follow_up_sign_in.html", {"form": form})

    report_obj = _granted_report(request)
    if report_obj is None:
        return render(request, "public/follow_up_sign_in.html", {"form": FollowUpForm()})
    return render(
        request,
        "public/follow_up.html",
        {
            **selectors.followup_context(report=report_obj),
            "form": AddInformationForm(),
        },
    )


@screenshot_uploads
@publish_after_response
@never_cache
@require_POST
def follow_up_add(request: HttpRequest) -> HttpResponse:
    report_obj = _granted_report(request)
    if report_obj is None:
        messages.info(
            request,
            "Your follow-up session has ended. Enter your reference and "
            "code again to add information.",
        )
        return redirect("reports:follow-up")
    form = AddInformationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.report_add_information(
                report=report_obj,
                body=form.cleaned_data["body"],
                images=form.cleaned_data["screenshots"],
            )
        except EvidenceNotStored:
            form.add_error("screenshots", NOT_STORED)
        else:
            messages.success(request, "Thank you. What you added has been sent to the school.")
            return redirect(reverse("reports:follow-up") + "#messages")
    return render(
        request,
        "public/follow_up.html",
        {
            **selectors.followup_context(report=report_obj),
            "form": form,
        },
    )


@require_POST
def follow_up_finish(request: HttpRequest) -> HttpResponse:
    request.session.pop(FOLLOWUP_SESSION_KEY, None)
    messages.info(request, "You have left the follow-up page.")
    return redirect("reports:follow-up")
