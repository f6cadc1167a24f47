"""The case workflow engine: the transition table and the one locking entry point.

Every case action is a typed function (`incidents.workflow.actions`, `measures.procedure`)
made with `@action(name)`. Calling it runs `perform`, which locks the case row
(`select_for_update`), checks the action's table entry (who may take it, from which statuses,
and any other precondition), runs the action's body on the locked case, saves the case with
`update_fields`, writes the `CaseEvent` in the same transaction and lets the body schedule its
side effects for after the commit. Guards raise `WorkflowError` with a message a head teacher
understands.

`TRANSITIONS` is the whole table: the case's own actions are listed below; other apps add
theirs with `transitions_register` from their `AppConfig.ready` (measures adds the bar and
restriction actions), so this package never imports them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from schools.access import StaffRoles, roles_for
from schools.models import School

from ..models import Case, CaseEvent, CaseStatus, Outcome
from ..rows import case_rows

P = ParamSpec("P")
T = TypeVar("T")

OPEN = frozenset(
    {CaseStatus.NEW, CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING}
)
ANY = OPEN | {CaseStatus.CLOSED}
# Where a bar or restriction can exist (a temporary bar may start while investigating).
WITH_MEASURES = frozenset({CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING})


class WorkflowError(Exception):
    """A step that is not allowed now, with a message a head teacher understands."""


@dataclass
class Effect:
    """What an action did: the chronology line, the fields it changed, what it made."""

    summary: str
    rationale: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    result: Any = None


# --- who may act -----------------------------------------------------------------------------
# A role is a name in the table and a check of the user's roles against the case's school.
# SLT of the school or an executive of its trust ("manage"), a DSL ("dsl"), office staff
# ("office", for printing and sending letters only). Other apps may add roles (measures adds
# the bar decision-maker of the school's scheme of delegation).
MANAGE = "manage"
DSL = "dsl"
OFFICE = "office"
# SLT of the school itself: manages the case *and* may see the reporter (not a trust
# executive). For steps that mean knowing who reported, such as re-issuing their code.
SCHOOL_SLT = "school_slt"

RoleCheck = Callable[[StaffRoles, School], bool]
ROLES: dict[str, RoleCheck] = {
    MANAGE: lambda roles, school: roles.manages(school),
    DSL: lambda roles, school: roles.is_dsl(school),
    OFFICE: lambda roles, school: school.pk in roles.office,
    SCHOOL_SLT: lambda roles, school: roles.manages(school) and roles.sees_reporter(school),
}


def role_register(name: str, check: RoleCheck) -> None:
    """Add a role to the table's vocabulary (from an app's `AppConfig.ready`)."""
    if name in ROLES and ROLES[name] is not check:
        raise ImproperlyConfigured(f"Workflow role {name!r} is already registered.")
    ROLES[name] = check


def may(actor: Any, school: School, who: Collection[str]) -> bool:
    """Does `actor` hold one of the roles `who` at `school`?"""
    roles = roles_for(actor)
    return any(ROLES[name](roles, school) for name in who)


# --- the table -------------------------------------------------------------------------------


class Offer(enum.StrEnum):
    """Where the case page offers an action."""

    CASE = "case"  # in the case's list of actions
    OBJECT = "object"  # beside a bar or restriction, at the stages its app's table allows
    ELSEWHERE = "elsewhere"  # on another app's pages (letter steps on the letter pages)


def _no_precondition(case: Case) -> str:
    return ""


def _permission_denied(case: Case) -> str:
    return "You don't have permission to do that on this case."


def _always(case: Case) -> bool:
    return True


@dataclass(frozen=True)
class Transition:
    """One entry of the table: everything that decides whether an action may run now."""

    name: str
    label: str
    sources: frozenset[str]  # the case statuses it may start from
    target: str | None  # the status it leads to; None: the status stays
    who: frozenset[str]  # roles (keys of ROLES), any one of which may take it
    event: str  # the chronology line's kind
    offered: Offer = Offer.CASE
    # Anything else that must hold first, as the reason it doesn't ("" when it holds).
    precondition: Callable[[Case], str] = _no_precondition
    # What someone without the role is told.
    denied: Callable[[Case], str] = _permission_denied
    # Whether the step belongs to this case at all. A step whose precondition only says the
    # case is not of its kind (the LADO's decision on a case that is no allegation) is refused
    # when tried, but the next-step panel doesn't list it as "not possible yet".
    applies: Callable[[Case], bool] = _always

    def refusal(self, case: Case, actor: Any) -> str:
        """Why `actor` can't take this action on `case` now ("" if they can)."""
        if not may(actor, case.school, self.who):
            return self.denied(case)
        if case.status not in self.sources:
            return (
                f"You can't {self.label[0].lower() + self.label[1:]} while the case is "
                f"{case.get_status_display().lower()}."
            )
        return self.precondition(case)


def _flagged(case: Case) -> str:
    return "" if case.safeguarding_flag else "This case has no safeguarding flag to decide on."


def _not_merged(case: Case) -> str:
    if case.merged_into_id:
        return (
            f"This case was merged into {case.merged_into.reference}: "  # type: ignore[union-attr]
            "open that case instead."
        )
    return ""


# "Is a bar or contact restriction pending or in force on this case?" — asked before the case
# closes (it moves to monitoring instead). The measures app, which owns them, adds its check
# from AppConfig.ready; a check returns what is open, in words ("" if nothing).
MEASURE_OPEN_CHECKS: list[Callable[[Case], str]] = []


def _nothing_in_force(case: Case) -> str:
    for check in MEASURE_OPEN_CHECKS:
        what = check(case)
        if what:
            return (
                f"{what} on this case, so it can't close yet: start monitoring instead, and "
                "close it once the bar or restriction has ended."
            )
    return ""


# "Is a bar or contact restriction in force on this case?" — asked before monitoring starts.
# The measures app, which owns bars and restrictions, adds its check from AppConfig.ready.
MEASURE_IN_FORCE_CHECKS: list[Callable[[Case], bool]] = []


def _something_to_monitor(case: Case) -> str:
    # A bar or restriction decided on this case but not yet in force counts: monitoring is
    # what follows it.
    if {Outcome.CONTACT_RESTRICTION, Outcome.SITE_BAN} & set(case.actions or ()):
        return ""
    if any(check(case) for check in MEASURE_IN_FORCE_CHECKS):
        return ""
    return (
        "Monitoring is for a case where a ban or contact restriction is in "
        "force. Close the case instead, or record that decision first."
    )


def _not_an_allegation_yet(case: Case) -> str:
    if case.safeguarding_screen == "allegation":
        return "This case is already recorded as an allegation against a member of staff."
    return ""


def _lado_referred(case: Case) -> str:
    if case.safeguarding_screen != "allegation":
        return "The LADO's decision is recorded on an allegation against a member of staff."
    referrals = case_rows(case, "referrals", lambda: case.referrals.filter(kind="lado"))
    if not any(r.kind == "lado" for r in referrals):
        return "Record the LADO referral first, then the LADO's decision."
    return ""


def _reporter_rule_denied(case: Case) -> str:
    # Checking who the caller is means knowing who reported: the reporter rule applies.
    return "Only the school's senior leaders can check a reporter's identity."


INV, ACT, MON = CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING
K = CaseEvent.Kind
BOTH = frozenset({MANAGE, DSL})
SLT = frozenset({MANAGE})

CASE_TRANSITIONS = [
    Transition(
        name="triage",
        label="Triage",
        sources=frozenset({CaseStatus.NEW}),
        target=INV,
        who=SLT,
        event=K.TRIAGED,
    ),
    Transition(
        name="merge",
        label="Merge into another case",
        sources=frozenset({CaseStatus.NEW}),
        target=CaseStatus.CLOSED,
        who=SLT,
        event=K.MERGED,
    ),
    Transition(
        name="gather",
        label="Gather information",
        sources=frozenset({INV}),
        target=None,
        who=SLT,
        event=K.INFORMATION,
    ),
    Transition(
        name="meeting",
        label="Record a meeting or conversation",
        sources=frozenset({INV, ACT}),
        target=None,
        who=SLT,
        event=K.MEETING,
    ),
    Transition(
        name="decide",
        label="Decide the outcome",
        # From action or monitoring too: the conduct goes on after a warning, and the head
        # decides again (an escalation, with its rationale, beside the first decision).
        sources=frozenset({INV, ACT, MON}),
        target=ACT,
        who=SLT,
        event=K.DECIDED,
    ),
    Transition(
        name="allegation",
        label="Record an allegation against a member of staff",
        sources=OPEN - {CaseStatus.NEW},
        target=None,
        who=BOTH,
        event=K.SAFEGUARDING_ALERT,
        precondition=_not_an_allegation_yet,
        applies=lambda case: case.safeguarding_screen != "allegation",
    ),
    Transition(
        name="lado_decision",
        label="Record the LADO's decision",
        sources=OPEN,
        target=None,
        who=BOTH,
        event=K.REFERRAL,
        precondition=_lado_referred,
        applies=lambda case: case.safeguarding_screen == "allegation",
    ),
    Transition(
        name="refer",
        label="Record a referral",
        sources=frozenset({INV, ACT, MON}),
        target=None,
        who=BOTH,
        event=K.REFERRAL,
    ),
    Transition(
        name="monitor",
        label="Start monitoring",
        sources=frozenset({ACT}),
        target=MON,
        who=SLT,
        event=K.MONITORING,
        precondition=_something_to_monitor,
    ),
    Transition(
        name="close",
        label="Close the case",
        sources=OPEN,
        target=CaseStatus.CLOSED,
        who=SLT,
        event=K.CLOSED,
        precondition=_nothing_in_force,
    ),
    Transition(
        name="reopen",
        label="Reopen the case",
        sources=frozenset({CaseStatus.CLOSED}),
        target=INV,
        who=SLT,
        event=K.REOPENED,
        precondition=_not_merged,
    ),
    Transition(
        name="reassign",
        label="Change the lead",
        sources=OPEN,
        target=None,
        who=SLT,
        event=K.REASSIGNED,
    ),
    Transition(
        # The rules of the code a case breaks, after triage (every letter to the parent
        # names one: a case triaged without any can still get its letters).
        name="rules",
        label="Record the rules broken",
        sources=OPEN - {CaseStatus.NEW},
        target=None,
        who=SLT,
        event=K.RULES,
    ),
    Transition(
        name="severity",
        label="Change the severity",
        sources=OPEN - {CaseStatus.NEW},
        target=None,
        who=SLT,
        event=K.SEVERITY,
    ),
    Transition(
        name="add_person",
        label="Add the person concerned",
        sources=OPEN,
        target=None,
        who=SLT,
        event=K.PERSON,
    ),
    Transition(name="note", label="Add a note", sources=ANY, target=None, who=BOTH, event=K.NOTE),
    Transition(
        name="message_reporter",
        label="Message the reporter",
        sources=ANY,
        target=None,
        who=SLT,
        event=K.MESSAGE_TO_REPORTER,
    ),
    Transition(
        name="safeguarding_decision",
        label="Record the safeguarding decision",
        sources=ANY,
        target=None,
        who=frozenset({DSL}),
        event=K.SAFEGUARDING_DECISION,
        precondition=_flagged,
        applies=lambda case: case.safeguarding_flag,
    ),
    Transition(
        name="reissue_code",
        label="Re-issue a follow-up code",
        sources=ANY,
        target=None,
        who=frozenset({SCHOOL_SLT}),
        event=K.CODE_REISSUED,
        denied=_reporter_rule_denied,
    ),
    Transition(
        name="wording",
        label="Confirm the wording for letters",
        sources=OPEN,
        target=None,
        who=SLT,
        event=K.WORDING,
    ),
    # ACT letter's step on the chronology. Which steps office staff may take, and when a letter
    # may be drafted at all, is the letters app's own status table.
    Transition(
        name="letter",
        label="Record a letter step",
        sources=ANY,
        target=None,
        who=frozenset({MANAGE, OFFICE}),
        event=K.LETTER,
        offered=Offer.ELSEWHERE,
    ),
]

TRANSITIONS: dict[str, Transition] = {}


def transitions_register(entries: Iterable[Transition]) -> None:
    """Add entries to the table (the case's own below; other apps' from `AppConfig.ready`)."""
    for entry in entries:
        if entry.name in TRANSITIONS and TRANSITIONS[entry.name] != entry:
            raise ImproperlyConfigured(f"Workflow action {entry.name!r} is already registered.")
        unknown = entry.who - set(ROLES)
        if unknown:
            raise ImproperlyConfigured(f"{entry.name}: unknown roles {sorted(unknown)}")
        TRANSITIONS[entry.name] = entry


transitions_register(CASE_TRANSITIONS)


def available_actions(
    *, case: Case, actor: Any, offered: Collection[Offer] = (Offer.CASE,)
) -> list[str]:
    """The actions this user may take on this case now, among those offered in `offered`
    (the case page's list by default), in the table's order."""
    return [
        t.name for t in TRANSITIONS.values() if t.offered in offered and not t.refusal(case, actor)
    ]


def why_not(
    *, case: Case, actor: Any, offered: Collection[Offer] = (Offer.CASE,)
) -> dict[str, str]:
    """The "why not" query: the actions of the case's current stage that this user holds the
    role for but can't take now, each with the reason (the same `refusal` that `perform`
    raises), in the table's order — leaving out steps that don't apply to this kind of case
    (`Transition.applies`). Nothing is performed, so the page can show the step disabled with
    its reason before anyone fills in a form."""
    reasons = {}
    for t in TRANSITIONS.values():
        if (
            t.offered in offered
            and case.status in t.sources
            and t.applies(case)
            and may(actor, case.school, t.who)
        ):
            reason = t.refusal(case, actor)
            if reason:
                reasons[t.name] = reason
    return reasons


# --- the entry point -------------------------------------------------------------------------


def perform(case: Case, name: str, actor: Any, body: Callable[[Case], Effect]) -> Effect:
    """Run one case action under a row lock, with its chronology event; see the module doc.

    `body` gets the locked case; the typed action functions are the only callers."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise WorkflowError("That action does not exist.")
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("school", "merged_into")
            .get(pk=case.pk)
        )
        refusal = transition.refusal(locked, actor)
        if refusal:
            raise WorkflowError(refusal)
        from_status = locked.status
        effect = body(locked)
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


Body = Callable[Concatenate[Case, Any, P], Effect]
# Every typed action, by name (the hand-written matrix test runs each one by name).
ACTIONS: dict[str, Callable[..., Effect]] = {}


def action(name: str) -> Callable[[Body[P]], Body[P]]:
    """Make `body(case, actor, *, ...)` a typed case action that runs through `perform`.

    The decorated function keeps the body's signature, so mypy checks every call; the body
    itself runs on the locked case inside the transaction."""

    def decorate(body: Body[P]) -> Body[P]:
        @wraps(body)
        def run(case: Case, actor: Any, /, *args: P.args, **kwargs: P.kwargs) -> Effect:
            return perform(case, name, actor, lambda locked: body(locked, actor, *args, **kwargs))

        ACTIONS[name] = run
        return run

    return decorate


def required(value: T | None, message: str) -> T:
    """The value (stripped, if text), or a WorkflowError with `message` if it is empty or
    only spaces."""
    if value is None or value in ("", [], ()) or (isinstance(value, str) and not value.strip()):
        raise WorkflowError(message)
    return value.strip() if isinstance(value, str) else value  # type: ignore[return-value]
