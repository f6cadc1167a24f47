"""Writes for reports: submission by a parent, additions on follow-up, authentication."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from schools.models import Group, Rule, School

from . import codes, notifications, ocr, redaction
from .chat import ExcerptDraft, excerpt_store
from .evidence import InspectedImage, evidence_read_text_later, evidence_store
from .models import (
    POSTED_CONDUCT,
    AccessLog,
    CaseEvent,
    Channel,
    ChildRisk,
    CleanStatus,
    Conduct,
    Evidence,
    Message,
    OcrStatus,
    ReferenceCounter,
    Report,
    SensitiveName,
)
from .workflow import case_open

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportDetails:
    """What a reporter tells us, as validated by the public form (or entered by staff)."""

    group: Group | None
    group_other: str
    posted_on: Any
    posted_time: Any
    content: str
    rules: list[Rule]
    rules_unsure: bool
    poster_description: str
    child_at_risk: str
    child_risk_details: str
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    reporter_relationship: str = ""
    contact_preference: str = "follow_up"
    contact_consent: bool = False
    # Where and how the conduct happened (staff record off-line incidents; the public form
    # reports posts) and the member of staff who witnessed or received it.
    conduct: str = Conduct.GROUP_POST
    conduct_place: str = ""
    witness: Any = None
    witness_name: str = ""


def reference_next(*, school: School) -> str:
    """The next human reference for the school this year, e.g. WPS-2026-0042.

    One statement, the same on PostgreSQL and SQLite: insert the year's counter at 1, or add
    one to it, and read the number back. The row stays locked until the report's transaction
    ends (SQLite's IMMEDIATE transactions serialise writers anyway), so two reports submitted
    together never share a number; it took a locked read and an update before, two round trips
    of the parent's POST.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("reference_next must run inside a transaction")
    year = codes.current_year()
    qn = connection.ops.quote_name
    table, last = qn(ReferenceCounter._meta.db_table), qn("last")
    school_id, year_column = qn("school_id"), qn("year")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({school_id}, {year_column}, {last}) VALUES (%s, %s, 1) "  # noqa: S608 (names quoted, values bound)
            f"ON CONFLICT ({school_id}, {year_column}) DO UPDATE SET {last} = {table}.{last} + 1 "
            f"RETURNING {last}",
            [school.pk, year],
        )
        (number,) = cursor.fetchone()
    return codes.format_reference(school.reference_prefix, year, number)


def report_submit(
    *,
    school: School,
    details: ReportDetails,
    images: list[InspectedImage],
    channel: str = Channel.ONLINE,
    actor: Any = None,
    chat: ExcerptDraft | None = None,
) -> tuple[Report, str]:
    """Save a report with its evidence and open its case; return the report and its code.

    One transaction: the report, evidence, case, chronology and notification rows commit
    together or not at all. Emails are queued only after commit, and a broker that is down
    never stops the report being saved (the sweep sends what was missed).
    """
    code = codes.generate_followup_code()
    with transaction.atomic():
        reference = reference_next(school=school)
        case = case_open(
            school=school,
            reference=reference,
            actor=actor,
            safeguarding_flag=details.child_at_risk in (ChildRisk.YES, ChildRisk.UNSURE),
            summary="Case opened from a report"
            + (
                " received online"
                if channel == Channel.ONLINE
                else f" taken by staff ({Channel(channel).label.lower()})"
            ),
        )
        report = Report.objects.create(
            case=case,
            school=school,
            reference=reference,
            followup_code_hash=codes.hash_followup_code(code),
            channel=channel,
            conduct=details.conduct,
            conduct_place=" ".join(details.conduct_place.split()),
            witness=details.witness,
            witness_name=" ".join(details.witness_name.split()),
            group=details.group if details.conduct in POSTED_CONDUCT else None,
            group_other=details.group_other if details.conduct in POSTED_CONDUCT else "",
            posted_on=details.posted_on,
            posted_time=details.posted_time,
            content=details.content,
            rules_unsure=details.rules_unsure,
            poster_description=details.poster_description,
            child_at_risk=details.child_at_risk,
            child_risk_details=details.child_risk_details,
            reporter_name=details.reporter_name,
            reporter_email=details.reporter_email,
            reporter_phone=details.reporter_phone,
            reporter_relationship=details.reporter_relationship,
            contact_preference=details.contact_preference,
            contact_consent=details.contact_consent,
        )
        if details.rules:  # a new report has none yet: add, without asking which it has
            report.rules.add(*details.rules)
        evidence = evidence_store(case=case, report=report, items=images, actor=actor)
        summary, chat_data = f"Report {reference} received", {}
        if not report.is_post:
            where = f" ({report.conduct_place})" if report.conduct_place else ""
            summary += f": {report.get_conduct_display().lower()}{where}"
        if report.witness_display:
            summary += f", witnessed or received by {report.witness_display}"
        if chat is not None:
            kept = excerpt_store(case=case, report=report, draft=chat, actor=actor)
            picked = [m for m in kept if m.picked]
            evidence += [m.evidence for m in kept if m.evidence]
            times = ", ".join(f"{timezone.localtime(m.sent_at):%d/%m/%Y %H:%M}" for m in picked)
            summary = (
                f"{summary} with {len(picked)} message{'s' if len(picked) != 1 else ''} "
                f"picked from a WhatsApp chat export ({times})"
            )
            chat_data = {
                "chat_messages_reported": [m.pk for m in picked],
                "chat_messages_kept": len(kept),
            }
        if len(summary) > 300:
            summary = summary[:299] + "…"
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.REPORT_RECEIVED,
            actor=actor,
            summary=summary,
            data={
                "report": report.pk,
                "evidence": [e.pk for e in evidence],
                "channel": channel,
                "conduct": report.conduct,
                "witness": report.witness_id,
                "anonymous": report.is_anonymous,
                **chat_data,
            },
        )
        kinds: list[str] = [notifications.Kind.SLT_NEW_REPORT]
        if report.needs_dsl_alert:
            kinds.append(notifications.Kind.DSL_URGENT)
            CaseEvent.objects.create(
                case=case,
                kind=CaseEvent.Kind.SAFEGUARDING_ALERT,
                summary="Reporter said a child may be at risk: the DSLs are alerted",
                data={"child_at_risk": report.child_at_risk},
            )
        if report.reporter_email:
            kinds.append(notifications.Kind.REPORTER_ACK)
        notifications.notifications_create(
            case=case, report=report, kinds=kinds, about=f"report:{report.pk}"
        )
    return report, code


def report_authenticate(*, reference: str, code: str) -> Report | None:
    """The report this reference and code open, or None — the same for any wrong combination."""
    reference = reference.strip().upper()
    report = Report.objects.select_related("case", "school").filter(reference=reference).first()
    # Compare even when the reference is unknown, so timing does not reveal which it was.
    stored = report.followup_code_hash if report else "0" * 64
    matches, old_key = codes.match_followup_code(code, stored)
    if not (report and matches):
        return None
    if old_key:
        # Made with a key being retired: store it under the current key, so the old key can
        # be dropped from the fallbacks once parents have been back.
        report.followup_code_hash = codes.hash_followup_code(code)
        report.save(update_fields=["followup_code_hash"])
    return report


def report_add_information(*, report: Report, body: str, images: list[InspectedImage]) -> Message:
    """The reporter adds information or screenshots on the follow-up page: a new linked entry."""
    with transaction.atomic():
        case = report.case
        message = Message.objects.create(
            case=case,
            report=report,
            direction=Message.Direction.FROM_REPORTER,
            body=body,
            created_at=timezone.now(),
        )
        evidence = evidence_store(case=case, report=report, message=message, items=images)
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.REPORTER_ADDED_INFORMATION,
            summary=f"Reporter added information to {report.reference}",
            data={"message": message.pk, "evidence": [e.pk for e in evidence]},
        )
        notifications.notifications_create(
            case=case,
            report=report,
            kinds=[notifications.Kind.SLT_REPORTER_ADDED],
            about=f"message:{message.pk}",
        )
    return message


def access_log_write(*, user, action: str, case=None, evidence=None, detail: str = "") -> None:
    """Record that `user` opened a case, viewed evidence or exported a list."""
    AccessLog.objects.create(
        user=user, action=action, case=case, evidence=evidence, detail=detail[:300]
    )


# --- text read from evidence (OCR) -----------------------------------------------------------


class EvidenceTextError(Exception):
    """A correction or decision on evidence text that can't be made; the message says why."""


def evidence_text_correct(*, evidence: Evidence, text: str, actor) -> Evidence:
    """Keep a member of staff's correction of the text read from a screenshot (the original
    reading stays), refresh the redaction suggestions, and note it on the chronology."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise EvidenceTextError("Type the text as it appears in the screenshot.")
    with transaction.atomic():
        row = Evidence.objects.select_for_update().get(pk=evidence.pk)
        row.text_correction = "" if text == row.ocr_text else text
        row.text_corrected_by = actor
        row.text_corrected_at = timezone.now()
        row.redaction_suggestions = redaction.merge(
            redaction.suggest(row.text, names=ocr.sensitive_names(row.case.school_id)),
            row.redaction_suggestions,
        )
        row.save(
            update_fields=[
                "text_correction",
                "text_corrected_by",
                "text_corrected_at",
                "redaction_suggestions",
            ]
        )
        CaseEvent.objects.create(
            case=row.case,
            kind=CaseEvent.Kind.EVIDENCE_TEXT,
            actor=actor,
            summary=f"Text of the screenshot “{row.original_name[:80]}” corrected",
            data={"evidence": row.pk},
        )
    return row


def evidence_text_read_again(*, evidence: Evidence) -> bool:
    """Queue OCR again for an image whose text was not extracted. False if already read."""
    updated = (
        Evidence.objects.filter(pk=evidence.pk, kind=Evidence.Kind.IMAGE)
        .filter(clean_status=CleanStatus.READY)  # the clean copy's task queues it itself
        .exclude(ocr_status=OcrStatus.DONE)
        .update(ocr_status=OcrStatus.PENDING, ocr_error="")
    )
    if updated:
        evidence_read_text_later(evidence.pk)
    return bool(updated)


def evidence_redaction_decide(*, evidence: Evidence, number: int, decision: str, actor) -> dict:
    """Confirm or dismiss one redaction suggestion (a person decides; the case-file redaction
    tool uses the confirmed ones). Recorded on the chronology without the text itself."""
    if decision not in redaction.DECISIONS:
        raise EvidenceTextError("Choose whether to confirm or dismiss the suggestion.")
    with transaction.atomic():
        row = Evidence.objects.select_for_update().get(pk=evidence.pk)
        suggestions = list(row.redaction_suggestions)
        if not 0 <= number < len(suggestions):
            raise EvidenceTextError("That suggestion is no longer there. Reload the page.")
        suggestion = {
            **suggestions[number],
            "status": decision,
            "decided_by": actor.pk,
            "decided_at": timezone.now().isoformat(),
        }
        suggestions[number] = suggestion
        row.redaction_suggestions = suggestions
        row.save(update_fields=["redaction_suggestions"])
        label = redaction.KIND_LABELS.get(str(suggestion["kind"]), "Text")
        CaseEvent.objects.create(
            case=row.case,
            kind=CaseEvent.Kind.REDACTION,
            actor=actor,
            summary=f"{label} in “{row.original_name[:80]}” {decision} for redaction",
            data={"evidence": row.pk, "suggestion": number, "decision": decision},
        )
    return suggestion


def sensitive_name_add(*, school, name: str, actor) -> SensitiveName:
    """List a name as sensitive for a school, and suggest it wherever screenshots of the
    school's cases already show it (decisions taken on other suggestions are kept)."""
    name = " ".join(name.split())
    if not name:
        raise EvidenceTextError("Type the name to list.")
    if SensitiveName.objects.filter(school=school, name__iexact=name).exists():
        raise EvidenceTextError(f"“{name}” is already on the list.")
    with transaction.atomic():
        row = SensitiveName.objects.create(school=school, name=name, added_by=actor)
        names = ocr.sensitive_names(school.pk)
        read = Evidence.objects.filter(case__school=school, ocr_status=OcrStatus.DONE)
        for evidence in read.select_for_update().iterator(chunk_size=200):
            suggestions = redaction.merge(
                redaction.suggest(evidence.text, names=names), evidence.redaction_suggestions
            )
            if suggestions != evidence.redaction_suggestions:
                evidence.redaction_suggestions = suggestions
                evidence.save(update_fields=["redaction_suggestions"])
    return row


def sensitive_name_remove(*, name: SensitiveName) -> None:
    """Take a name off the list (suggestions already made stay, for a person to decide)."""
    name.delete()
