"""Who the guards are about. A member of staff who reported or witnessed the conduct may sign
the letters about it (the reporter-name guard is about the parent who reported); a refusal says
which field holds the name. The outcome letter to the reporter speaks in general terms: it
never names the other parent or states the sanction — at draft, on save and at approval."""

from __future__ import annotations

import pytest

from incidents.models import Person
from incidents.workflow import case_person_add
from letters import services
from letters.general_terms import sanction_hits
from letters.kinds import FIELDS
from schools.models import Membership, School
from tests.factories import DETAILS, letter_to_parent, outcome_to_reporter, triaged_case

OUTCOME = FIELDS["outcome_summary"].label


def signed_by_head(school, head, parent, **report):
    """A case whose report came from `report`'s reporter, and a warning the head signs."""
    case = triaged_case(school, head, person=parent, report_kwargs=report)
    return case, letter_to_parent(case, head, parent, "warning", DETAILS)


# --- a member of staff who reported or witnessed it may sign ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "report",
    [
        # The head reported what she saw at the gate, as a member of staff.
        {"reporter_name": "Helen Carter", "reporter_relationship": "staff"},
        {"reporter_name": "Mrs  HELEN\u00a0Carter", "reporter_relationship": "staff"},
        # Recorded as the staff witness (no reporter at all), by account or by name.
        {"conduct": "in_person", "conduct_place": "at the gate", "witness": "HEAD"},
        {"conduct": "phone_call", "witness_name": "Helen Carter"},
    ],
)
def test_the_staff_reporter_or_witness_signs_the_letter(school, head, parent, eager_tasks, report):
    if report.get("witness") == "HEAD":
        report = {**report, "witness": head}
    _case, letter = signed_by_head(school, head, parent, **report)
    assert letter.signatory_name == "Helen Carter"
    services.letter_update_draft(
        letter=letter, actor=head, title=letter.title, body_html=letter.body_html
    )
    services.letter_approve(letter=letter, actor=head)  # the PDF's signature is checked too
    assert services.letter_render(letter_id=letter.pk)


@pytest.mark.django_db
def test_a_parent_who_reported_is_still_refused_and_told_it_is_the_signatorys_name(
    school, head, parent
):
    """The edge: the same name, reported as a parent (or with no relationship)."""
    for relationship in ("parent", ""):
        with pytest.raises(services.LetterError) as refused:
            signed_by_head(
                school,
                head,
                parent,
                reporter_name="Helen Carter",
                reporter_relationship=relationship,
            )
        assert str(refused.value).startswith(
            "The reporter's name appears in the signatory's name: “Helen Carter”"
        )


@pytest.mark.django_db
def test_a_staff_reporter_is_not_hidden_only_from_the_letter_they_sign(school, head, slt, parent):
    """Another member of staff signs: the staff reporter's name in the text is still refused,
    and the field is named."""
    Membership.objects.filter(user=slt).update(job_title="Deputy Head")
    case = triaged_case(
        school,
        head,
        person=parent,
        report_kwargs={"reporter_name": "Zuleika Quillfeather", "reporter_relationship": "staff"},
    )
    with pytest.raises(services.LetterError) as refused:
        services.letter_draft(
            case=case,
            kind="warning",
            actor=head,
            details={**DETAILS, "impact": "Ms Quillfeather was upset."},
            delivery_method="post",
            person=parent,
            signatory=slt,
        )
    assert "The reporter's surname appears in “The impact of the conduct" in str(refused.value)


# --- the outcome letter to the reporter speaks in general terms --------------------------------


@pytest.fixture
def distinctive(school):
    return Person.objects.create(school=school, full_name="Mrs Adaeze Okonkwo", address="2 Lane")


outcome = outcome_to_reporter


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("We have issued a formal warning.", "warning"),
        ("The parent was WARNED.", "WARNED"),
        ("They have been banned from the site.", "banned"),
        ("They are barred from the premises.", "barred"),
        ("A contact restriction is now in place.", "restriction"),
        ("We informed the police.", "police"),
        ("We have taken légal advice.", "légal"),
        ("Our solicitors have written to them.", "solicitors"),
        ("They would be treated as a trespasser.", "trespasser"),
        # General terms and words that only contain a sanction pass.
        ("We have taken the action we consider appropriate.", None),
        ("Thank you for your patience; see the summer barbecue notice.", None),
        ("Bannister Road entrance", None),
        ("embargo, warnock, policed-free", None),
    ],
)
def test_sanction_words_are_whole_words_however_typed(text, word):
    hits = sanction_hits(text)
    assert (text[hits[0].start : hits[0].end] if hits else None) == word


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("summary", "says"),
    [
        ("Jason Turner has been spoken to.", "The name of the parent the case is about"),
        ("JASON\u00a0 turner has been spoken to.", "The name of the parent the case is about"),
        ("Mrs Okónkwo has been spoken to.", "The surname of the parent the case is about"),
        # Their email address names them too (the name inside it is found first).
        ("We wrote to jason.turner@example.com.", "The name of the parent the case is about"),
        ("We have issued a formal warning.", "“warning” in “Outcome in general terms”"),
        ("We have contacted the police.", "“police” in “Outcome in general terms”"),
        # The edges that pass: a common surname alone, a first name alone, general words.
        ("Mr Turner's case is closed.", None),
        ("Jason is not named here.", None),
        ("We have taken the action we consider appropriate.", None),
    ],
)
def test_the_outcome_letter_never_names_the_other_parent_or_the_sanction(
    case, head, distinctive, summary, says
):
    case_person_add(case, head, person=distinctive)
    if says is None:
        assert outcome(case, head, summary).pk
        return
    with pytest.raises(services.LetterError) as refused:
        outcome(case, head, summary)
    assert str(refused.value).startswith(says), str(refused.value)
    assert "general terms" in str(refused.value)
    assert not case.letters.exists()


@pytest.mark.django_db
def test_editing_the_outcome_letter_says_which_paragraph_and_keeps_nothing(case, head):
    letter = outcome(case, head, DETAILS["outcome_summary"])
    barred = "<p>Dear Ms Shah,</p><p>Thank you.</p><p>The parent has now been barred.</p>"
    for title, body, says in (
        ("Outcome", barred, "“barred” in the letter body, paragraph 3 says what was done"),
        ("Ban decided", letter.body_html, "“Ban” in the title says what was done"),
    ):
        with pytest.raises(services.LetterError) as refused:
            services.letter_update_draft(letter=letter, actor=head, title=title, body_html=body)
        assert str(refused.value).startswith(says)
    letter.refresh_from_db()
    assert "barred" not in letter.body_html and letter.title != "Ban decided"


@pytest.mark.django_db
def test_approval_checks_again_and_the_default_passes(case, head, parent, eager_tasks):
    """The default template with its suggested summary is approved and rendered; a person
    added to the case after the draft is caught at approval."""
    letter = outcome(case, head, DETAILS["outcome_summary"])
    services.letter_approve(letter=letter, actor=head)
    assert services.letter_render(letter_id=letter.pk)

    later = outcome(case, head, "Mrs Adaeze Okonkwo was not involved.")
    case_person_add(
        case, head, person=Person.objects.create(school=case.school, full_name="Adaeze Okonkwo")
    )
    with pytest.raises(services.LetterError) as refused:
        services.letter_approve(letter=later, actor=head)
    assert "The name of the parent the case is about appears in the letter body" in str(
        refused.value
    )
    later.refresh_from_db()
    assert later.is_draft


@pytest.mark.django_db
def test_the_schools_own_details_are_not_a_sanction(case, head, school, eager_tasks):
    """A job title in the signature, a school called "… Court" named in the text."""
    Membership.objects.filter(user=head).update(job_title="Head Teacher and Legal Lead")
    School.objects.filter(pk=school.pk).update(name="Barwick Court Primary")
    letter = outcome(case, head, "Barwick Court Primary has looked into your report.")
    services.letter_approve(letter=letter, actor=head)
    assert services.letter_render(letter_id=letter.pk)
