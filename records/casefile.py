"""The case file and the subject access disclosure bundle: one PDF for someone outside the
school, made by a task and filed privately.

A case file covers one case; a disclosure bundle every case that holds the requester's data.
Both are made here, the same way:

1. `casefile_request` / `sar_bundle_request` check who may ask (and whether the reporter's
   identity may be included), save a `CaseFile` row, note it on the chronology and the access
   log, and queue `records.tasks.build_case_file` after the commit;
2. `casefile_build` (the task) gathers each case's record with every text already redacted
   — the template never sees a model's raw text — renders it through the project's PDF
   engine, appends the letters sent (their filed PDFs, as they went) with pypdf, and files
   the result through the private storage API.

The contents page gives page numbers: WeasyPrint's `target-counter` for the sections it lays
out, and for the appended letters the numbers worked out from the rendered page count (so
the document is laid out twice: the second time knowing where the letters start).
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import io
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from incidents import chat
from incidents.access import managed_schools, roles_for
from incidents.identity import ReporterIdentity
from incidents.models import (
    AccessLog,
    Case,
    CaseEvent,
    Evidence,
    ExcerptMessage,
    Meeting,
    Message,
    Referral,
    Report,
    SensitiveName,
)
from incidents.services import access_log_write
from letters.models import Letter
from measures.models import ContactRestriction, SiteBan
from schoolconduct.pdf import ASSET_PREFIX, html_to_pdf
from schoolconduct.tasks import enqueue_on_commit

from . import redaction
from .models import CaseFile, CaseFilePurpose, CaseFileStatus, SubjectAccessRequest

logger = logging.getLogger(__name__)

WITHHELD = "Withheld"
OUTSIDE_PURPOSES = [c for c in CaseFilePurpose if c != CaseFilePurpose.SAR]


class CaseFileError(Exception):
    """A case file or bundle that can't be asked for, with a reason staff understand."""


# --------------------------------------------------------------------------------------------
# Asking for one


def _recipient(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CaseFileError("Give the name of the person or body it is for.")
    return name


def casefile_request(
    *,
    case: Case,
    actor: Any,
    purpose: str,
    recipient_name: str,
    include_reporter: bool,
    use_redacted: bool,
    phrases: str = "",
) -> CaseFile:
    """Ask for a case file: SLT of the school and trust executives (who run cases); only
    someone who may see the reporter (`StaffRoles.sees_reporter`) may include them."""
    roles = roles_for(actor)
    if not roles.manages(case.school):
        raise CaseFileError("Case files are made by the school's senior leaders.")
    if purpose not in OUTSIDE_PURPOSES:
        raise CaseFileError("Choose who the case file is for.")
    if include_reporter and not roles.sees_reporter(case.school):
        raise CaseFileError(
            "Only the school's senior leaders and DSL may include who reported: "
            "make the case file with the reporter's identity withheld."
        )
    name = _recipient(recipient_name)
    with transaction.atomic():
        case_file = CaseFile.objects.create(
            school=case.school,
            case=case,
            purpose=purpose,
            recipient_name=name,
            include_reporter=include_reporter,
            use_redacted=use_redacted,
            phrases="\n".join(redaction.phrases_from(phrases)),
            case_ids=[case.pk],
            made_by=actor,
        )
        who = f"{case_file.get_purpose_display().lower()} ({name})"
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.CASE_FILE,
            actor=actor,
            summary=(
                f"Case file made for {who}; reporter's identity "
                f"{'included' if include_reporter else 'withheld'}; "
                f"{'redacted' if use_redacted else 'clean'} copies of images"
            )[:300],
            data={"case_file": case_file.pk},
        )
        access_log_write(
            user=actor,
            action=AccessLog.Action.CASE_FILE,
            case=case,
            detail=f"Case file {case_file.pk} for {case_file.for_whom}",
        )
        _queue(case_file)
    return case_file


def sar_bundle_request(*, sar: SubjectAccessRequest, actor: Any, phrases: str = "") -> CaseFile:
    """Ask for the disclosure bundle of a SAR: every case holding the person's data at the
    schools the actor runs, third parties redacted (the reporter always)."""
    roles = roles_for(actor)
    if not roles.manages(sar.school):
        raise CaseFileError("Disclosure bundles are made by the school's senior leaders.")
    if not sar.is_open:
        raise CaseFileError("This request is closed: its response has been sent.")
    from .services import sar_records

    cases = list(sar_records(sar).filter(school__in=managed_schools(actor)))
    with transaction.atomic():
        bundle = CaseFile.objects.create(
            school=sar.school,
            sar=sar,
            purpose=CaseFilePurpose.SAR,
            recipient_name=sar.requester_name,
            include_reporter=False,
            use_redacted=True,
            phrases="\n".join(redaction.phrases_from(phrases)),
            case_ids=[c.pk for c in cases],
            made_by=actor,
        )
        _queue(bundle)
    return bundle


def _queue(case_file: CaseFile) -> None:
    from .tasks import build_case_file

    enqueue_on_commit(build_case_file, case_file.pk, fallback="ask for the case file again.")


# --------------------------------------------------------------------------------------------
# Who may download


def may_download(user: Any, case_file: CaseFile) -> bool:
    """Runs every school the file covers; and may see the reporter if it names them."""
    roles = roles_for(user)
    if not roles.manages(case_file.school):
        return False
    if case_file.include_reporter and not roles.sees_reporter(case_file.school):
        return False
    schools = set(Case.objects.filter(pk__in=case_file.case_ids).values_list("school", flat=True))
    return schools <= set(managed_schools(user).values_list("pk", flat=True))


# --------------------------------------------------------------------------------------------
# Making it


@dataclass
class Section:
    anchor: str
    title: str
    level: int = 1
    page: int | None = None  # known in advance only for the appended letters


@dataclass
class CaseRecord:
    case: Case
    anchor: str
    summary: list[tuple[str, str]]
    reports: list[dict[str, Any]]
    images: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    chat: list[dict[str, Any]]
    events: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    measures: list[dict[str, Any]] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)


def _progress(case_file: CaseFile, percent: int, label: str) -> None:
    CaseFile.objects.filter(pk=case_file.pk).update(progress=percent, progress_label=label)


def _redactor(case_file: CaseFile, cases: list[Case]) -> redaction.TextRedactor:
    reports = list(Report.objects.filter(case__in=cases))
    evidence = list(Evidence.objects.filter(case__in=cases))
    phrases = redaction.phrases_from(case_file.phrases) + redaction.confirmed_suggestions(evidence)
    identities = []
    if not case_file.include_reporter:
        # As the form gave it and as their chat export showed them.
        lines = ExcerptMessage.objects.filter(excerpt__report__case__in=cases, from_reporter=True)
        identities.append(chat.reporter_identity(reports=reports, chat_lines=list(lines)))
    sar = case_file.sar
    if sar is not None:
        # Other parents on these cases, and the names the school lists as sensitive (pupils,
        # staff it protects): third parties, hidden from the requester.
        others = [p for c in cases for p in c.persons.all() if p.pk != sar.person_id]
        identities.append(
            ReporterIdentity(
                names=[p.full_name for p in others],
                emails=[p.email for p in others],
                phones=[p.phone for p in others],
                except_names=[sar.person.full_name],
                first_names=True,
            )
        )
        phrases += list(
            SensitiveName.objects.filter(school__in={c.school_id for c in cases}).values_list(
                "name", flat=True
            )
        )
    return redaction.TextRedactor(phrases=phrases, identities=identities)


_SHORT_DATE = re.compile(r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})\b")
_MONTHS = {m[:3]: m for m in calendar.month_name if m}


def _long_dates(text: str) -> str:
    """ "30 Nov 2026" as "30 November 2026": the file writes dates one way (chronology lines
    were written by the code of the day, some with short months)."""
    return _SHORT_DATE.sub(lambda m: f"{int(m[1])} {_MONTHS[m[2]]} {m[3]}", text)


def _dt(value) -> str:
    return f"{timezone.localtime(value):%-d %B %Y, %H:%M}" if value else ""


def _d(value) -> str:
    return f"{value:%-d %B %Y}" if value else ""


def _image_bytes(item: Evidence, redacted) -> tuple[bytes, str] | None:
    source = redacted.file if redacted is not None else item.clean
    try:
        with source.open("rb") as f:
            return f.read(), ("image/png" if redacted is not None else item.content_type)
    except OSError:
        logger.warning("Could not read evidence %s for a case file", item.pk)
        return None


def _case_record(
    case_file: CaseFile,
    case: Case,
    hide: redaction.TextRedactor,
    assets: dict[str, tuple[bytes, str]],
    number: int,
) -> CaseRecord:
    anchor = f"case-{number}"
    people = ", ".join(hide(p.full_name) for p in case.persons.all()) or "None recorded"
    summary = [
        ("Reference", case.reference),
        ("School", case.school.name),
        ("Status", case.get_status_display()),
        ("Opened", _dt(case.opened_at)),
        ("Severity", case.get_severity_display() or "Not yet triaged"),
        ("Nature of the conduct", case.get_nature_display() or "Not yet triaged"),
        ("Rules of the code of conduct", "; ".join(r.title for r in case.rules.all()) or "—"),
        ("Person or people concerned", people),
        ("Lead", case.lead.get_full_name() if case.lead else "Not assigned"),
        ("Outcome", hide(case.outcome) or "Not yet decided"),
        ("Closed", _dt(case.closed_at) or "Open"),
        (
            "Safeguarding",
            "A child may have been at risk: the DSL was alerted"
            + (
                f" and recorded a decision on {_dt(case.safeguarding_decided_at)}"
                if case.safeguarding_decided_at
                else ""
            )
            + ". The child-protection record is kept separately."
            if case.safeguarding_flag
            else "No safeguarding concern recorded.",
        ),
    ]
    reports = []
    for report in case.reports.select_related("group", "witness").order_by("received_at", "pk"):
        if case_file.include_reporter:
            reporter = [
                ("Who reported", report.reporter_name or "Not given (anonymous)"),
                ("Their email", report.reporter_email or "—"),
                ("Their phone", report.reporter_phone or "—"),
                ("Their relationship", report.get_reporter_relationship_display() or "—"),
            ]
        else:
            reporter = [("Who reported", WITHHELD)]
        reports.append(
            {
                "reference": report.reference,
                "received": _dt(report.received_at),
                "channel": report.get_channel_display(),
                "group": report.group.name if report.group else hide(report.group_other),
                "posted": _d(report.posted_on)
                + (f", {report.posted_time:%H:%M}" if report.posted_time else ""),
                "content": hide(report.content),
                "poster": hide(report.poster_description),
                # Where and how it happened: a post in a group, or at the gate, by phone …
                "is_post": report.is_post,
                "conduct": report.get_conduct_display(),
                "conduct_kind": report.conduct,
                "place": hide(report.conduct_place),
                "witness": report.witness_display,
                "child_at_risk": report.get_child_at_risk_display(),
                "reporter": reporter,
            }
        )
    evidence = list(Evidence.objects.filter(case=case).order_by("uploaded_at", "pk"))
    redacted = redaction.latest_redactions(e.pk for e in evidence) if case_file.use_redacted else {}
    images, documents = [], []
    for index, item in enumerate(evidence, start=1):
        row: dict[str, Any] = {
            "number": index,
            "name": hide(item.original_name),
            "uploaded": _dt(item.uploaded_at),
            "original_sha256": item.original_sha256,
        }
        if item.kind != Evidence.Kind.IMAGE:
            documents.append(row)
            continue
        copy = redacted.get(item.pk)
        row.update(
            clean_sha256=item.clean_sha256,
            redacted_sha256=copy.sha256 if copy else "",
            redacted_on=_dt(copy.made_at) if copy else "",
            regions=len(copy.regions) if copy else 0,
            src="",
        )
        loaded = _image_bytes(item, copy) if (item.clean or copy) else None
        if loaded is not None:
            data, content_type = loaded
            url = f"{ASSET_PREFIX}evidence/{hashlib.sha256(data).hexdigest()}"
            assets[url] = (data, content_type)
            row["src"] = url
        images.append(row)
    chat_lines = _chat_lines(case_file, case, hide)
    events = [
        {
            "when": _dt(e.created_at),
            "who": e.actor.get_full_name() if e.actor else "System",
            "what": _long_dates(hide(e.summary)),
            "status": (
                f"{e.get_from_status_display() or '—'} → {e.get_to_status_display()}"
                if e.to_status
                else ""
            ),
            "detail": "\n".join(
                hide(str(t)) for t in (e.rationale, e.data.get("text"), e.data.get("notes")) if t
            ),
        }
        for e in case.events.select_related("actor").order_by("created_at", "pk")
    ]
    meetings = [
        {
            "when": _dt(m.held_at),
            "kind": m.get_kind_display(),
            "place": hide(m.place),
            "attendees": hide(m.attendees),
            "notes": hide(m.notes),
        }
        for m in Meeting.objects.filter(case=case).order_by("held_at", "pk")
    ]
    messages = [
        {"when": _dt(m.created_at), "direction": m.get_direction_display(), "body": hide(m.body)}
        for m in Message.objects.filter(case=case).order_by("created_at", "pk")
    ]
    referrals = [
        {
            "made_on": _d(r.made_on),
            "kind": r.get_kind_display(),
            "reference": hide(r.external_reference),
            "notes": hide(r.notes),
        }
        for r in Referral.objects.filter(case=case).order_by("made_on", "pk")
    ]
    return CaseRecord(
        case,
        anchor,
        summary,
        reports,
        images,
        documents,
        chat_lines,
        events,
        meetings,
        messages,
        referrals,
    )


def _chat_lines(
    case_file: CaseFile, case: Case, hide: redaction.TextRedactor
) -> list[dict[str, Any]]:
    """The kept messages of chat exports: the reporter's own lines say "The reporter" unless
    they are included; in a disclosure bundle every sender but the requester is redacted."""
    subject = (
        ReporterIdentity(names=[case_file.sar.person.full_name])
        if case_file.sar is not None
        else None
    )
    rows = []
    lines = ExcerptMessage.objects.filter(excerpt__report__case=case).order_by(
        "excerpt__created_at", "excerpt_id", "position"
    )
    for line in lines:
        if line.from_reporter and not case_file.include_reporter:
            sender = chat.REPORTER_LABEL
        elif subject is not None and not subject.find(line.sender):
            sender = redaction.REDACTED
        else:
            sender = hide(line.sender)
        rows.append(
            {
                "when": _dt(line.sent_at),
                "sender": sender or "—",
                "text": hide(line.text) or f"({line.kind})",
                "picked": line.picked,
                "edited": line.edited,
            }
        )
    return rows


def _measures(
    case_file: CaseFile, case: Case, hide: redaction.TextRedactor
) -> list[dict[str, Any]]:
    """Site bars and contact restrictions on the case, as recorded (in a disclosure bundle,
    only the requester's own)."""
    bans = SiteBan.objects.filter(case=case).select_related("person").order_by("notice_on", "pk")
    restrictions = ContactRestriction.objects.filter(case=case).select_related("person")
    if case_file.sar is not None:
        bans = bans.filter(person=case_file.sar.person_id)
        restrictions = restrictions.filter(person=case_file.sar.person_id)
    rows = []
    for ban in bans:
        rows.append(
            {
                "title": f"Site bar — {ban.get_stage_display().lower()}",
                "facts": [
                    ("Person", hide(ban.person.full_name)),
                    ("Notice given", _d(ban.notice_on)),
                    ("Representations by", _d(ban.representation_deadline)),
                    ("In force", f"{_d(ban.starts_on) or '—'} to {_d(ban.ends_on) or '—'}"),
                    ("Next review", _d(ban.review_on) or "—"),
                    ("Scope", hide(ban.scope)),
                    ("Duration", hide(ban.duration)),
                    ("Reasons", hide(ban.reasons)),
                    ("Decision", hide(ban.decision_reasons) or "—"),
                    (
                        "Lifted",
                        f"{_d(ban.lifted_on)}: {hide(ban.lift_reason)}" if ban.lifted_on else "—",
                    ),
                ],
            }
        )
    for item in restrictions.order_by("starts_on", "pk"):
        rows.append(
            {
                "title": "Contact restriction",
                "facts": [
                    ("Person", hide(item.person.full_name)),
                    ("From", _d(item.starts_on)),
                    ("Contact only through", hide(item.contact_point)),
                    ("By", hide(item.channels)),
                    ("Reasons", hide(item.reasons)),
                    ("Review", _d(item.review_on)),
                    (
                        "Ended",
                        f"{_d(item.ended_on)}: {hide(item.end_reason)}"
                        if item.ended_on
                        else "In force",
                    ),
                ],
            }
        )
    return rows


def _letters(case_file: CaseFile, case: Case) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The letters sent on the case, each with its filed PDF — or why it is left out."""
    rows, pdfs = [], []
    sent = Letter.objects.filter(case=case, sent_at__isnull=False).order_by("sent_at", "pk")
    subject = case_file.sar.person_id if case_file.sar is not None else None
    for letter in sent:
        row = {
            "title": letter.get_kind_display(),
            "sent": f"{_d(letter.sent_on)} ({letter.get_sent_method_display().lower()})",
            "sha256": letter.pdf_sha256,
            "pages": 0,
            "left_out": "",
        }
        if letter.to_reporter and not case_file.include_reporter:
            row["left_out"] = "A letter to the reporter: left out, because it names them."
        elif subject is not None and letter.person_id != subject:
            row["left_out"] = "A letter to someone else: left out (third party)."
        elif not letter.pdf:
            row["left_out"] = "Its PDF is no longer held."
        else:
            from pypdf import PdfReader
            from pypdf.errors import PdfReadError

            try:
                with letter.pdf.open("rb") as f:
                    data = f.read()
                row["pages"] = len(PdfReader(io.BytesIO(data)).pages)
            except (OSError, PdfReadError):
                logger.warning("Letter %s's PDF could not be read for a case file", letter.pk)
                row["left_out"] = "Its filed PDF could not be read; ask the school for a copy."
            else:
                pdfs.append(data)
        rows.append(row)
    return rows, pdfs


def _person_details(person) -> list[tuple[str, str]]:
    """What the school holds about the requester themselves, field by field."""
    return [
        ("Name", person.full_name),
        ("Address", ", ".join(person.address.splitlines()) or "—"),
        ("Postcode", person.postcode or "—"),
        ("Email", person.email or "—"),
        ("Phone", person.phone or "—"),
        ("Children's classes", person.children_classes or "—"),
        ("School", person.school.name),
        ("Recorded since", _dt(person.created_at)),
    ]


def _sections(records: list[CaseRecord], bundle: bool) -> list[Section]:
    sections = [Section("person", "Your details as the school holds them")] if bundle else []
    for record in records:
        prefix = f"{record.anchor}-"
        if bundle:
            sections.append(Section(record.anchor, f"Case {record.case.reference}", 1))
        level = 2 if bundle else 1
        sections += [
            Section(prefix + "summary", "Case summary", level),
            Section(prefix + "reports", "The reports", level),
            Section(prefix + "evidence", "Evidence", level),
            Section(prefix + "chronology", "Chronology", level),
            Section(prefix + "meetings", "Meetings", level),
            Section(prefix + "messages", "Messages with the reporter", level),
            Section(prefix + "referrals", "Referrals", level),
            Section(prefix + "measures", "Bars and contact restrictions", level),
            Section(prefix + "letters", "Letters sent", level),
        ]
    return sections


def _render(context: dict[str, Any], assets: dict[str, tuple[bytes, str]]):
    return html_to_pdf(render_to_string("records/casefile_pdf.html", context), assets=assets)


def casefile_pdf(case_file: CaseFile) -> tuple[bytes, int]:
    """The PDF bytes and page count of a case file or bundle (nothing saved)."""
    from pypdf import PdfReader, PdfWriter

    cases = list(
        Case.objects.filter(pk__in=case_file.case_ids)
        .select_related("school", "lead")
        .prefetch_related("persons", "rules")
        .order_by("opened_at", "pk")
    )
    hide = _redactor(case_file, cases)
    assets: dict[str, tuple[bytes, str]] = {}
    records, letter_pdfs = [], []
    for number, case in enumerate(cases, start=1):
        _progress(case_file, 10 + 50 * (number - 1) // max(len(cases), 1), "Gathering the record")
        record = _case_record(case_file, case, hide, assets, number)
        record.measures = _measures(case_file, case, hide)
        record.letters, pdfs = _letters(case_file, case)
        letter_pdfs += pdfs
        records.append(record)
    _progress(case_file, 65, "Laying out the pages")
    person = case_file.sar.person if case_file.sar is not None else None
    context = {
        "case_file": case_file,
        "person": _person_details(person) if person is not None else None,
        "records": records,
        "sections": _sections(records, case_file.is_bundle),
        "made_at": _dt(case_file.made_at),
        "made_by": case_file.made_by.get_full_name() or case_file.made_by.get_username(),
        "total": "",
    }
    pdf = _render(context, assets)
    # The appended letters start after the laid-out pages: number them, lay out again, and
    # once more if the numbers changed the page count (they rarely do).
    for _attempt in range(3):
        page = pdf.pages + 1
        for record in records:
            for row in record.letters:
                if row["pages"]:
                    row["page"] = page
                    page += row["pages"]
        context["total"] = str(page - 1)
        again = _render(context, assets)
        if again.pages == pdf.pages:
            pdf = again
            break
        pdf = again
    _progress(case_file, 85, "Adding the letters sent")
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf.data)))
    for data in letter_pdfs:
        writer.append(PdfReader(io.BytesIO(data)))
    _stamp_letters(writer, first=pdf.pages, running=_running_title(case_file, records))
    for record in records:
        for row in record.letters:
            if row.get("page"):
                writer.add_outline_item(
                    title=f"Letter: {row['title']}", page_number=row["page"] - 1
                )
    writer.add_metadata({"/Title": str(case_file)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


def _running_title(case_file: CaseFile, records: list[CaseRecord]) -> str:
    if case_file.is_bundle:
        return f"Subject access disclosure, SAR {case_file.sar_id}"
    return f"Case file {records[0].case.reference}" if records else "Case file"


def _stamp_letters(writer, *, first: int, running: str) -> None:
    """Number the appended letters' pages as pages of the file, in a line above their own
    letterhead (the letters themselves are left exactly as filed underneath)."""
    from pypdf import PdfReader

    total = len(writer.pages)
    if total <= first:
        return
    stamps = html_to_pdf(
        render_to_string(
            "records/casefile_stamp.html",
            {"running": running, "numbers": range(first + 1, total + 1), "total": total},
        )
    )
    for page, stamp in zip(
        writer.pages[first:], PdfReader(io.BytesIO(stamps.data)).pages, strict=True
    ):
        page.merge_page(stamp)


def casefile_build(case_file_id: int) -> bool:
    """The task's work: claim the row (safe to run twice), make the PDF, file it."""
    claimed = CaseFile.objects.filter(
        Q(status=CaseFileStatus.QUEUED) | Q(status=CaseFileStatus.FAILED), pk=case_file_id
    ).update(status=CaseFileStatus.BUILDING, progress=5, progress_label="Starting", error="")
    if not claimed:
        return False
    try:
        return _build(case_file_id)
    except OperationalError:
        # A locked or briefly unreachable database (SQLite under load, a lock timeout) is
        # transient: back to the queue, and the task retries it.
        with contextlib.suppress(OperationalError):
            CaseFile.objects.filter(pk=case_file_id).update(
                status=CaseFileStatus.QUEUED, progress=0, progress_label=""
            )
        raise


def _build(case_file_id: int) -> bool:
    case_file = CaseFile.objects.select_related("made_by", "sar__person").get(pk=case_file_id)
    try:
        data, pages = casefile_pdf(case_file)
        _progress(case_file, 95, "Filing it")
        digest = hashlib.sha256(data).hexdigest()
        case_file.pdf.save(f"{uuid.uuid4().hex}.pdf", ContentFile(data), save=False)
    except OperationalError:
        raise
    except Exception as error:
        logger.exception("Case file %s failed", case_file_id)
        CaseFile.objects.filter(pk=case_file_id).update(
            status=CaseFileStatus.FAILED, error=str(error)[:300] or type(error).__name__
        )
        return False
    CaseFile.objects.filter(pk=case_file_id).update(
        pdf=case_file.pdf.name,
        pdf_sha256=digest,
        pages=pages,
        status=CaseFileStatus.READY,
        progress=100,
        progress_label="Ready",
        finished_at=timezone.now(),
    )
    return True


# --------------------------------------------------------------------------------------------
# Reviewing and releasing a disclosure bundle


def may_approve(user: Any, bundle: CaseFile) -> bool:
    """A senior leader who may read all of it: SLT of the school for a bundle of its own
    cases; for one that also covers other schools of the trust (which no one school's SLT
    may read), an executive of the trust."""
    if not may_download(user, bundle):
        return False
    roles = roles_for(user)
    schools = set(Case.objects.filter(pk__in=bundle.case_ids).values_list("school", flat=True))
    if schools <= {bundle.school_id}:
        return bundle.school_id in roles.slt
    return bundle.school.trust_id is not None and bundle.school.trust_id in roles.trusts


def bundle_approve(*, bundle: CaseFile, actor: Any) -> None:
    """A senior leader has read the bundle and approves its release."""
    if not bundle.is_bundle:
        raise CaseFileError("Only a disclosure bundle is approved before release.")
    if not may_approve(actor, bundle):
        raise CaseFileError(
            "A disclosure is approved by a senior leader of the school (by a trust executive "
            "when it covers other schools of the trust too)."
        )
    if bundle.status != CaseFileStatus.READY:
        raise CaseFileError("The bundle is not ready yet: wait until it has been made.")
    if bundle.approved_at is not None:
        raise CaseFileError("This bundle is already approved.")
    CaseFile.objects.filter(pk=bundle.pk).update(approved_by=actor, approved_at=timezone.now())


def bundle_release(*, bundle: CaseFile, actor: Any) -> None:
    """Record that the approved bundle went to the requester (who, when), on the bundle and on
    the access log of every case it covers."""
    if not roles_for(actor).manages(bundle.school):
        raise CaseFileError("A disclosure is released by the school's senior leaders.")
    if bundle.approved_at is None:
        raise CaseFileError("A senior leader must approve the bundle before it is released.")
    if bundle.released_at is not None:
        raise CaseFileError("This bundle has already been released.")
    with transaction.atomic():
        CaseFile.objects.filter(pk=bundle.pk).update(released_by=actor, released_at=timezone.now())
        for case in Case.objects.filter(pk__in=bundle.case_ids):
            access_log_write(
                user=actor,
                action=AccessLog.Action.DISCLOSURE,
                case=case,
                detail=f"Disclosure bundle {bundle.pk} (SAR {bundle.sar_id}) released",
            )
