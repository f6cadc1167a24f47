"""A letter's status as a table: each step, the statuses it starts from, where it leads, who
may take it, and whether it waits while letters to the parent are on hold on the case.

`letter_step` is the one place a letter's status changes in a request (the services call it);
`letter_claim` is its conditional-UPDATE twin for the PDF task, which must be safe to run twice.
Each step a person takes is written on the case chronology through the case workflow
(`incidents.workflow.case_letter_record`), with this table's check run there under the case's
row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from incidents.models import Case, CaseStatus
from incidents.rows import case_rows
from incidents.wording import unconfirmed_wording
from incidents.workflow import MANAGE, OFFICE, case_letter_record, lado_hold, may
from schools.access import sees_reporter
from schools.models import Rule

from .models import Letter, LetterStatus

DRAFT, APPROVED, RENDER_FAILED = (
    LetterStatus.DRAFT,
    LetterStatus.APPROVED,
    LetterStatus.RENDER_FAILED,
)
READY, PRINTED, SENT = LetterStatus.READY, LetterStatus.PRINTED, LetterStatus.SENT
BATCHED = LetterStatus.BATCHED
SLT = frozenset({MANAGE})
STAFF = frozenset({MANAGE, OFFICE})
SYSTEM: frozenset[str] = frozenset()  # taken by the PDF task, not by a person


@dataclass(frozen=True)
class LetterStep:
    name: str  # also the step's name on the chronology
    sources: frozenset[str]  # statuses it starts from; empty: it makes a new letter
    target: str
    who: frozenset[str]  # workflow roles that may take it; empty: the system only
    refused: str = ""  # what the user is told when the letter's status doesn't allow it
    denied: str = "You don't have permission to do that to this letter."
    # Waits while letters to the parent are on hold on the case (see `letters_blocked_reason`).
    held_by_case: bool = False


SENIOR_ONLY = "Only the school's senior leaders can draft or approve letters."

LETTER_STEPS = (
    LetterStep("drafted", frozenset(), DRAFT, SLT, denied=SENIOR_ONLY, held_by_case=True),
    LetterStep("corrected", frozenset(), DRAFT, SLT, denied=SENIOR_ONLY, held_by_case=True),
    LetterStep(
        "approved",
        frozenset({DRAFT}),
        APPROVED,
        SLT,
        refused="This letter has already been approved.",
        denied=SENIOR_ONLY,
        held_by_case=True,
    ),
    # The PDF task: claims an approved (or failed) letter, then records how it went.
    LetterStep("render_started", frozenset({APPROVED, RENDER_FAILED}), APPROVED, SYSTEM),
    LetterStep("render_failed", frozenset({APPROVED}), RENDER_FAILED, SYSTEM),
    LetterStep("rendered", frozenset({APPROVED}), READY, SYSTEM),
    # The office's print queue: a letter in a batch has left "Ready to print"; cancelling
    # the batch returns it.
    LetterStep(
        "batched",
        frozenset({READY}),
        BATCHED,
        STAFF,
        refused="This letter is already in a print batch, or not ready to print.",
    ),
    LetterStep(
        "unbatched",
        frozenset({BATCHED}),
        READY,
        STAFF,
        refused="This letter is not in a print batch.",
    ),
    LetterStep(
        "printed",
        frozenset({READY, BATCHED}),
        PRINTED,
        STAFF,
        refused="Only a letter that is ready to print can be marked printed.",
    ),
    LetterStep(
        "sent",
        frozenset({READY, PRINTED}),
        SENT,
        STAFF,
        refused="Only a letter whose PDF is ready can be sent.",
    ),
)
STEPS = {step.name: step for step in LETTER_STEPS}


class LetterStepError(Exception):
    """A letter step that is not allowed now (the services turn it into a LetterError)."""


def letters_blocked_reason(case: Case, *, to_reporter: bool) -> str:
    """Why a letter can't be drafted or approved on this case now ("" if it can)."""
    typed = unconfirmed_wording(case)
    if typed:
        return (
            f"The group the parent named (“{typed}”) has not been confirmed for letters: "
            "use “Confirm the wording for letters” on the case page first."
        )
    if to_reporter:
        return ""
    if case.status not in (CaseStatus.INVESTIGATING, CaseStatus.ACTION, CaseStatus.MONITORING):
        return (
            "Letters to the parent can be issued only while the case is being "
            "investigated, in action or monitored."
        )
    if case.safeguarding_flag and not case.safeguarding_decided_at:
        return "Letters to the parent are on hold until the DSL records a safeguarding decision."
    if lado_hold(case):
        return (
            "Letters to the parent are on hold: this is an allegation against a member of "
            "staff, and the LADO referral and the LADO's decision come first."
        )
    if not (case.rules.exists() or Rule.objects.filter(reports__case=case).exists()):
        return (
            "No rule of the code of conduct is recorded as broken on this case, and a letter "
            "to the parent names the rule: use “Record the rules broken” on the case page first."
        )
    return ""


def case_refusal(name: str, *, case: Case, actor: Any, to_reporter: bool) -> str:
    """Why `actor` can't take step `name` on this case now, whatever the letter's status
    ("" if they can): the roles that may take it, and the case's hold on letters."""
    step = STEPS[name]
    if not step.who or not may(actor, case.school, step.who):
        return step.denied
    if to_reporter and not sees_reporter(actor, case.school):
        # A letter to the reporter names them: the reporter rule, not "manages", decides.
        return "Only the school's senior leaders and DSLs deal with letters to the reporter."
    if step.held_by_case:
        return letters_blocked_reason(case, to_reporter=to_reporter)
    return ""


def step_allowed(letter: Letter, name: str) -> bool:
    """Does the table let `letter` take step `name` from its current status?"""
    return letter.status in STEPS[name].sources


def letter_step(letter: Letter, name: str, *, actor: Any) -> list[str]:
    """Move `letter` to the step's status (not saved) after checking the table; the fields
    to save. Raises LetterStepError with the table's message."""
    step = STEPS[name]
    if letter.status not in step.sources:
        raise LetterStepError(step.refused)
    refusal = case_refusal(name, case=letter.case, actor=actor, to_reporter=letter.to_reporter)
    if refusal:
        raise LetterStepError(refusal)
    letter.status = step.target
    return ["status"]


def letter_claim(
    letter_id: int, name: str, *, where: dict[str, Any] | None = None, **fields: Any
) -> bool:
    """Take a system step with a conditional UPDATE (the PDF task), only from the table's
    statuses (and `where`): True if this call took it, so a second run does nothing."""
    step = STEPS[name]
    if step.who:
        raise ValueError(f"{name} is a person's step: use letter_step.")
    claimed = Letter.objects.filter(pk=letter_id, status__in=step.sources, **(where or {})).update(
        status=step.target, **fields
    )
    return bool(claimed)


def letter_record(letter: Letter, actor: Any, name: str, summary: str) -> None:
    """Write the step on the case chronology; the table's check runs again there, on the
    locked case (the case may have changed since the letter was loaded)."""

    def guard(locked: Case) -> str:
        return case_refusal(name, case=locked, actor=actor, to_reporter=letter.to_reporter)

    case_letter_record(
        letter.case,
        actor,
        summary=summary,
        data={"step": name, "letter": letter.pk, "kind": letter.kind},
        guard=guard,
    )


# The letter each decided outcome is carried by (bars and restrictions have their own steps
# in measures, each followed by its letter).
LETTER_FOR_OUTCOME = {
    "reminder": "reminder",
    "warning": "warning",
    "meeting_slt": "meeting_invitation",
    "meeting_trust": "meeting_invitation",
}


def next_letter_steps(case: Case, actor: Any) -> list[Any]:
    """The case page's next step after a decision: draft the letter it calls for, with that
    kind chosen, until one of that kind exists (disabled with the reason while the case holds
    letters back)."""
    from django.urls import reverse

    from incidents.next_step import Step

    from .kinds import LetterKind

    if not may(actor, case.school, STEPS["drafted"].who):
        return []
    drafted = {
        letter.kind
        for letter in case_rows(case, "letter_kinds", lambda: Letter.objects.filter(case=case))
    }
    steps = []
    for outcome in case.actions or ():
        kind = LETTER_FOR_OUTCOME.get(outcome)
        if kind is None or kind in drafted:
            continue
        drafted.add(kind)
        steps.append(
            Step(
                name=f"letter:{kind}",
                label=f"Draft the {LetterKind(kind).label[0].lower()}{LetterKind(kind).label[1:]}",
                url=reverse("letters:new", kwargs={"reference": case.reference, "kind": kind}),
                reason=letters_blocked_reason(case, to_reporter=False),
            )
        )
    return steps
