"""The emails about cases and reports, sent through the one outbox (`schoolconduct.outbox`).

Each kind is registered in `IncidentsConfig.ready`; its templates are `emails/<kind>.txt` and
`emails/<kind>_subject.txt`. Emails carry no case content: a reference and a link, at most.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from schoolconduct import outbox
from schoolconduct.models import Notification
from schools.models import Role
from schools.selectors import school_staff_with_role

from .models import Case, Report

logger = logging.getLogger(__name__)


class Kind(models.TextChoices):
    SLT_NEW_REPORT = "slt_new_report", "New report alert to SLT"
    DSL_URGENT = "dsl_urgent", "Urgent safeguarding alert to DSLs"
    REPORTER_ACK = "reporter_ack", "Acknowledgement to the reporter"
    REPORTER_MESSAGE = "reporter_message", "Message waiting, to the reporter"
    SLT_REPORTER_ADDED = "slt_reporter_added", "Reporter added information, to SLT"
    LEAD_ASSIGNED = "lead_assigned", "Case lead assigned, to the lead"


def notifications_create(
    *, case: Case, report: Report | None, kinds: list[str], about: str = ""
) -> list[int]:
    """Write one outbox row per kind about this case (and report), each sent once the
    transaction commits. `about` names what caused it (`report:12`, `message:7`) so the same
    cause never emails twice; without it every call is a new email (a lead assigned again)."""
    ids = []
    for kind in kinds:
        key = f"{kind}:{about}" if about else f"{kind}:case:{case.pk}:{uuid.uuid4().hex}"
        params = {"report": report.pk} if report else {}
        row = outbox.notification_queue(kind=kind, target=case, dedupe_key=key, params=params)
        if row is not None:
            ids.append(row.pk)
    return ids


def _case_and_report(notification: Notification) -> tuple[Case, Report | None]:
    case = Case.objects.select_related("school", "lead").get(pk=notification.target_id)
    report_id = notification.params.get("report")
    report = Report.objects.filter(pk=report_id).first() if report_id else None
    return case, report


def _recipients(kind: str, case: Case, report: Report | None) -> list[str]:
    school = case.school
    if kind in (Kind.REPORTER_ACK, Kind.REPORTER_MESSAGE):
        email = report.reporter_email if report else ""
        return [email] if email else []
    if kind == Kind.DSL_URGENT:
        users = list(school_staff_with_role(school=school, roles=[Role.DSL]))
        if not users:
            # Nobody is set up as DSL: a safeguarding alert must still reach someone senior.
            logger.error("School %s has no DSL; sending the urgent alert to SLT.", school.pk)
            users = list(school_staff_with_role(school=school, roles=[Role.SLT]))
        return [u.email for u in users if u.email]
    lead = case.lead
    if kind == Kind.LEAD_ASSIGNED:
        return [lead.email] if lead and lead.is_active and lead.email else []
    if kind == Kind.SLT_REPORTER_ADDED and lead and lead.is_active and lead.email:
        return [lead.email]
    return [u.email for u in school_staff_with_role(school=school, roles=[Role.SLT]) if u.email]


def compose(notification: Notification) -> outbox.Email:
    """Who a case or report email goes to, and what its template is given."""
    case, report = _case_and_report(notification)
    context: dict[str, Any] = {
        "school": case.school,
        "reference": report.reference if report else case.reference,
        "case_reference": case.reference,
        "staff_url": settings.SITE_URL
        + reverse("staff:case-detail", kwargs={"reference": case.reference}),
        "follow_up_url": settings.SITE_URL + reverse("reports:follow-up"),
    }
    return outbox.Email(to=_recipients(notification.kind, case, report), context=context)
