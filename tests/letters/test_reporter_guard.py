"""A letter to anyone but the reporter never names them — however the name was typed.

Each variant is tested at its edge: what must be refused, and the nearest thing that must not.
The refusal says where the name is (the field, the paragraph, the PDF page) and quotes it.
"""

from __future__ import annotations

import pytest

from incidents.identity import ReporterIdentity, html_paragraphs, phone_digits
from incidents.models import Person
from incidents.workflow import cases_merge
from letters import services
from letters.kinds import FIELDS
from tests.factories import DETAILS, submit_report, triaged_case

SUMMARY = FIELDS["conduct_summary"].label


def draft_with(case, head, person, summary):
    return services.letter_draft(
        case=case,
        kind="warning",
        actor=head,
        details={**DETAILS, "conduct_summary": summary},
        delivery_method="post",
        person=person,
    )


def reported_by(school, head, parent, **reporter):
    return triaged_case(school, head, person=parent, report_kwargs=reporter)


# (reporter details, text in the letter, refused?)
VARIANTS = [
    # The full name: case, extra and non-breaking spaces, line breaks, entities.
    ({"reporter_name": "Priya Shah"}, "PRIYA SHAH told us.", "name"),
    ({"reporter_name": "Priya Shah"}, "Priya   Shah told us.", "name"),
    ({"reporter_name": "Priya Shah"}, "Priya\u00a0Shah told us.", "name"),
    ({"reporter_name": "Priya Shah"}, "Priya\nShah told us.", "name"),
    ({"reporter_name": "Priya Shah"}, "Priya&nbsp;Shah told us.", "name"),
    ({"reporter_name": "Priya  Shah "}, "priya shah told us.", "name"),
    ({"reporter_name": "Priya Shah"}, "Priyanka Shahid told us.", None),
    # Accents, both ways.
    ({"reporter_name": "José Álvarez"}, "Jose Alvarez told us.", "name"),
    ({"reporter_name": "Jose Alvarez"}, "JOSÉ ÁLVAREZ told us.", "name"),
    ({"reporter_name": "Søren Brøndum"}, "Soren Brondum told us.", "name"),
    # Apostrophes: straight, curly, none, a space, an entity.
    ({"reporter_name": "Siobhan O'Brien"}, "Siobhan O’Brien told us.", "name"),
    ({"reporter_name": "Siobhan O’Brien"}, "Siobhan OBrien told us.", "name"),
    ({"reporter_name": "Siobhan OBrien"}, "Siobhan O'Brien told us.", "name"),
    ({"reporter_name": "Siobhan O'Brien"}, "Siobhan O Brien told us.", "name"),
    ({"reporter_name": "Siobhan O'Brien"}, "Mrs O&#39;Brien told us.", "surname"),
    ({"reporter_name": "Siobhan O'Brien"}, "Mrs O&amp;#39;Brien told us.", "surname"),
    # The surname on its own: four letters or more and not a very common surname.
    ({"reporter_name": "Priya Shah"}, "Ms Shah told us.", "surname"),
    ({"reporter_name": "Priya Shah"}, "Priya Shah’s friend told us.", "name"),
    ({"reporter_name": "Priya Shah"}, "Ms Shah's friend told us.", "surname"),
    ({"reporter_name": "Kim Yeo"}, "Mrs Yeo told us.", None),  # three letters
    ({"reporter_name": "John Smith"}, "Mr Smith told us.", None),  # very common
    ({"reporter_name": "John Smith"}, "John Smith told us.", "name"),
    ({"reporter_name": "Ann Rose"}, "She sent a rose.", None),  # an everyday word
    ({"reporter_name": "Zuleika Fairweather-Quill"}, "Ms Fairweather told us.", "surname"),
    # A first name on its own is not checked.
    ({"reporter_name": "Priya Shah"}, "Priya told us.", None),
    # Phone numbers, compared on their digits.
    ({"reporter_phone": "07700 900123"}, "Call +44 7700 900123.", "phone number"),
    ({"reporter_phone": "+44 7700 900123"}, "Call 07700900123.", "phone number"),
    ({"reporter_phone": "07700 900123"}, "Call (07700) 900-123.", "phone number"),
    ({"reporter_phone": "07700 900123"}, "Call 0044 (0)7700 900 123.", "phone number"),
    ({"reporter_phone": "07700 900123"}, "Call 07700 900124.", None),  # one digit off
    # The email address.
    ({"reporter_email": "ps1984@example.com"}, "Write to PS1984@Example.com.", "email address"),
    ({"reporter_email": "ps1984@example.com"}, "Write to ps1985@example.com.", None),
    # Nothing given: nothing to find, nothing breaks.
    ({"reporter_name": "   "}, "Nothing to see.", None),
]


@pytest.mark.parametrize(("reporter", "text", "found"), VARIANTS)
def test_the_identity_is_found_however_it_is_typed(reporter, text, found):
    identity = ReporterIdentity(
        names=[reporter.get("reporter_name", "")],
        emails=[reporter.get("reporter_email", "")],
        phones=[reporter.get("reporter_phone", "")],
    )
    hits = identity.find(html_paragraphs(f"<p>{text}</p>")[0])
    assert (hits[0].what if hits else None) == found


def test_phone_numbers_are_compared_as_national_digits():
    assert phone_digits("+44 (0)7700 900123") == phone_digits("07700-900-123") == "07700900123"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reporter", "text", "found"), [v for v in VARIANTS if v[1] and "&" not in v[1]]
)
def test_drafting_refuses_a_letter_that_names_the_reporter(
    school, head, parent, reporter, text, found
):
    case = reported_by(school, head, parent, **reporter)
    if found is None:
        assert draft_with(case, head, parent, text).pk
        return
    with pytest.raises(services.LetterError) as refused:
        draft_with(case, head, parent, text)
    message = str(refused.value)
    assert f"The reporter's {found} appears in “{SUMMARY}”" in message
    assert "never name them" in message


@pytest.mark.django_db
def test_editing_says_which_paragraph(case, head, draft):
    body = "<p>First.</p><p>Second.</p><p>Mrs&nbsp;Priya&#160;Shah said so.</p>"
    with pytest.raises(services.LetterError) as refused:
        services.letter_update_draft(letter=draft, actor=head, title="Warning", body_html=body)
    assert str(refused.value).startswith(
        "The reporter's name appears in the letter body, paragraph 3: “Mrs Priya Shah said so.”"
    )
    with pytest.raises(services.LetterError, match="appears in the title"):
        services.letter_update_draft(
            letter=draft, actor=head, title="Re: Ms SHAH", body_html=draft.body_html
        )
    draft.refresh_from_db()
    assert "Priya" not in draft.body_html  # nothing stored


@pytest.mark.django_db
def test_a_surname_the_recipient_shares_is_not_refused_on_its_own(school, head):
    parent = Person.objects.create(
        school=school, full_name="Mr Jason Ashdown", address="1 Lane", postcode="AG1 4TT"
    )
    case = reported_by(school, head, parent, reporter_name="Priya Ashdown")
    letter = draft_with(case, head, parent, "Mr Ashdown posted a message.")
    assert "Dear Mr Ashdown," in services.letter_merged_body(letter)
    with pytest.raises(services.LetterError, match="reporter's name"):
        draft_with(case, head, parent, "Priya Ashdown saw the message.")


@pytest.mark.django_db
def test_approval_checks_the_text_of_the_rendered_pdf(school, head, parent, eager_tasks):
    """The head signs the letter — and turns out to be the parent who reported another post
    merged into the case: her name is only in the PDF's signature, and approval says so."""
    case = reported_by(school, head, parent, reporter_name="Priya Shah")
    letter = draft_with(case, head, parent, DETAILS["conduct_summary"])
    second, _ = submit_report(school, reporter_name=head.get_full_name())
    cases_merge(target=case, sources=[second.case], actor=head)
    with pytest.raises(services.LetterError) as refused:
        services.letter_approve(letter=letter, actor=head)
    assert str(refused.value).startswith(
        "The reporter's name appears in the signatory's name (the rendered PDF, page 1): “"
    )
    assert "Helen Carter" in str(refused.value)
    letter.refresh_from_db()
    assert letter.is_draft and not letter.pdf


@pytest.mark.django_db
def test_the_form_keeps_what_was_typed_and_says_where(client, head, case, parent):
    client.force_login(head)
    typed = "Our parent Priya\u00a0Shah saw you post this."
    response = client.post(
        f"/staff/letters/case/{case.reference}/new/warning/",
        {
            "person": parent.pk,
            "delivery_method": "post",
            **{**DETAILS, "conduct_summary": typed},
        },
    )
    assert response.status_code == 200
    assert f"The reporter&#x27;s name appears in “{SUMMARY}”" in response.text
    assert typed in response.text
    assert not case.letters.exists()


@pytest.mark.django_db
def test_a_letter_to_one_reporter_never_names_another(school, head, parent):
    case = reported_by(school, head, parent, reporter_name="Priya Shah")
    second, _ = submit_report(
        school, reporter_name="Zuleika Fairweather-Quill", reporter_email="z@example.com"
    )
    cases_merge(target=case, sources=[second.case], actor=head)
    first = case.reports.get(reporter_name="Priya Shah")

    def outcome(summary: str):
        return services.letter_draft(
            case=case,
            kind="outcome_to_reporter",
            actor=head,
            details={"outcome_summary": summary},
            delivery_method="follow_up",
            report=first,
        )

    with pytest.raises(services.LetterError, match="reporter's name appears in “Outcome"):
        outcome("Zuleika Fairweather-Quill reported it too.")
    letter = outcome("Thank you, Priya Shah: we have acted.")  # her own name is fine
    assert "Priya Shah" in services.letter_merged_body(letter)
