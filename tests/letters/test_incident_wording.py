"""Letters say where, when and how it happened, from the recorded reports: a post in a group,
or off-line — at the school gate, in a phone call, in an email. Every kind reads right for a
post and for an incident that was not one; a school template written before [[incident]]
still serves a post and is refused, saying why, for anything else."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from incidents.identity import html_to_text
from letters import services, values
from letters.kinds import TO_REPORTER, LetterKind
from letters.rendering import letter_pdf
from tests.factories import DETAILS, REPORTER, LetterTemplateFactory, letter_to_parent, triaged_case

DAY = datetime.date(2026, 11, 30)
# (how the case's report was logged, the words every letter must use for it)
INCIDENTS = {
    "post": (
        {"conduct": "group_post"},
        "in a message posted in Year 3 parents (WhatsApp) on 30 November 2026",
    ),
    "gate": (
        {"conduct": "in_person", "conduct_place": "at the school gate"},
        "on 30 November 2026 at the school gate",
    ),
    "call": (
        {"conduct": "phone_call", "conduct_place": "the school office"},
        "in a phone call to the school office on 30 November 2026",
    ),
    "email": ({"conduct": "email"}, "in an email to the school on 30 November 2026"),
}
TO_PARENT = [k for k in LetterKind if k not in TO_REPORTER]


@pytest.fixture(params=list(INCIDENTS))
def incident(request):
    return request.param


@pytest.fixture
def case(school, head, parent, incident):
    """Overrides the letters' `case`: the same person, reported as `incident` says."""
    return incident_case(school, head, parent, incident)


def incident_case(school, head, parent, incident):
    logged, _words = INCIDENTS[incident]
    return triaged_case(
        school,
        head,
        person=parent,
        rules=list(school.rules.all()[:1]),
        report_kwargs={"posted_on": DAY, "content": "Shouted at a teacher", **REPORTER, **logged},
    )


def to_parent(case, head, parent, kind, **values):
    return letter_to_parent(case, head, parent, kind, DETAILS, **values)


def text_of(letter) -> str:
    return " ".join(html_to_text(services.letter_merged_body(letter)).split())


@pytest.mark.parametrize(
    ("conduct", "where", "dates", "words"),
    [
        ("in_person", "the school gate", [DAY], "on 30 November 2026 at the school gate"),
        ("in_person", "outside the office", [DAY], "on 30 November 2026 outside the office"),
        ("in_person", "", [DAY], "on 30 November 2026"),
        ("phone_call", "", [DAY], "in a phone call to the school on 30 November 2026"),
        (
            "phone_call",
            "Mrs Price",
            [DAY, DAY + datetime.timedelta(days=1)],
            "in phone calls to Mrs Price on 30 November 2026 and 1 December 2026",
        ),
        ("email", "the office", [DAY, DAY], "in an email to the office on 30 November 2026"),
        ("social_media", "Facebook", [DAY], "in a post on Facebook on 30 November 2026"),
        ("social_media", "", [DAY], "in a post on social media on 30 November 2026"),
        ("group_post", "", [DAY], "in a message posted on 30 November 2026"),
    ],
)
def test_the_incident_is_worded_from_where_and_how_it_happened(conduct, where, dates, words):
    assert values.incident_phrase(conduct, where, dates) == words


@pytest.mark.django_db
@pytest.mark.parametrize("kind", TO_PARENT)
def test_every_letter_to_the_parent_says_where_it_happened(
    case, head, parent, recorded_bar, incident, kind
):
    text = text_of(to_parent(case, head, parent, kind))
    _logged, words = INCIDENTS[incident]
    assert "[[" not in text and " in on " not in text and "  " not in text
    if kind != LetterKind.BAR_REVIEW:  # a review speaks of the bar, not of the incident
        assert words in text, text
    if incident != "post":
        # Nothing about a post that never was: no group, no message to remove.
        assert "posted" not in text and "remove the message" not in text
        assert "Year 3 parents" not in text
    elif kind == LetterKind.REMINDER:
        assert "Please remove the message if it is still visible." in text


@pytest.mark.django_db
def test_the_letters_to_the_reporter_say_where_it_happened(case, head, incident):
    report = case.reports.get()
    for kind in TO_REPORTER:
        letter = services.letter_draft(
            case=case,
            kind=kind,
            actor=head,
            details=DETAILS,
            delivery_method="follow_up",
            report=report,
        )
        if kind == LetterKind.ACKNOWLEDGEMENT:
            assert f"what happened {INCIDENTS[incident][1]}." in text_of(letter)


@pytest.mark.django_db
def test_the_pdf_reads_on_30_november_at_the_school_gate_you(school, head, parent):
    case = incident_case(school, head, parent, "gate")
    suggested = values.suggestions(case, LetterKind.WARNING)
    assert suggested["conduct_summary"] == (
        "On 30 November 2026 at the school gate, you made abusive or personal comments."
    )
    assert "message" not in suggested["impact"] + suggested["change_required"]
    letter = to_parent(
        case, head, parent, LetterKind.WARNING, conduct_summary=suggested["conduct_summary"]
    )
    pdf = " ".join(
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(letter_pdf(letter).data)).pages
    )
    assert "This letter is about your conduct on 30 November 2026 at the school gate." in pdf
    assert "On 30 November 2026 at the school gate, you made abusive" in pdf


@pytest.mark.django_db
def test_a_template_written_for_posts_serves_a_post_and_says_why_it_cant_serve_the_gate(
    case, head, parent, school, incident
):
    older = (
        "<p>Dear [[salutation]],</p><p>About what was posted in [[group_name]] on "
        "[[incident_date]]: [[conduct_summary]] ([[rules_breached]]).</p>"
    )
    LetterTemplateFactory(school=school, kind="reminder", body=older, created_by=head)

    if incident == "post":
        letter = to_parent(case, head, parent, "reminder")
        assert "posted in Year 3 parents (WhatsApp) on 30 November 2026" in text_of(letter)
        assert all(present for *_, present, _layout in services.letter_checklist(letter))
        return
    with pytest.raises(services.LetterError) as refused:
        to_parent(case, head, parent, "reminder")
    assert "does not say where and how it happened ([[incident]])" in str(refused.value)
    assert "reset it to the default" in str(refused.value)
    assert not case.letters.exists()
