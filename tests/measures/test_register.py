"""The restrictions register (/staff/bans/): a temporary bar has no review date yet."""

from __future__ import annotations

import datetime
import io

import pytest
from pypdf import PdfReader

from tests.factories import temporarily_barred_case


@pytest.mark.django_db
def test_a_temporary_bar_is_listed_until_the_decision(client, school, head, office, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC))
    temporarily_barred_case(school, head, children_classes="Year 3")
    client.force_login(office)
    row = client.get("/staff/bans/").text.split("Mr Jason Turner")[1].split("</tr>")[0]
    assert "until the decision" in row and "review by" not in row
    pdf = client.get("/staff/bans/?format=pdf").content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "until the decision" in text
