"""The site-ban procedure: each stage and each guard of DOMAIN.md "Enforced"."""

from __future__ import annotations

import datetime

import pytest

from incidents import workflow
from incidents.models import CaseEvent, Nature, Outcome
from incidents.workflow import WorkflowError
from measures import procedure
from measures.models import BanStage, ContactRestriction, SiteBan
from measures.procedure import bans_expire
from schools.models import BanDecisionBy
from tests.factories import (
    PersonFactory,
    SiteBanFactory,
    autumn_and_spring_terms,
    submit_report,
    triage,
    triaged_case,
)

MONDAY = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def terms(school):
    autumn_and_spring_terms(school, spring_ends=datetime.date(2027, 2, 12))


@pytest.fixture
def parent(school):
    return PersonFactory(school=school, full_name="Mr Jason Turner")


def case_decided(school, head, parent, actions, nature=Nature.THREATS, **triage_extra):
    case = triaged_case(school, head, person=parent, nature=nature, **triage_extra)
    workflow.case_decide(
        case, head, actions=actions, rationale="Proportionate", escalation_reason="Serious threats"
    )
    case.refresh_from_db()
    return case


def notice(case, head, parent, **extra):
    params = {
        "person": parent,
        "reasons": "Threats to staff at the gate",
        "scope": "The whole site at all times",
        "duration": "Three months",
        "child_arrangements": "Your child will be met at the gate by a TA",
        "decision_maker": head,
    }
    params.update(extra)
    return procedure.ban_notice_issue(case, head, **params).result


@pytest.mark.django_db
def test_notice_needs_lesser_steps_first(school, head, parent, time_machine, terms):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.SITE_BAN])
    with pytest.raises(WorkflowError, match="Lesser steps"):
        notice(case, head, parent)


@pytest.mark.django_db
def test_notice_deadline_defaults_to_ten_school_days_and_never_fewer_than_five(
    school, head, parent, time_machine, terms
):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    with pytest.raises(WorkflowError, match=r"at least 5 school days.*Monday 30 November"):
        notice(case, head, parent, representation_deadline=datetime.date(2026, 11, 27))
    ban = notice(case, head, parent)
    assert ban.stage == BanStage.INTENTION
    assert ban.representation_deadline == datetime.date(2026, 12, 7)  # 10 school days
    event = case.events.filter(kind=CaseEvent.Kind.BAN).last()
    assert "representations by 07 Dec 2026" in event.summary


@pytest.mark.django_db
def test_school_days_skip_the_holidays(school, head, parent, time_machine, terms):
    time_machine.move_to(datetime.datetime(2026, 12, 14, 9, 0, tzinfo=datetime.UTC))
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    ban = notice(case, head, parent)
    # 15-18 Dec are 4 school days; then the Christmas holidays; spring term from Tue 5 Jan:
    # 5-8 Jan are days 5-8, Mon 11 is day 9 and Tue 12 Jan day 10.
    assert ban.representation_deadline == datetime.date(2027, 1, 12)


@pytest.mark.django_db
def test_no_ban_for_criticism(school, head, parent):
    case = case_decided(school, head, parent, [Outcome.REMINDER], nature=Nature.CRITICISM)
    with pytest.raises(WorkflowError, match="never lead to a site ban"):
        procedure.ban_temporary_impose(
            case,
            head,
            person=parent,
            immediate_risk_reason="x",
            reasons="x",
            scope="x",
            duration="x",
            child_arrangements="x",
            decision_maker=head,
        )
    with pytest.raises(WorkflowError, match="never lead to a contact restriction"):
        procedure.restriction_start(
            case,
            head,
            person=parent,
            contact_point="x",
            channels="x",
            reasons="x",
            review_on=datetime.date(2027, 1, 1),
        )


@pytest.mark.django_db
def test_temporary_bar_needs_a_recorded_risk_but_no_lesser_steps(
    school, head, parent, time_machine, terms
):
    time_machine.move_to(MONDAY)
    report, _ = submit_report(school)
    case = report.case
    triage(case, head, nature=Nature.THREATS)
    workflow.case_person_add(case, head, person=parent)
    base = {
        "person": parent,
        "reasons": "Threats",
        "scope": "Whole site",
        "duration": "Until decision",
        "child_arrangements": "Gate",
        "decision_maker": head,
    }
    with pytest.raises(WorkflowError, match="immediate risk"):
        procedure.ban_temporary_impose(case, head, immediate_risk_reason="", **base)
    ban = procedure.ban_temporary_impose(
        case, head, immediate_risk_reason="Threatened a teacher at the gate", **base
    ).result
    assert ban.stage == BanStage.TEMPORARY and ban.starts_on == datetime.date(2026, 11, 23)
    with pytest.raises(WorkflowError, match="already has a bar"):
        procedure.ban_temporary_impose(case, head, immediate_risk_reason="x", **base)


@pytest.mark.django_db
def test_no_confirmation_before_the_deadline_unless_representations_considered(
    school, head, parent, time_machine, terms
):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    ban = notice(case, head, parent)
    review = datetime.date(2027, 2, 12)
    with pytest.raises(WorkflowError, match="has not passed"):
        procedure.ban_decide(case, head, ban=ban, confirm=True, reasons="x", review_on=review)
    procedure.ban_representations_record(
        case,
        head,
        ban=ban,
        representations="Letter of 25 Nov: apologises",
        weighed="Given weight but the threats were serious",
        received_on=datetime.date(2026, 11, 25),
    )
    ban = procedure.ban_decide(
        case, head, ban=ban, confirm=True, reasons="Risk remains", review_on=review
    ).result
    assert ban.stage == BanStage.CONFIRMED and ban.review_on == review


@pytest.mark.django_db
def test_confirmation_after_the_deadline_and_no_open_ended_bans(
    school, head, parent, time_machine, terms
):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    ban = notice(case, head, parent)
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    with pytest.raises(WorkflowError, match="review date"):
        procedure.ban_decide(case, head, ban=ban, confirm=True, reasons="x")
    # Reviews are at least termly: the end of next term (Spring 1 ends 12 February) at the
    # latest — the day after is refused, as is a review today or before the start.
    with pytest.raises(WorkflowError, match=r"no later than 12 Feb 2027 \(the end of next term"):
        procedure.ban_decide(
            case, head, ban=ban, confirm=True, reasons="x", review_on=datetime.date(2027, 2, 13)
        )
    with pytest.raises(WorkflowError, match="must be in the future"):
        procedure.ban_decide(
            case, head, ban=ban, confirm=True, reasons="x", review_on=datetime.date(2026, 12, 8)
        )
    with pytest.raises(WorkflowError, match="after the start"):
        procedure.ban_decide(
            case,
            head,
            ban=ban,
            confirm=True,
            reasons="x",
            starts_on=datetime.date(2026, 12, 14),
            review_on=datetime.date(2026, 12, 14),
        )
    procedure.ban_decide(
        case,
        head,
        ban=ban,
        confirm=True,
        reasons="x",
        review_on=datetime.date(2027, 2, 1),
        ends_on=datetime.date(2027, 3, 1),
    )


@pytest.mark.django_db
def test_decision_rights_follow_the_scheme_of_delegation(
    school, head, slt, trust_exec, parent, time_machine, terms
):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    ban = notice(case, head, parent)
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    params = {"ban": ban, "confirm": True, "reasons": "x", "review_on": datetime.date(2027, 2, 1)}
    with pytest.raises(WorkflowError, match="the head teacher decides"):
        procedure.ban_decide(case, slt, **params)
    school.ban_decision_by = BanDecisionBy.TRUST_EXECUTIVE
    school.save()
    case.refresh_from_db()
    with pytest.raises(WorkflowError, match="a trust executive decides"):
        procedure.ban_decide(case, head, **params)
    procedure.ban_decide(case, trust_exec, **params)


@pytest.mark.django_db
def test_the_targeted_person_does_not_decide_without_a_reason(
    school, head, parent, time_machine, terms
):
    time_machine.move_to(MONDAY)
    case = case_decided(
        school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN], targeted_staff=head
    )
    ban = notice(case, head, parent)
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    params = {"ban": ban, "confirm": True, "reasons": "x", "review_on": datetime.date(2027, 2, 1)}
    with pytest.raises(WorkflowError, match="targeted you"):
        procedure.ban_decide(case, head, **params)
    procedure.ban_decide(
        case, head, override_reason="Sole senior leader; governors agreed", **params
    )


@pytest.mark.django_db
def test_review_continue_vary_lift_and_expiry(school, head, parent, time_machine, terms):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    ban = notice(case, head, parent)
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    procedure.ban_decide(
        case,
        head,
        ban=ban,
        confirm=True,
        reasons="x",
        review_on=datetime.date(2027, 1, 15),
        ends_on=datetime.date(2027, 3, 1),
    )
    ban.refresh_from_db()
    with pytest.raises(WorkflowError, match="next review"):
        procedure.ban_review(case, head, ban=ban, outcome="continue", notes="x")
    procedure.ban_review(
        case,
        head,
        ban=ban,
        outcome="vary",
        notes="Behaviour improved",
        scope="Playground at drop-off only",
        next_review_on=datetime.date(2027, 2, 10),
    )
    ban.refresh_from_db()
    assert ban.scope == "Playground at drop-off only" and ban.reviews.count() == 1
    assert bans_expire(today=datetime.date(2027, 3, 1)) == 0
    assert bans_expire(today=datetime.date(2027, 3, 2)) == 1
    assert bans_expire(today=datetime.date(2027, 3, 2)) == 0  # safe to run twice
    ban.refresh_from_db()
    assert ban.stage == BanStage.EXPIRED
    assert case.events.filter(kind="ban", summary__contains="expired").exists()


@pytest.mark.django_db
def test_not_confirming_lifts_a_temporary_bar(school, head, parent, time_machine, terms):
    time_machine.move_to(MONDAY)
    report, _ = submit_report(school)
    case = report.case
    triage(case, head, nature=Nature.THREATS)
    workflow.case_person_add(case, head, person=parent)
    ban = procedure.ban_temporary_impose(
        case,
        head,
        person=parent,
        immediate_risk_reason="Threats",
        reasons="x",
        scope="x",
        duration="x",
        child_arrangements="x",
        decision_maker=head,
    ).result
    procedure.ban_representations_record(
        case,
        head,
        ban=ban,
        representations="Apology",
        weighed="Accepted",
        received_on=datetime.date(2026, 11, 24),
    )
    procedure.ban_decide(
        case, head, ban=ban, confirm=False, reasons="Apology accepted; risk has passed"
    )
    ban.refresh_from_db()
    assert ban.stage == BanStage.LIFTED and ban.lifted_on == datetime.date(2026, 11, 23)


@pytest.mark.django_db
def test_contact_restriction_start_review_end(school, head, parent):
    case = case_decided(school, head, parent, [Outcome.CONTACT_RESTRICTION])
    today = datetime.date.today()
    restriction = procedure.restriction_start(
        case,
        head,
        person=parent,
        contact_point="The business manager",
        channels="Email to the office",
        reasons="Abusive emails",
        review_on=today + datetime.timedelta(days=60),
    ).result
    assert restriction.is_active
    workflow.case_monitor(case, head, rationale="Restriction in force")
    with pytest.raises(WorkflowError, match="already has a contact restriction"):
        procedure.restriction_start(
            case,
            head,
            person=parent,
            contact_point="x",
            channels="x",
            reasons="x",
            review_on=today + datetime.timedelta(days=60),
        )
    procedure.restriction_review(
        case, head, restriction=restriction, end=True, notes="Working well"
    )
    restriction.refresh_from_db()
    assert restriction.ended_on is not None and not restriction.is_active
    assert not ContactRestriction.objects.filter(ended_on__isnull=True).exists()
    assert SiteBan.objects.count() == 0


# Each stage × each step on an existing bar, written out by hand (True: allowed).
# fmt: off
STAGE_MATRIX = {
    #                     representations  decide  review
    BanStage.INTENTION:     (True,          True,   False),
    BanStage.TEMPORARY:     (True,          True,   False),
    BanStage.CONFIRMED:     (False,         False,  True),
    BanStage.NOT_CONFIRMED: (False,         False,  False),
    BanStage.LIFTED:        (False,         False,  False),
    BanStage.EXPIRED:       (False,         False,  False),
}
# fmt: on
STEPS = ["ban_representations", "ban_decide", "ban_review"]


@pytest.mark.django_db
@pytest.mark.parametrize("stage", list(STAGE_MATRIX))
@pytest.mark.parametrize("step", range(3), ids=STEPS)
def test_every_bar_stage_and_step(school, head, parent, stage, step, time_machine):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    today = datetime.date(2026, 11, 23)
    ban = SiteBanFactory(
        case=case,
        person=parent,
        stage=stage,
        decision_maker=head,
        notice_on=today - datetime.timedelta(days=20),
        representation_deadline=today - datetime.timedelta(days=5),
        starts_on=today,
        review_on=today + datetime.timedelta(days=30),
    )
    params = [
        {"representations": "None", "received_on": today, "weighed": "n/a"},
        {"confirm": True, "reasons": "Risk", "review_on": today + datetime.timedelta(days=60)},
        {
            "outcome": "continue",
            "notes": "Needed",
            "next_review_on": today + datetime.timedelta(days=60),
        },
    ][step]
    before = case.events.count()
    if STAGE_MATRIX[stage][step]:
        workflow.ACTIONS[STEPS[step]](case, head, ban=ban, **params)
        assert case.events.count() == before + 1
        assert case.events.order_by("-pk").first().kind == CaseEvent.Kind.BAN
    else:
        with pytest.raises(WorkflowError, match="not possible now"):
            workflow.ACTIONS[STEPS[step]](case, head, ban=ban, **params)
        assert case.events.count() == before
        ban.refresh_from_db()
        assert ban.stage == stage


@pytest.mark.django_db
def test_without_next_terms_dates_a_review_is_within_six_months(school, head, parent, time_machine):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    ban = notice(case, head, parent)
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    params = {"ban": ban, "confirm": True, "reasons": "x", "starts_on": datetime.date(2026, 12, 8)}
    with pytest.raises(WorkflowError, match=r"no later than 08 Jun 2027 \(six months\)"):
        procedure.ban_decide(case, head, review_on=datetime.date(2027, 6, 9), **params)
    procedure.ban_decide(case, head, review_on=datetime.date(2027, 6, 8), **params)


@pytest.mark.django_db
def test_a_case_with_a_pending_or_active_bar_cannot_close(school, head, parent, time_machine):
    time_machine.move_to(MONDAY)
    case = case_decided(school, head, parent, [Outcome.WARNING, Outcome.SITE_BAN])
    notice(case, head, parent)
    case.refresh_from_db()
    with pytest.raises(WorkflowError, match="notice of intention to bar is pending"):
        workflow.case_close(case, head, outcome="Done", rationale="Resolved")
    refusal = workflow.TRANSITIONS["close"].refusal(case, head)
    assert "start monitoring instead" in refusal
    case.refresh_from_db()
    assert case.status == "action"
