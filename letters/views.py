"""Staff pages for letters: drafting from a case, approval, templates and the print queue."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incidents.access import get_case_for_user, managed_schools, roles_for
from incidents.chat import evidence_quotes
from incidents.wording import unconfirmed_wording
from schools.access import school_from_request, staff_required
from schools.models import School, Trust

from . import placeholders, queue_rows, services, values
from .access import get_batch_for_user, get_letter_for_user, letters_visible_to, queue_schools
from .forms import (
    BatchSentForm,
    DraftEditForm,
    DraftForm,
    LetterSettingsForm,
    SentForm,
    TemplateForm,
    detail_initial,
)
from .kinds import FIELDS, REQUIRED, TO_REPORTER, LetterKind, allowed_fields, checklist
from .lifecycle import letters_blocked_reason
from .models import Letter, LetterStatus, LetterTemplate, PrintBatch, SendMethod
from .placeholders import merge
from .rendering import html_to_pdf, letter_html


def _pdf_response(data: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


T = TypeVar("T")


def _attempt(
    request: HttpRequest,
    step: Callable[[], T],
    done: str | Callable[[T], str],
    level: int = messages.SUCCESS,
) -> None:
    """Run one service call: its `LetterError`, or `done` (at `level`), becomes the message.
    `done` may be worked out from what the call returned (how many letters it moved)."""
    try:
        result = step()
    except services.LetterError as error:
        messages.error(request, error.messages[0])
    else:
        messages.add_message(request, level, done(result) if callable(done) else done)


def _letters(count: int) -> str:
    return f"{count} letter{'s' if count != 1 else ''}"


def _managed_letter(request: HttpRequest, pk: int) -> Letter:
    """A letter the user manages (SLT of its school or the trust); 404 otherwise."""
    letter, manages = get_letter_for_user(request.user, pk)
    if not manages:
        raise Http404("Not available.")
    return letter


# --- drafting from a case --------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def letter_new(request: HttpRequest, reference: str, kind: str) -> HttpResponse:
    access = get_case_for_user(request.user, reference)
    case = access.case
    if not access.can_manage or kind not in LetterKind.values:
        raise Http404("Not available.")
    if kind in TO_REPORTER and not access.can_see_reporter:
        raise Http404("Not available.")
    blocked = letters_blocked_reason(case, to_reporter=kind in TO_REPORTER)
    recorded = values.procedure_values(case)
    initial = {
        name: detail_initial(name, value)
        for name, value in {**values.suggestions(case, kind), **recorded}.items()
        if name in FIELDS
    }
    # "Quote in a letter" on the case page: the exact words and time of chat messages or of a
    # screenshot's text, into the conduct summary (the access rule for them is incidents').
    quotes = evidence_quotes(case=case, tokens=request.GET.getlist("quote")[:20])
    if quotes and "conduct_summary" in REQUIRED[kind]:
        initial["conduct_summary"] = "\n".join(quotes)
    form = DraftForm(request.POST or None, case=case, kind=kind, recorded=recorded, initial=initial)
    if request.method == "POST" and not blocked and form.is_valid():
        try:
            letter = services.letter_draft(
                case=case,
                kind=kind,
                actor=request.user,
                details=form.details(),
                delivery_method=form.cleaned_data["delivery_method"],
                person=form.cleaned_data.get("person"),
                report=form.cleaned_data.get("report"),
            )
        except services.LetterError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Draft letter created. Check it, then approve it.")
            return redirect("letters:detail", pk=letter.pk)
    return render(
        request,
        "letters/new.html",
        {
            "case": case,
            "kind": LetterKind(kind),
            "form": form,
            "blocked": blocked,
        },
    )


@staff_required
@require_safe
def letter_kinds(request: HttpRequest, reference: str) -> HttpResponse:
    access = get_case_for_user(request.user, reference)
    if not access.can_manage:
        raise Http404("Not available.")
    case = access.case
    # Unconfirmed public wording holds every kind: said once, above the list.
    wording = unconfirmed_wording(case)
    kinds = [
        (k, "" if wording else letters_blocked_reason(case, to_reporter=k in TO_REPORTER))
        for k in LetterKind
        if k not in TO_REPORTER or access.can_see_reporter
    ]
    letters = letters_visible_to(request.user).filter(case=case)
    return render(
        request,
        "letters/kinds.html",
        {"case": case, "kinds": kinds, "letters": letters, "wording": wording},
    )


# --- one letter ------------------------------------------------------------------------------


def _editor_values(letter: Letter) -> dict[str, dict[str, str | bool]]:
    """What the editor's chips show: each field the letter may use, its label and value."""
    current = services.letter_values(letter)
    return {
        name: {
            "label": FIELDS[name].label,
            "value": current.get(name, ""),
            "optional": FIELDS[name].derived,
        }
        for name in sorted(allowed_fields(letter.kind), key=lambda n: FIELDS[n].label)
    }


@staff_required
@require_http_methods(["GET", "POST"])
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _managed_letter(request, pk)
    form = None
    checklist = services.letter_checklist(letter)
    if letter.is_draft:
        recorded = values.procedure_values(letter.case)
        context = services.letter_values(letter)
        initial: dict = {"title": letter.title, **DraftEditForm.body_initial(letter.body_html)}
        initial.update({n: detail_initial(n, v) for n, v in context.items()})
        form = DraftEditForm(
            request.POST or None, kind=letter.kind, recorded=recorded, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.letter_update_draft(
                    letter=letter,
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    body_html=form.body(),
                    details=form.details(),
                )
            except services.LetterError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, "Draft saved.")
                return redirect("letters:detail", pk=letter.pk)
    elif request.method == "POST":
        return HttpResponse(status=405)
    return render(
        request,
        "letters/detail.html",
        {
            "letter": letter,
            "form": form,
            "checklist": checklist,
            "checklist_done": all(present for _n, _l, present, _x in checklist),
            "editor_values": _editor_values(letter) if letter.is_draft else None,
            "merged_body": services.letter_merged_body(letter),
            "sent_form": SentForm(),
            "email_waiting": services.letter_email_pending(letter),
            "events": letter.case.events.filter(
                kind="letter", data__letter=letter.pk
            ).select_related("actor"),
        },
    )


@staff_required
@require_safe
def letter_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft as it will print: rendered now, not stored."""
    letter = _managed_letter(request, pk)
    if letter.pdf:
        return _pdf_response(
            services.letter_pdf_bytes(letter), f"letter-{letter.pk}.pdf", inline=True
        )
    html, assets = letter_html(letter)
    pdf = html_to_pdf(html, assets=assets)
    return _pdf_response(pdf.data, f"preview-{letter.pk}.pdf", inline=True)


@staff_required
@require_POST
def letter_approve(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _managed_letter(request, pk)
    _attempt(
        request,
        lambda: services.letter_approve(letter=letter, actor=request.user),
        "Approved. The PDF is being made and the letter will appear in the print queue."
        if not letter.to_reporter
        else "Approved. The PDF is being made; then send it to the reporter.",
    )
    return redirect("letters:detail", pk=letter.pk)


@staff_required
@require_POST
def letter_retry(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _managed_letter(request, pk)
    _attempt(
        request,
        lambda: services.letter_retry(letter=letter, actor=request.user),
        "Trying again to make the PDF.",
        messages.INFO,
    )
    return redirect("letters:detail", pk=letter.pk)


@staff_required
@require_POST
def letter_correct(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _managed_letter(request, pk)
    try:
        draft = services.letter_correct(letter=letter, actor=request.user)
    except services.LetterError as error:
        messages.error(request, error.messages[0])
        return redirect("letters:detail", pk=letter.pk)
    messages.success(
        request, "A correction has been drafted. The original letter is kept unchanged."
    )
    return redirect("letters:detail", pk=draft.pk)


@staff_required
@require_safe
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    letter, _ = get_letter_for_user(request.user, pk)
    if not letter.pdf:
        raise Http404("The PDF is not ready yet.")
    try:
        data = services.letter_pdf_bytes(letter)
    except services.LetterError as error:
        messages.error(request, error.messages[0])
        return redirect("letters:queue")
    return _pdf_response(data, f"{letter.case.reference}-letter-{letter.pk}.pdf")


@staff_required
@require_POST
def letter_printed(request: HttpRequest, pk: int) -> HttpResponse:
    letter, _ = get_letter_for_user(request.user, pk)
    count = services.letters_mark_printed(letters=[letter], actor=request.user)
    if count:
        messages.success(request, "Marked as printed.")
    else:
        messages.error(request, "Only a letter that is ready to print can be marked printed.")
    return redirect("letters:queue")


def _sent_message(letter: Letter, method: str) -> str:
    if method == SendMethod.EMAIL:
        return (
            f"The email to {letter.recipient_name} is on its way; the letter is marked sent "
            "once it has gone."
        )
    return f"Recorded as sent to {letter.recipient_name}."


@staff_required
@require_POST
def letter_sent(request: HttpRequest, pk: int) -> HttpResponse:
    letter, _ = get_letter_for_user(request.user, pk)
    form = SentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how the letter was sent and the date.")
    else:
        method, sent_on = form.cleaned_data["method"], form.cleaned_data["sent_on"]
        _attempt(
            request,
            lambda: services.letter_mark_sent(
                letter=letter, actor=request.user, method=method, sent_on=sent_on
            ),
            _sent_message(letter, method),
        )
    if request.POST.get("next") == "queue":
        return redirect("letters:queue")
    return redirect("letters:detail", pk=letter.pk)


# --- the print queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """A letter on the print queue with how long it has waited since approval, and the
    words for its kind, delivery and status (looked up once here: `get_FOO_display` builds
    the whole list of choices again on every call, and a trust's queue asks hundreds)."""

    letter: Letter
    age_days: int
    overdue: bool
    kind: str = ""
    method: str = ""
    status: str = ""


_KIND_WORDS = dict(LetterKind.choices)
_METHOD_WORDS = dict(SendMethod.choices)
_STATUS_WORDS = dict(LetterStatus.choices)


def _rows(letters: list[Letter], today) -> list[QueueRow]:
    rows = []
    for letter in letters:
        approved = timezone.localtime(letter.approved_at).date() if letter.approved_at else today
        age = (today - approved).days
        target = letter.case.school.letter_queue_target_days
        rows.append(
            QueueRow(
                letter,
                age,
                age > target,
                kind=_KIND_WORDS.get(letter.kind, letter.kind),
                method=_METHOD_WORDS.get(letter.delivery_method, letter.delivery_method),
                status=_STATUS_WORDS.get(letter.status, letter.status),
            )
        )
    return rows


# The print queue's letters: waiting to print or send, and being prepared (rendering).
QUEUE_STATUSES = (
    LetterStatus.READY,
    LetterStatus.BATCHED,
    LetterStatus.PRINTED,
    LetterStatus.APPROVED,
    LetterStatus.RENDER_FAILED,
)


_NAME = ("first_name", "last_name", "username")
QUEUE_FIELDS = (
    "kind",
    "status",
    "recipient_name",
    "recipient_email",
    "delivery_method",
    "approved_at",
    "pdf_pages",
    "batch_id",
    "printed_at",
    "case__reference",
    "case__school__name",
    "case__school__letter_queue_target_days",
    *(f"approved_by__{f}" for f in _NAME),
    *(f"printed_by__{f}" for f in _NAME),
)


@staff_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    schools = list(queue_schools(request.user))
    if not schools:
        raise Http404("No print queue.")
    visible = (
        letters_visible_to(request.user)
        .exclude(kind__in=TO_REPORTER)
        .select_related("case__school", "approved_by", "printed_by")
        # Only what the page shows: a letter's text, context and files stay in the database.
        .only(*QUEUE_FIELDS)
        .order_by("approved_at", "pk")
    )
    today = timezone.localdate()
    # Every letter the page lists, in one query (oldest approval first), sorted out here.
    by_status: dict[str, list[Letter]] = {status: [] for status in QUEUE_STATUSES}
    pending: list[Letter] = []  # approved, being rendered (or failed to): in the same order
    for letter in visible.filter(status__in=QUEUE_STATUSES):
        by_status[letter.status].append(letter)
        if letter.status in (LetterStatus.APPROVED, LetterStatus.RENDER_FAILED):
            pending.append(letter)
    ready = _rows(by_status[LetterStatus.READY], today)
    batched = _rows(by_status[LetterStatus.BATCHED], today)
    printed = _rows(by_status[LetterStatus.PRINTED], today)
    waiting = ready + batched + printed
    to_print = [r for r in ready if r.letter.delivery_method in services.PRINTED_METHODS]
    overdue = [r for r in waiting if r.overdue]
    many_schools = len(schools) > 1
    # One token for the page's forms, as the template's {% csrf_token %} gives (read once).
    csrf_token = get_token(request)
    return render(
        request,
        "letters/queue.html",
        {
            "to_print": to_print,
            "print_rows": queue_rows.print_rows(to_print, many_schools=many_schools),
            "to_email": [
                r for r in ready if r.letter.delivery_method not in services.PRINTED_METHODS
            ],
            "batched": batched,
            "printed": printed,
            "printed_rows": queue_rows.printed_rows(
                printed, csrf_token=csrf_token, today_iso=today.isoformat()
            ),
            "overdue": overdue,
            "overdue_items": queue_rows.overdue_items(overdue),
            "targets": sorted({s.letter_queue_target_days for s in schools}),
            "pending": pending,
            "batches": list(
                PrintBatch.objects.filter(school__in=schools).select_related(
                    "created_by", "printed_by", "sent_by", "cancelled_by"
                )[:10]
            ),
            "sent_form": SentForm(),
            "many_schools": many_schools,
            "today_iso": today.isoformat(),
            "csrf_token": csrf_token,
        },
    )


@staff_required
@require_POST
def batch_create(request: HttpRequest) -> HttpResponse:
    schools = {s.pk: s for s in queue_schools(request.user)}
    ids = [i for i in request.POST.getlist("letters") if i.isdigit()]
    letters = list(
        letters_visible_to(request.user).filter(pk__in=ids).select_related("case__school")
    )
    by_school: dict[int, list[Letter]] = {}
    for letter in letters:
        if letter.case.school_id in schools:
            by_school.setdefault(letter.case.school_id, []).append(letter)
    if not by_school:
        messages.error(request, "Tick the letters to print first.")
        return redirect("letters:queue")
    cover = request.POST.get("cover_sheet") == "on"
    for school_id, group in by_school.items():
        try:
            batches = services.batch_create(
                school=schools[school_id], letters=group, actor=request.user, cover_sheet=cover
            )
        except services.LetterError as error:
            messages.error(request, error.messages[0])
        else:
            for batch in batches:
                messages.success(
                    request,
                    f"Print batch {batch.pk} ({batch.get_delivery_method_display().lower()}) "
                    f"with {_letters(len(batch.letter_ids))} created.",
                )
    return redirect("letters:queue")


@staff_required
@require_POST
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, pk)
    _attempt(
        request,
        lambda: services.batch_cancel(batch=batch, actor=request.user),
        lambda count: f"Batch {batch.pk} cancelled: {_letters(count)} back in “Ready to print”.",
    )
    return redirect("letters:queue")


@staff_required
@require_POST
def batch_sent(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, pk)
    form = BatchSentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date the batch was sent.")
        return redirect("letters:queue")
    _attempt(
        request,
        lambda: services.batch_mark_sent(
            batch=batch, actor=request.user, sent_on=form.cleaned_data["sent_on"]
        ),
        lambda count: f"Batch {batch.pk}: {_letters(count)} recorded as sent.",
    )
    return redirect("letters:queue")


@staff_required
@require_safe
def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, pk)
    if not batch.pdf:
        raise Http404("The batch is still being assembled.")
    with batch.pdf.open("rb") as f:
        data = f.read()
    return _pdf_response(data, f"print-batch-{batch.pk}.pdf")


@staff_required
@require_POST
def batch_retry(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, pk)
    _attempt(
        request,
        lambda: services.batch_retry(batch=batch),
        f"Assembling batch {batch.pk} again.",
        messages.INFO,
    )
    return redirect("letters:queue")


@staff_required
@require_POST
def batch_printed(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request.user, pk)
    _attempt(
        request,
        lambda: services.batch_mark_printed(batch=batch, actor=request.user),
        lambda count: f"{_letters(count)} marked as printed.",
    )
    return redirect("letters:queue")


# --- templates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateScope:
    """Whose templates are being edited: one school's, or a trust's (trust-wide)."""

    school: School | None
    trust: Trust | None
    schools: list
    trusts: list

    @property
    def query(self) -> str:
        if self.trust is not None:
            return f"?trust={self.trust.pk}"
        return f"?school={self.sample_school.pk}"

    @property
    def sample_school(self) -> School:
        """The school itself, or for a trust its first school (for previews)."""
        if self.school is not None:
            return self.school
        in_trust = [s for s in self.schools if self.trust and s.trust_id == self.trust.pk]
        return (in_trust or self.schools)[0]

    def current(self, kind: str):
        if self.trust is not None:
            return services.template_current_for_trust(trust=self.trust, kind=kind)
        return services.template_current(school=self.sample_school, kind=kind)

    def owner(self) -> dict:
        return {"trust": self.trust} if self.trust else {"school": self.school}

    def history(self, kind: str):
        versions = LetterTemplate.objects.filter(kind=kind)
        versions = (
            versions.filter(trust=self.trust, school__isnull=True)
            if self.trust
            else versions.filter(school=self.school)
        )
        return versions.select_related("created_by").order_by("-version")[:10]


def _scope(request: HttpRequest) -> TemplateScope:
    schools = list(managed_schools(request.user))
    trusts = list(Trust.objects.filter(pk__in=roles_for(request.user).trusts).order_by("name"))
    if not schools:
        raise Http404("Only senior leaders edit templates.")
    wanted_trust = request.GET.get("trust") or request.POST.get("trust")
    trust = next((t for t in trusts if str(t.pk) == str(wanted_trust)), None)
    if trust:
        return TemplateScope(None, trust, schools, trusts)
    return TemplateScope(school_from_request(request, schools), None, schools, trusts)


@staff_required
@require_safe
def templates_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    rows = [(kind, scope.current(kind)[2]) for kind in LetterKind]
    return render(request, "letters/templates.html", {"rows": rows, "scope": scope})


@staff_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in LetterKind.values:
        raise Http404("Not available.")
    scope = _scope(request)
    title, body, template = scope.current(kind)
    form = TemplateForm(
        request.POST or None, initial={"title": title, **TemplateForm.body_initial(body)}
    )
    if request.method == "POST":
        form.is_valid()
        body = form.body()  # what was typed: saved, or kept for the preview and checklist
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.template_save(
                kind=kind,
                title=form.cleaned_data["title"],
                body=body,
                actor=request.user,
                note=form.cleaned_data["note"],
                **scope.owner(),
            )
        except services.LetterError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Saved as version {saved.version}.")
            return redirect(request.path + scope.query)
    fields = [(n, FIELDS[n], n in REQUIRED[kind]) for n in sorted(allowed_fields(kind))]
    samples = services.sample_values(school=scope.sample_school, kind=kind)
    clean = placeholders.sanitise(body)
    labels = {n: FIELDS[n].label for n in allowed_fields(kind)}
    return render(
        request,
        "letters/template_edit.html",
        {
            "kind": LetterKind(kind),
            "form": form,
            "template": template,
            "scope": scope,
            "fields": fields,
            "preview": merge(clean, samples),
            "history": scope.history(kind),
            "checklist": [item for item in checklist(kind, clean, labels) if not item[3]],
            "editor_values": {
                n: {"label": label, "value": label, "optional": FIELDS[n].derived}
                for n, label in sorted(labels.items(), key=lambda kv: kv[1])
            },
            "editor_for_template": True,
        },
    )


@staff_required
@require_POST
def template_reset(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in LetterKind.values:
        raise Http404("Not available.")
    scope = _scope(request)
    saved = services.template_reset(kind=kind, actor=request.user, **scope.owner())
    messages.success(request, f"Reset to the default (saved as version {saved.version}).")
    return redirect(reverse("letters:template-edit", kwargs={"kind": kind}) + scope.query)


# --- letter settings -------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def letter_settings(request: HttpRequest) -> HttpResponse:
    """A school's letterhead crest and print queue target (its senior leaders)."""
    scope = _scope(request)
    school = scope.sample_school
    form = LetterSettingsForm(
        request.POST or None,
        request.FILES or None,
        initial={"letter_queue_target_days": school.letter_queue_target_days},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.school_letter_settings_save(
                school=school,
                actor=request.user,
                target_days=form.cleaned_data["letter_queue_target_days"],
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data["remove_logo"],
            )
        except services.LetterError as error:
            for message in error.messages:
                form.add_error("logo", message)
        else:
            messages.success(request, "Letter settings saved.")
            return redirect(reverse("letters:settings") + f"?school={school.pk}")
    return render(
        request,
        "letters/settings.html",
        {"form": form, "school": school, "scope": scope},
    )


@staff_required
@require_safe
def letter_logo(request: HttpRequest) -> HttpResponse:
    """The crest as stored (the clean copy), for the settings page."""
    school = _scope(request).sample_school
    if not school.logo:
        raise Http404("No crest.")
    with school.logo.open("rb") as f:
        data = f.read()
    response = HttpResponse(data, content_type=mimetypes.guess_type(school.logo.name)[0])
    response["Cache-Control"] = "private, no-store"
    return response
