"""Reads for reports and cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from schools.models import Rule

from . import chat, deadlines
from .access import case_schools, cases_visible_to, roles_for
from .models import (
    AccessLog,
    Case,
    CaseEvent,
    CaseStatus,
    Evidence,
    ExcerptMessage,
    Meeting,
    Message,
    Referral,
    Report,
)

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


# --------------------------------------------------------------------------------------------
# Staff reads


def dashboard_summary(*, user) -> dict:
    """Everything the dashboard shows, in a fixed number of queries whatever the data size."""

    visible = cases_visible_to(user)
    roles = roles_for(user)
    today = timezone.localdate()
    # Query 1: counts per school and status.
    counts = list(
        visible.values("school__name", "status").annotate(n=Count("pk")).order_by("school__name")
    )
    # Every school the user oversees has a row, those with no cases too (a trust sees at a
    # glance which schools have reported nothing).
    by_school: dict[str, dict[str, int]] = {
        name: dict.fromkeys(CaseStatus.values, 0)
        for name in case_schools(user).values_list("name", flat=True)
    }
    totals: dict[str, int] = dict.fromkeys(CaseStatus.values, 0)
    for row in counts:
        by_school.setdefault(row["school__name"], dict.fromkeys(CaseStatus.values, 0))
        by_school[row["school__name"]][row["status"]] = row["n"]
        totals[row["status"]] += row["n"]
    base = visible.select_related("school", "lead")
    # Query 2: new reports waiting for triage (oldest first).
    waiting_cases = list(base.filter(status=CaseStatus.NEW).order_by("opened_at")[:20])
    calendars = deadlines.Calendars()
    waiting = []
    for case in waiting_cases:
        triage_by = deadlines.triage_due_on(case, calendars)
        waiting.append((case, triage_by, triage_by < today))
    # Query 3: my open cases.
    mine = list(
        base.exclude(status=CaseStatus.CLOSED).filter(lead=user).order_by("-opened_at")[:20]
    )
    # Query 4: safeguarding alerts without a DSL decision.
    alerts = list(
        base.filter(safeguarding_flag=True, safeguarding_decided_at__isnull=True)
        .exclude(status=CaseStatus.CLOSED)
        .order_by("opened_at")[:20]
    )
    # Deadlines: due soon or overdue (a few queries, plus two per school for its calendar).
    due_items = deadlines.due_items(cases=visible, today=today, calendars=calendars)
    return {
        "due": [(d, d.overdue(today)) for d in due_items[:30]],
        "totals": totals,
        "by_school": by_school if len(by_school) > 1 or roles.trusts else {},
        "waiting": waiting,
        "mine": mine,
        "alerts": alerts,
        # The deadline engine's LADO items: allegations not yet referred, by their deadline.
        "lado_overdue": [d for d in due_items if d.kind == "lado"],
        "overdue_count": sum(1 for d in due_items if d.overdue(today)),
        "status_labels": dict(CaseStatus.choices),
        "status_cards": [(value, label, totals[value]) for value, label in CaseStatus.choices],
        "today": today,
    }


def case_list(*, user):
    """The cases the user may see, with what the list shows, ready to filter."""

    # A correlated subquery, not a JOIN + GROUP BY: the database counts reports only for the
    # 50 rows of the page, and the paginator's COUNT(*) drops the unused annotation.
    reports = (
        Report.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        cases_visible_to(user)
        .select_related("school", "lead")
        .annotate(report_count=Coalesce(Subquery(reports), 0))
        .order_by("-opened_at", "-pk")
    )


# Other apps' parts of the case page (measures: bars and restrictions; letters: the case's
# letters), registered from their AppConfig.ready so incidents never imports them. Each takes
# the case and the user and returns its template context.
CasePagePart = Callable[[Case, Any], dict[str, Any]]
CASE_PAGE_PARTS: list[CasePagePart] = []


def case_page_part_register(part: CasePagePart) -> None:
    if part not in CASE_PAGE_PARTS:
        CASE_PAGE_PARTS.append(part)


def case_detail(*, case, access, event_kind: str = "", user: Any = None) -> dict:
    """The case page's data: a fixed number of queries however many reports or events."""

    reports = list(
        case.reports.select_related("group", "witness")
        .prefetch_related(Prefetch("rules", queryset=Rule.objects.order_by("order")))
        .order_by("received_at")
    )
    evidence = list(
        Evidence.objects.filter(case=case)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk")
    )
    chat_lines = list(
        ExcerptMessage.objects.filter(excerpt__report__case=case)
        .select_related("excerpt")
        .order_by("excerpt__created_at", "excerpt_id", "position")
    )
    evidence_by_pk = {e.pk: e for e in evidence}
    for line in chat_lines:
        line.evidence = evidence_by_pk.get(line.evidence_id) if line.evidence_id else None
    # What typed text must hide from a user who may not see the reporter: their details from
    # the form, and the name their chat export showed them under.
    hidden = (
        None
        if access.can_see_reporter
        else chat.reporter_identity(reports=reports, chat_lines=chat_lines)
    )
    for report in reports:
        report.files = [e for e in evidence if e.report_id == report.pk and not e.message_id]
        report.chat = chat.excerpt_for_viewer(
            [line for line in chat_lines if line.excerpt.report_id == report.pk], hidden=hidden
        )
        report.chat_excerpt = next(
            (line.excerpt for line in chat_lines if line.excerpt.report_id == report.pk), None
        )
    persons = list(case.persons.all())
    through = type(case).persons.through
    history_rows = list(
        through.objects.filter(person__in=persons)
        .exclude(case=case)
        .select_related("case__school")
        .order_by("-case__opened_at")
    )
    for person in persons:
        person.history = [r.case for r in history_rows if r.person_id == person.pk]
    events = case.events.select_related("actor").order_by("created_at", "pk")
    if event_kind:
        events = events.filter(kind=event_kind)
    messages = list(case.messages.select_related("report", "author").order_by("created_at", "pk"))
    for message in messages:
        message.files = [e for e in evidence if e.message_id == message.pk]
    staff_files = [e for e in evidence if e.report_id is None]
    return {
        "reports": reports,
        "evidence": evidence,
        "staff_files": staff_files,
        "persons": persons,
        "events": list(events),
        "event_kinds": CaseEvent.Kind.choices,
        "event_kind": event_kind,
        "messages_thread": messages,
        "meetings": list(Meeting.objects.filter(case=case).select_related("person")),
        "referrals": list(Referral.objects.filter(case=case)),
        "access_log": list(AccessLog.objects.filter(case=case).select_related("user")[:50])
        if access.can_see_reporter
        else [],
        "rules": list(case.rules.all()),
        "hidden_reporter": hidden,
    } | {key: value for part in CASE_PAGE_PARTS for key, value in part(case, user).items()}
