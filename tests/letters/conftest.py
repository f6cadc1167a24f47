import pytest

from letters import services
from tests.factories import LETTER_DETAILS, REPORTER, PersonFactory, triaged_case


@pytest.fixture
def parent(school):
    return PersonFactory(
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
        details=LETTER_DETAILS,
        delivery_method="post",
        person=parent,
    )
