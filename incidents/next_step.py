"""The case page's "next step" panel: what moves the case on now, and what can't happen yet.

The panel is built from the workflow table, never from a list of its own: the actions the
user may take now come from `workflow.available_actions`, the steps that aren't possible yet
(with the reason) from `workflow.why_not`, so a new action in the table appears here by
itself. What it adds is an order: which one or two of those lead at each status, and what a
recorded decision calls for next. Apps above incidents add their own next steps (letters: the
letter the decision calls for; measures: the bar procedure after a decision to bar) with
`next_step_register` from their `AppConfig.ready`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from . import workflow
from .models import Case, CaseStatus


@dataclass(frozen=True)
class Step:
    """One button: where it leads, and why it is disabled ("" when it isn't)."""

    name: str
    label: str
    url: str
    reason: str = ""


@dataclass
class Panel:
    """The next step(s) as primary buttons, the other actions, and what isn't possible yet."""

    primary: list[Step] = field(default_factory=list)
    others: list[Step] = field(default_factory=list)
    blocked: list[Step] = field(default_factory=list)


# The actions that move a case on from each status, most usual first.
LEADS: dict[str, tuple[str, ...]] = {
    CaseStatus.NEW: ("triage",),
    CaseStatus.INVESTIGATING: ("decide", "gather"),
    CaseStatus.ACTION: ("monitor", "close"),
    CaseStatus.MONITORING: ("close",),
    CaseStatus.CLOSED: (),
}

NextStepProvider = Callable[[Case, Any], list[Step]]
NEXT_STEP_PROVIDERS: list[NextStepProvider] = []


def next_step_register(provider: NextStepProvider) -> None:
    """Add a provider of next steps (called with the case and the user) to the panel."""
    if provider not in NEXT_STEP_PROVIDERS:
        NEXT_STEP_PROVIDERS.append(provider)


def action_url(case: Case, name: str) -> str:
    return reverse("staff:case-action", args=[case.reference, name])


def case_panel(case: Case, actor: Any, *, hide: frozenset[str] = frozenset()) -> Panel:
    """The next-step panel for `actor` on `case`: at most two primary buttons, the other
    available actions, and the actions of the current stage the user could take but that
    are not possible yet, each with the reason from the workflow table."""
    available = [n for n in workflow.available_actions(case=case, actor=actor) if n not in hide]
    label = {name: workflow.TRANSITIONS[name].label for name in available}
    leading: list[Step] = []
    if "safeguarding_decision" in available and not case.safeguarding_decided_at:
        # A child may be at risk: the DSL's decision comes before anything else.
        leading.append(
            Step(
                "safeguarding_decision",
                label["safeguarding_decision"],
                action_url(case, "safeguarding_decision"),
            )
        )
    if case.status in (CaseStatus.ACTION, CaseStatus.MONITORING):
        for provider in NEXT_STEP_PROVIDERS:
            leading.extend(provider(case, actor))
    for name in LEADS.get(case.status, ()):
        if name in available:
            leading.append(Step(name, label[name], action_url(case, name)))
    panel = Panel()
    seen: set[str] = set()
    for step in leading:
        if step.name in seen:
            continue
        if step.reason:
            panel.blocked.append(step)
        elif len(panel.primary) < 2:
            panel.primary.append(step)
        else:
            continue  # beyond the two that lead: listed with the others below
        seen.add(step.name)
    for name in available:
        if name not in seen:
            seen.add(name)
            panel.others.append(Step(name, label[name], action_url(case, name)))
    for name, reason in workflow.why_not(case=case, actor=actor).items():
        if name not in seen and name not in hide:
            panel.blocked.append(Step(name, workflow.TRANSITIONS[name].label, "", reason))
    return panel
