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
from schools.models import Role
from tests.factories import (
    LetterFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    triaged_case,
)


def head_window(head, key):
    """The head teacher's deadline window for today; `key` as one person's dashboard has."""
    today = timezone.localdate()
    return deadlines.Window(
        cases=cases_visible_to(head),
        today=today,
        horizon=today + datetime.timedelta(days=deadlines.HORIZON_DAYS),
        calendars=deadlines.Calendars(),
        user=head,
        key=key,
    )


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


@pytest.mark.django_db
def test_on_the_dashboard_letters_due_read_less_and_say_the_same(school, head, trust_exec):
    """On one person's dashboard (a window with a key) the letters' cases are read only for
    what the panel shows and who sends: the same items, in the same one query, and nothing
    more asked for the rows. A letter to the reporter on a case a trust executive leads is
    still sent by the head teacher."""
    from incidents.models import Case

    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    to_parent = LetterFactory(case=triaged_case(school, head, person=person), actor=head)
    reported = triaged_case(school, head, person=person)
    to_reporter = LetterFactory(case=reported, actor=head, to_reporter=True)
    Case.objects.filter(pk=reported.pk).update(lead=trust_exec)
    approved = timezone.now() - datetime.timedelta(days=14)
    Letter.objects.update(status=LetterStatus.READY, approved_at=approved)
    today = timezone.localdate()

    def window(key):
        return head_window(head, key)

    def said(items):
        return sorted((d.key, d.kind, d.label, d.due_on, d.reference, d.to) for d in items)

    whole = list(letters_due(window(None)))
    list(letters_due(window(("test:letters", head.pk, today))))  # PREPAREd on PostgreSQL
    with CaptureQueriesContext(connection) as queries:
        light = list(letters_due(window(("test:letters", head.pk, today))))
        rows = [(d.reference, d.href, d.case.pk, d.detail, d.estimated) for d in light]
    assert said(light) == said(whole) and len(rows) == 2
    assert {d.key: d.to for d in light} == {
        f"letter:{to_parent.pk}": ("lead",),
        f"letter:{to_reporter.pk}": ("head",),
    }
    # The rest of each case is left in the database (read only if something asks for it).
    assert all({"outcome", "actions"} <= d.case.get_deferred_fields() for d in light)
    # (The lead's roles, for the letter to the reporter: one query, as before.)
    assert len(queries) == 2, [q["sql"] for q in queries]


@pytest.mark.django_db
def test_letters_to_reporters_led_by_many_people_cost_one_roles_query(
    school, head, slt, trust_exec
):
    """Who sends each letter to a reporter depends on its lead's roles: all the leads' in one
    query, so the dashboard's queries do not grow with the number of leads."""
    from incidents.models import Case

    extra = [UserFactory(username=f"lead{i}") for i in range(3)]
    for user in extra:
        MembershipFactory(user=user, school=school, role=Role.SLT)
    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    leads = [head, slt, trust_exec, *extra]
    for lead in leads:
        case = triaged_case(school, head, person=person)
        LetterFactory(case=case, actor=head, to_reporter=True)
        Case.objects.filter(pk=case.pk).update(lead=lead)
    Letter.objects.update(
        status=LetterStatus.READY, approved_at=timezone.now() - datetime.timedelta(days=14)
    )
    today = timezone.localdate()
    for key in (None, ("test:many-leads", head.pk, today)):
        window = head_window(head, key)
        list(letters_due(window))  # PREPAREd on PostgreSQL the first time
        with CaptureQueriesContext(connection) as queries:
            items = list(letters_due(window))
        assert len(items) == len(leads)
        assert len(queries) == 2, [q["sql"] for q in queries]  # the letters, every lead's roles
        by_lead = {d.case.lead_id: d.to for d in items}
        assert by_lead[trust_exec.pk] == ("head",)  # may not see the reporter
        assert all(by_lead[u.pk] == ("lead",) for u in [head, slt, *extra])
