import datetime

import pytest

from letters import services
from measures.models import BanStage
from tests.factories import (
    DETAILS,
    REPORTER,
    ContactRestrictionFactory,
    PersonFactory,
    SiteBanFactory,
    triaged_case,
)


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
        details=DETAILS,
        delivery_method="post",
        person=parent,
    )


@pytest.fixture
def recorded_bar(case, head, parent):
    """A confirmed bar and a contact restriction, recorded on the case."""
    SiteBanFactory(
        case=case,
        person=parent,
        stage=BanStage.CONFIRMED,
        reasons="Repeated abusive messages about staff after a warning.",
        scope="The school site and grounds, at all times.",
        duration="Three months",
        child_arrangements="Your child may be dropped off and collected at the main gate by "
        "another adult you nominate.",
        decision_maker=head,
        notice_on=datetime.date(2026, 11, 27),
        representation_deadline=datetime.date(2026, 12, 11),
        starts_on=datetime.date(2026, 11, 23),
        ends_on=datetime.date(2027, 2, 22),
        review_on=datetime.date(2027, 2, 26),
        representations="I am sorry, I was angry.",
        representations_on=datetime.date(2026, 12, 10),
        representations_weighed="Head felt the apology was not sincere given prior conduct.",
        decision_reasons="Internal: third warning; staff anxious.",
    )
    ContactRestrictionFactory(
        case=case,
        person=parent,
        contact_point="the school business manager, Mrs Price",
        channels="email to the office",
        reasons="Volume of emails to staff.",
        starts_on=datetime.date(2026, 11, 23),
        review_on=datetime.date(2027, 2, 26),
        created_by=head,
    )
