"""Reads for reports and cases."""

from __future__ import annotations

from .models import CaseStatus, Message, Report

# What a reporter is told about their case: general terms only, derived from its status.
REPORTER_STATUS = {
    CaseStatus.NEW: (
        "Received",
        "Your report has been received and is waiting to be looked at by a senior member of staff.",
    ),
    CaseStatus.INVESTIGATING: (
        "Being looked into",
        "A senior member of staff is looking into your report.",
    ),
    CaseStatus.ACTION: (
        "Being looked into",
        "A senior member of staff is looking into your report.",
    ),
    CaseStatus.MONITORING: (
        "Being looked into",
        "The school has acted on your report and is keeping the matter under review.",
    ),
    CaseStatus.CLOSED: (
        "Closed",
        "The school has finished looking into your report. To protect "
        "everyone's privacy it may not be able to tell you about any action taken "
        "about another parent.",
    ),
}


def reporter_status(status: str) -> tuple[str, str]:
    return REPORTER_STATUS[CaseStatus(status)]


def report_for_followup(*, report_id: int) -> Report | None:
    return Report.objects.select_related("case", "school").filter(pk=report_id).first()


def followup_context(*, report: Report) -> dict:
    """What the reporter may see on the follow-up page: status, messages, their additions."""
    title, explanation = reporter_status(report.case.status)
    thread = list(
        Message.objects.filter(report=report)
        .select_related(None)
        .prefetch_related("evidence")
        .order_by("created_at", "pk")
    )
    return {
        "report": report,
        "school": report.school,
        "status_title": title,
        "status_explanation": explanation,
        "thread": thread,
        "has_staff_messages": any(m.direction == Message.Direction.TO_REPORTER for m in thread),
    }
