"""The bar and restriction stage tables (measures.procedure): every (stage, step) pair
against a matrix written out by hand, and the models refusing any other change of stage."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents.models import ImmutableRecordError, Person
from measures import procedure
from measures.models import BanStage, ContactRestriction, SiteBan
from tests.factories import ContactRestrictionFactory, SiteBanFactory, triaged_case

I, T, C, N, L, E = "intention", "temporary", "confirmed", "not_confirmed", "lifted", "expired"  # noqa: E741
STAGES = [I, T, C, N, L, E]
X = None  # refused
S = "="  # allowed, the stage stays

# Written out by hand from DOMAIN.md §Site ban — never derived from procedure.BAN_STEPS.
# fmt: off
EXPECTED = {
    #                    intention temporary confirmed not_confirmed lifted expired
    "representations":  (S,        S,        X,        X,            X,     X),
    "confirm":          (C,        C,        X,        X,            X,     X),
    "not_confirmed":    (N,        X,        X,        X,            X,     X),
    "temporary_lifted": (X,        L,        X,        X,            X,     X),
    "review_continue":  (X,        X,        S,        X,            X,     X),
    "review_vary":      (X,        X,        S,        X,            X,     X),
    "review_lift":      (X,        X,        L,        X,            X,     X),
    "expire":           (X,        X,        E,        X,            X,     X),
}
# fmt: on
# Steps that make a bar, and the stage they make it in.
CREATING = {"notice": I, "temporary": T}


@pytest.fixture
def bar(school, head):
    case = triaged_case(school, head, person=Person(full_name="Mr Jason Turner"))
    return SiteBanFactory(
        case=case,
        person=case.persons.get(),
        stage=BanStage.INTENTION,
        decision_maker=head,
        notice_on=datetime.date(2026, 1, 5),
        representation_deadline=datetime.date(2026, 1, 19),
    )


def test_every_step_is_in_the_matrix():
    names = {s.name for s in procedure.BAN_STEPS}
    assert names == set(EXPECTED) | set(CREATING)
    assert {s.name: s.target for s in procedure.BAN_STEPS if not s.sources} == CREATING


@pytest.mark.django_db
@pytest.mark.parametrize("step", list(EXPECTED))
@pytest.mark.parametrize("index", range(len(STAGES)), ids=STAGES)
def test_every_stage_and_step(bar, step, index):
    stage = STAGES[index]
    SiteBan.objects.filter(pk=bar.pk).delete()
    bar.pk, bar._state.adding, bar.stage = None, True, stage
    bar.save()  # a new row may start at any stage (tests and data fixes)
    expected = EXPECTED[step][index]
    if expected is None:
        with pytest.raises(procedure.WorkflowError, match="not possible now"):
            procedure.ban_step_take(bar, step)
        assert SiteBan.objects.get(pk=bar.pk).stage == stage
        return
    fields = procedure.ban_step_take(bar, step)
    bar.save(update_fields=fields or None)
    assert SiteBan.objects.get(pk=bar.pk).stage == (stage if expected == S else expected)


@pytest.mark.django_db
def test_the_case_page_offers_each_action_at_the_stages_of_its_steps():
    assert procedure.stages_for("ban_representations") == {I, T}
    assert procedure.stages_for("ban_decide") == {I, T}
    assert procedure.stages_for("ban_review") == {C}
    assert procedure.stages_for("restriction_review") == {procedure.IN_FORCE}


@pytest.mark.django_db
def test_a_bars_stage_changes_only_through_the_table(bar):
    bar.stage = BanStage.CONFIRMED
    with pytest.raises(ImmutableRecordError, match="stage"):
        bar.save()
    with pytest.raises(ImmutableRecordError, match="stage"):
        SiteBan.objects.filter(pk=bar.pk).update(stage=BanStage.LIFTED)
    assert SiteBan.objects.get(pk=bar.pk).stage == BanStage.INTENTION
    # Other fields still save as before.
    bar.refresh_from_db()
    bar.scope = "The playground at drop-off"
    bar.save(update_fields=["scope"])
    assert SiteBan.objects.get(pk=bar.pk).scope == "The playground at drop-off"


@pytest.mark.django_db
def test_a_restriction_ends_only_through_the_table(bar, head):
    restriction = ContactRestrictionFactory(case=bar.case, person=bar.person, created_by=head)
    restriction.ended_on = timezone.localdate()
    with pytest.raises(ImmutableRecordError, match="ends only"):
        restriction.save()
    with pytest.raises(ImmutableRecordError, match="ends only"):
        ContactRestriction.objects.filter(pk=restriction.pk).update(ended_on=timezone.localdate())
    procedure.restriction_review(bar.case, head, restriction=restriction, end=True, notes="Done")
    restriction.refresh_from_db()
    assert restriction.ended_on == timezone.localdate() and not restriction.is_active
    with pytest.raises(procedure.WorkflowError, match="not in force"):
        procedure.restriction_review(bar.case, head, restriction=restriction, end=True, notes="x")


@pytest.mark.django_db
def test_each_bar_step_form_offers_only_the_bars_its_step_may_start_from(school, head):
    from measures.forms import BanDecideForm, BanRepresentationsForm, BanReviewForm

    case = triaged_case(school, head, person=Person(full_name="Mr Jason Turner"))
    person = case.persons.get()
    bars = {
        stage: SiteBanFactory(case=case, person=person, stage=stage)
        for stage in (BanStage.INTENTION, BanStage.TEMPORARY, BanStage.CONFIRMED, BanStage.LIFTED)
    }
    undecided = {bars[BanStage.INTENTION], bars[BanStage.TEMPORARY]}
    for form_class, offered in (
        (BanRepresentationsForm, undecided),
        (BanDecideForm, undecided),
        (BanReviewForm, {bars[BanStage.CONFIRMED]}),
    ):
        form = form_class(case=case, user=head)
        assert set(form.fields["ban"].queryset) == offered, form_class.__name__
        assert next(iter(form.fields)) == "ban"
