"""The site-bar and contact-restriction procedure (DOMAIN §Site ban, "Enforced").

Two tables and the actions that use them:
- `BAN_STEPS` / `RESTRICTION_STEPS`: each step of a bar's (or restriction's) life, the stages
  it may start from and the stage it leads to. `_take` is the only code that changes a bar's
  stage or ends a restriction; the models refuse any other change.
- `MEASURE_TRANSITIONS`: the case-workflow entries for these actions (who, from which case
  statuses, where the case page offers them), registered into `incidents.workflow` from
  `MeasuresConfig.ready`. Each action below is a typed function run through that engine, so
  every step is on the case's chronology, under the case's row lock.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.models import Case, CaseEvent, CaseStatus, Nature, Outcome, Person
from incidents.rows import case_rows
from incidents.workflow import (
    MANAGE,
    TRANSITIONS,
    WITH_MEASURES,
    Effect,
    Offer,
    Transition,
    WorkflowError,
    action,
    lado_hold,
    may,
    required,
    steps_taken,
)
from schools.access import StaffRoles
from schools.calendar import SchoolCalendar, add_months
from schools.models import BanDecisionBy, School

from .models import ACTIVE_BAN_STAGES, IN_FORCE_BAN_STAGES, BanReview, BanStage, SiteBan
from .models import ContactRestriction as Restriction

LESSER_STEPS = {
    Outcome.REMINDER,
    Outcome.WARNING,
    Outcome.MEETING_SLT,
    Outcome.MEETING_TRUST,
    Outcome.CONTACT_RESTRICTION,
}
MIN_REPRESENTATION_SCHOOL_DAYS = 5
MAX_BAN_MONTHS = 6

# A restriction's two stages (it has no stage column: it is ended when `ended_on` is set).
IN_FORCE = "in_force"
ENDED = "ended"


# --- the stage tables ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of a bar's or restriction's life."""

    name: str
    action: str  # the case action that takes it ("" for the daily job)
    sources: frozenset[str]  # the stages it may start from; empty: it creates the object
    target: str | None  # the stage it leads to; None: the stage stays


INTENTION, TEMPORARY, CONFIRMED = BanStage.INTENTION, BanStage.TEMPORARY, BanStage.CONFIRMED
UNDECIDED = frozenset({INTENTION, TEMPORARY})

BAN_STEPS = (
    Step("notice", "ban_notice", frozenset(), INTENTION),
    Step("temporary", "ban_temporary", frozenset(), TEMPORARY),
    Step("representations", "ban_representations", UNDECIDED, None),
    Step("confirm", "ban_decide", UNDECIDED, CONFIRMED),
    Step("not_confirmed", "ban_decide", frozenset({INTENTION}), BanStage.NOT_CONFIRMED),
    # A temporary bar that is not confirmed has been in force: it is lifted.
    Step("temporary_lifted", "ban_decide", frozenset({TEMPORARY}), BanStage.LIFTED),
    Step("review_continue", "ban_review", frozenset({CONFIRMED}), None),
    Step("review_vary", "ban_review", frozenset({CONFIRMED}), None),
    Step("review_lift", "ban_review", frozenset({CONFIRMED}), BanStage.LIFTED),
    Step("expire", "", frozenset({CONFIRMED}), BanStage.EXPIRED),
)
RESTRICTION_STEPS = (
    Step("start", "restriction_start", frozenset(), IN_FORCE),
    Step("continue", "restriction_review", frozenset({IN_FORCE}), None),
    Step("end", "restriction_review", frozenset({IN_FORCE}), ENDED),
)
_BAN = {step.name: step for step in BAN_STEPS}
_RESTRICTION = {step.name: step for step in RESTRICTION_STEPS}


def stages_for(action_name: str) -> frozenset[str]:
    """The stages from which some step of this case action may be taken (the case page
    offers the action beside a bar or restriction at these stages)."""
    steps = BAN_STEPS + RESTRICTION_STEPS
    return frozenset(s for step in steps if step.action == action_name for s in step.sources)


def restriction_stage(restriction: Restriction) -> str:
    return IN_FORCE if restriction.ended_on is None else ENDED


def ban_step_take(ban: SiteBan, name: str) -> list[str]:
    """Move `ban` along the table (not saved); the fields to save."""
    step = _BAN[name]
    if ban.stage not in step.sources:
        raise WorkflowError(
            f"The bar is {ban.get_stage_display().lower()}: that step is not possible now."
        )
    if step.target is None:
        return []
    ban.stage = step.target
    ban._procedure_allowed = True
    return ["stage"]


def restriction_step_take(restriction: Restriction, name: str, today: datetime.date) -> None:
    step = _RESTRICTION[name]
    if restriction_stage(restriction) not in step.sources:
        raise WorkflowError("That contact restriction is not in force on this case.")
    if step.target == ENDED:
        restriction.ended_on = today
        restriction._procedure_allowed = True


# --- the case-workflow entries ---------------------------------------------------------------

BAN_DECIDER = "ban_decider"


def may_decide_ban(roles: StaffRoles, school: School) -> bool:
    """The school's scheme of delegation: who decides (confirms or lifts) a bar."""
    rule = school.ban_decision_by
    if rule == BanDecisionBy.TRUST_EXECUTIVE:
        return school.trust_id is not None and school.trust_id in roles.trusts
    if rule == BanDecisionBy.ANY_SLT:
        return school.pk in roles.slt
    return school.pk in roles.head_of


def _not_the_decider(case: Case) -> str:
    return (
        "Under the school's scheme of delegation, "
        f"{case.school.get_ban_decision_by_display().lower()} decides site bans."
    )


SLT = frozenset({MANAGE})
AFTER_DECISION = frozenset({CaseStatus.ACTION, CaseStatus.MONITORING})
K = CaseEvent.Kind


def _measure_action(
    name: str,
    label: str,
    *,
    sources: frozenset[str] = WITH_MEASURES,
    event: str = K.BAN,
    offered: Offer = Offer.OBJECT,
    who: frozenset[str] = SLT,
    **rules: Any,
) -> Transition:
    """A case-table entry for a bar or restriction action. None of them moves the case's
    status (target None): the bar's or restriction's own stage table does that part. Most
    are offered beside a bar or restriction, at the stages that table allows."""
    return Transition(
        name=name,
        label=label,
        sources=sources,
        target=None,
        who=who,
        event=event,
        offered=offered,
        **rules,
    )


MEASURE_TRANSITIONS = [
    _measure_action(
        "ban_notice", "Notice of intention to bar", sources=AFTER_DECISION, offered=Offer.CASE
    ),
    _measure_action("ban_temporary", "Temporary bar with immediate effect", offered=Offer.CASE),
    _measure_action("ban_representations", "Record representations"),
    _measure_action(
        "ban_decide",
        "Decide on the bar",
        who=frozenset({BAN_DECIDER}),
        denied=_not_the_decider,
    ),
    _measure_action("ban_review", "Review the bar"),
    _measure_action(
        "restriction_start",
        "Restrict contact",
        sources=AFTER_DECISION,
        event=K.RESTRICTION,
        offered=Offer.CASE,
    ),
    _measure_action("restriction_review", "Review the contact restriction", event=K.RESTRICTION),
]


def measure_open(case: Case) -> str:
    """What bar or restriction is pending or in force on the case, in words ("" if none): a
    case with one can't close (it moves to monitoring)."""
    stages = {ban.stage for ban in case_bans(case)}
    if stages & set(IN_FORCE_BAN_STAGES):
        return "A site bar is in force"
    if stages & set(ACTIVE_BAN_STAGES):
        return "A notice of intention to bar is pending"
    if any(r.ended_on is None for r in case_restrictions(case)):
        return "A contact restriction is in force"
    return ""


# The case page reads the case's bars and restrictions with the case itself (one JSON list
# each, `incidents.rows`); the guards below use them there instead of asking again.
def case_bans(case: Case) -> list[SiteBan]:
    return case_rows(case, "bans", lambda: SiteBan.objects.filter(case=case))


def case_restrictions(case: Case) -> list[Restriction]:
    return case_rows(case, "restrictions", lambda: Restriction.objects.filter(case=case))


def review_limit(school: School, start: datetime.date) -> tuple[datetime.date, str]:
    """The latest review date for a bar or restriction starting (or reviewed) on `start`:
    reviews are at least termly by default (the end of the next term, from the school's
    calendar) and never more than six months away. With the words that explain it."""
    six_months = add_months(start, MAX_BAN_MONTHS)
    next_term_end = SchoolCalendar.for_school(school).end_of_next_term(start)
    if next_term_end is not None and next_term_end < six_months:
        return next_term_end, "the end of next term (reviews are at least termly)"
    return six_months, "six months"


def _check_review(
    school: School, review_on: datetime.date, start: datetime.date, what: str
) -> None:
    today = timezone.localdate()
    if review_on <= today:
        raise WorkflowError(f"The {what} must be in the future (after {today:%d %b %Y}).")
    if review_on <= start:
        raise WorkflowError(f"The {what} must be after the start ({start:%d %b %Y}).")
    limit, why = review_limit(school, start)
    if review_on > limit:
        raise WorkflowError(f"The {what} must be no later than {limit:%d %b %Y} ({why}).")


def measure_in_force(case: Case) -> bool:
    """A bar or contact restriction in force on the case (monitoring is for those)."""
    return any(ban.stage in IN_FORCE_BAN_STAGES for ban in case_bans(case)) or any(
        r.ended_on is None for r in case_restrictions(case)
    )


# --- guards shared by the actions ------------------------------------------------------------


def _lado_first(case: Case) -> None:
    hold = lado_hold(case)
    if hold:
        raise WorkflowError(hold)


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


def _ban_fields(
    reasons: str, scope: str, duration: str, child_arrangements: str, decision_maker: Any
) -> None:
    required(reasons, "Give the reasons for the bar.")
    required(scope, "Describe the proposed scope: site areas, times and events.")
    required(duration, "Give the proposed duration.")
    required(
        child_arrangements, "Set out the arrangements for the child's drop-off and collection."
    )
    required(decision_maker, "Record who will decide.")


def _create_ban(
    case: Case, person: Person, step: str, deadline: datetime.date | None, **fields: Any
) -> SiteBan:
    """A new bar, noticed today, with its representation deadline checked (or defaulted)."""
    if SiteBan.objects.filter(
        school=case.school, person=person, stage__in=ACTIVE_BAN_STAGES
    ).exists():
        raise WorkflowError(f"{person.full_name} already has a bar in progress or in force.")
    target = _BAN[step].target
    if _BAN[step].sources or target is None:
        raise ValueError(f"{step} does not create a bar")
    today = timezone.localdate()
    return SiteBan.objects.create(
        case=case,
        person=person,
        school=case.school,
        stage=target,
        notice_on=today,
        representation_deadline=_representation_deadline(case, today, deadline),
        **fields,
    )


def _locked_ban(case: Case, ban: SiteBan | None, action_name: str) -> SiteBan:
    """The bar, locked, if it is on this case and some step of the action is possible."""
    if ban is None or ban.case_id != case.pk:
        raise WorkflowError("That bar is not part of this case.")
    ban = SiteBan.objects.select_for_update().get(pk=ban.pk)
    if ban.stage not in stages_for(action_name):
        raise WorkflowError(
            f"The bar is {ban.get_stage_display().lower()}: that step is not possible now."
        )
    return ban


# --- the actions -----------------------------------------------------------------------------


@action("ban_notice")
def ban_notice_issue(
    case: Case,
    actor: Any,
    *,
    person: Person | None,
    reasons: str,
    scope: str,
    duration: str,
    child_arrangements: str,
    decision_maker: Any,
    representation_deadline: datetime.date | None = None,
) -> Effect:
    """Notice of intention to bar: only after lesser steps, never for mere criticism, and on
    an allegation against staff only after the LADO's decision."""
    _not_for_criticism(case, "a site ban")
    _lado_first(case)
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
        "notice",
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


@action("ban_temporary")
def ban_temporary_impose(
    case: Case,
    actor: Any,
    *,
    person: Person | None,
    immediate_risk_reason: str,
    reasons: str,
    scope: str,
    duration: str,
    child_arrangements: str,
    decision_maker: Any,
    starts_on: datetime.date | None = None,
    representation_deadline: datetime.date | None = None,
) -> Effect:
    """A temporary bar with immediate effect: a recorded risk; still invites representations.
    On an allegation against staff the LADO must have been told, but an immediate risk does
    not wait for the LADO's decision."""
    _not_for_criticism(case, "a site ban")
    if case.safeguarding_screen == "allegation" and not case.referrals.filter(kind="lado").exists():
        raise WorkflowError(
            "This is an allegation against a member of staff: record the LADO referral before "
            "a temporary bar (an immediate risk need not wait for the LADO's decision)."
        )
    person = _person_on_case(case, person)
    required(
        immediate_risk_reason,
        "Record the immediate risk that justifies a bar with immediate effect.",
    )
    _ban_fields(reasons, scope, duration, child_arrangements, decision_maker)
    starts_on = starts_on or timezone.localdate()
    ban = _create_ban(
        case,
        person,
        "temporary",
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


@action("ban_representations")
def ban_representations_record(
    case: Case,
    actor: Any,
    *,
    ban: SiteBan,
    representations: str,
    received_on: datetime.date,
    weighed: str,
) -> Effect:
    """The parent's representations (or that none came), and how they were weighed."""
    ban = _locked_ban(case, ban, "ban_representations")
    required(
        representations, "Summarise the representations received (or record that none were made)."
    )
    required(received_on, "Give the date the representations were received.")
    required(weighed, "Record how the representations were weighed.")
    ban_step_take(ban, "representations")
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


@action("ban_decide")
def ban_decide(
    case: Case,
    actor: Any,
    *,
    ban: SiteBan,
    confirm: bool,
    reasons: str,
    starts_on: datetime.date | None = None,
    review_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    override_reason: str = "",
) -> Effect:
    """Confirm the bar (from a start, with a review date within six months) or not."""
    ban = _locked_ban(case, ban, "ban_decide")
    required(reasons, "Record the reasons for the decision.")
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
    fields = ["decided_at", "decided_by", "decision_reasons", "override_reason"]
    if confirm:
        starts_on = starts_on or ban.starts_on or today
        review_on = required(review_on, "Set a review date: no bar is open-ended.")
        _check_review(case.school, review_on, starts_on, "review date")
        limit = add_months(starts_on, MAX_BAN_MONTHS)
        if ends_on and (ends_on <= starts_on or ends_on > limit):
            raise WorkflowError(f"A fixed-term bar ends within six months: by {limit:%d %b %Y}.")
        fields += ban_step_take(ban, "confirm")
        ban.starts_on, ban.review_on, ban.ends_on = starts_on, review_on, ends_on
        fields += ["starts_on", "review_on", "ends_on"]
        summary = (
            f"Bar on {ban.person.full_name} confirmed from {starts_on:%d %b %Y}, "
            f"review by {review_on:%d %b %Y}"
        )
    else:
        fields += ban_step_take(
            ban, "temporary_lifted" if ban.stage == TEMPORARY else "not_confirmed"
        )
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


@action("ban_review")
def ban_review(
    case: Case,
    actor: Any,
    *,
    ban: SiteBan,
    outcome: str,
    notes: str,
    next_review_on: datetime.date | None = None,
    scope: str = "",
) -> Effect:
    """Review a bar in force: continue or vary it (with the next review), or lift it."""
    ban = _locked_ban(case, ban, "ban_review")
    required(notes, "Record the review's reasons.")
    today = timezone.localdate()
    if outcome not in BanReview.Outcome.values:
        raise WorkflowError("Choose continue, vary or lift.")
    fields = ban_step_take(ban, f"review_{outcome}")
    if outcome == BanReview.Outcome.LIFT:
        ban.lifted_on, ban.lift_reason = today, notes
        fields += ["lifted_on", "lift_reason"]
        next_review_on = None
    else:
        next_review_on = required(next_review_on, "Set the next review date: no bar is open-ended.")
        _check_review(case.school, next_review_on, today, "next review")
        ban.review_on = next_review_on
        fields.append("review_on")
        if outcome == BanReview.Outcome.VARY:
            required(scope, "Describe the varied scope.")
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


@action("restriction_start")
def restriction_start(
    case: Case,
    actor: Any,
    *,
    person: Person | None,
    contact_point: str,
    channels: str,
    reasons: str,
    review_on: datetime.date | None,
    starts_on: datetime.date | None = None,
) -> Effect:
    """Restrict contact to one point of contact and some channels, with a review date."""
    _not_for_criticism(case, "a contact restriction")
    _lado_first(case)
    person = _person_on_case(case, person)
    required(contact_point, "Name the single point of contact.")
    required(channels, "Say which channels the parent may use.")
    required(reasons, "Give the reasons for the restriction.")
    review_on = required(review_on, "Set a review date.")
    starts_on = starts_on or timezone.localdate()
    _check_review(case.school, review_on, starts_on, "review date")
    if Restriction.objects.filter(
        school=case.school, person=person, ended_on__isnull=True
    ).exists():
        raise WorkflowError(f"{person.full_name} already has a contact restriction in force.")
    restriction = Restriction.objects.create(
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


@action("restriction_review")
def restriction_review(
    case: Case,
    actor: Any,
    *,
    restriction: Restriction,
    end: bool,
    notes: str,
    next_review_on: datetime.date | None = None,
) -> Effect:
    """Review a restriction in force: end it, or continue it to the next review date."""
    if restriction is None or restriction.case_id != case.pk:
        raise WorkflowError("That contact restriction is not in force on this case.")
    restriction = Restriction.objects.select_for_update().get(pk=restriction.pk)
    today = timezone.localdate()
    restriction_step_take(restriction, "end" if end else "continue", today)
    required(notes, "Record the review's reasons.")
    if end:
        restriction.end_reason = notes
        restriction.save(update_fields=["ended_on", "end_reason"])
        summary = f"Contact restriction on {restriction.person.full_name} ended"
    else:
        next_review_on = required(next_review_on, "Set the next review date.")
        _check_review(case.school, next_review_on, today, "next review")
        restriction.review_on = next_review_on
        restriction.save(update_fields=["review_on"])
        summary = (
            f"Contact restriction on {restriction.person.full_name} continues; next "
            f"review {next_review_on:%d %b %Y}"
        )
    return Effect(summary, notes, {"restriction": restriction.pk, "end": end})


def bans_expire(*, today: datetime.date | None = None) -> int:
    """Take bars whose fixed term has ended off the register (the daily job). Safe to re-run:
    each bar is locked and moved along the table only if it is still confirmed."""
    today = today or timezone.localdate()
    expired = 0
    for ban_id in SiteBan.objects.filter(stage=CONFIRMED, ends_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            ban = SiteBan.objects.select_for_update().select_related("person").get(pk=ban_id)
            if ban.stage != CONFIRMED:  # another run got there first
                continue
            ban.save(update_fields=ban_step_take(ban, "expire"))
            CaseEvent.objects.create(
                case_id=ban.case_id,
                kind=CaseEvent.Kind.BAN,
                summary=f"Bar on {ban.person.full_name} expired on {ban.ends_on:%d %b %Y}",
                data={"ban": ban.pk},
            )
            expired += 1
    return expired


# The step a decided outcome calls for, until the case has the measure.
STEP_FOR_OUTCOME = {"site_ban": "ban_notice", "contact_restriction": "restriction_start"}


def next_measure_steps(case: Case, actor: Any) -> list[Any]:
    """The case page's next step after a decision to bar or to restrict contact: start the
    procedure, until the case has a bar (or restriction); disabled with the table's reason
    when it can't be taken now."""
    from django.urls import reverse

    from incidents.next_step import Step

    has = {
        "ban_notice": bool(case_bans(case)) if "site_ban" in (case.actions or ()) else True,
        "restriction_start": bool(case_restrictions(case))
        if "contact_restriction" in (case.actions or ())
        else True,
    }
    steps = []
    for name, done in has.items():
        transition = TRANSITIONS[name]
        if done or not may(actor, case.school, transition.who):
            continue
        steps.append(
            Step(
                name=name,
                label=transition.label,
                url=reverse("staff:case-action", args=[case.reference, name]),
                reason=transition.refusal(case, actor),
            )
        )
    return steps
