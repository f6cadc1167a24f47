"""A letter's status table (letters.lifecycle): every (status, step) pair against a matrix
written out by hand, and who may take each step."""

from __future__ import annotations

import pytest

from incidents import workflow
from letters import lifecycle, services
from letters.models import Letter, LetterStatus

D, AP, RF, RD, PR, SE = "draft", "approved", "render_failed", "ready", "printed", "sent"
BA = "batched"
STATUSES = [D, AP, RF, RD, BA, PR, SE]
X = None  # refused

# Written out by hand from the letter lifecycle — never derived from lifecycle.LETTER_STEPS.
# fmt: off
EXPECTED = {
    #                  draft  approved  render_failed  ready  batched  printed  sent
    "approved":       (AP,    X,        X,             X,     X,       X,       X),
    "render_started": (X,     AP,       AP,            X,     X,       X,       X),
    "render_failed":  (X,     RF,       X,             X,     X,       X,       X),
    "rendered":       (X,     RD,       X,             X,     X,       X,       X),
    "batched":        (X,     X,        X,             BA,    X,       X,       X),
    "unbatched":      (X,     X,        X,             X,     RD,      X,       X),
    "printed":        (X,     X,        X,             PR,    PR,      X,       X),
    "sent":           (X,     X,        X,             SE,    X,       SE,      X),
}
# fmt: on


def test_every_step_with_a_status_is_in_the_matrix():
    with_sources = {s.name for s in lifecycle.LETTER_STEPS if s.sources}
    assert with_sources == set(EXPECTED)
    assert {s.name for s in lifecycle.LETTER_STEPS if not s.sources} == {"drafted", "corrected"}


@pytest.mark.django_db
@pytest.mark.parametrize("step", list(EXPECTED))
@pytest.mark.parametrize("index", range(len(STATUSES)), ids=STATUSES)
def test_every_status_and_step(draft, head, step, index):
    status = STATUSES[index]
    # Put the letter in the status as the database holds it, then ask the table.
    Letter.objects.filter(pk=draft.pk).update(status=status)
    letter = Letter.objects.select_related("case__school").get(pk=draft.pk)
    expected = EXPECTED[step][index]
    person_step = bool(lifecycle.STEPS[step].who)
    if expected is None:
        assert not lifecycle.step_allowed(letter, step)
        if person_step:
            with pytest.raises(lifecycle.LetterStepError):
                lifecycle.letter_step(letter, step, actor=head)
        else:
            assert not lifecycle.letter_claim(letter.pk, step)
        assert Letter.objects.get(pk=letter.pk).status == status
        return
    assert lifecycle.step_allowed(letter, step)
    if person_step:
        assert lifecycle.letter_step(letter, step, actor=head) == ["status"]
        assert letter.status == expected
    else:
        assert lifecycle.letter_claim(letter.pk, step)
        assert Letter.objects.get(pk=letter.pk).status == expected


@pytest.mark.django_db
def test_office_staff_print_and_send_but_never_approve(draft, office):
    with pytest.raises(lifecycle.LetterStepError, match="senior leaders"):
        lifecycle.letter_step(draft, "approved", actor=office)
    Letter.objects.filter(pk=draft.pk).update(status=LetterStatus.READY)
    letter = Letter.objects.get(pk=draft.pk)
    assert lifecycle.letter_step(letter, "printed", actor=office) == ["status"]


@pytest.mark.django_db
def test_a_draft_is_not_approved_once_the_case_is_closed(draft, head):
    """The table's hold on letters to the parent follows the case as it is now."""
    case = draft.case
    workflow.case_close(case, head, outcome="Resolved", rationale="Post removed")
    with pytest.raises(services.LetterError, match="only while the case is being investigated"):
        services.letter_approve(letter=draft, actor=head)
    assert Letter.objects.get(pk=draft.pk).status == LetterStatus.DRAFT


@pytest.mark.django_db
def test_the_system_steps_are_not_a_persons(draft):
    with pytest.raises(ValueError, match="person's step"):
        lifecycle.letter_claim(draft.pk, "printed")
