import pytest

from incidents.models import Person
from letters import services
from tests.factories import triaged_case

DETAILS = {
    "conduct_summary": "A message called a named teacher “useless” and “a liar”.",
    "impact": "The teacher was upset; about forty parents saw it.",
    "change_required": "Remove the message and raise concerns with the school directly.",
    "response_deadline": "5 December 2026",
    "meeting_date": "Tuesday 1 December 2026",
    "meeting_time": "3.30pm",
    "meeting_place": "The head teacher's office",
    "meeting_attendees": "Mrs Carter (head)",
    "meeting_purpose": "To talk about the message and how to raise concerns.",
    "reasons": "Repeated abusive messages about staff after a warning.",
    "proposed_scope": "The school site and grounds, at all times.",
    "duration": "Three months",
    "representation_deadline": "Friday 11 December 2026",
    "decision_maker": "The chair of governors",
    "child_arrangements": "Your child may be dropped off and collected at the main gate by "
    "another adult you nominate.",
    "start_date": "Monday 23 November 2026",
    "why_immediate": "Staff were threatened at the gate.",
    "representations_summary": "We received your letter of 10 December and considered it.",
    "review_date": "Friday 26 February 2027",
    "review_outcome": "The bar will continue.",
    "conditions": "No contact with staff at the gate.",
    "contact_point": "the school business manager, Mrs Price",
    "outcome_summary": "We have looked into your report and taken the action we consider "
    "appropriate.",
}

REPORTER = {
    "reporter_name": "Priya Shah",
    "reporter_email": "priya.shah@example.com",
    "reporter_phone": "07700 900123",
}


@pytest.fixture
def parent(school):
    return Person.objects.create(
        school=school,
        full_name="Mr Jason Turner",
        address="14 Orchard Close\nAshford Green",
        postcode="AG1 4TT",
        email="jason.turner@example.com",
    )


@pytest.fixture
def case(school, head, parent):
    """A triaged case about Mr Turner, reported by a named parent."""
    return triaged_case(
        school,
        head,
        person=parent,
        rules=list(school.rules.all()[:2]),
        report_kwargs={"content": "Mr Patel is a useless teacher", **REPORTER},
    )


@pytest.fixture
def draft(case, head, parent):
    return services.letter_draft(
        case=case,
        kind="warning",
        actor=head,
        details=DETAILS,
        delivery_method="post",
        person=parent,
    )
