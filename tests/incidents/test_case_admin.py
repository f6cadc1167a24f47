"""The admin shows a case's severity and lead but cannot change them: the workflow owns them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from incidents.models import Case
from tests.factories import UserFactory, submit_report


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def case(school):
    report, _ = submit_report(school)
    return report.case


@pytest.mark.django_db
def test_severity_and_lead_are_read_only_in_the_admin(client, administrator, case, office):
    client.force_login(administrator)
    url = f"/admin/incidents/case/{case.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="severity"' not in page.text and 'name="lead"' not in page.text
    response = client.post(url, {"severity": "high", "lead": office.pk})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.severity == "" and case.lead is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who, allowed",
    [
        ("head", True),
        ("slt", True),
        ("trust_exec", True),
        ("dsl", False),
        ("office", False),
        ("other_head", False),
    ],
)
def test_the_lead_must_be_the_schools_slt_or_its_trusts_executive(request, case, who, allowed):
    case.lead = request.getfixturevalue(who)
    if allowed:
        case.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            case.full_clean()
        assert "senior leadership team" in str(refused.value.message_dict["lead"])


@pytest.mark.django_db
def test_a_former_senior_leader_cannot_lead(case, head):
    head.is_active = False
    head.save()
    case.lead = head
    with pytest.raises(ValidationError):
        Case.full_clean(case)
