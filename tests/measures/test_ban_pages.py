"""Ban and restriction steps through the case pages, each followed by its letter with the
deadline and scope merged in."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from incidents import workflow
from incidents.models import Nature, Outcome
from letters.models import Letter
from letters.rendering import letter_pdf
from measures import procedure
from measures.models import BanStage, SiteBan
from tests.factories import PersonFactory, autumn_and_spring_terms, triaged_case


@pytest.fixture
def ready(school, head, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC))
    autumn_and_spring_terms(school)
    person = PersonFactory(
        school=school, full_name="Mr Jason Turner", address="14 Orchard Close", postcode="AG1 4TT"
    )
    case = triaged_case(school, head, person=person, nature=Nature.THREATS)
    workflow.case_decide(
        case,
        head,
        actions=[Outcome.WARNING, Outcome.SITE_BAN],
        rationale="Threats",
        escalation_reason="Threats to staff",
    )
    case.refresh_from_db()
    return case, person


def pdf_text(letter) -> str:
    data = letter_pdf(letter).data
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


@pytest.mark.django_db
def test_notice_of_intention_page_then_its_letter(client, head, ready):
    case, person = ready
    client.force_login(head)
    page = client.get(f"/staff/cases/{case.reference}/ban_notice/").text
    assert "10 school days" in page and "not law" in page
    response = client.post(
        f"/staff/cases/{case.reference}/ban_notice/",
        {
            "person": person.pk,
            "reasons": "Threats to staff at the gate",
            "scope": "The school site and grounds at all times",
            "duration": "Three months",
            "child_arrangements": "Your child will be met at the gate",
            "decision_maker": head.pk,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/staff/letters/case/{case.reference}/new/intention_to_bar/"
    form = client.get(response["Location"]).text
    assert "7 December 2026" in form and "The school site and grounds" in form
    client.post(
        response["Location"],
        {
            "person": person.pk,
            "delivery_method": "post",
            "conduct_summary": "Threats were made",
            "reasons": "Threats to staff at the gate",
            "proposed_scope": "The school site and grounds at all times",
            "duration": "Three months",
            "representation_deadline": "7 December 2026",
            "decision_maker": "Helen Carter",
            "child_arrangements": "Your child will be met at the gate",
        },
    )
    letter = Letter.objects.get(kind="intention_to_bar")
    text = pdf_text(letter)
    assert "7 December 2026" in text and "The school site and grounds at all times" in text


@pytest.mark.django_db
def test_decision_and_review_pages(client, head, ready, time_machine):
    case, person = ready
    ban = procedure.ban_notice_issue(
        case,
        head,
        person=person,
        reasons="Threats",
        scope="Whole site",
        duration="Three months",
        child_arrangements="Gate",
        decision_maker=head,
    ).result
    client.force_login(head)
    case_page = client.get(f"/staff/cases/{case.reference}/").text
    assert "Record representations" in case_page and "Decide on the bar" in case_page
    time_machine.move_to(datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC))
    client.force_login(head)  # a staff session lasts a working day, not two weeks
    early = client.post(
        f"/staff/cases/{case.reference}/ban_decide/",
        {"ban": ban.pk, "confirm": "confirm", "reasons": "Risk remains"},
    )
    assert "Set a review date" in early.text and "Risk remains" in early.text
    response = client.post(
        f"/staff/cases/{case.reference}/ban_decide/",
        {"ban": ban.pk, "confirm": "confirm", "reasons": "Risk remains", "review_on": "2027-02-12"},
    )
    assert response["Location"].endswith("/new/bar_decision/")
    ban.refresh_from_db()
    assert ban.stage == BanStage.CONFIRMED
    form = client.get(response["Location"]).text
    assert "12 February 2027" in form and "did not receive any representations" in form
    review = client.post(
        f"/staff/cases/{case.reference}/ban_review/",
        {
            "ban": ban.pk,
            "outcome": "continue",
            "notes": "Still needed",
            "next_review_on": "2027-03-12",
        },
    )
    assert review["Location"].endswith("/new/bar_review/")
    assert SiteBan.objects.get().review_on == datetime.date(2027, 3, 12)


@pytest.mark.django_db
def test_restriction_page_then_its_letter(client, head, ready):
    case, person = ready
    client.force_login(head)
    response = client.post(
        f"/staff/cases/{case.reference}/restriction_start/",
        {
            "person": person.pk,
            "contact_point": "the business manager, Mrs Price",
            "channels": "Email to the office",
            "reasons": "Abusive emails",
            "review_on": "2027-01-29",
        },
    )
    assert response["Location"].endswith("/new/contact_restriction/")
    form = client.get(response["Location"]).text
    assert "the business manager, Mrs Price" in form and "29 January 2027" in form
