"""Writes for reports: submission by a parent, additions on follow-up, authentication."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from schools.models import Group, Rule, School

from . import codes, notifications
from .evidence import InspectedImage, evidence_store
from .models import (
    AccessLog,
    CaseEvent,
    Channel,
    ChildRisk,
    Message,
    ReferenceCounter,
    Report,
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


def reference_next(*, school: School) -> str:
    """The next human reference for the school this year, e.g. WPS-2026-0042.

    The counter row is locked (on PostgreSQL; SQLite's IMMEDIATE transactions serialise
    writers anyway), so two reports submitted together never share a number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reference_next must run inside a transaction")
    year = codes.current_year()
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
        school=school, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return codes.format_reference(school.reference_prefix, year, counter.last)


def report_submit(
    *,
    school: School,
    details: ReportDetails,
    images: list[InspectedImage],
    channel: str = Channel.ONLINE,
    actor: Any = None,
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
            group=details.group,
            group_other=details.group_other,
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
        report.rules.set(details.rules)
        evidence = evidence_store(case=case, report=report, items=images, actor=actor)
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.REPORT_RECEIVED,
            actor=actor,
            summary=f"Report {reference} received",
            data={
                "report": report.pk,
                "evidence": [e.pk for e in evidence],
                "channel": channel,
                "anonymous": report.is_anonymous,
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
