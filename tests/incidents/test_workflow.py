"""The case workflow: every (state, action) pair against a matrix written out by hand."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents import workflow
from incidents.models import (
    Case,
    CaseEvent,
    Meeting,
    Message,
    Nature,
    Outcome,
    Person,
    Referral,
    SafeguardingScreen,
)
from incidents.notifications import Kind as NotificationKind
from incidents.workflow import WorkflowError
from measures.models import BanStage
from tests.factories import (
    CaseTaskFactory,
    ContactRestrictionFactory,
    PersonFactory,
    SiteBanFactory,
    submit_report,
    triage,
)

N, I, A, M, C = "new", "investigating", "action", "monitoring", "closed"  # noqa: E741
STATES = [N, I, A, M, C]
X = None  # refused
S = "="  # allowed, status stays

# Written out by hand from DESIGN.md §4 — never derived from workflow.TRANSITIONS.
# fmt: off
EXPECTED = {
    #                         new  investigating action  monitoring closed
    "triage":                (I,   X,            X,      X,         X),
    "merge":                 (C,   X,            X,      X,         X),
    "gather":                (X,   S,            X,      X,         X),
    "meeting":               (X,   S,            S,      X,         X),
    "decide":                (X,   A,            S,      A,         X),
    "refer":                 (X,   S,            S,      S,         X),
    "allegation":            (X,   S,            S,      S,         X),
    "lado_decision":         (X,   X,            X,      X,         X),
    "monitor":               (X,   X,            M,      X,         X),
    "close":                 (C,   C,            C,      C,         X),
    "reopen":                (X,   X,            X,      X,         I),
    "reassign":              (S,   S,            S,      S,         X),
    "severity":              (X,   S,            S,      S,         X),
    "rules":                 (X,   S,            S,      S,         X),
    "add_person":            (S,   S,            S,      S,         X),
    "note":                  (S,   S,            S,      S,         S),
    "message_reporter":      (S,   S,            S,      S,         S),
    "safeguarding_decision": (S,   S,            S,      S,         S),
    "reissue_code":          (S,   S,            S,      S,         S),
    "letter":                (S,   S,            S,      S,         S),
    "wording":               (S,   S,            S,      S,         X),
    "ban_notice":            (X,   X,            S,      S,         X),
    "ban_temporary":         (X,   S,            S,      S,         X),
    "ban_representations":   (X,   S,            S,      S,         X),
    "ban_decide":            (X,   S,            S,      S,         X),
    "ban_review":            (X,   S,            S,      S,         X),
    "restriction_start":     (X,   X,            S,      S,         X),
    "restriction_review":    (X,   S,            S,      S,         X),
    "task_add":              (S,   S,            S,      S,         X),
    "task_reassign":         (S,   S,            S,      S,         X),
    "task_done":             (S,   S,            S,      S,         S),
}
# fmt: on
EVENT = {
    "triage": "triaged",
    "merge": "merged",
    "gather": "information",
    "meeting": "meeting",
    "decide": "decided",
    "refer": "referral",
    "allegation": "safeguarding_alert",
    "lado_decision": "referral",
    "monitor": "monitoring",
    "close": "closed",
    "reopen": "reopened",
    "reassign": "reassigned",
    "severity": "severity",
    "rules": "rules",
    "add_person": "person",
    "note": "note",
    "message_reporter": "message_to_reporter",
    "safeguarding_decision": "safeguarding_decision",
    "reissue_code": "code_reissued",
    "letter": "letter",
    "wording": "wording",
    "ban_notice": "ban",
    "ban_temporary": "ban",
    "ban_representations": "ban",
    "ban_decide": "ban",
    "ban_review": "ban",
    "restriction_start": "restriction",
    "restriction_review": "restriction",
    "task_add": "task",
    "task_reassign": "task",
    "task_done": "task",
}


def case_in(state: str, school, head) -> Case:
    report, _ = submit_report(school, child_at_risk="unsure", child_risk_details="maybe")
    case = report.case
    if state == C:
        workflow.case_close(
            case, head, outcome="No action needed", rationale="Duplicate of a resolved matter"
        )
        return case
    if state == N:
        return case
    triage(case, head)
    if state == I:
        return case
    workflow.case_decide(
        case,
        head,
        actions=[Outcome.CONTACT_RESTRICTION, Outcome.SITE_BAN],
        rationale="Repeated abuse of staff",
        escalation_reason="Three posts in one week targeting the same teacher",
    )
    if state == A:
        return case
    workflow.case_monitor(case, head, rationale="Restriction in force")
    return case


def ban_on(case, head, stage, **extra):
    person = PersonFactory(school=case.school, full_name="Barred Parent")
    case.persons.add(person)
    values = {
        "reasons": "Threats",
        "scope": "Whole site",
        "duration": "3 months",
        "child_arrangements": "Gate handover",
        "decision_maker": head,
        "notice_on": datetime.date(2026, 1, 5),
        "representation_deadline": datetime.date(2026, 1, 19),
    }
    values.update(extra)
    return SiteBanFactory(case=case, person=person, school=case.school, stage=stage, **values)


def ban_params(case, head):
    person = PersonFactory(school=case.school, full_name="Another Parent")
    case.persons.add(person)
    return {
        "person": person,
        "reasons": "Threats at the gate",
        "scope": "Whole site",
        "duration": "Three months",
        "child_arrangements": "Handover at the gate",
        "decision_maker": head,
    }


def params_for(action: str, case: Case, school, head, slt):
    report = case.reports.first()
    if action == "ban_notice":
        return ban_params(case, head)
    if action == "ban_temporary":
        return {**ban_params(case, head), "immediate_risk_reason": "Threatened staff"}
    if action == "ban_representations":
        return {
            "ban": ban_on(case, head, BanStage.INTENTION),
            "representations": "None made",
            "received_on": datetime.date(2026, 1, 20),
            "weighed": "Nothing to weigh",
        }
    if action == "ban_decide":
        start = timezone.localdate()
        return {
            "ban": ban_on(
                case, head, BanStage.TEMPORARY, immediate_risk_reason="Threats", starts_on=start
            ),
            "confirm": True,
            "reasons": "Risk continues",
            "starts_on": start,
            "review_on": start + datetime.timedelta(days=60),
        }
    if action == "ban_review":
        start = timezone.localdate()
        return {
            "ban": ban_on(
                case,
                head,
                BanStage.CONFIRMED,
                starts_on=start,
                review_on=start + datetime.timedelta(days=30),
            ),
            "outcome": "continue",
            "notes": "Still needed",
            "next_review_on": start + datetime.timedelta(days=60),
        }
    if action == "restriction_start":
        person = PersonFactory(school=case.school, full_name="Restricted Parent")
        case.persons.add(person)
        return {
            "person": person,
            "contact_point": "Mrs Price",
            "channels": "Email only",
            "reasons": "Volume of abusive emails",
            "review_on": timezone.localdate() + datetime.timedelta(days=60),
        }
    if action == "restriction_review":
        person = PersonFactory(school=case.school, full_name="Restricted Parent")
        restriction = ContactRestrictionFactory(case=case, person=person, created_by=head)
        return {
            "restriction": restriction,
            "end": False,
            "notes": "Still needed",
            "next_review_on": timezone.localdate() + datetime.timedelta(days=60),
        }
    if action == "task_done":
        return {"task": CaseTaskFactory(case=case, assigned_to=head, created_by=head)}
    if action == "task_reassign":
        return {"task": CaseTaskFactory(case=case, assigned_to=head), "assigned_to": slt}
    if action == "merge":
        target, _ = submit_report(school)
        return {"target": target.case}
    return {
        "triage": {
            "severity": "high",
            "nature": Nature.THREATS,
            "targets": ["parent"],
            "safeguarding_screen": SafeguardingScreen.NONE,
            "lead": head,
        },
        "gather": {"kind": "statement", "text": "Class teacher's statement"},
        "meeting": {
            "kind": Meeting.Kind.SENIOR_LEADER,
            "notes": "Parent apologised",
            "held_at": timezone.now(),
        },
        "decide": {
            "actions": [Outcome.WARNING],
            "rationale": "Abusive post",
            "escalation_reason": "Serious abuse of a named teacher",
        },
        "refer": {"kind": Referral.Kind.PLATFORM, "made_on": timezone.localdate()},
        "allegation": {"details": "A parent says a teaching assistant grabbed a child"},
        "lado_decision": {"decided_on": timezone.localdate(), "decision": "No further action"},
        "monitor": {"rationale": "Restriction in force"},
        "close": {"outcome": "Resolved", "rationale": "Parent removed the post"},
        "reopen": {"reason": "The parent posted again"},
        "reassign": {"lead": slt},
        "severity": {
            "severity": "critical" if case.severity != "critical" else "low",
            "rationale": "Escalating",
        },
        "rules": {"rules": list(school.rules.all()[1:3])},
        "add_person": {"person": Person(school=school, full_name="Alex Parent")},
        "note": {"text": "Called the class teacher"},
        "message_reporter": {"report": report, "body": "Could you send the original image?"},
        "safeguarding_decision": {
            "decision": "No further safeguarding action",
            "record_ref": "CPOMS-123",
        },
        "reissue_code": {"report": report, "identity_check": "Called back on known number"},
        "letter": {"summary": "Warning letter printed", "data": {"step": "printed"}},
        "wording": {"poster_wording": "A parent in the group"},
        "task_add": {
            "title": "Phone the parent",
            "assigned_to": slt,
            "due_on": timezone.localdate(),
        },
    }[action]


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("state_index", range(5), ids=STATES)
def test_every_state_and_action(school, head, slt, dsl, action, state_index):
    state = STATES[state_index]
    case = case_in(state, school, head)
    assert case.status == state
    expected = EXPECTED[action][state_index]
    actor = dsl if action == "safeguarding_decision" else head
    params = params_for(action, case, school, head, slt)
    events_before = case.events.count()
    offered = action in workflow.available_actions(case=case, actor=actor)

    if expected is None:
        assert not offered
        with pytest.raises(WorkflowError):
            workflow.ACTIONS[action](case, actor, **params)
        case.refresh_from_db()
        assert case.status == state
        assert case.events.count() == events_before
        return

    # Offered on the case page, or (letters, bans) on their own pages.
    assert offered or workflow.TRANSITIONS[action].offered != workflow.Offer.CASE
    workflow.ACTIONS[action](case, actor, **params)
    case.refresh_from_db()
    new_state = state if expected == S else expected
    assert case.status == new_state
    event = case.events.order_by("-created_at", "-pk").first()
    assert event.kind == EVENT[action]
    assert event.actor == actor
    if new_state != state:
        assert (event.from_status, event.to_status) == (state, new_state)
    else:
        assert (event.from_status, event.to_status) == ("", "")


@pytest.mark.django_db
def test_every_action_is_in_the_hand_written_matrix():
    assert set(EXPECTED) == set(workflow.TRANSITIONS)
    # …and every entry of the table has its typed function.
    assert set(EXPECTED) == set(workflow.ACTIONS)


# --- who may act -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_slt_and_the_trust_run_cases(school, head, dsl, office, trust_exec, other_head):
    case = case_in(N, school, head)
    for outsider in (dsl, office, other_head):
        with pytest.raises(WorkflowError, match="permission"):
            triage(case, outsider)
    triage(case, trust_exec)
    case.refresh_from_db()
    assert case.status == I and case.lead == trust_exec


@pytest.mark.django_db
def test_only_a_dsl_records_the_safeguarding_decision(school, head, dsl):
    case = case_in(I, school, head)
    with pytest.raises(WorkflowError, match="permission"):
        workflow.case_safeguarding_decide(case, head, decision="x")
    workflow.case_safeguarding_decide(case, dsl, decision="Handled", record_ref="CP-9")
    case.refresh_from_db()
    assert case.safeguarding_decided_by == dsl and case.safeguarding_record_ref == "CP-9"


@pytest.mark.django_db
def test_no_safeguarding_decision_without_a_flag(school, head, dsl):
    report, _ = submit_report(school)
    assert "safeguarding_decision" not in workflow.available_actions(case=report.case, actor=dsl)
    with pytest.raises(WorkflowError, match="no safeguarding flag"):
        workflow.case_safeguarding_decide(report.case, dsl, decision="x")


# --- guards ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_guard_messages_are_plain_english(school, head):
    case = case_in(N, school, head)
    with pytest.raises(WorkflowError) as error:
        workflow.case_decide(case, head, actions=["warning"], rationale="x")
    assert str(error.value) == "You can't decide the outcome while the case is new."


@pytest.mark.django_db
def test_criticism_of_the_school_can_never_lead_to_a_ban(school, head):
    report, _ = submit_report(school)
    triage(report.case, head, nature=Nature.CRITICISM)
    with pytest.raises(WorkflowError, match="Criticism of the school is not misconduct"):
        workflow.case_decide(
            report.case, head, actions=[Outcome.SITE_BAN], rationale="x", escalation_reason="y"
        )


@pytest.mark.django_db
def test_skipping_up_the_ladder_needs_a_reason(school, head):
    case = case_in(I, school, head)
    with pytest.raises(WorkflowError, match="usual next step for this parent is “Reminder"):
        workflow.case_decide(case, head, actions=[Outcome.WARNING], rationale="Abusive")
    workflow.case_decide(case, head, actions=[Outcome.REMINDER], rationale="First time")
    case.refresh_from_db()
    assert case.status == A and case.actions == [Outcome.REMINDER]


@pytest.mark.django_db
def test_the_ladder_follows_the_persons_history(school, head):
    parent = PersonFactory(school=school, full_name="Repeat Parent")
    first = case_in(I, school, head)
    workflow.case_person_add(first, head, person=parent)
    workflow.case_decide(first, head, actions=[Outcome.REMINDER], rationale="First time")
    second = case_in(I, school, head)
    workflow.case_person_add(second, head, person=parent)
    # A warning is now the usual next step: no escalation reason needed.
    workflow.case_decide(second, head, actions=[Outcome.WARNING], rationale="Second time")
    event = second.events.get(kind=CaseEvent.Kind.DECIDED)
    assert event.data["suggested"] == Outcome.WARNING


@pytest.mark.django_db
def test_no_further_action_stands_alone(school, head):
    case = case_in(I, school, head)
    with pytest.raises(WorkflowError, match="can't be combined"):
        workflow.case_decide(
            case, head, actions=[Outcome.NO_FURTHER_ACTION, Outcome.REMINDER], rationale="x"
        )


@pytest.mark.django_db
def test_allegation_against_staff_sets_a_one_working_day_lado_deadline(school, head, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 24, 10, 0, tzinfo=datetime.UTC))
    report, _ = submit_report(school)
    triage(report.case, head, safeguarding_screen=SafeguardingScreen.ALLEGATION)
    case = Case.objects.get(pk=report.case.pk)
    # Thursday 24 December: Christmas and Boxing Day (moved to Monday 28th) are bank
    # holidays, then the weekend — one working day later is Tuesday 29 December.
    assert case.lado_due == datetime.date(2026, 12, 29)
    assert case.safeguarding_flag
    assert case.notifications.filter(kind=NotificationKind.DSL_URGENT).exists()
    with pytest.raises(WorkflowError, match="LADO"):
        workflow.case_decide(case, head, actions=[Outcome.REMINDER], rationale="x")
    workflow.case_refer(case, head, kind=Referral.Kind.LADO, made_on=datetime.date(2026, 12, 24))
    # The referral alone is not enough: the LADO's decision comes first.
    with pytest.raises(WorkflowError, match="record the LADO's decision"):
        workflow.case_decide(case, head, actions=[Outcome.WARNING], rationale="x")
    with pytest.raises(WorkflowError, match="future"):
        workflow.case_lado_decision_record(
            case, head, decided_on=datetime.date(2026, 12, 25), decision="No case to answer"
        )
    workflow.case_lado_decision_record(
        case, head, decided_on=datetime.date(2026, 12, 24), decision="No case to answer"
    )
    workflow.case_decide(
        case,
        head,
        actions=[Outcome.REMINDER],
        rationale="LADO: no further action for the member of staff",
    )


@pytest.mark.django_db
def test_the_lado_clock_runs_from_the_reports_arrival_not_triage(school, head, time_machine):
    # The report arrives on Thursday 3 December; triage happens the next Tuesday.
    time_machine.move_to(datetime.datetime(2026, 12, 3, 16, 0, tzinfo=datetime.UTC))
    report, _ = submit_report(school)
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    triage(report.case, head, safeguarding_screen=SafeguardingScreen.ALLEGATION)
    report.case.refresh_from_db()
    assert report.case.lado_due == datetime.date(2026, 12, 4)  # already overdue


@pytest.mark.django_db
def test_an_allegation_found_after_triage_starts_the_clock_then(school, head, dsl, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC))
    case = case_in(I, school, head)
    time_machine.move_to(datetime.datetime(2026, 12, 11, 15, 0, tzinfo=datetime.UTC))  # Friday
    with pytest.raises(WorkflowError, match="Say what the allegation is"):
        workflow.case_allegation_identify(case, dsl, details=" \u00a0 ")
    workflow.case_allegation_identify(case, dsl, details="A second post says a TA grabbed a child")
    case.refresh_from_db()
    assert case.safeguarding_screen == SafeguardingScreen.ALLEGATION
    assert case.lado_due == datetime.date(2026, 12, 14)  # Monday: one working day on
    event = case.events.order_by("-pk").first()
    assert "LADO by 14 Dec 2026" in event.summary
    # Nothing against the parent until the LADO has decided: not even a reminder letter.
    with pytest.raises(WorkflowError, match="LADO referral"):
        workflow.case_decide(case, head, actions=[Outcome.REMINDER], rationale="x")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actions", "allowed"),
    [
        ([Outcome.NO_FURTHER_ACTION], True),
        ([Outcome.REMINDER], True),
        ([Outcome.MEETING_SLT], True),
        ([Outcome.MEETING_TRUST], True),
        ([Outcome.WARNING], False),
        ([Outcome.CONTACT_RESTRICTION], False),
        ([Outcome.SITE_BAN], False),
        ([Outcome.REMINDER, Outcome.WARNING], False),
    ],
)
def test_criticism_ends_only_in_no_action_a_reminder_or_a_meeting(school, head, actions, allowed):
    report, _ = submit_report(school)
    triage(report.case, head, nature=Nature.CRITICISM)
    decide = lambda: workflow.case_decide(  # noqa: E731
        report.case, head, actions=actions, rationale="x", escalation_reason="y"
    )
    if allowed:
        decide()
    else:
        with pytest.raises(WorkflowError, match="not misconduct"):
            decide()


@pytest.mark.django_db
def test_a_head_decides_again_after_a_warning_and_both_decisions_stay(school, head):
    parent = Person.objects.create(school=school, full_name="Escalating Parent")
    case = case_in(I, school, head)
    case.persons.add(parent)
    workflow.case_decide(case, head, actions=[Outcome.REMINDER], rationale="First time")
    workflow.case_decide(case, head, actions=[Outcome.WARNING], rationale="Posted again")
    # After a warning the usual next step is a meeting; a bar skips it and needs a reason.
    with pytest.raises(WorkflowError, match="“Meeting with a senior leader”"):
        workflow.case_decide(case, head, actions=[Outcome.SITE_BAN], rationale="Threats")
    workflow.case_decide(
        case,
        head,
        actions=[Outcome.SITE_BAN],
        rationale="Threats at the gate",
        escalation_reason="Threatened the teacher in person after the warning",
    )
    case.refresh_from_db()
    assert case.status == A and case.actions == [Outcome.SITE_BAN]
    decided = list(
        case.events.filter(kind="decided").order_by("pk").values_list("summary", flat=True)
    )
    assert decided == [
        "Decided: reminder of the code",
        "Decided again: warning letter",
        "Decided again: site ban",
    ]


@pytest.mark.django_db
def test_a_recorded_meeting_counts_as_a_lesser_step(school, head):
    case = case_in(I, school, head)
    workflow.case_decide(
        case, head, actions=[Outcome.WARNING], rationale="x", escalation_reason="y"
    )
    workflow.case_meeting_record(
        case,
        head,
        kind=Meeting.Kind.SENIOR_LEADER,
        held_at=timezone.now(),
        notes="Discussed the posts with the parent",
    )
    # Warning and a meeting are on record: a contact restriction is the usual next step.
    assert workflow.usual_next_step(workflow.steps_taken(case)) == Outcome.CONTACT_RESTRICTION


@pytest.mark.django_db
def test_monitoring_needs_a_restriction_in_force(school, head):
    case = case_in(I, school, head)
    workflow.case_decide(case, head, actions=[Outcome.REMINDER], rationale="x")
    with pytest.raises(WorkflowError, match="ban or contact restriction"):
        workflow.case_monitor(case, head, rationale="watch")


@pytest.mark.django_db
def test_merging_several_reports_makes_one_case(school, head):
    target = case_in(N, school, head)
    first, _ = submit_report(school, content="Same post, second reporter")
    second, _ = submit_report(school, content="Same post, third reporter")
    Message.objects.create(
        case=first.case, report=first, body="more", direction=Message.Direction.FROM_REPORTER
    )
    workflow.cases_merge(
        target=target,
        sources=[first.case, second.case],
        actor=head,
        rationale="One post, three reports",
    )
    assert target.reports.count() == 3
    for report in (first, second):
        report.refresh_from_db()
        old = Case.objects.get(reference=report.reference)
        assert report.case == target
        assert old.status == C and old.outcome == f"Merged into {target.reference}"
        assert old.merged_into == target
        assert old.events.filter(kind="merged", to_status=C).exists()
    assert target.messages.count() == 1
    assert target.events.filter(kind="merged").count() == 2
    with pytest.raises(WorkflowError, match="open that case instead"):
        workflow.case_reopen(Case.objects.get(reference=first.reference), head, reason="x")


@pytest.mark.django_db
def test_merging_moves_the_unsent_emails_to_the_case_they_now_belong_to(school, head):
    from schoolconduct.models import Notification

    target = case_in(I, school, head)
    duplicate, _ = submit_report(school)
    sent = duplicate.case.notifications.get()  # the SLT alert for the duplicate report
    Notification.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
    waiting = Notification.objects.create(
        kind="reporter_ack",
        dedupe_key="reporter_ack:test",
        target=duplicate.case,
        params={"report": duplicate.pk},
    )
    workflow.case_merge_into(duplicate.case, head, target=target)
    waiting.refresh_from_db()
    sent.refresh_from_db()
    assert waiting.target == target  # still goes, about the live case
    assert sent.target == duplicate.case  # history stays where it happened


@pytest.mark.django_db
def test_merge_refuses_other_schools_and_closed_targets(school, other_school, head):
    case = case_in(N, school, head)
    elsewhere, _ = submit_report(other_school)
    with pytest.raises(WorkflowError, match="same school"):
        workflow.case_merge_into(case, head, target=elsewhere.case)
    closed = case_in(C, school, head)
    with pytest.raises(WorkflowError, match="is closed"):
        workflow.case_merge_into(case, head, target=closed)


@pytest.mark.django_db
def test_the_new_lead_is_told(school, head, slt, django_capture_on_commit_callbacks):
    case = case_in(N, school, head)
    triage(case, head, lead=slt)
    assert case.notifications.filter(kind=NotificationKind.LEAD_ASSIGNED).count() == 1
    workflow.case_reassign(case, head, lead=head)
    # Taking a case yourself sends no email.
    assert case.notifications.filter(kind=NotificationKind.LEAD_ASSIGNED).count() == 1


@pytest.mark.django_db
def test_lead_must_be_senior_leadership(school, head, office):
    case = case_in(N, school, head)
    with pytest.raises(WorkflowError, match="senior leadership"):
        triage(case, head, lead=office)


@pytest.mark.django_db
def test_message_to_the_reporter_emails_a_notice_only(school, head):
    report, _ = submit_report(school, reporter_email="p@example.com")
    workflow.case_reporter_message(
        report.case, head, report=report, body="Please send the original screenshot"
    )
    assert report.case.notifications.filter(kind=NotificationKind.REPORTER_MESSAGE).exists()


@pytest.mark.django_db
def test_reissued_code_replaces_the_old_one(school, head):
    from incidents import codes

    report, old_code = submit_report(school)
    effect = workflow.case_code_reissue(
        report.case, head, report=report, identity_check="Confirmed by phone"
    )
    report.refresh_from_db()
    assert codes.check_followup_code(effect.result, report.followup_code_hash)
    assert not codes.check_followup_code(old_code, report.followup_code_hash)
    event = report.case.events.get(kind=CaseEvent.Kind.CODE_REISSUED)
    assert effect.result not in str(event.data) and effect.result not in event.summary


@pytest.mark.django_db
def test_term_dates_running_out_never_stop_the_dashboard_or_the_daily_job(
    client, school, other_school, head, time_machine
):
    from incidents.deadlines import reminders_send
    from schoolconduct.models import Notification as Outbox
    from schools.models import TermDate

    # Willow Park's term dates end on Friday 18 December; nothing is entered after that.
    TermDate.objects.create(
        school=school,
        name="Autumn 2",
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 12, 18),
    )
    school.triage_target_days = 3
    school.save()
    time_machine.move_to(datetime.datetime(2026, 12, 17, 9, 0, tzinfo=datetime.UTC))
    submit_report(school)
    submit_report(other_school)  # another school, with no term dates at all
    client.force_login(head)
    page = client.get("/staff/")
    assert page.status_code == 200
    # 17 Dec + 3 school days: Fri 18 (term), then estimated weekdays Mon 21, Tue 22.
    assert "22 Dec 2026" in page.text
    assert "estimated — add next year's term dates" in page.text
    # The daily job runs for every school, and asks each to add its term dates (once).
    time_machine.move_to(datetime.datetime(2026, 12, 23, 7, 0, tzinfo=datetime.UTC))
    reminders_send()
    reminders_send()
    notices = Outbox.objects.filter(kind="term_dates_needed")
    assert notices.count() == 2
    assert Outbox.objects.filter(kind="deadline_reminder").count() >= 2
