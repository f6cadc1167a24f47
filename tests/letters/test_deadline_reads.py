"""The "approved letter not yet sent" deadline reads a letter's case whole but not the
letter's body or context: whatever is used of its items afterwards (the dashboard's row, the
reminder's recipients) asks the database nothing more."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import deadlines
from incidents.access import cases_visible_to
from letters.deadlines import letters_due
from letters.models import Letter, LetterStatus
from tests.factories import LetterFactory, PersonFactory, triaged_case


@pytest.mark.django_db
def test_letters_due_are_read_in_one_query(school, head):
    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    for _ in range(3):
        LetterFactory(case=triaged_case(school, head, person=person), actor=head)
    approved = timezone.now() - datetime.timedelta(days=14)
    Letter.objects.update(status=LetterStatus.READY, approved_at=approved)
    today = timezone.localdate()
    window = deadlines.Window(
        cases=cases_visible_to(head),
        today=today,
        horizon=today + datetime.timedelta(days=deadlines.HORIZON_DAYS),
        calendars=deadlines.Calendars(),
    )
    with CaptureQueriesContext(connection) as queries:
        items = list(letters_due(window))
        seen = [
            (d.reference, d.href, d.school.name, d.case.lead, d.to, d.case.status) for d in items
        ]
    assert len(items) == 3 and all(d.kind == "letter_not_sent" for d in items)
    assert {reference for reference, *_ in seen} == set(
        Letter.objects.values_list("case__reference", flat=True)
    )
    assert len(queries) == 1, [q["sql"] for q in queries]
