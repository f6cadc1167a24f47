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
import uuid
from collections.abc import Sequence
from typing import Any

import nh3
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from incidents.identity import ReporterIdentity, folded, html_paragraphs, name_forms
from incidents.models import Case, Person, Relationship, Report
from incidents.workflow import WorkflowError, case_reporter_message
from schoolconduct import outbox
from schoolconduct.formats import long_date
from schoolconduct.models import Notification
from schoolconduct.tasks import enqueue_on_commit
from schools.models import Role, School
from schools.selectors import school_head_teachers

from . import general_terms, placeholders, values
from .defaults import DEFAULT_TEMPLATES
from .kinds import (
    FIELDS,
    REQUIRED,
    TO_REPORTER,
    LetterKind,
    checklist,
    states_incident_the_older_way,
)
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


_date = long_date


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
    clean = placeholders.without_sign_off(placeholders.sanitise(body))
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
            "recipient_name": "Mr Alex Sample",
            "salutation": "Mr Sample",
            "delivery_method": "Post",
            "incident": "in a message posted in Year 3 parents (WhatsApp) on "
            + _date(today - datetime.timedelta(days=3)),
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


def signatory_default(*, school: School):
    """The school's head teacher, who signs letters unless someone else is chosen."""
    return school_head_teachers(school=school).order_by("pk").first()


def _signatory_title(user, school: School) -> str:
    membership = user.memberships.filter(school=school, role=Role.SLT).first()
    if membership and membership.job_title:
        return membership.job_title
    return "Head Teacher" if membership and membership.is_head_teacher else ""


def _reporter_identity(
    case: Case, *, recipient: str = "", to_report: Report | None = None, signatory: str = ""
) -> ReporterIdentity:
    """Every reporter of the case the letter is not addressed to — all of them for a letter
    to the parent; the others for a letter to one reporter (two parents who reported the same
    post never learn of each other). A surname the recipient shares is not refused on its own
    (their full name still is).

    The guard is about the parent who reported: a member of staff who reported (relationship
    "member of staff") is not refused for signing the letter — their name as the signatory's
    is no sign of who reported. A staff witness is never a reporter (`Report.witness`)."""
    reports = list(case.reports.exclude(pk=to_report.pk) if to_report else case.reports.all())
    signs = name_forms(signatory) if signatory.strip() else set()
    names = [
        r.reporter_name
        for r in reports
        if not (
            r.reporter_relationship == Relationship.STAFF and name_forms(r.reporter_name) & signs
        )
    ]
    return ReporterIdentity(
        names=names,
        emails=[r.reporter_email for r in reports],
        phones=[r.reporter_phone for r in reports],
        except_names=[recipient],
    )


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


# Where a value printed by the layout (not the body) is, in words a head teacher knows.
LAYOUT_WHERE = {
    "signatory_name": "the signatory's name",
    "signatory_title": "the signatory's job title",
    "recipient_name": "the recipient's name",
    "school_name": "the letterhead (the school's name)",
    "school_address": "the letterhead (the school's address)",
    "school_phone": "the letterhead (the school's phone)",
    "school_email": "the letterhead (the school's email)",
}


def _value_parts(merge_values: dict[str, Any]) -> list[tuple[str, str]]:
    """The merge values as (where, text): layout fields by where they print, the others by
    their label."""
    return [
        (LAYOUT_WHERE.get(name) or f"“{FIELDS[name].label}”", str(value))
        for name, value in merge_values.items()
        if name in FIELDS
    ]


def _used_parts(body: str, merge_values: dict[str, Any], title: str) -> list[tuple[str, str]]:
    """The values the text uses (by their label), then the merged text itself."""
    used = {k: v for k, v in merge_values.items() if f"[[{k}]]" in body}
    return _value_parts(used) + _letter_parts(title, placeholders.merge(body, merge_values))


def _layout_parts(letter: Letter) -> list[tuple[str, str]]:
    """What the PDF's layout prints beside the body: the letterhead, the address block, the
    signature."""
    values = {**_school_values(letter.case.school), **letter_values(letter)}
    values |= {
        "recipient_name": letter.recipient_name,
        "signatory_name": letter.signatory_name,
        "signatory_title": letter.signatory_title,
    }
    parts = [(where, str(values.get(name, ""))) for name, where in LAYOUT_WHERE.items()]
    return [*parts, ("the recipient's address", letter.recipient_address)]


def _first_hit(find, parts: list[tuple[str, str]]):
    """The first (where, text, hit) that `find` finds in the parts, or None."""
    for where, text in parts:
        hits = find(text)
        if hits:
            return where, text, hits[0]
    return None


def _check_no_reporter(identity: ReporterIdentity, parts: list[tuple[str, str]]) -> None:
    """Refuse (LetterError) if any part names the reporter, saying where and quoting it."""
    found = _first_hit(identity.find, parts)
    if found:
        where, text, hit = found
        raise LetterError(
            f"The reporter's {hit.what} appears in {where}: “{hit.quote(text)}”. "
            "Letters to anyone but the reporter must never name them: take it out "
            "and save again."
        )


def _check_general_terms(
    case: Case,
    kind: str,
    recipient: str,
    parts: list[tuple[str, str]],
    layout: Sequence[tuple[str, str]] = (),
) -> None:
    """A letter to the reporter names neither the parent the case is about nor (the outcome)
    the action taken: refuse (LetterError) saying where, quoting it. `layout`: the school's
    own details the PDF prints (a job title such as "Legal Lead" is not a statement about
    the other parent)."""
    if kind not in TO_REPORTER:
        return
    found = _first_hit(general_terms.other_parent(case, recipient=recipient).find, parts)
    if found:
        where, text, hit = found
        raise LetterError(
            f"The {hit.what} of the parent the case is about appears in {where}: "
            f"“{hit.quote(text)}”. A letter to the reporter speaks in general terms and never "
            "names the other parent: take it out and save again."
        )
    if kind != LetterKind.OUTCOME_TO_REPORTER:
        return
    own = [*layout, *((name, str(v)) for name, v in _school_values(case.school).items())]
    printed = {
        folded(text[h.start : h.end])
        for _where, text in own
        for h in general_terms.sanction_hits(text)
    }

    def sanctions(text: str) -> list:
        return [
            h
            for h in general_terms.sanction_hits(text)
            if folded(text[h.start : h.end]) not in printed
        ]

    found = _first_hit(sanctions, parts)
    if found:
        where, text, hit = found
        raise LetterError(
            f"“{text[hit.start : hit.end]}” in {where} says what was done about the other "
            f"parent: “{hit.quote(text)}”. The outcome letter to the reporter speaks in general "
            "terms (for example “we have taken the action we consider appropriate”) and never "
            "states a warning, a bar, a restriction, the police or legal steps: reword it and "
            "save again."
        )


def _pdf_pages(letter: Letter) -> list[tuple[str, str]]:
    """The letter rendered as it will print, as (where, text) per page (pypdf's reading)."""
    from pypdf import PdfReader

    from .rendering import letter_pdf

    reader = PdfReader(io.BytesIO(letter_pdf(letter).data))
    return [
        (f"the rendered PDF, page {n}", page.extract_text() or "")
        for n, page in enumerate(reader.pages, start=1)
    ]


def _check_pdf(letter: Letter, identity: ReporterIdentity) -> None:
    """Check the text pypdf extracts from the letter as it will print: the letterhead, address
    block and signature are checked too, as the printer will see them. A refusal names the
    part of the layout that holds the name ("the signatory's name (the rendered PDF, page
    1)")."""
    pages = _pdf_pages(letter)
    found = _first_hit(identity.find, pages) if identity else None
    if found:
        page, text, hit = found
        part = _first_hit(identity.find, _layout_parts(letter))
        where = f"{part[0]} ({page})" if part else page
        raise LetterError(
            f"The reporter's {hit.what} appears in {where}: “{hit.quote(text)}”. "
            "Letters to anyone but the reporter must never name them: take it out "
            "and save again."
        )
    _check_general_terms(
        letter.case, letter.kind, letter.recipient_name, pages, layout=_layout_parts(letter)
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
        recipient_name = " ".join(report.reporter_name.split()) or "Parent or carer"
        salutation = recipient_name
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
        recipient_name, address, email = person.address_name, person.address, person.email
        salutation = person.salutation_name
        if person.postcode:
            address = f"{address.strip()}\n{person.postcode}"
    signatory = signatory or signatory_default(school=school) or actor
    title, body, template = template_current(school=school, kind=kind)
    merge_values = {
        **_school_values(school),
        **values.case_values(case),
        **values.derived_values(case, kind, None if to_reporter else person),
        "letter_date": _date(timezone.localdate()),
        "recipient_name": recipient_name,
        "salutation": salutation,
        "delivery_method": SendMethod(delivery_method).label,
        "signatory_name": signatory.get_full_name() or signatory.get_username(),
        "signatory_title": _signatory_title(signatory, school),
        **_entered_values(case, kind, details),
    }
    if to_reporter:
        merge_values["reporter_name"] = recipient_name
    missing = [n for n in REQUIRED[kind] if not merge_values.get(n, "").strip()]
    if missing:
        raise LetterError(
            f"A {kind.label.lower()} needs: " + ", ".join(_missing_label(n) for n in missing) + "."
        )
    body = placeholders.without_sign_off(body)
    if (
        "incident" in REQUIRED[kind]
        and "[[incident]]" not in body
        and not states_incident_the_older_way(body, merge_values)
    ):
        raise LetterError(
            "The school's template for this letter does not say where and how it happened "
            "([[incident]]; a template written for posts in a group only works for posts). "
            "Add “Where, when and how it happened” to the template (Letter templates) or "
            "reset it to the default, then draft the letter again."
        )
    parts = _value_parts(merge_values) + _letter_parts(
        title, placeholders.merge(body, merge_values), address
    )
    _check_no_reporter(
        _reporter_identity(
            case,
            recipient=recipient_name,
            to_report=report if to_reporter else None,
            signatory=merge_values["signatory_name"],
        ),
        parts,
    )
    _check_general_terms(case, kind, recipient_name, _used_parts(body, merge_values, title))
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
            # A draft keeps its [[placeholders]]: the editor shows them as locked chips and
            # the values live in `context` until approval merges them for good.
            body_html=body,
            context=merge_values,
            signatory=signatory,
            signatory_name=merge_values["signatory_name"],
            signatory_title=merge_values["signatory_title"],
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


def _missing_label(name: str) -> str:
    field = FIELDS[name]
    if field.procedure:
        return (
            f"{field.label} (it comes from the recorded bar or restriction: record that step "
            "on the case first)"
        )
    return field.label


def _entered_values(case: Case, kind: str, details: dict[str, Any]) -> dict[str, str]:
    """What the head entered, each date and time in the one printed form; the dates the
    procedure owns come from the recorded step, whatever was sent."""
    entered: dict[str, str] = {}
    errors = []
    for name, value in details.items():
        if name not in FIELDS or not FIELDS[name].entered or FIELDS[name].procedure:
            continue
        try:
            entered[name] = values.normalise_entered(name, value)
        except ValueError as error:
            errors.append(str(error))
    if errors:
        raise LetterError(errors)
    recorded = values.procedure_values(case)
    for name, field in FIELDS.items():
        if field.procedure:
            entered[name] = recorded.get(name, "")
        elif name in recorded and not entered.get(name):
            entered[name] = recorded[name]
    return entered


# Where an approved letter keeps its text as it was before merging (for a correction).
SOURCE_KEY = "_body_source"


def letter_values(letter: Letter) -> dict[str, str]:
    """The values a draft's chips show and its PDF is merged with."""
    return {k: str(v) for k, v in (letter.context or {}).items() if k in FIELDS}


def letter_checklist(letter: Letter, body: str | None = None):
    """The kind's required elements, each with whether the draft has it."""
    text = letter.body_html if body is None else body
    return checklist(letter.kind, text, letter_values(letter))


def letter_merged_body(letter: Letter) -> str:
    """The body as the recipient reads it: a draft's placeholders merged with its values;
    an approved letter's frozen text as it is."""
    if not letter.is_draft:
        return letter.body_html
    return placeholders.merge(letter.body_html, letter_values(letter))


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


def _take_step(letter: Letter, step: str, actor, summary: str, **changes: Any) -> None:
    """Take a status step on a locked letter with the fields that go with it (who printed it,
    its batch …): save only those and the step's own, and write `summary` on the case's
    chronology in the same transaction."""
    fields = _step(letter, step, actor)
    for name, value in changes.items():
        setattr(letter, name, value)
    letter.save(update_fields=[*fields, *changes])
    _record(letter, actor, step, summary)


def letter_update_draft(
    *,
    letter: Letter,
    actor,
    title: str,
    body_html: str,
    details: dict[str, Any] | None = None,
) -> Letter:
    """Edit a draft: its text (re-sanitised and re-checked on every save) and the values the
    head entered for it (dates and times in the one printed form; the procedure's own dates
    stay as recorded)."""
    if not letter.is_draft:
        raise LetterError("Only a draft can be edited. Write a correction instead.")
    clean = placeholders.without_sign_off(placeholders.sanitise(body_html))
    errors = placeholders.placeholder_errors(clean, letter.kind)
    if placeholders.TEMPLATE_CODE.search(clean):
        errors = [e for e in errors if "template code" not in e]
        errors.insert(0, "The letter can't contain template code such as {{ }} or {% %}.")
    if not nh3.clean(clean, tags=set()).strip():
        errors.append("The letter is empty.")
    if not title.strip():
        errors.insert(0, "Give the letter a title.")
    context = dict(letter.context or {})
    if details is not None:
        try:
            context.update(_entered_values(letter.case, letter.kind, details))
        except LetterError as error:
            errors += error.messages
    if errors:
        raise LetterError(errors)
    parts = _value_parts(context) + _letter_parts(title, placeholders.merge(clean, context))
    _check_no_reporter(
        _reporter_identity(
            letter.case,
            recipient=letter.recipient_name,
            to_report=letter.report,
            signatory=letter.signatory_name,
        ),
        parts,
    )
    _check_general_terms(
        letter.case, letter.kind, letter.recipient_name, _used_parts(clean, context, title)
    )
    letter.title, letter.body_html, letter.context = title.strip(), clean, context
    letter.save(update_fields=["title", "body_html", "context"])
    return letter


def letter_approve(*, letter: Letter, actor) -> Letter:
    """Freeze the draft and queue its PDF. The approver is recorded."""
    from .tasks import render_letter

    with transaction.atomic():
        locked = Letter.objects.select_for_update().get(pk=letter.pk)
        fields = _step(locked, "approved", actor)
        missing = [label for _n, label, present, _l in letter_checklist(locked) if not present]
        if missing:
            raise LetterError(
                "The letter is missing: " + "; ".join(missing) + ". Put each one back in the "
                "text (Insert a detail) or fill it in, then approve."
            )
        locked.context = {
            **locked.context,
            "letter_date": _date(timezone.localdate()),
            SOURCE_KEY: locked.body_html,
        }
        # The draft's text with its values, merged once and for good.
        merged = placeholders.merge(locked.body_html, letter_values(locked))
        identity = _reporter_identity(
            locked.case,
            recipient=locked.recipient_name,
            to_report=locked.report,
            signatory=locked.signatory_name,
        )
        parts = _letter_parts(locked.title, merged, locked.recipient_address)
        _check_no_reporter(identity, parts)
        _check_general_terms(locked.case, locked.kind, locked.recipient_name, parts)
        locked.body_html = merged
        if identity or locked.to_reporter:
            # What the printer will see: letterhead, address block and signature included.
            _check_pdf(locked, identity)
        locked.approved_by, locked.approved_at = actor, timezone.now()
        locked.save(update_fields=[*fields, "approved_by", "approved_at", "context", "body_html"])
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
    """Record letters as printed (who, when). Each row is locked and re-read first, so a
    double click or two people at once record it once."""
    count = 0
    with transaction.atomic():
        for letter in letters:
            locked = (
                Letter.objects.select_for_update(of=("self",))
                .select_related("case__school")
                .get(pk=letter.pk)
            )
            if locked.to_reporter or locked.delivery_method not in PRINTED_METHODS:
                continue
            if not step_allowed(locked, "printed"):
                continue
            _take_step(
                locked,
                "printed",
                actor,
                f"{locked.get_kind_display()}{_to_whom(locked)} printed",
                printed_at=timezone.now(),
                printed_by=actor,
            )
            count += 1
    return count


def letter_mark_sent(*, letter: Letter, actor, method: str, sent_on: datetime.date) -> Letter:
    """Record how and when a letter went (who, when); follow-up deliveries happen here. An
    email is put in the outbox instead: the letter is marked sent by `letter_emailed` once the
    email has really gone (never inside the request). The row is locked first, so the same
    letter is never recorded as sent, or queued, twice."""
    with transaction.atomic():
        letter = (
            Letter.objects.select_for_update(of=("self",))
            .select_related("case__school", "report")
            .get(pk=letter.pk)
        )
        return _letter_mark_sent(letter=letter, actor=actor, method=method, sent_on=sent_on)


def _letter_mark_sent(*, letter: Letter, actor, method: str, sent_on: datetime.date) -> Letter:
    if letter.status == LetterStatus.SENT:
        raise LetterError("This letter is already recorded as sent.")
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
    if sent_on > timezone.localdate():
        raise LetterError("The date it was sent can't be in the future.")
    if letter.approved_at and sent_on < timezone.localtime(letter.approved_at).date():
        raise LetterError("The date it was sent can't be before the letter was approved.")
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
    _take_step(
        letter,
        "sent",
        actor,
        f"{letter.get_kind_display()}{_to_whom(letter)} "
        f"sent ({SendMethod(method).label.lower()}, {_date(sent_on)})",
        sent_method=method,
        sent_on=sent_on,
        sent_at=timezone.now(),
        sent_by=actor,
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
    # The old letter's text as it was before its values were merged in, so the chips (and
    # the checklist) work again; letters approved before that was kept start from the template.
    source = (letter.context or {}).get(SOURCE_KEY) or draft.body_html
    return letter_update_draft(letter=draft, actor=actor, title=letter.title, body_html=source)


# --- letter settings -------------------------------------------------------------------------


def school_letter_settings_save(
    *, school: School, actor, target_days: int, logo=None, remove_logo: bool = False
) -> School:
    """Save a school's print queue target and its letterhead crest.

    The crest is inspected exactly like a parent's screenshot (incidents.evidence): only a
    fully decoded JPEG, PNG or WebP with no markup is accepted, and only a clean re-encoded
    copy is stored, under a random name.
    """
    from django.core.exceptions import ValidationError

    from incidents.evidence import UNREADABLE, DamagedImage, clean_copy, inspect_image

    fields = ["letter_queue_target_days"]
    clean_file = None
    if logo is not None:
        try:
            inspected = inspect_image(logo)
        except ValidationError as error:
            raise LetterError(error.messages) from None
        # A crest is small and rare: decoded and re-encoded here, in the request.
        try:
            clean = clean_copy(inspected.original).data
        except DamagedImage:
            raise LetterError([UNREADABLE.format(name=inspected.original_name)]) from None
        clean_file = ContentFile(clean, name=f"{uuid.uuid4().hex}{inspected.extension}")
    with transaction.atomic():
        locked = School.objects.select_for_update().get(pk=school.pk)
        locked.letter_queue_target_days = target_days
        if clean_file is not None:
            locked.logo.save(clean_file.name, clean_file, save=False)
            fields.append("logo")
        elif remove_logo and locked.logo:
            locked.logo = ""
            fields.append("logo")
        locked.save(update_fields=fields)
    logger.info("Letter settings of school %s changed by user %s", school.pk, actor.pk)
    return locked


# --- print batches ---------------------------------------------------------------------------

# Letters the office prints: the others go by email (or, to the reporter, the follow-up page).
PRINTED_METHODS = (SendMethod.POST, SendMethod.HAND)
# Blank A4 page (points) after a letter with an odd number of pages, for double-sided printing.
A4_POINTS = (595.28, 841.89)


def batch_create(
    *, school: School, letters: list[Letter], actor, cover_sheet: bool = False
) -> list[PrintBatch]:
    """Put ready letters into print batches, one batch per delivery method (post, by hand);
    each PDF is assembled by a task.

    The letters are locked and re-read inside the transaction, so two people batching at the
    same moment can't both take a letter: the second finds it already in a batch.
    """
    from .tasks import assemble_batch

    ids = [lt.pk for lt in letters]
    with transaction.atomic():
        ready = list(
            Letter.objects.select_for_update(of=("self",))
            .filter(
                pk__in=ids,
                case__school=school,
                status=LetterStatus.READY,
                batch__isnull=True,
                delivery_method__in=PRINTED_METHODS,
            )
            .exclude(kind__in=TO_REPORTER)
            .select_related("case")
            .order_by("pk")
        )
        if not ready:
            raise LetterError(
                "None of the chosen letters can go in a batch: they are already in one, "
                "not ready yet, or go by email."
            )
        batches = []
        for method in PRINTED_METHODS:
            group = [lt for lt in ready if lt.delivery_method == method]
            if not group:
                continue
            batch = PrintBatch.objects.create(
                school=school,
                created_by=actor,
                delivery_method=method,
                cover_sheet=cover_sheet,
                letter_ids=[lt.pk for lt in group],
            )
            for letter in group:
                _take_step(
                    letter,
                    "batched",
                    actor,
                    f"{letter.get_kind_display()} to {letter.recipient_name} put in print "
                    f"batch {batch.pk}",
                    batch=batch,
                )
            enqueue_on_commit(
                assemble_batch, batch.pk, fallback="use “Try again” on the print queue."
            )
            batches.append(batch)
    return batches


def batch_cancel(*, batch: PrintBatch, actor) -> int:
    """Cancel a batch that has not been printed: its letters go back to "Ready to print".
    Each letter's return is recorded on its case; the batch keeps who cancelled it and when."""
    with transaction.atomic():
        locked = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status in (
            PrintBatch.Status.PRINTED,
            PrintBatch.Status.SENT,
            PrintBatch.Status.CANCELLED,
        ):
            raise LetterError(
                f"Batch {locked.pk} is {locked.get_status_display().lower()}: it can't be "
                "cancelled."
            )
        letters = list(
            Letter.objects.select_for_update(of=("self",))
            .filter(batch=locked, status=LetterStatus.BATCHED)
            .select_related("case")
        )
        for letter in letters:
            _take_step(
                letter,
                "unbatched",
                actor,
                f"{letter.get_kind_display()} to {letter.recipient_name} back in the print "
                f"queue: batch {locked.pk} cancelled",
                batch=None,
            )
        locked.status = PrintBatch.Status.CANCELLED
        locked.cancelled_at, locked.cancelled_by = timezone.now(), actor
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return len(letters)


def _cover_sheet_pdf(batch: PrintBatch, letters: list[Letter]) -> bytes:
    from django.template.loader import render_to_string

    from .rendering import ASSET_PREFIX, html_to_pdf

    html = render_to_string(
        "letters/pdf/batch_cover.html",
        {
            "batch": batch,
            "letters": letters,
            "school": batch.school,
            "static": ASSET_PREFIX + "static/",
        },
    )
    return html_to_pdf(html).data


def batch_assemble(*, batch_id: int) -> bool:
    """One print-ready PDF from the letters' stored PDFs, each checked against its SHA-256:
    an optional cover sheet first, and every letter starting on an odd page (a blank page
    after any part with an odd number of pages) so double-sided printing never puts two
    letters on one sheet.

    qpdf (through pikepdf) joins the files and stores identical objects (fonts, logos) once:
    see `letters.pdfjoin`.
    """
    from .pdfjoin import join

    claimed = PrintBatch.objects.filter(
        pk=batch_id, status__in=[PrintBatch.Status.ASSEMBLING, PrintBatch.Status.FAILED], pdf=""
    ).update(status=PrintBatch.Status.ASSEMBLING, error="")
    if not claimed:
        return False
    batch = PrintBatch.objects.select_related("school").get(pk=batch_id)
    letters = list(batch.letters.select_related("case").order_by("case__reference", "pk"))
    try:
        parts = [_cover_sheet_pdf(batch, letters)] if batch.cover_sheet else []
        parts += [letter_pdf_bytes(letter) for letter in letters]
        data, page_count = join(parts, blank_after_odd=True, page_size=A4_POINTS)
    except Exception as error:
        logger.exception("Print batch %s failed", batch_id)
        PrintBatch.objects.filter(pk=batch_id).update(
            status=PrintBatch.Status.FAILED, error=str(error)[:300]
        )
        return False
    with transaction.atomic():
        batch = PrintBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != PrintBatch.Status.ASSEMBLING or batch.pdf:
            return False  # cancelled meanwhile, or another run finished first
        batch.pdf.save(f"batch-{batch.pk}.pdf", ContentFile(data), save=False)
        batch.pdf_sha256 = hashlib.sha256(data).hexdigest()
        batch.page_count = page_count
        batch.status = PrintBatch.Status.READY
        batch.save(update_fields=["pdf", "pdf_sha256", "page_count", "status"])
    return True


def batch_mark_printed(*, batch: PrintBatch, actor) -> int:
    """The whole batch came off the printer: each of its letters is recorded as printed."""
    with transaction.atomic():
        locked = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PrintBatch.Status.READY:
            raise LetterError(f"Batch {locked.pk} is not ready to print.")
        count = letters_mark_printed(
            letters=list(locked.letters.select_related("case")), actor=actor
        )
        locked.status = PrintBatch.Status.PRINTED
        locked.printed_at, locked.printed_by = timezone.now(), actor
        locked.save(update_fields=["status", "printed_at", "printed_by"])
    return count


def batch_mark_sent(*, batch: PrintBatch, actor, sent_on: datetime.date) -> int:
    """Every printed letter of the batch went out by the batch's delivery method."""
    with transaction.atomic():
        locked = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PrintBatch.Status.PRINTED:
            raise LetterError(f"Batch {locked.pk} must be printed before it is sent.")
        count = 0
        for letter in locked.letters.filter(status=LetterStatus.PRINTED).select_related("case"):
            letter_mark_sent(
                letter=letter, actor=actor, method=locked.delivery_method, sent_on=sent_on
            )
            count += 1
        locked.status = PrintBatch.Status.SENT
        locked.sent_at, locked.sent_by = timezone.now(), actor
        locked.save(update_fields=["status", "sent_at", "sent_by"])
    return count


def batch_retry(*, batch: PrintBatch) -> None:
    """Queue a batch's assembly again (the broker was down, or assembly failed)."""
    from .tasks import assemble_batch

    if batch.pdf or batch.status not in (PrintBatch.Status.ASSEMBLING, PrintBatch.Status.FAILED):
        raise LetterError("This batch is already assembled.")
    enqueue_on_commit(assemble_batch, batch.pk, fallback="use “Try again” on the print queue.")
