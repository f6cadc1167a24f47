"""The bar's actions on the case page follow the table: its stage and who may decide."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from measures import procedure
from schools.models import BanDecisionBy
from tests.factories import temporarily_barred_case


@pytest.fixture
def barred_case(school, head):
    return temporarily_barred_case(school, head)


@pytest.mark.django_db
def test_only_the_schools_decision_maker_is_offered_the_decision(
    client, school, head, slt, barred_case
):
    url = f"/staff/cases/{barred_case.reference}/"
    client.force_login(head)
    page = client.get(url).text
    assert "Record representations" in page and "Decide on the bar" in page
    client.force_login(slt)
    page = client.get(url).text
    assert "Record representations" in page and "Decide on the bar" not in page
    assert client.get(f"{url}ban_decide/").status_code == 404
    school.ban_decision_by = BanDecisionBy.ANY_SLT
    school.save()
    assert "Decide on the bar" in client.get(url).text


@pytest.mark.django_db
def test_a_confirmed_bar_is_offered_a_review_and_nothing_else(client, head, barred_case):
    bar = barred_case.bans.get()
    procedure.ban_representations_record(
        barred_case,
        head,
        ban=bar,
        representations="None made",
        received_on=timezone.localdate(),
        weighed="Nothing to weigh",
    )
    procedure.ban_decide(
        barred_case,
        head,
        ban=bar,
        confirm=True,
        reasons="Risk continues",
        review_on=timezone.localdate() + datetime.timedelta(days=60),
    )
    client.force_login(head)
    page = client.get(f"/staff/cases/{barred_case.reference}/").text
    assert "Review the bar" in page
    assert "Record representations" not in page and "Decide on the bar" not in page
