"""Writes for letters: templates, the letter lifecycle and print batches.

Every step of a letter is recorded on its case's chronology through `incidents.workflow`
(in the same transaction). An approved letter is a frozen snapshot: its PDF is rendered once
by a Celery task and never re-rendered in place; a correction is a new letter.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import io
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from incidents.identity import ReporterIdentity, html_paragraphs
from incidents.models import Case, Person, Report
from incidents.workflow import WorkflowError, case_reporter_message
from schoolconduct import outbox
from schoolconduct.models import Notification
from schoolconduct.tasks import enqueue_on_commit
from schools.models import Role, School
from schools.selectors import school_head_teachers

from . import placeholders
from .defaults import DEFAULT_TEMPLATES
from .kinds import FIELDS, REQUIRED, TO_REPORTER, LetterKind
from .lifecycle import (
    STEPS,
    LetterStepError,
    case_refusal,
    letter_claim,
    letter_record,
    letter_step,
    step_allowed,
)
from .models import Letter, LetterStatus, LetterTemplate, PrintBatch, SendMethod

logger = logging.getLogger(__name__)


class LetterError(Exception):
    """A letter step that can't be done, with the reasons (a list of plain sentences)."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


def _date(value: datetime.date) -> str:
    return f"{value.day} {value:%B %Y}"


# --- templates -------------------------------------------------------------------------------


def template_current(*, school: School, kind: str) -> tuple[str, str, LetterTemplate | None]:
    """The title and body a new letter of this kind starts from: the school's latest version,
    else the trust's, else the built-in default."""
    scope = Q(school=school)
    if school.trust_id:
        scope |= Q(school__isnull=True, trust_id=school.trust_id)
    versions = list(LetterTemplate.objects.filter(scope, kind=kind).order_by("-version"))
    own = next((t for t in versions if t.school_id == school.pk), None)
    chosen = own or next(iter(versions), None)
    if chosen:
        return chosen.title, chosen.body, chosen
    title, body = DEFAULT_TEMPLATES[kind]
    return title, body, None


def template_current_for_trust(*, trust, kind: str) -> tuple[str, str, LetterTemplate | None]:
    """A trust-wide template: the trust's latest version, else the built-in default."""
    chosen = (
        LetterTemplate.objects.filter(trust=trust, school__isnull=True, kind=kind)
        .order_by("-version")
        .first()
    )
    if chosen:
        return chosen.title, chosen.body, chosen
    title, body = DEFAULT_TEMPLATES[kind]
    return title, body, None


def template_save(
    *,
    kind: str,
    title: str,
    body: str,
    actor,
    note: str = "",
    school: School | None = None,
    trust=None,
) -> LetterTemplate:
    """Save a new version of a school's (or, for a trust, trust-wide) template after
    sanitising and checking it."""
    clean = placeholders.sanitise(body)
    errors = placeholders.template_errors(clean, kind)
    if not title.strip():
        errors.insert(0, "Give the letter a title.")
    if errors:
        raise LetterError(errors)
    with transaction.atomic():
        owner: dict[str, Any] = (
            {"school": school} if school else {"trust": trust, "school__isnull": True}
        )
        latest = (
            LetterTemplate.objects.select_for_update()
            .filter(kind=kind, **owner)
            .order_by("-version")
            .first()
        )
        return LetterTemplate.objects.create(
            school=school,
            trust=None if school else trust,
            kind=kind,
            version=(latest.version + 1) if latest else 1,
            title=title.strip(),
            body=clean,
            created_by=actor,
            note=note[:200],
        )


def template_reset(*, kind: str, actor, school: School | None = None, trust=None) -> LetterTemplate:
    title, body = DEFAULT_TEMPLATES[kind]
    return template_save(
        school=school,
        trust=trust,
        kind=kind,
        title=title,
        body=body,
        actor=actor,
        note="Reset to the default",
    )


def sample_values(*, school: School, kind: str) -> dict[str, str]:
    """Made-up values for previewing a template."""
    today = timezone.localdate()
    values = {name: f"[{field.label}]" for name, field in FIELDS.items()}
    values.update(_school_values(school))
    values.update(
        {
            "letter_date": _date(today),
            "case_reference": f"{school.reference_prefix}-{today.year}-0042",
            "recipient_name": "Mr A Sample",
            "delivery_method": "Post",
            "incident_date": _date(today - datetime.timedelta(days=3)),
            "group_name": "Year 3 parents (WhatsApp)",
            "rules_breached": "No abusive or personal comments",
            "conduct_summary": "A message described a member of staff in abusive terms.",
            "signatory_name": "Head Teacher",
            "reporter_name": "Ms R Reporter",
        }
    )
    return values


# --- merge values ----------------------------------------------------------------------------


def _school_values(school: School) -> dict[str, str]:
    return {
        "school_name": school.name,
        "school_phone": school.phone,
        "school_email": school.email,
        "school_address": ", ".join([*school.address_lines, school.postcode]),
        "trust_name": school.trust.name if school.trust else "",
    }


def _case_values(case: Case) -> dict[str, str]:
    reports = list(case.reports.select_related("group").order_by("received_at"))
    first = reports[0] if reports else None
    rules = list(case.rules.all()) or [rule for report in reports for rule in report.rules.all()]
    titles = list(dict.fromkeys(rule.title for rule in rules))
    group = ""
    if first and first.group is not None:
        group = f"{first.group.name} ({first.group.get_platform_display()})"
    elif first:
        # Never the parent's own words: only what staff confirmed (letters_blocked_reason
        # refuses a letter while the words are unconfirmed).
        group = case.group_wording
    return {
        "case_reference": case.reference,
        "incident_date": _date(first.posted_on) if first else "",
        "group_name": group,
        "rules_breached": "; ".join(titles),
    }


def signatory_default(*, school: School):
    """The school's head teacher, who signs letters unless someone else is chosen."""
    return school_head_teachers(school=school).order_by("pk").first()


def _signatory_title(user, school: School) -> str:
    membership = user.memberships.filter(school=school, role=Role.SLT).first()
    if membership and membership.job_title:
        return membership.job_title
    return "Head Teacher" if membership and membership.is_head_teacher else ""


def _reporter_identity(
    case: Case, *, recipient: str = "", to_report: Report | None = None
) -> ReporterIdentity:
    """Every reporter of the case the letter is not addressed to — all of them for a letter
    to the parent; the others for a letter to one reporter (two parents who reported the same
    post never learn of each other). A surname the recipient shares is not refused on its own
    (their full name still is)."""
    reports = case.reports.all()
    if to_report is not None:
        reports = reports.exclude(pk=to_report.pk)
    return ReporterIdentity.of_reports(reports, except_names=[recipient])


def _letter_parts(title: str, body_html: str, address: str = "") -> list[tuple[str, str]]:
    """A letter's text as (where, plain text), in reading order, for saying where a
    problem is."""
    parts = [("the title", title)]
    parts += [
        (f"the letter body, paragraph {n}", text)
        for n, text in enumerate(html_paragraphs(body_html), start=1)
    ]
    if address.strip():
        parts.append(("the recipient's address", address))
    return parts


def _check_no_reporter(identity: ReporterIdentity, parts: list[tuple[str, str]]) -> None:
    """Refuse (LetterError) if any part names the reporter, saying where and quoting it."""
    for where, text in parts:
        hits = identity.find(text)
        if hits:
            hit = hits[0]
            raise LetterError(
                f"The reporter's {hit.what} appears in {where}: “{hit.quote(text)}”. "
                "Letters to anyone but the reporter must never name them: take it out "
                "and save again."
            )


def _check_pdf_no_reporter(letter: Letter, identity: ReporterIdentity) -> None:
    """Render the letter as it will print and check the text pypdf extracts from it: the
    letterhead, address block and signature are checked too, as the printer will see them."""
    from pypdf import PdfReader

    from .rendering import letter_pdf

    reader = PdfReader(io.BytesIO(letter_pdf(letter).data))
    _check_no_reporter(
        identity,
        [
            (f"the rendered PDF, page {n}", page.extract_text() or "")
            for n, page in enumerate(reader.pages, start=1)
        ],
    )


# --- the letter lifecycle -------------------------------------------------------------------


def letter_draft(
    *,
    case: Case,
    kind: str,
    actor,
    details: dict[str, str],
    delivery_method: str,
    person: Person | None = None,
    report: Report | None = None,
    signatory=None,
    corrects: Letter | None = None,
) -> Letter:
    """Draft a letter from the school's template with every merge value filled in.

    Refused (LetterError) if a required element of the kind has no value, or if the case is
    blocked for letters (safeguarding pending, wrong state) — the message says which.
    """
    kind = LetterKind(kind)
    to_reporter = kind in TO_REPORTER
    school = case.school
    step = "corrected" if corrects else "drafted"
    blocked = case_refusal(step, case=case, actor=actor, to_reporter=to_reporter)
    if blocked:
        raise LetterError(blocked)
    if to_reporter:
        if report is None or report.case_id != case.pk:
            raise LetterError("Choose which report's reporter the letter is for.")
        if delivery_method not in (SendMethod.EMAIL, SendMethod.FOLLOW_UP):
            raise LetterError(
                "Letters to the reporter go by email or the follow-up page, never by post."
            )
        if delivery_method == SendMethod.EMAIL and not report.reporter_email:
            raise LetterError("The reporter gave no email address: use the follow-up page.")
        recipient_name = report.reporter_name or "Parent or carer"
        address, email = "", report.reporter_email
    else:
        if person is None or not case.persons.filter(pk=person.pk).exists():
            raise LetterError(
                "Add the person concerned to the case, then choose them as the recipient."
            )
        if delivery_method == SendMethod.FOLLOW_UP:
            raise LetterError("Only letters to the reporter can go to the follow-up page.")
        if delivery_method == SendMethod.EMAIL and not person.email:
            raise LetterError(f"There is no email address for {person.full_name}.")
        if delivery_method == SendMethod.POST and not person.address.strip():
            raise LetterError(f"There is no postal address for {person.full_name}.")
        recipient_name, address, email = person.full_name, person.address, person.email
        if person.postcode:
            address = f"{address.strip()}\n{person.postcode}"
    signatory = signatory or signatory_default(school=school) or actor
    title, body, template = template_current(school=school, kind=kind)
    values = {
        **_school_values(school),
        **_case_values(case),
        "letter_date": _date(timezone.localdate()),
        "recipient_name": recipient_name,
        "delivery_method": SendMethod(delivery_method).label,
        "signatory_name": signatory.get_full_name() or signatory.get_username(),
        "signatory_title": _signatory_title(signatory, school),
        **{k: v.strip() for k, v in details.items() if k in FIELDS and FIELDS[k].entered},
    }
    if to_reporter:
        values["reporter_name"] = recipient_name
    missing = [FIELDS[n].label for n in REQUIRED[kind] if not values.get(n, "").strip()]
    if missing:
        raise LetterError(f"A {kind.label.lower()} needs: " + ", ".join(missing) + ".")
    merged = placeholders.merge(body, values)
    _check_no_reporter(
        _reporter_identity(
            case, recipient=recipient_name, to_report=report if to_reporter else None
        ),
        [(f"“{FIELDS[k].label}”", v) for k, v in values.items() if k in FIELDS]
        + _letter_parts(title, merged, address),
    )
    with transaction.atomic():
        letter = Letter.objects.create(
            case=case,
            kind=kind,
            template=template,
            template_version=template.version if template else 0,
            title=title,
            person=None if to_reporter else person,
            report=report if to_reporter else None,
            recipient_name=recipient_name,
            recipient_address=address,
            recipient_email=email,
            delivery_method=delivery_method,
            body_html=merged,
            context=values,
            signatory=signatory,
            signatory_name=values["signatory_name"],
            signatory_title=values["signatory_title"],
            corrects=corrects,
            created_by=actor,
        )
        _record(
            letter,
            actor,
            step,
            f"{kind.label} drafted{_to_whom(letter)}"
            + (
                f" (correcting the letter of {corrects.approved_at:%d %b %Y})"
                if corrects and corrects.approved_at
                else ""
            ),
        )
    return letter


def _to_whom(letter: Letter) -> str:
    """ " to <recipient>" for a chronology line — nothing for a letter to the reporter: the
    chronology is read by people who may not know who reported ("Outcome to the reporter
    approved" already says who it is for)."""
    return "" if letter.to_reporter else f" to {letter.recipient_name}"


def _record(letter: Letter, actor, step: str, summary: str) -> None:
    try:
        letter_record(letter, actor, step, summary)
    except WorkflowError as error:
        raise LetterError(str(error)) from None


def _step(letter: Letter, step: str, actor) -> list[str]:
    try:
        return letter_step(letter, step, actor=actor)
    except LetterStepError as error:
        raise LetterError(str(error)) from None


def letter_update_draft(*, letter: Letter, actor, title: str, body_html: str) -> Letter:
    """Edit a draft: re-sanitised and re-checked on every save."""
    if not letter.is_draft:
        raise LetterError("Only a draft can be edited. Write a correction instead.")
    clean = placeholders.sanitise(body_html)
    errors = placeholders.merged_body_errors(clean)
    if not title.strip():
        errors.insert(0, "Give the letter a title.")
    if errors:
        raise LetterError(errors)
    _check_no_reporter(
        _reporter_identity(letter.case, recipient=letter.recipient_name, to_report=letter.report),
        _letter_parts(title, clean),
    )
    letter.title, letter.body_html = title.strip(), clean
    letter.save(update_fields=["title", "body_html"])
    return letter


def letter_approve(*, letter: Letter, actor) -> Letter:
    """Freeze the draft and queue its PDF. The approver is recorded."""
    from .tasks import render_letter

    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        fields = _step(locked, "approved", actor)
        locked.context = {**locked.context, "letter_date": _date(timezone.localdate())}
        identity = _reporter_identity(
            locked.case, recipient=locked.recipient_name, to_report=locked.report
        )
        _check_no_reporter(
            identity, _letter_parts(locked.title, locked.body_html, locked.recipient_address)
        )
        if identity:
            _check_pdf_no_reporter(locked, identity)
        locked.approved_by, locked.approved_at = actor, timezone.now()
        locked.save(update_fields=[*fields, "approved_by", "approved_at", "context"])
        _record(
            locked,
            actor,
            "approved",
            f"{locked.get_kind_display()}{_to_whom(locked)} approved",
        )
        if locked.corrects_id:
            Letter.objects.filter(pk=locked.corrects_id).update(superseded_by=locked)
        enqueue_on_commit(render_letter, locked.pk, fallback="retry the PDF from the letter page.")
    return locked


def letter_render(*, letter_id: int) -> bool:
    """Render an approved letter's PDF once (the task body). Safe to run twice."""
    from .rendering import letter_pdf

    # Never for a letter that has its PDF: an issued PDF is never made again.
    if not letter_claim(letter_id, "render_started", where={"pdf": ""}, render_error=""):
        return False
    letter = Letter.objects.select_related("case__school", "signatory__signature").get(pk=letter_id)
    try:
        pdf = letter_pdf(letter)
    except Exception as error:
        logger.exception("Letter %s failed to render", letter_id)
        letter_claim(letter_id, "render_failed", render_error=str(error)[:300])
        return False
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter_id)
        if letter.pdf or not step_allowed(letter, "rendered"):
            return False  # another run got there first; an issued PDF is never replaced
        letter.pdf.save(
            f"{letter.case.reference}-{letter.pk}.pdf", ContentFile(pdf.data), save=False
        )
        letter.pdf_sha256, letter.pdf_pages = pdf.sha256, pdf.pages
        letter.rendered_at, letter.status = timezone.now(), STEPS["rendered"].target
        letter.save(update_fields=["pdf", "pdf_sha256", "pdf_pages", "rendered_at", "status"])
    return True


def letter_retry(*, letter: Letter, actor) -> None:
    from .tasks import render_letter

    if letter.pdf or not step_allowed(letter, "render_started"):
        raise LetterError("This letter's PDF does not need making again.")
    enqueue_on_commit(render_letter, letter.pk, fallback="retry the PDF from the letter page.")


def letter_pdf_bytes(letter: Letter) -> bytes:
    """The stored PDF, checked against its SHA-256 (what is printed is what is filed)."""
    with letter.pdf.open("rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != letter.pdf_sha256:
        raise LetterError(
            f"The stored PDF of letter {letter.pk} does not match its "
            "fingerprint. Do not print it; contact your administrator."
        )
    return data


def letters_mark_printed(*, letters: list[Letter], actor) -> int:
    count = 0
    with transaction.atomic():
        for letter in letters:
            if not step_allowed(letter, "printed") or letter.to_reporter:
                continue
            fields = _step(letter, "printed", actor)
            letter.printed_at, letter.printed_by = timezone.now(), actor
            letter.save(update_fields=[*fields, "printed_at", "printed_by"])
            _record(
                letter,
                actor,
                "printed",
                f"{letter.get_kind_display()}{_to_whom(letter)} printed",
            )
            count += 1
    return count


def letter_mark_sent(*, letter: Letter, actor, method: str, sent_on: datetime.date) -> Letter:
    """Record how and when a letter went. An email is put in the outbox instead: the letter is
    marked sent by `letter_emailed` once the email has really gone (never inside the request)."""
    if not step_allowed(letter, "sent"):
        raise LetterError(STEPS["sent"].refused)
    if letter.to_reporter and method not in (SendMethod.EMAIL, SendMethod.FOLLOW_UP):
        raise LetterError("Letters to the reporter go by email or the follow-up page.")
    if not letter.to_reporter and method == SendMethod.FOLLOW_UP:
        raise LetterError("Only letters to the reporter can go to the follow-up page.")
    if method in (SendMethod.POST, SendMethod.HAND) and letter.status != LetterStatus.PRINTED:
        raise LetterError("Print the letter before recording it as posted or delivered.")
    if method == SendMethod.EMAIL and not letter.recipient_email:
        raise LetterError("There is no email address for this recipient.")
    if method == SendMethod.EMAIL:
        letter_pdf_bytes(letter)  # refuse now, not in the worker, if the filed PDF is damaged
        with transaction.atomic():
            queued = outbox.notification_queue(
                kind=LETTER_EMAIL,
                target=letter,
                dedupe_key=f"{LETTER_EMAIL}:letter:{letter.pk}",
                requested_by=actor,
            )
        if queued is None:
            earlier = Notification.objects.get(dedupe_key=f"{LETTER_EMAIL}:letter:{letter.pk}")
            if earlier.sent_at:
                raise LetterError(
                    f"This letter was emailed on {_date(timezone.localdate(earlier.sent_at))}."
                )
            raise LetterError("This letter is already waiting to go by email.")
        return letter
    with transaction.atomic():
        if method == SendMethod.FOLLOW_UP and letter.report is not None:
            # Through the workflow: the message is on the chronology and the reporter, if
            # they gave an email address, is told a message is waiting.
            try:
                case_reporter_message(
                    letter.case,
                    actor,
                    report=letter.report,
                    body=letter_plain_text(letter),
                )
            except WorkflowError as error:
                raise LetterError(str(error)) from None
        _mark_sent(letter, actor, method, sent_on)
    return letter


def _mark_sent(letter: Letter, actor, method: str, sent_on: datetime.date) -> None:
    fields = _step(letter, "sent", actor)
    letter.sent_method, letter.sent_on = method, sent_on
    letter.sent_at, letter.sent_by = timezone.now(), actor
    letter.save(update_fields=[*fields, "sent_method", "sent_on", "sent_at", "sent_by"])
    _record(
        letter,
        actor,
        "sent",
        f"{letter.get_kind_display()}{_to_whom(letter)} "
        f"sent ({SendMethod(method).label.lower()}, "
        f"{_date(sent_on)})",
    )


# --- letters by email, through the outbox -----------------------------------------------------

LETTER_EMAIL = "letter_email"


def letter_email_compose(notification: Notification) -> outbox.Email:
    """The email carrying a letter's filed PDF, to its recipient alone."""
    letter = Letter.objects.select_related("case__school").get(pk=notification.target_id)
    school = letter.case.school
    return outbox.Email(
        to=[letter.recipient_email] if letter.recipient_email else [],
        context={"title": letter.title, "school": school, "reference": letter.case.reference},
        bcc=False,
        reply_to=[school.email] if school.email else [],
        attachments=[
            (f"{letter.case.reference}-letter.pdf", letter_pdf_bytes(letter), "application/pdf")
        ],
    )


def letter_emailed(notification: Notification) -> None:
    """The email has gone: now the letter is sent, on the day it went, by whoever asked."""
    letter = Letter.objects.select_for_update().get(pk=notification.target_id)
    if not step_allowed(letter, "sent"):
        return  # recorded as sent another way meanwhile
    sent_on = timezone.localdate(notification.sent_at) if notification.sent_at else None
    _mark_sent(letter, notification.requested_by, SendMethod.EMAIL, sent_on or timezone.localdate())


def letter_email_pending(letter: Letter) -> Notification | None:
    """The letter's email if it is waiting in the outbox (with its last error, if it failed)."""
    return Notification.objects.filter(
        kind=LETTER_EMAIL, dedupe_key=f"{LETTER_EMAIL}:letter:{letter.pk}", sent_at__isnull=True
    ).first()


def letter_plain_text(letter: Letter) -> str:
    """The letter as plain text, for the reporter's follow-up page."""
    text = letter.body_html.replace("</p>", "</p>\n\n").replace("<br>", "\n")
    text = text.replace("</li>", "</li>\n").replace("</h3>", "</h3>\n")
    return f"{letter.title}\n\n" + html.unescape(strip_tags(text)).strip()


def letter_correct(*, letter: Letter, actor) -> Letter:
    """A correction is a new draft that refers to the old letter; the old one is untouched."""
    if letter.is_draft:
        raise LetterError("Edit the draft instead of correcting it.")
    draft = letter_draft(
        case=letter.case,
        kind=letter.kind,
        actor=actor,
        details={k: v for k, v in letter.context.items() if k in FIELDS and FIELDS[k].entered},
        delivery_method=letter.delivery_method,
        person=letter.person,
        report=letter.report,
        signatory=letter.signatory,
        corrects=letter,
    )
    return letter_update_draft(
        letter=draft, actor=actor, title=letter.title, body_html=letter.body_html
    )


# --- print batches ---------------------------------------------------------------------------


def batch_create(*, school: School, letters: list[Letter], actor) -> PrintBatch:
    """Collect ready letters into a batch; the combined PDF is assembled by a task."""
    from .tasks import assemble_batch

    ready = [
        lt
        for lt in letters
        if step_allowed(lt, "printed") and not lt.to_reporter and lt.case.school_id == school.pk
    ]
    if not ready:
        raise LetterError("Choose at least one letter that is ready to print.")
    with transaction.atomic():
        batch = PrintBatch.objects.create(school=school, created_by=actor)
        Letter.objects.filter(pk__in=[lt.pk for lt in ready]).update(batch=batch)
        enqueue_on_commit(assemble_batch, batch.pk, fallback="use “Try again” on the print queue.")
    return batch


def batch_assemble(*, batch_id: int) -> bool:
    """One print-ready PDF from the letters' stored PDFs, each checked against its SHA-256.

    qpdf (through pikepdf) joins the files — ten times faster than pypdf's append — and
    pypdf then stores identical objects (fonts, logos) once.
    """
    import pikepdf
    from pypdf import PdfWriter

    claimed = PrintBatch.objects.filter(
        pk=batch_id, status__in=[PrintBatch.Status.ASSEMBLING, PrintBatch.Status.FAILED], pdf=""
    ).update(status=PrintBatch.Status.ASSEMBLING, error="")
    if not claimed:
        return False
    batch = PrintBatch.objects.get(pk=batch_id)
    letters = list(batch.letters.select_related("case").order_by("case__reference", "pk"))
    try:
        joined = pikepdf.Pdf.new()
        sources = []
        for letter in letters:
            source = pikepdf.Pdf.open(io.BytesIO(letter_pdf_bytes(letter)))
            sources.append(source)  # kept open until the joined file is written
            joined.pages.extend(source.pages)
        raw = io.BytesIO()
        joined.save(raw)
        writer = PdfWriter(clone_from=io.BytesIO(raw.getvalue()))
        writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    except Exception as error:
        logger.exception("Print batch %s failed", batch_id)
        PrintBatch.objects.filter(pk=batch_id).update(
            status=PrintBatch.Status.FAILED, error=str(error)[:300]
        )
        return False
    batch.pdf.save(f"batch-{batch.pk}.pdf", ContentFile(data), save=False)
    batch.pdf_sha256 = hashlib.sha256(data).hexdigest()
    batch.page_count = sum(lt.pdf_pages or 0 for lt in letters)
    batch.status = PrintBatch.Status.READY
    batch.save(update_fields=["pdf", "pdf_sha256", "page_count", "status"])
    return True


def batch_mark_printed(*, batch: PrintBatch, actor) -> int:
    with transaction.atomic():
        count = letters_mark_printed(
            letters=list(batch.letters.select_related("case")), actor=actor
        )
        batch.status, batch.printed_at = PrintBatch.Status.PRINTED, timezone.now()
        batch.save(update_fields=["status", "printed_at"])
    return count


def batch_retry(*, batch: PrintBatch) -> None:
    """Queue a batch's assembly again (the broker was down, or assembly failed)."""
    from .tasks import assemble_batch

    if batch.pdf or batch.status not in (PrintBatch.Status.ASSEMBLING, PrintBatch.Status.FAILED):
        raise LetterError("This batch is already assembled.")
    enqueue_on_commit(assemble_batch, batch.pk, fallback="use “Try again” on the print queue.")
