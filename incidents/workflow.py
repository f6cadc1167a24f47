"""The only place where a case's status changes, and where every case action is recorded.

`perform_action(case=..., action=..., actor=..., **params)` is the one entry point. It locks the
case row (`select_for_update`), looks the action up in `TRANSITIONS` (which states it may start
from, where it leads, who may do it), runs the action's guard and effect, saves the case with
`update_fields`, writes the `CaseEvent` in the same transaction and schedules side effects
(emails) for after the commit. Guards raise `WorkflowError` with a message a head teacher
understands.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from schools.calendar import SchoolCalendar, add_months, add_working_days
from schools.models import BanDecisionBy, School

from . import codes, notifications
from .access import roles_for
from .evidence import evidence_store
from .models import (
    ACTIVE_BAN_STAGES,
    IN_FORCE_BAN_STAGES,
    BanReview,
    BanStage,
    Case,
    CaseEvent,
    CaseStatus,
    ContactRestriction,
    Meeting,
    Message,
    Nature,
    Notification,
    Outcome,
    Person,
    Referral,
    Report,
    SafeguardingScreen,
    Severity,
    SiteBan,
)

OPEN = frozenset(
    {CaseStatus.NEW, CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING}
)
ANY = OPEN | {CaseStatus.CLOSED}
# Where a bar or restriction can exist (a temporary bar may start while investigating).
WITH_MEASURES = frozenset({CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING})

# Who may act: SLT of the school or an executive of its trust ("manage"), a DSL ("dsl"), or
# office staff ("office", for printing and sending letters only).
MANAGE = "manage"
DSL = "dsl"
OFFICE = "office"

# The usual ladder of proportionate steps (DOMAIN.md §Site ban, step 3).
LADDER = [
    Outcome.REMINDER,
    Outcome.WARNING,
    Outcome.MEETING_SLT,
    Outcome.CONTACT_RESTRICTION,
    Outcome.SITE_BAN,
]
SEVERITY_RANK = {
    Outcome.NO_FURTHER_ACTION: 0,
    Outcome.REMINDER: 1,
    Outcome.WARNING: 2,
    Outcome.MEETING_SLT: 3,
    Outcome.MEETING_TRUST: 3,
    Outcome.LEGAL: 3,
    Outcome.CONTACT_RESTRICTION: 4,
    Outcome.POLICE: 4,
    Outcome.SITE_BAN: 5,
}
# Steps that act against the parent and so must wait for a LADO decision on an allegation.
SANCTIONS = {Outcome.REMINDER, Outcome.WARNING, Outcome.CONTACT_RESTRICTION, Outcome.SITE_BAN}


T = TypeVar("T")


class WorkflowError(Exception):
    """A step that is not allowed now, with a message a head teacher understands."""


@dataclass
class Effect:
    """What an action did: the chronology line, the fields it changed, what to do after."""

    summary: str
    rationale: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    result: Any = None


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str | None  # None: the status stays as it is
    who: frozenset[str]
    event: str
    run: Callable[..., Effect]


# --------------------------------------------------------------------------------------------
# Helpers


def _required(value: T | None, message: str) -> T:
    """The value (stripped, if text), or a WorkflowError with `message` if it is empty."""
    if value is None or value in ("", [], ()):
        raise WorkflowError(message)
    return value.strip() if isinstance(value, str) else value  # type: ignore[return-value]


def _check_lead(school: School, lead) -> None:
    if lead is None:
        return
    roles = roles_for(lead)
    if not lead.is_active or not roles.manages(school):
        raise WorkflowError("The case lead must be a member of the school's senior leadership.")


def _flag_safeguarding(case: Case, reason: str) -> list[str]:
    if case.safeguarding_flag:
        return []
    case.safeguarding_flag = True
    notifications.notifications_create(case=case, report=None, kinds=[Notification.Kind.DSL_URGENT])
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.SAFEGUARDING_ALERT, summary=reason)
    return ["safeguarding_flag"]


def usual_next_step(person_outcomes: list[list[str]]) -> str:
    """The step after the most serious one this person has had, on the usual ladder."""
    done = {a for actions in person_outcomes for a in actions}
    for step in LADDER:
        if step not in done:
            return step
    return Outcome.SITE_BAN


def steps_taken(case: Case) -> set[str]:
    """Every action decided on this case (including decisions before a reopening) and on
    the persons' earlier cases."""
    decided = case.events.filter(kind=CaseEvent.Kind.DECIDED).values_list("data", flat=True)
    steps = {a for data in decided for a in data.get("actions", [])}
    return steps | set(case.actions) | {a for c in person_history(case) for a in c.actions}


def person_history(case: Case) -> list[Case]:
    """The persons' earlier cases across the trust (or the school), with their outcomes."""
    return list(
        Case.objects.filter(persons__in=case.persons.all())
        .exclude(pk=case.pk)
        .select_related("school")
        .distinct()
        .order_by("-opened_at")
    )


# --------------------------------------------------------------------------------------------
# Actions


def _triage(
    case: Case,
    actor,
    *,
    severity: str,
    nature: str,
    targets: list[str],
    safeguarding_screen: str,
    lead=None,
    rules=(),
    rationale: str = "",
    targeted_staff=None,
) -> Effect:
    _required(severity, "Choose how serious the case is.")
    _required(nature, "Choose the nature of the conduct.")
    _required(safeguarding_screen, "Record the safeguarding screen.")
    if severity not in Severity.values or nature not in Nature.values:
        raise WorkflowError("Choose a severity and nature from the lists.")
    lead = lead or actor
    _check_lead(case.school, lead)
    previous_lead = case.lead_id
    case.severity, case.nature, case.targets = severity, nature, list(targets)
    case.safeguarding_screen, case.lead = safeguarding_screen, lead
    case.triaged_at = timezone.now()
    case.targeted_staff = targeted_staff
    case.rules.set(rules)
    fields = [
        "severity",
        "nature",
        "targets",
        "safeguarding_screen",
        "lead",
        "triaged_at",
        "targeted_staff",
    ]
    if safeguarding_screen in (SafeguardingScreen.CONCERN, SafeguardingScreen.ALLEGATION):
        fields += _flag_safeguarding(
            case, "Triage found a possible risk to a child: the DSLs are alerted"
        )
    if safeguarding_screen == SafeguardingScreen.ALLEGATION:
        case.lado_due = add_working_days(timezone.localdate(), 1)
        fields.append("lado_due")
    if lead.pk != actor.pk and lead.pk != previous_lead:
        notifications.notifications_create(
            case=case, report=None, kinds=[Notification.Kind.LEAD_ASSIGNED]
        )
    summary = (
        f"Triaged: {case.get_severity_display().lower()} severity, "
        f"{case.get_nature_display().lower()}; lead {lead.get_full_name() or lead}"
    )
    if case.lado_due:
        summary += f"; allegation against staff — LADO by {case.lado_due:%d %b %Y}"
    return Effect(
        summary,
        rationale,
        {
            "severity": severity,
            "nature": nature,
            "targets": list(targets),
            "safeguarding_screen": safeguarding_screen,
            "lead": lead.pk,
            "rules": [r.pk for r in rules],
        },
        fields,
    )


def _merge_into(case: Case, actor, *, target: Case, rationale: str = "") -> Effect:
    """Close this new case as a duplicate: its reports (and their files) join `target`."""
    if target.pk == case.pk:
        raise WorkflowError("A case can't be merged into itself.")
    if target.school_id != case.school_id:
        raise WorkflowError("Reports can only be merged into a case of the same school.")
    target = Case.objects.select_for_update().get(pk=target.pk)
    if not target.is_open:
        raise WorkflowError(f"{target.reference} is closed: reopen it before merging into it.")
    reports = list(case.reports.all())
    for report in reports:
        report.case = target
        report.save(update_fields=["case"])
    case.evidence.update(case=target)
    case.messages.update(case=target)
    case.notifications.filter(sent_at__isnull=True).update(case=target)
    case.merged_into = target
    case.outcome = f"Merged into {target.reference}"
    case.closed_at = timezone.now()
    fields = ["merged_into", "outcome", "closed_at"]
    if case.safeguarding_flag and not target.safeguarding_flag:
        target.safeguarding_flag = True
        target._workflow_allowed = True
        target.save(update_fields=["safeguarding_flag"])
    CaseEvent.objects.create(
        case=target,
        kind=CaseEvent.Kind.MERGED,
        actor=actor,
        summary=f"Report{'s' if len(reports) != 1 else ''} "
        f"{', '.join(r.reference for r in reports)} merged in from {case.reference}",
        rationale=rationale,
        data={"from_case": case.pk, "reports": [r.pk for r in reports]},
    )
    return Effect(
        f"Merged into {target.reference}",
        rationale,
        {"into": target.pk, "reports": [r.pk for r in reports]},
        fields,
    )


GATHER_KINDS = {
    "statement": "Statement",
    "note": "Note from those involved",
    "evidence": "Evidence",
}


def _gather(case: Case, actor, *, kind: str, text: str, files=()) -> Effect:
    _required(text, "Write down the information gathered.")
    if kind not in GATHER_KINDS:
        raise WorkflowError("Choose what kind of information this is.")
    rows = evidence_store(case=case, items=list(files), actor=actor)
    summary = f"{GATHER_KINDS[kind]} recorded"
    if rows:
        summary += f" with {len(rows)} file{'s' if len(rows) != 1 else ''}"
    return Effect(summary, "", {"kind": kind, "text": text, "evidence": [r.pk for r in rows]})


def _meeting(
    case: Case,
    actor,
    *,
    kind: str,
    held_at: datetime.datetime,
    notes: str,
    place: str = "",
    attendees: str = "",
    person: Person | None = None,
) -> Effect:
    _required(held_at, "Give the date and time of the meeting or conversation.")
    _required(notes, "Record what was said.")
    meeting = Meeting.objects.create(
        case=case,
        kind=kind,
        held_at=held_at,
        notes=notes,
        place=place,
        attendees=attendees,
        person=person,
        recorded_by=actor,
    )
    return Effect(
        f"{meeting.get_kind_display()} on {timezone.localtime(held_at):%d %b %Y}",
        "",
        {"meeting": meeting.pk, "notes": notes},
        result=meeting,
    )


def _decide(
    case: Case, actor, *, actions: list[str], rationale: str, escalation_reason: str = ""
) -> Effect:
    _required(actions, "Choose at least one action.")
    _required(rationale, "Record why this outcome is proportionate.")
    unknown = set(actions) - set(Outcome.values)
    if unknown:
        raise WorkflowError("Choose actions from the list.")
    if Outcome.NO_FURTHER_ACTION in actions and len(actions) > 1:
        raise WorkflowError("“No further action” can't be combined with other actions.")
    if case.nature == Nature.CRITICISM and Outcome.SITE_BAN in actions:
        raise WorkflowError(
            "Criticism of the school is not misconduct: it can never lead to a site ban."
        )
    if (
        case.safeguarding_screen == SafeguardingScreen.ALLEGATION
        and SANCTIONS & set(actions)
        and not case.referrals.filter(kind=Referral.Kind.LADO).exists()
    ):
        raise WorkflowError(
            "This is an allegation against a member of staff: record the LADO referral and "
            "wait for their decision before any warning or sanction."
        )
    history = person_history(case)
    suggested = usual_next_step([c.actions for c in history])
    most = max(SEVERITY_RANK[Outcome(a)] for a in actions)
    skipped = most > SEVERITY_RANK[Outcome(suggested)]
    if skipped and not escalation_reason.strip():
        raise WorkflowError(
            f"The usual next step for this parent is “{Outcome(suggested).label}”. To go "
            "further, record why the lesser steps are not enough (for example an immediate "
            "risk)."
        )
    case.actions = list(actions)
    case.decided_at = timezone.now()
    labels = ", ".join(Outcome(a).label.lower() for a in actions)
    data = {"actions": list(actions), "suggested": suggested}
    if skipped:
        data["escalation_reason"] = escalation_reason.strip()
    return Effect(f"Decided: {labels}", rationale, data, ["actions", "decided_at"])


def _refer(
    case: Case,
    actor,
    *,
    kind: str,
    made_on: datetime.date,
    external_reference: str = "",
    notes: str = "",
) -> Effect:
    _required(kind, "Choose who the referral was made to.")
    _required(made_on, "Give the date of the referral.")
    referral = Referral.objects.create(
        case=case,
        kind=kind,
        made_on=made_on,
        external_reference=external_reference,
        notes=notes,
        made_by=actor,
    )
    summary = f"Referred: {referral.get_kind_display()}"
    if external_reference:
        summary += f" (ref. {external_reference})"
    return Effect(summary, notes, {"referral": referral.pk}, result=referral)


def _monitor(
    case: Case, actor, *, rationale: str, review_on: datetime.date | None = None
) -> Effect:
    _required(rationale, "Record what is being monitored and why.")
    in_force = (
        SiteBan.objects.filter(case=case, stage__in=IN_FORCE_BAN_STAGES).exists()
        or ContactRestriction.objects.filter(case=case, ended_on__isnull=True).exists()
    )
    if not in_force and not {Outcome.CONTACT_RESTRICTION, Outcome.SITE_BAN} & set(case.actions):
        raise WorkflowError(
            "Monitoring is for a case where a ban or contact restriction is in "
            "force. Close the case instead, or record that decision first."
        )
    return Effect(
        "Monitoring started", rationale, {"review_on": review_on.isoformat() if review_on else None}
    )


def _close(case: Case, actor, *, outcome: str, rationale: str) -> Effect:
    _required(outcome, "Record the outcome.")
    _required(rationale, "Record why the case can be closed.")
    case.outcome = outcome.strip()[:200]
    case.closed_at = timezone.now()
    return Effect(
        f"Closed: {case.outcome}", rationale, {"outcome": case.outcome}, ["outcome", "closed_at"]
    )


def _reopen(case: Case, actor, *, reason: str) -> Effect:
    _required(reason, "Give the reason for reopening the case.")
    if case.merged_into_id:
        raise WorkflowError(
            f"This case was merged into {case.merged_into.reference}: "  # type: ignore[union-attr]
            "open that case instead."
        )
    case.closed_at = None
    case.outcome = ""
    return Effect("Reopened", reason, {}, ["closed_at", "outcome"])


def _reassign(case: Case, actor, *, lead, rationale: str = "") -> Effect:
    _required(lead, "Choose the new case lead.")
    _check_lead(case.school, lead)
    if lead.pk == case.lead_id:
        raise WorkflowError(f"{lead.get_full_name() or lead} already leads this case.")
    case.lead = lead
    if lead.pk != actor.pk:
        notifications.notifications_create(
            case=case, report=None, kinds=[Notification.Kind.LEAD_ASSIGNED]
        )
    return Effect(
        f"Lead changed to {lead.get_full_name() or lead}", rationale, {"lead": lead.pk}, ["lead"]
    )


def _change_severity(case: Case, actor, *, severity: str, rationale: str) -> Effect:
    _required(severity, "Choose the new severity.")
    _required(rationale, "Record why the severity changed.")
    if severity == case.severity:
        raise WorkflowError("That is already the case's severity.")
    old = case.get_severity_display() or "not set"
    case.severity = severity
    return Effect(
        f"Severity changed from {old.lower()} to {case.get_severity_display().lower()}",
        rationale,
        {"from": old, "to": severity},
        ["severity"],
    )


def _add_person(case: Case, actor, *, person: Person) -> Effect:
    if person.pk is None:
        person.school = case.school
        person.save()
    same_trust = case.school.trust_id and person.trust_id == case.school.trust_id
    if not same_trust and person.school_id != case.school_id:
        raise WorkflowError("That person belongs to another school.")
    case.persons.add(person)
    return Effect(f"Person concerned: {person.full_name}", "", {"person": person.pk})


def _note(case: Case, actor, *, text: str) -> Effect:
    _required(text, "Write the note.")
    return Effect("Note", "", {"text": text})


def _message_reporter(case: Case, actor, *, report: Report, body: str) -> Effect:
    _required(body, "Write the message.")
    if report.case_id != case.pk:
        raise WorkflowError("That report is not part of this case.")
    message = Message.objects.create(
        case=case, report=report, author=actor, body=body, direction=Message.Direction.TO_REPORTER
    )
    if report.reporter_email:
        notifications.notifications_create(
            case=case, report=report, kinds=[Notification.Kind.REPORTER_MESSAGE]
        )
    return Effect(
        f"Message to the reporter of {report.reference}",
        "",
        {"message": message.pk, "body": body},
        result=message,
    )


def _safeguarding_decision(case: Case, actor, *, decision: str, record_ref: str = "") -> Effect:
    _required(decision, "Record the safeguarding decision.")
    case.safeguarding_decision = decision
    case.safeguarding_record_ref = record_ref
    case.safeguarding_decided_at = timezone.now()
    case.safeguarding_decided_by = actor
    summary = "Safeguarding decision recorded"
    if record_ref:
        summary += f" (child-protection record {record_ref})"
    return Effect(
        summary,
        decision,
        {"record_ref": record_ref},
        [
            "safeguarding_decision",
            "safeguarding_record_ref",
            "safeguarding_decided_at",
            "safeguarding_decided_by",
        ],
    )


def _reissue_code(case: Case, actor, *, report: Report, identity_check: str) -> Effect:
    _required(identity_check, "Record how you checked the reporter's identity.")
    if report.case_id != case.pk:
        raise WorkflowError("That report is not part of this case.")
    code = codes.generate_followup_code()
    report.followup_code_hash = codes.hash_followup_code(code)
    report.save(update_fields=["followup_code_hash"])
    return Effect(
        f"Follow-up code re-issued for {report.reference} (the old code no longer works)",
        identity_check,
        {"report": report.pk},
        result=code,
    )


LETTER_STEPS_MANAGE = {"drafted", "approved", "corrected", "cancelled"}
LETTER_STEPS_OFFICE = {"printed", "sent", "render_failed", "rendered", "batched", "unbatched"}


def letters_blocked_reason(case: Case, *, to_reporter: bool) -> str:
    """Why a letter can't be drafted or approved on this case now ("" if it can)."""
    if to_reporter:
        return ""
    if case.status not in (CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING):
        return (
            "Letters to the parent can be issued only while the case is being "
            "investigated, in action or monitored."
        )
    if case.safeguarding_flag and not case.safeguarding_decided_at:
        return "Letters to the parent are on hold until the DSL records a safeguarding decision."
    return ""


def _letter(
    case: Case, actor, *, step: str, summary: str, to_reporter: bool, data: dict | None = None
) -> Effect:
    """A letter's step on the chronology. The letters app calls this; it owns the letter."""
    roles = roles_for(actor)
    if step in LETTER_STEPS_MANAGE and not roles.manages(case.school):
        raise WorkflowError("Only the school's senior leaders can draft or approve letters.")
    if step not in LETTER_STEPS_MANAGE | LETTER_STEPS_OFFICE:
        raise WorkflowError("Unknown letter step.")
    if step in ("drafted", "approved", "corrected"):
        reason = letters_blocked_reason(case, to_reporter=to_reporter)
        if reason:
            raise WorkflowError(reason)
    return Effect(summary, "", {"step": step, **(data or {})})


# --------------------------------------------------------------------------------------------
# Site bans and contact restrictions (DOMAIN.md §Site ban, "Enforced")

LESSER_STEPS = {
    Outcome.REMINDER,
    Outcome.WARNING,
    Outcome.MEETING_SLT,
    Outcome.MEETING_TRUST,
    Outcome.CONTACT_RESTRICTION,
}
MIN_REPRESENTATION_SCHOOL_DAYS = 5
MAX_BAN_MONTHS = 6


def _not_for_criticism(case: Case, what: str) -> None:
    if case.nature == Nature.CRITICISM:
        raise WorkflowError(
            f"Criticism of the school is not misconduct: it can never lead to {what}."
        )


def _person_on_case(case: Case, person: Person | None) -> Person:
    if person is None or not case.persons.filter(pk=person.pk).exists():
        raise WorkflowError("Choose the person concerned (add them to the case first).")
    return person


def _representation_deadline(
    case: Case, notice_on: datetime.date, deadline: datetime.date | None
) -> datetime.date:
    calendar = SchoolCalendar.for_school(case.school)
    earliest = calendar.add_school_days(notice_on, MIN_REPRESENTATION_SCHOOL_DAYS)
    if deadline is None:
        return calendar.add_school_days(notice_on, case.school.representation_school_days)
    if deadline < earliest:
        raise WorkflowError(
            f"The representation deadline must be at least {MIN_REPRESENTATION_SCHOOL_DAYS} "
            f"school days after the notice: {earliest:%A %d %B %Y} or later."
        )
    return deadline


def _no_open_ban(case: Case, person: Person) -> None:
    if SiteBan.objects.filter(
        school=case.school, person=person, stage__in=ACTIVE_BAN_STAGES
    ).exists():
        raise WorkflowError(f"{person.full_name} already has a bar in progress or in force.")


def _ban_fields(
    reasons: str, scope: str, duration: str, child_arrangements: str, decision_maker
) -> None:
    _required(reasons, "Give the reasons for the bar.")
    _required(scope, "Describe the proposed scope: site areas, times and events.")
    _required(duration, "Give the proposed duration.")
    _required(
        child_arrangements, "Set out the arrangements for the child's drop-off and collection."
    )
    _required(decision_maker, "Record who will decide.")


def _create_ban(
    case: Case, person: Person, stage: str, deadline: datetime.date | None, **fields: Any
) -> SiteBan:
    """A new bar, noticed today, with its representation deadline checked (or defaulted)."""
    _no_open_ban(case, person)
    today = timezone.localdate()
    return SiteBan.objects.create(
        case=case,
        person=person,
        school=case.school,
        stage=stage,
        notice_on=today,
        representation_deadline=_representation_deadline(case, today, deadline),
        **fields,
    )


def _ban_notice(
    case: Case,
    actor,
    *,
    person: Person | None,
    reasons: str,
    scope: str,
    duration: str,
    child_arrangements: str,
    decision_maker,
    representation_deadline: datetime.date | None = None,
) -> Effect:
    """Notice of intention to bar: only after lesser steps, never for mere criticism."""
    _not_for_criticism(case, "a site ban")
    person = _person_on_case(case, person)
    _ban_fields(reasons, scope, duration, child_arrangements, decision_maker)
    if Outcome.SITE_BAN not in case.actions:
        raise WorkflowError(
            "Decide the outcome “Site ban” (with your rationale) before "
            "issuing a notice of intention to bar."
        )
    if not (LESSER_STEPS & steps_taken(case)):
        raise WorkflowError(
            "Lesser steps (a reminder, warning, meeting or contact "
            "restriction) must be recorded first. If there is an immediate "
            "risk, use a temporary bar and record why."
        )
    ban = _create_ban(
        case,
        person,
        BanStage.INTENTION,
        representation_deadline,
        reasons=reasons,
        scope=scope,
        duration=duration,
        child_arrangements=child_arrangements,
        decision_maker=decision_maker,
    )
    deadline = ban.representation_deadline
    return Effect(
        f"Notice of intention to bar {person.full_name}: representations by {deadline:%d %b %Y}",
        reasons,
        {"ban": ban.pk},
        result=ban,
    )


def _ban_temporary(
    case: Case,
    actor,
    *,
    person: Person | None,
    immediate_risk_reason: str,
    reasons: str,
    scope: str,
    duration: str,
    child_arrangements: str,
    decision_maker,
    starts_on: datetime.date | None = None,
    representation_deadline: datetime.date | None = None,
) -> Effect:
    """A temporary bar with immediate effect: a recorded risk; still invites representations."""
    _not_for_criticism(case, "a site ban")
    person = _person_on_case(case, person)
    _required(
        immediate_risk_reason,
        "Record the immediate risk that justifies a bar with immediate effect.",
    )
    _ban_fields(reasons, scope, duration, child_arrangements, decision_maker)
    starts_on = starts_on or timezone.localdate()
    ban = _create_ban(
        case,
        person,
        BanStage.TEMPORARY,
        representation_deadline,
        reasons=reasons,
        scope=scope,
        duration=duration,
        child_arrangements=child_arrangements,
        decision_maker=decision_maker,
        immediate_risk_reason=immediate_risk_reason,
        starts_on=starts_on,
    )
    deadline = ban.representation_deadline
    return Effect(
        f"Temporary bar on {person.full_name} from {starts_on:%d %b %Y}: "
        f"representations by {deadline:%d %b %Y}",
        immediate_risk_reason,
        {"ban": ban.pk},
        result=ban,
    )


def _open_ban(case: Case, ban: SiteBan | None, stages) -> SiteBan:
    if ban is None or ban.case_id != case.pk:
        raise WorkflowError("That bar is not part of this case.")
    ban = SiteBan.objects.select_for_update().get(pk=ban.pk)
    if ban.stage not in stages:
        raise WorkflowError(
            f"The bar is {ban.get_stage_display().lower()}: that step is not possible now."
        )
    return ban


def _ban_representations(
    case: Case,
    actor,
    *,
    ban: SiteBan,
    representations: str,
    received_on: datetime.date,
    weighed: str,
) -> Effect:
    ban = _open_ban(case, ban, (BanStage.INTENTION, BanStage.TEMPORARY))
    _required(
        representations, "Summarise the representations received (or record that none were made)."
    )
    _required(received_on, "Give the date the representations were received.")
    _required(weighed, "Record how the representations were weighed.")
    ban.representations, ban.representations_on = representations, received_on
    ban.representations_weighed = weighed
    ban.representations_considered_at = timezone.now()
    ban.save(
        update_fields=[
            "representations",
            "representations_on",
            "representations_weighed",
            "representations_considered_at",
        ]
    )
    return Effect(
        f"Representations from {ban.person.full_name} recorded and considered",
        weighed,
        {"ban": ban.pk, "representations": representations},
    )


def _may_decide_ban(actor, school: School) -> bool:
    roles = roles_for(actor)
    rule = school.ban_decision_by
    if rule == BanDecisionBy.TRUST_EXECUTIVE:
        return school.trust_id is not None and school.trust_id in roles.trusts
    if rule == BanDecisionBy.ANY_SLT:
        return school.pk in roles.slt
    return school.pk in roles.head_of


def _ban_decide(
    case: Case,
    actor,
    *,
    ban: SiteBan,
    confirm: bool,
    reasons: str,
    starts_on: datetime.date | None = None,
    review_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    override_reason: str = "",
) -> Effect:
    ban = _open_ban(case, ban, (BanStage.INTENTION, BanStage.TEMPORARY))
    _required(reasons, "Record the reasons for the decision.")
    if not _may_decide_ban(actor, case.school):
        raise WorkflowError(
            "Under the school's scheme of delegation, "
            f"{case.school.get_ban_decision_by_display().lower()} decides "
            "site bans."
        )
    if case.targeted_staff_id == actor.pk and not override_reason.strip():
        raise WorkflowError(
            "The conduct targeted you, so someone else should decide. If no "
            "one else can, record why."
        )
    today = timezone.localdate()
    if ban.representation_deadline >= today and not ban.representations_considered_at:
        raise WorkflowError(
            f"The representation deadline ({ban.representation_deadline:%d %b %Y}) has not "
            "passed. Wait for it, or record the representations as considered."
        )
    fields = ["stage", "decided_at", "decided_by", "decision_reasons", "override_reason"]
    if confirm:
        starts_on = starts_on or ban.starts_on or today
        review_on = _required(review_on, "Set a review date: no bar is open-ended.")
        limit = add_months(starts_on, MAX_BAN_MONTHS)
        if review_on <= starts_on or review_on > limit:
            raise WorkflowError(
                f"The review date must be after the start and no later than "
                f"{limit:%d %b %Y} (six months)."
            )
        if ends_on and (ends_on <= starts_on or ends_on > limit):
            raise WorkflowError(f"A fixed-term bar ends within six months: by {limit:%d %b %Y}.")
        ban.stage, ban.starts_on, ban.review_on, ban.ends_on = (
            BanStage.CONFIRMED,
            starts_on,
            review_on,
            ends_on,
        )
        fields += ["starts_on", "review_on", "ends_on"]
        summary = (
            f"Bar on {ban.person.full_name} confirmed from {starts_on:%d %b %Y}, "
            f"review by {review_on:%d %b %Y}"
        )
    else:
        ban.stage = BanStage.LIFTED if ban.stage == BanStage.TEMPORARY else BanStage.NOT_CONFIRMED
        ban.lifted_on = today
        fields.append("lifted_on")
        summary = f"Bar on {ban.person.full_name} not confirmed"
    ban.decided_at, ban.decided_by = timezone.now(), actor
    ban.decision_reasons, ban.override_reason = reasons, override_reason
    ban.save(update_fields=fields)
    return Effect(
        summary,
        reasons,
        {"ban": ban.pk, "confirm": confirm, "override_reason": override_reason},
        result=ban,
    )


def _ban_review(
    case: Case,
    actor,
    *,
    ban: SiteBan,
    outcome: str,
    notes: str,
    next_review_on: datetime.date | None = None,
    scope: str = "",
) -> Effect:
    ban = _open_ban(case, ban, (BanStage.CONFIRMED,))
    _required(notes, "Record the review's reasons.")
    today = timezone.localdate()
    if outcome not in BanReview.Outcome.values:
        raise WorkflowError("Choose continue, vary or lift.")
    fields = []
    if outcome == BanReview.Outcome.LIFT:
        ban.stage, ban.lifted_on, ban.lift_reason = BanStage.LIFTED, today, notes
        fields += ["stage", "lifted_on", "lift_reason"]
        next_review_on = None
    else:
        next_review_on = _required(
            next_review_on, "Set the next review date: no bar is open-ended."
        )
        limit = add_months(today, MAX_BAN_MONTHS)
        if next_review_on <= today or next_review_on > limit:
            raise WorkflowError(f"The next review must be after today and by {limit:%d %b %Y}.")
        ban.review_on = next_review_on
        fields.append("review_on")
        if outcome == BanReview.Outcome.VARY:
            _required(scope, "Describe the varied scope.")
            ban.scope = scope
            fields.append("scope")
    ban.save(update_fields=fields)
    review = BanReview.objects.create(
        ban=ban,
        reviewed_on=today,
        outcome=outcome,
        notes=notes,
        next_review_on=next_review_on,
        reviewed_by=actor,
    )
    label = BanReview.Outcome(outcome).label.lower()
    summary = f"Bar on {ban.person.full_name} reviewed: {label}"
    if next_review_on:
        summary += f"; next review {next_review_on:%d %b %Y}"
    return Effect(
        summary, notes, {"ban": ban.pk, "review": review.pk, "outcome": outcome}, result=review
    )


def _restriction_start(
    case: Case,
    actor,
    *,
    person: Person | None,
    contact_point: str,
    channels: str,
    reasons: str,
    review_on: datetime.date | None,
    starts_on: datetime.date | None = None,
) -> Effect:
    _not_for_criticism(case, "a contact restriction")
    person = _person_on_case(case, person)
    _required(contact_point, "Name the single point of contact.")
    _required(channels, "Say which channels the parent may use.")
    _required(reasons, "Give the reasons for the restriction.")
    review_on = _required(review_on, "Set a review date.")
    starts_on = starts_on or timezone.localdate()
    if review_on <= starts_on or review_on > add_months(starts_on, MAX_BAN_MONTHS):
        raise WorkflowError("The review date must be after the start and within six months.")
    if ContactRestriction.objects.filter(
        school=case.school, person=person, ended_on__isnull=True
    ).exists():
        raise WorkflowError(f"{person.full_name} already has a contact restriction in force.")
    restriction = ContactRestriction.objects.create(
        case=case,
        person=person,
        school=case.school,
        contact_point=contact_point,
        channels=channels,
        reasons=reasons,
        starts_on=starts_on,
        review_on=review_on,
        created_by=actor,
    )
    return Effect(
        f"Contact restriction on {person.full_name}: contact through "
        f"{contact_point}, review by {review_on:%d %b %Y}",
        reasons,
        {"restriction": restriction.pk},
        result=restriction,
    )


def _restriction_review(
    case: Case,
    actor,
    *,
    restriction: ContactRestriction,
    end: bool,
    notes: str,
    next_review_on: datetime.date | None = None,
) -> Effect:
    if restriction is None or restriction.case_id != case.pk or not restriction.is_active:
        raise WorkflowError("That contact restriction is not in force on this case.")
    _required(notes, "Record the review's reasons.")
    today = timezone.localdate()
    if end:
        ContactRestriction.objects.filter(pk=restriction.pk).update(
            ended_on=today, end_reason=notes
        )
        summary = f"Contact restriction on {restriction.person.full_name} ended"
    else:
        next_review_on = _required(next_review_on, "Set the next review date.")
        if next_review_on <= today or next_review_on > add_months(today, MAX_BAN_MONTHS):
            raise WorkflowError("The next review must be after today and within six months.")
        ContactRestriction.objects.filter(pk=restriction.pk).update(review_on=next_review_on)
        summary = (
            f"Contact restriction on {restriction.person.full_name} continues; next "
            f"review {next_review_on:%d %b %Y}"
        )
    return Effect(summary, notes, {"restriction": restriction.pk, "end": end})


def bans_expire(*, today: datetime.date | None = None) -> int:
    """Take bars whose fixed term has ended off the register (the daily job). Safe to re-run."""
    today = today or timezone.localdate()
    expired = 0
    for ban in SiteBan.objects.filter(stage=BanStage.CONFIRMED, ends_on__lt=today):
        with transaction.atomic():
            updated = SiteBan.objects.filter(pk=ban.pk, stage=BanStage.CONFIRMED).update(
                stage=BanStage.EXPIRED
            )
            if updated:
                CaseEvent.objects.create(
                    case_id=ban.case_id,
                    kind=CaseEvent.Kind.BAN,
                    summary=f"Bar on {ban.person.full_name} expired on {ban.ends_on:%d %b %Y}",
                    data={"ban": ban.pk},
                )
                expired += 1
    return expired


TRANSITIONS: dict[str, Transition] = {
    "triage": Transition(
        "Triage",
        frozenset({CaseStatus.NEW}),
        CaseStatus.INVESTIGATING,
        frozenset({MANAGE}),
        CaseEvent.Kind.TRIAGED,
        _triage,
    ),
    "merge": Transition(
        "Merge into another case",
        frozenset({CaseStatus.NEW}),
        CaseStatus.CLOSED,
        frozenset({MANAGE}),
        CaseEvent.Kind.MERGED,
        _merge_into,
    ),
    "gather": Transition(
        "Gather information",
        frozenset({CaseStatus.INVESTIGATING}),
        None,
        frozenset({MANAGE}),
        CaseEvent.Kind.INFORMATION,
        _gather,
    ),
    "meeting": Transition(
        "Record a meeting or conversation",
        frozenset({CaseStatus.INVESTIGATING, CaseStatus.ACTION}),
        None,
        frozenset({MANAGE}),
        CaseEvent.Kind.MEETING,
        _meeting,
    ),
    "decide": Transition(
        "Decide the outcome",
        frozenset({CaseStatus.INVESTIGATING}),
        CaseStatus.ACTION,
        frozenset({MANAGE}),
        CaseEvent.Kind.DECIDED,
        _decide,
    ),
    "refer": Transition(
        "Record a referral",
        frozenset({CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING}),
        None,
        frozenset({MANAGE, DSL}),
        CaseEvent.Kind.REFERRAL,
        _refer,
    ),
    "monitor": Transition(
        "Start monitoring",
        frozenset({CaseStatus.ACTION}),
        CaseStatus.MONITORING,
        frozenset({MANAGE}),
        CaseEvent.Kind.MONITORING,
        _monitor,
    ),
    "close": Transition(
        "Close the case",
        OPEN,
        CaseStatus.CLOSED,
        frozenset({MANAGE}),
        CaseEvent.Kind.CLOSED,
        _close,
    ),
    "reopen": Transition(
        "Reopen the case",
        frozenset({CaseStatus.CLOSED}),
        CaseStatus.INVESTIGATING,
        frozenset({MANAGE}),
        CaseEvent.Kind.REOPENED,
        _reopen,
    ),
    "reassign": Transition(
        "Change the lead", OPEN, None, frozenset({MANAGE}), CaseEvent.Kind.REASSIGNED, _reassign
    ),
    "severity": Transition(
        "Change the severity",
        OPEN - {CaseStatus.NEW},
        None,
        frozenset({MANAGE}),
        CaseEvent.Kind.SEVERITY,
        _change_severity,
    ),
    "add_person": Transition(
        "Add the person concerned",
        OPEN,
        None,
        frozenset({MANAGE}),
        CaseEvent.Kind.PERSON,
        _add_person,
    ),
    "note": Transition(
        "Add a note", ANY, None, frozenset({MANAGE, DSL}), CaseEvent.Kind.NOTE, _note
    ),
    "message_reporter": Transition(
        "Message the reporter",
        ANY,
        None,
        frozenset({MANAGE}),
        CaseEvent.Kind.MESSAGE_TO_REPORTER,
        _message_reporter,
    ),
    "safeguarding_decision": Transition(
        "Record the safeguarding decision",
        ANY,
        None,
        frozenset({DSL}),
        CaseEvent.Kind.SAFEGUARDING_DECISION,
        _safeguarding_decision,
    ),
    "reissue_code": Transition(
        "Re-issue a follow-up code",
        ANY,
        None,
        frozenset({MANAGE}),
        CaseEvent.Kind.CODE_REISSUED,
        _reissue_code,
    ),
    "letter": Transition(
        "Record a letter step",
        ANY,
        None,
        frozenset({MANAGE, OFFICE}),
        CaseEvent.Kind.LETTER,
        _letter,
    ),
}
for _name, _label, _sources, _event, _run in (
    (
        "ban_notice",
        "Notice of intention to bar",
        {CaseStatus.ACTION, CaseStatus.MONITORING},
        CaseEvent.Kind.BAN,
        _ban_notice,
    ),
    (
        "ban_temporary",
        "Temporary bar with immediate effect",
        {CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING},
        CaseEvent.Kind.BAN,
        _ban_temporary,
    ),
    (
        "ban_representations",
        "Record representations",
        set(WITH_MEASURES),
        CaseEvent.Kind.BAN,
        _ban_representations,
    ),
    ("ban_decide", "Decide on the bar", set(WITH_MEASURES), CaseEvent.Kind.BAN, _ban_decide),
    ("ban_review", "Review the bar", set(WITH_MEASURES), CaseEvent.Kind.BAN, _ban_review),
    (
        "restriction_start",
        "Restrict contact",
        {CaseStatus.ACTION, CaseStatus.MONITORING},
        CaseEvent.Kind.RESTRICTION,
        _restriction_start,
    ),
    (
        "restriction_review",
        "Review the contact restriction",
        set(WITH_MEASURES),
        CaseEvent.Kind.RESTRICTION,
        _restriction_review,
    ),
):
    TRANSITIONS[_name] = Transition(
        _label, frozenset(_sources), None, frozenset({MANAGE}), _event, _run
    )

# Letter steps are taken on the letters app's own pages; ban steps that need an existing bar
# or restriction are offered on it, not as generic case actions.
NOT_OFFERED = {"letter", "ban_representations", "ban_decide", "ban_review", "restriction_review"}


def _may(actor, case: Case, who: frozenset[str]) -> bool:
    roles = roles_for(actor)
    return (
        (MANAGE in who and roles.manages(case.school))
        or (DSL in who and roles.is_dsl(case.school))
        or (OFFICE in who and case.school_id in roles.office)
    )


# Actions on an existing bar or restriction, offered beside it while it is at these stages.
OBJECT_ACTIONS = {
    "ban_representations": ("ban", ACTIVE_BAN_STAGES[:2]),
    "ban_decide": ("ban", ACTIVE_BAN_STAGES[:2]),
    "ban_review": ("ban", (BanStage.CONFIRMED,)),
    "restriction_review": ("restriction", None),
}


def available_actions(*, case: Case, actor, with_object_actions: bool = False) -> list[str]:
    """The actions this user may take on this case now (what the case page offers).

    With `with_object_actions`, also the ones offered beside a bar or restriction."""
    hidden = NOT_OFFERED - (set(OBJECT_ACTIONS) if with_object_actions else set())
    names = [
        name
        for name, t in TRANSITIONS.items()
        if name not in hidden and case.status in t.sources and _may(actor, case, t.who)
    ]
    if "safeguarding_decision" in names and not case.safeguarding_flag:
        names.remove("safeguarding_decision")
    if "reopen" in names and case.merged_into_id:
        names.remove("reopen")
    return names


def perform_action(*, case: Case, action: str, actor, **params: Any) -> Effect:
    """Run one case action under a row lock, with its chronology event; see module doc."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError("That action does not exist.")
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("school", "merged_into")
            .get(pk=case.pk)
        )
        if not _may(actor, locked, transition.who):
            raise WorkflowError("You don't have permission to do that on this case.")
        if locked.status not in transition.sources:
            raise WorkflowError(
                f"You can't {transition.label[0].lower() + transition.label[1:]} while the "
                f"case is {locked.get_status_display().lower()}."
            )
        if action == "safeguarding_decision" and not locked.safeguarding_flag:
            raise WorkflowError("This case has no safeguarding flag to decide on.")
        from_status = locked.status
        effect = transition.run(locked, actor, **params)
        fields = list(effect.fields)
        if transition.target and transition.target != from_status:
            locked.status = transition.target
            fields.append("status")
        if fields:
            locked._workflow_allowed = True
            locked.save(update_fields=fields)
        CaseEvent.objects.create(
            case=locked,
            kind=transition.event,
            actor=actor,
            summary=effect.summary[:300],
            from_status=from_status if "status" in fields else "",
            to_status=locked.status if "status" in fields else "",
            rationale=effect.rationale,
            data=effect.data,
        )
    # The caller's object reflects the change.
    case.refresh_from_db()
    return effect


def cases_merge(*, target: Case, sources: list[Case], actor, rationale: str = "") -> None:
    """Merge several new cases (a pile-on of reports about one post) into `target` at once."""
    if not sources:
        raise WorkflowError("Choose at least one report to merge.")
    with transaction.atomic():
        for source in sources:
            perform_action(
                case=source, action="merge", actor=actor, target=target, rationale=rationale
            )


def case_open(
    *,
    school: School,
    reference: str,
    actor: Any = None,
    summary: str,
    safeguarding_flag: bool = False,
) -> Case:
    """Open a case in `new` and write its first chronology event. Call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_open must run inside a transaction")
    case = Case.objects.create(
        school=school, reference=reference, safeguarding_flag=safeguarding_flag
    )
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.OPENED,
        actor=actor,
        summary=summary,
        to_status=CaseStatus.NEW,
    )
    return case
