"""The case's own actions: one typed function per action, each run through the engine.

`case_triage(case, actor, severity=..., ...)` and its siblings are what views, services and
tests call; `@action(name)` runs each through `engine.perform` (row lock, table check,
chronology event). Their bodies see the locked case.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from schools.calendar import add_working_days
from schools.models import School

from .. import codes, notifications
from ..access import roles_for
from ..evidence import evidence_store
from ..models import (
    Case,
    CaseEvent,
    CaseStatus,
    Meeting,
    Message,
    Nature,
    Outcome,
    Person,
    Referral,
    Report,
    SafeguardingScreen,
    Severity,
)
from ..wording import public_wording
from .engine import MEASURE_IN_FORCE_CHECKS as engine_in_force_checks
from .engine import Effect, WorkflowError, action, required

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
# ... and legal steps, which must wait too (DOMAIN.md: defamation, legal or warning steps).
AGAINST_THE_PARENT = SANCTIONS | {Outcome.LEGAL}
# Criticism of the school is not misconduct: these are the only ways such a case can end.
FOR_CRITICISM = {
    Outcome.NO_FURTHER_ACTION,
    Outcome.REMINDER,
    Outcome.MEETING_SLT,
    Outcome.MEETING_TRUST,
}
# A recorded meeting with the parent about the conduct is a lesser step taken.
MEETING_STEPS = {
    "senior_leader": Outcome.MEETING_SLT,
    "trust_executive": Outcome.MEETING_TRUST,
}


def lado_hold(case: Case) -> str:
    """Why nothing may yet be done against the parent on an allegation against staff ("" if
    nothing stops it): the LADO referral and the LADO's recorded decision come first."""
    if case.safeguarding_screen != SafeguardingScreen.ALLEGATION:
        return ""
    if not case.referrals.filter(kind=Referral.Kind.LADO).exists():
        return (
            "This is an allegation against a member of staff: record the LADO referral, then "
            "the LADO's decision, before any warning, sanction, legal step or letter to the "
            "parent."
        )
    if not case.lado_decided_on:
        return (
            "This is an allegation against a member of staff: record the LADO's decision "
            "before any warning, sanction, legal step or letter to the parent."
        )
    return ""


# "Is a bar or contact restriction in force on this case?" — asked before monitoring starts
# (the table's precondition for "monitor", in the engine, so the case page can say why not).
MEASURE_IN_FORCE_CHECKS = engine_in_force_checks


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
    # Once per case: a flag is raised once (a reporter's own alert has its report's key).
    notifications.notifications_create(
        case=case, report=None, kinds=[notifications.Kind.DSL_URGENT], about=f"flag:{case.pk}"
    )
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.SAFEGUARDING_ALERT, summary=reason)
    return ["safeguarding_flag"]


def usual_next_step(person_outcomes: list[list[str]] | set[str]) -> str:
    """The step after the most serious one already taken, on the usual ladder."""
    done = (
        set(person_outcomes)
        if isinstance(person_outcomes, set)
        else {a for actions in person_outcomes for a in actions}
    )
    ranks = [SEVERITY_RANK[Outcome(a)] for a in done if a in Outcome.values]
    most = max(ranks, default=0)
    for step in LADDER:
        if SEVERITY_RANK[step] > most:
            return step
    return Outcome.SITE_BAN


def steps_taken(case: Case) -> set[str]:
    """Every lesser step on record for this case's parents: decisions on this case (all of
    them, including before a reopening or an escalation), decisions on their earlier cases,
    and recorded meetings with the parent about the conduct."""
    decided = case.events.filter(kind=CaseEvent.Kind.DECIDED).values_list("data", flat=True)
    steps = {a for data in decided for a in data.get("actions", [])}
    history = person_history(case)
    steps |= set(case.actions) | {a for c in history for a in c.actions}
    meetings = Meeting.objects.filter(case__in=[case, *history]).values_list("kind", flat=True)
    return steps | {MEETING_STEPS[k] for k in meetings if k in MEETING_STEPS}


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


@action("triage")
def case_triage(
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
    group_wording: str = "",
    poster_wording: str = "",
) -> Effect:
    required(severity, "Choose how serious the case is.")
    required(nature, "Choose the nature of the conduct.")
    required(safeguarding_screen, "Record the safeguarding screen.")
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
    fields += _confirm_wording(case, group_wording, poster_wording)
    if safeguarding_screen in (SafeguardingScreen.CONCERN, SafeguardingScreen.ALLEGATION):
        fields += _flag_safeguarding(
            case, "Triage found a possible risk to a child: the DSLs are alerted"
        )
    if safeguarding_screen == SafeguardingScreen.ALLEGATION:
        # The LADO's one working day runs from when the school knew: the report's arrival.
        case.lado_due = add_working_days(timezone.localtime(case.opened_at).date(), 1)
        fields.append("lado_due")
    if lead.pk != actor.pk and lead.pk != previous_lead:
        notifications.notifications_create(
            case=case, report=None, kinds=[notifications.Kind.LEAD_ASSIGNED]
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
            **_wording_data(case),
        },
        fields,
    )


def _confirm_wording(case: Case, group_wording: str, poster_wording: str) -> list[str]:
    """Store staff's confirmed (or reworded) versions of what the public typed; letters use
    only these (incidents/wording.py)."""
    typed = public_wording(case)
    group_wording, poster_wording = group_wording.strip(), poster_wording.strip()
    if typed["group"] and not group_wording:
        raise WorkflowError(
            f"The parent named the group as “{typed['group']}”: confirm or reword it — "
            "letters use only the words you confirm."
        )
    case.group_wording, case.poster_wording = group_wording[:200], poster_wording[:200]
    return ["group_wording", "poster_wording"]


def _wording_data(case: Case) -> dict[str, str]:
    return {"group_wording": case.group_wording, "poster_wording": case.poster_wording}


@action("wording")
def case_wording_confirm(
    case: Case, actor, *, group_wording: str = "", poster_wording: str = ""
) -> Effect:
    """Confirm or reword what the public typed, for a case triaged before it was asked or
    with a report merged in since."""
    fields = _confirm_wording(case, group_wording, poster_wording)
    return Effect("Wording for letters confirmed", "", _wording_data(case), fields)


@action("merge")
def case_merge_into(case: Case, actor, *, target: Case, rationale: str = "") -> Effect:
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
    case.notifications.filter(sent_at__isnull=True).update(target_id=target.pk)
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


@action("gather")
def case_gather(case: Case, actor, *, kind: str, text: str, files=()) -> Effect:
    required(text, "Write down the information gathered.")
    if kind not in GATHER_KINDS:
        raise WorkflowError("Choose what kind of information this is.")
    rows = evidence_store(case=case, items=list(files), actor=actor)
    summary = f"{GATHER_KINDS[kind]} recorded"
    if rows:
        summary += f" with {len(rows)} file{'s' if len(rows) != 1 else ''}"
    return Effect(summary, "", {"kind": kind, "text": text, "evidence": [r.pk for r in rows]})


@action("meeting")
def case_meeting_record(
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
    required(held_at, "Give the date and time of the meeting or conversation.")
    required(notes, "Record what was said.")
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


@action("decide")
def case_decide(
    case: Case, actor, *, actions: list[str], rationale: str, escalation_reason: str = ""
) -> Effect:
    required(actions, "Choose at least one action.")
    required(rationale, "Record why this outcome is proportionate.")
    unknown = set(actions) - set(Outcome.values)
    if unknown:
        raise WorkflowError("Choose actions from the list.")
    if Outcome.NO_FURTHER_ACTION in actions and len(actions) > 1:
        raise WorkflowError("“No further action” can't be combined with other actions.")
    if case.nature == Nature.CRITICISM and set(actions) - FOR_CRITICISM:
        refused = ", ".join(
            f"“{Outcome(a).label}”" for a in Outcome.values if a in set(actions) - FOR_CRITICISM
        )
        raise WorkflowError(
            "Criticism of the school is not misconduct: it can end only in no further action, "
            f"a reminder of the code or a meeting — not {refused}."
        )
    if AGAINST_THE_PARENT & set(actions) and (hold := lado_hold(case)):
        raise WorkflowError(hold)
    earlier = steps_taken(case)
    suggested = usual_next_step(earlier)
    most = max(SEVERITY_RANK[Outcome(a)] for a in actions)
    skipped = most > SEVERITY_RANK[Outcome(suggested)]
    if skipped and not escalation_reason.strip():
        raise WorkflowError(
            f"The usual next step for this parent is “{Outcome(suggested).label}”. To go "
            "further, record why the lesser steps are not enough (for example an immediate "
            "risk)."
        )
    again = case.status != CaseStatus.INVESTIGATING
    case.actions = list(actions)
    case.decided_at = timezone.now()
    labels = ", ".join(Outcome(a).label.lower() for a in actions)
    data: dict[str, Any] = {"actions": list(actions), "suggested": suggested}
    if again:
        data["decided_again"] = True
    if skipped:
        data["escalation_reason"] = escalation_reason.strip()
    summary = f"{'Decided again' if again else 'Decided'}: {labels}"
    return Effect(summary, rationale, data, ["actions", "decided_at"])


@action("allegation")
def case_allegation_identify(case: Case, actor, *, details: str) -> Effect:
    """An allegation that a member of staff harmed a child, recognised after triage: the
    DSLs are alerted and the LADO's one working day starts now (when the school knew)."""
    details = required(details, "Say what the allegation is and how it came to light.")
    case.safeguarding_screen = SafeguardingScreen.ALLEGATION
    fields = ["safeguarding_screen", "lado_due"]
    fields += _flag_safeguarding(
        case, "An allegation against a member of staff was identified: the DSLs are alerted"
    )
    case.lado_due = add_working_days(timezone.localdate(), 1)
    return Effect(
        f"Allegation against a member of staff identified — LADO by {case.lado_due:%d %b %Y}",
        details,
        {"lado_due": case.lado_due.isoformat()},
        fields,
    )


@action("lado_decision")
def case_lado_decision_record(
    case: Case, actor, *, decided_on: datetime.date, decision: str
) -> Effect:
    """What the LADO decided (the school may act against the parent only after this)."""
    required(decided_on, "Give the date of the LADO's decision.")
    decision = required(decision, "Record what the LADO decided.")
    if decided_on > timezone.localdate():
        raise WorkflowError("The LADO's decision can't be dated in the future.")
    case.lado_decision, case.lado_decided_on = decision, decided_on
    return Effect(
        f"LADO's decision recorded ({decided_on:%d %b %Y})",
        decision,
        {"decided_on": decided_on.isoformat()},
        ["lado_decision", "lado_decided_on"],
    )


@action("refer")
def case_refer(
    case: Case,
    actor,
    *,
    kind: str,
    made_on: datetime.date,
    external_reference: str = "",
    notes: str = "",
) -> Effect:
    required(kind, "Choose who the referral was made to.")
    required(made_on, "Give the date of the referral.")
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


@action("monitor")
def case_monitor(
    case: Case, actor, *, rationale: str, review_on: datetime.date | None = None
) -> Effect:
    # A bar or restriction in force, or decided, is checked by the table first ("monitor").
    required(rationale, "Record what is being monitored and why.")
    return Effect(
        "Monitoring started", rationale, {"review_on": review_on.isoformat() if review_on else None}
    )


@action("close")
def case_close(case: Case, actor, *, outcome: str, rationale: str) -> Effect:
    required(outcome, "Record the outcome.")
    required(rationale, "Record why the case can be closed.")
    case.outcome = outcome.strip()[:200]
    case.closed_at = timezone.now()
    return Effect(
        f"Closed: {case.outcome}", rationale, {"outcome": case.outcome}, ["outcome", "closed_at"]
    )


@action("reopen")
def case_reopen(case: Case, actor, *, reason: str) -> Effect:
    required(reason, "Give the reason for reopening the case.")
    case.closed_at = None
    case.outcome = ""
    return Effect("Reopened", reason, {}, ["closed_at", "outcome"])


@action("reassign")
def case_reassign(case: Case, actor, *, lead, rationale: str = "") -> Effect:
    required(lead, "Choose the new case lead.")
    _check_lead(case.school, lead)
    if lead.pk == case.lead_id:
        raise WorkflowError(f"{lead.get_full_name() or lead} already leads this case.")
    case.lead = lead
    if lead.pk != actor.pk:
        notifications.notifications_create(
            case=case, report=None, kinds=[notifications.Kind.LEAD_ASSIGNED]
        )
    return Effect(
        f"Lead changed to {lead.get_full_name() or lead}", rationale, {"lead": lead.pk}, ["lead"]
    )


@action("severity")
def case_severity_change(case: Case, actor, *, severity: str, rationale: str) -> Effect:
    required(severity, "Choose the new severity.")
    required(rationale, "Record why the severity changed.")
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


@action("rules")
def case_rules_record(case: Case, actor, *, rules, rationale: str = "") -> Effect:
    """The rules of the code of conduct the case breaks (after triage: triage records them
    first), as letters to the parent name them."""
    rules = list(rules)
    if not rules:
        raise WorkflowError("Choose at least one rule of the code of conduct.")
    if any(rule.school_id != case.school_id for rule in rules):
        raise WorkflowError("Choose rules of this school's code of conduct.")
    case.rules.set(rules)
    titles = "; ".join(rule.title for rule in rules)
    return Effect(f"Rules broken: {titles}"[:300], rationale, {"rules": [r.pk for r in rules]}, [])


@action("add_person")
def case_person_add(case: Case, actor, *, person: Person) -> Effect:
    if person.pk is None:
        person.school = case.school
        person.save()
    same_trust = case.school.trust_id and person.trust_id == case.school.trust_id
    if not same_trust and person.school_id != case.school_id:
        raise WorkflowError("That person belongs to another school.")
    case.persons.add(person)
    return Effect(f"Person concerned: {person.full_name}", "", {"person": person.pk})


@action("note")
def case_note_add(case: Case, actor, *, text: str) -> Effect:
    required(text, "Write the note.")
    return Effect("Note", "", {"text": text})


@action("message_reporter")
def case_reporter_message(case: Case, actor, *, report: Report, body: str) -> Effect:
    required(body, "Write the message.")
    if report.case_id != case.pk:
        raise WorkflowError("That report is not part of this case.")
    message = Message.objects.create(
        case=case, report=report, author=actor, body=body, direction=Message.Direction.TO_REPORTER
    )
    if report.reporter_email:
        notifications.notifications_create(
            case=case,
            report=report,
            kinds=[notifications.Kind.REPORTER_MESSAGE],
            about=f"message:{message.pk}",
        )
    return Effect(
        f"Message to the reporter of {report.reference}",
        "",
        {"message": message.pk, "body": body},
        result=message,
    )


@action("safeguarding_decision")
def case_safeguarding_decide(case: Case, actor, *, decision: str, record_ref: str = "") -> Effect:
    required(decision, "Record the safeguarding decision.")
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


@action("reissue_code")
def case_code_reissue(case: Case, actor, *, report: Report, identity_check: str) -> Effect:
    required(identity_check, "Record how you checked the reporter's identity.")
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


@action("letter")
def case_letter_record(
    case: Case,
    actor,
    *,
    summary: str,
    data: dict[str, Any],
    guard: Callable[[Case], str] | None = None,
) -> Effect:
    """A letter's step on the chronology. The letters app owns letters and their rules:
    `guard` is its check of the step against the case, run here on the locked case ("" to
    go ahead, else the reason)."""
    reason = guard(case) if guard is not None else ""
    if reason:
        raise WorkflowError(reason)
    return Effect(summary, "", dict(data))


def cases_merge(*, target: Case, sources: list[Case], actor, rationale: str = "") -> None:
    """Merge several new cases (a pile-on of reports about one post) into `target` at once."""
    if not sources:
        raise WorkflowError("Choose at least one report to merge.")
    with transaction.atomic():
        for source in sources:
            case_merge_into(source, actor, target=target, rationale=rationale)


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
