"""The case page's short lists, read as JSON columns of the case's own query (incidents.rows):
the same rows and values as the ORM reads, the same access rules, never stale, and the
session written only when a visit changes."""

from __future__ import annotations

import datetime

import lxml.html
import pytest
from django.db import connection
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casetasks.models import CaseTask
from casetasks.services import assignees_for
from incidents import workflow
from incidents.access import get_case_for_user
from incidents.models import (
    AccessLog,
    Case,
    CaseEvent,
    Evidence,
    ExcerptMessage,
    Meeting,
    Referral,
    Report,
)
from incidents.rows import CASE_ROWS, JSONRows, rows_from_json
from letters.access import letters_visible_to
from letters.models import Letter
from measures.models import BanStage
from schools.models import Membership
from tests.factories import (
    AccessLogFactory,
    CaseFactory,
    CaseTaskFactory,
    ContactRestrictionFactory,
    LetterFactory,
    MeetingFactory,
    SiteBanFactory,
    case_with_everything,
    chat_kept,
    submit_report,
)
from tests.images import image_bytes


def loaded(instance) -> dict:
    """The fields an instance was read with, by attname."""
    deferred = instance.get_deferred_fields()
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in deferred
    }


def assert_same_rows(json_rows: list, orm_rows: list, related: tuple[str, ...] = ()) -> None:
    assert [r.pk for r in json_rows] == [r.pk for r in orm_rows]
    for mine, theirs in zip(json_rows, orm_rows, strict=True):
        fields = loaded(mine)
        assert fields == {key: getattr(theirs, key) for key in fields}, type(mine).__name__
        for name in related:
            one, other = getattr(mine, name), getattr(theirs, name)
            if one is None or other is None:
                assert one is other is None
            else:
                nested = loaded(one)
                assert nested == {key: getattr(other, key) for key in nested}


@pytest.fixture
def full_case(school, head):
    """A case with something in every list the page reads with the case: meetings, a
    referral, access log lines, a bar, a restriction, letters (one to the reporter), tasks."""
    case = case_with_everything(school, head, image=image_bytes())
    person = case.persons.first()
    SiteBanFactory(case=case, person=person, decision_maker=head, stage=BanStage.CONFIRMED)
    ContactRestrictionFactory(case=case, person=person, created_by=head)
    CaseTaskFactory(case=case, assigned_to=head, title="Phone the parent")
    done = CaseTaskFactory(case=case, assigned_to=head, title="Write it up")
    done.done_at, done.done_by = timezone.now(), head
    done.save()
    LetterFactory(case=case, actor=head, to_reporter=True)
    for _ in range(3):
        AccessLogFactory(case=case, user=head)
    return Case.objects.get(pk=case.pk)


@pytest.mark.django_db
def test_the_lists_read_with_the_case_are_the_rows_the_orm_reads(full_case, head):
    case = full_case
    chat_kept(case)
    rows = get_case_for_user(head, case.reference, page=True).case.page_rows
    assert set(rows) == set(CASE_ROWS)
    expected = {
        "reports": case.reports.select_related("group", "witness").order_by("received_at", "pk"),
        "evidence": Evidence.objects.filter(case=case)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk"),
        "chat_lines": ExcerptMessage.objects.filter(excerpt__report__case=case)
        .select_related("excerpt")
        .order_by("excerpt__created_at", "excerpt_id", "position"),
        "events": case.events.select_related("actor").order_by("created_at", "pk"),
        "messages": case.messages.select_related("report", "author").order_by("created_at", "pk"),
        "meetings": Meeting.objects.filter(case=case).select_related("person"),
        "referrals": Referral.objects.filter(case=case),
        "access_log": AccessLog.objects.filter(case=case).select_related("user")[:50],
        "bans": case.bans.select_related("person", "decision_maker"),
        "restrictions": case.restrictions.select_related("person"),
        "letters": letters_visible_to(head)
        .filter(case=case)
        .select_related("printed_by", "sent_by")
        .order_by("-created_at", "-pk"),
        "letter_kinds": Letter.objects.filter(case=case),
        "task_assignees": assignees_for(case),
        "tasks": CaseTask.objects.filter(case=case)
        .select_related("assigned_to", "done_by")
        .order_by("due_on", "pk"),
    }
    for name, queryset in expected.items():
        orm = list(queryset)
        assert orm, f"the fixture has no {name}"
        assert_same_rows(rows[name], orm, CASE_ROWS[name].related)


@pytest.mark.django_db
def test_every_kind_of_field_comes_back_as_the_database_gives_it(school, head):
    """Dates, times, date-times, booleans, JSON (a nested object and a string), text with
    quotes and non-ASCII letters, nulls — through JSON on SQLite and on PostgreSQL."""
    report, _ = submit_report(
        school, content='Zoë said "enough" — twice', posted_time=datetime.time(18, 45)
    )
    case = report.case
    workflow.case_note_add(case, head, text="A note")
    CaseEvent.objects.create(
        case=case, kind="note", actor=head, summary="y", data={"text": "Zoë", "n": [1, 2.5, None]}
    )
    CaseEvent.objects.create(case=case, kind="note", actor=None, summary="x", data="just text")
    annotated = Case.objects.annotate(
        report_rows=JSONRows(Report.objects.filter(case=OuterRef("pk"))),
        event_rows=JSONRows(
            CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-pk"),
            related=("actor",),
        ),
    ).get(pk=case.pk)
    assert_same_rows(rows_from_json(Report, annotated.report_rows), list(case.reports.all()))
    events = rows_from_json(CaseEvent, annotated.event_rows, related=("actor",))
    assert_same_rows(
        events,
        list(case.events.select_related("actor").order_by("-created_at", "-pk")),
        ("actor",),
    )
    assert events[0].data == "just text" and events[0].actor is None


@pytest.mark.django_db
def test_who_may_see_the_reporter_decides_the_access_log_and_letters_to_the_reporter(
    full_case, head, trust_exec
):
    case = full_case
    mine = get_case_for_user(head, case.reference, page=True).case.page_rows
    theirs = get_case_for_user(trust_exec, case.reference, page=True).case.page_rows
    assert mine["access_log"] and theirs["access_log"] == []
    to_reporter = {"acknowledgement"}
    assert to_reporter <= {letter.kind for letter in mine["letters"]}
    assert not to_reporter & {letter.kind for letter in theirs["letters"]}
    # The next step still knows every kind drafted (it never shows the letter itself).
    assert to_reporter <= {letter.kind for letter in theirs["letter_kinds"]}


@pytest.mark.django_db
def test_the_page_shows_each_change_at_once(client, school, head, full_case):
    """The page's query is built once per user and roles; its rows are read each time."""
    case = full_case
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/"
    assert "REF-NEW-123" not in client.get(url).text
    workflow.case_refer(
        case, head, kind="police", made_on=timezone.localdate(), external_reference="REF-NEW-123"
    )
    CaseTaskFactory(case=case, assigned_to=head, title="Ring the family liaison officer")
    page = client.get(url).text
    assert "REF-NEW-123" in page and "Ring the family liaison officer" in page
    # Roles are part of the key: a head who loses the school no longer opens the case.
    Membership.objects.filter(user=head, school=school).delete()
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_close_guard_reads_the_bars_and_restrictions_of_the_page(client, school, head):
    report, _ = submit_report(school)
    case = report.case
    from tests.factories import triage

    triage(case, head)
    person = case.persons.first()
    if person is None:
        from tests.factories import PersonFactory

        person = PersonFactory(school=school)
        workflow.case_person_add(case, head, person=person)
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/"

    def blocked() -> dict[str, str]:
        page = lxml.html.fromstring(client.get(url).text)
        return {
            b.get("data-step"): b.getnext().text_content()
            for b in page.xpath('//*[@id="blocked-steps"]//button')
        }

    assert "close" not in blocked()
    restriction = ContactRestrictionFactory(case=case, person=person, created_by=head)
    assert blocked()["close"].startswith("A contact restriction is in force")
    ContactRestrictionFactory._meta.model.objects.filter(pk=restriction.pk).delete()
    SiteBanFactory(case=case, person=person, decision_maker=head, stage=BanStage.INTENTION)
    assert blocked()["close"].startswith("A notice of intention to bar is pending")


def session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(
        1 for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')
    )


@pytest.mark.django_db
def test_the_session_is_written_when_a_visit_starts_or_moves_on_not_on_every_page(
    client, school, head
):
    report, _ = submit_report(school)
    url = f"/staff/cases/{report.case.reference}/"
    client.force_login(head)
    assert session_writes(client, url) == 1  # a new visit
    assert session_writes(client, url) == 0  # the same visit, seconds later
    assert session_writes(client, url + "?kind=note") == 0
    session = client.session
    key = str(report.case.pk)
    session["case_visits"] = {key: session["case_visits"][key] - 61}
    session.save()
    assert session_writes(client, url) == 1  # over a minute on: the visit's time moves on
    assert AccessLog.objects.filter(case=report.case, action="view_case").count() == 1


@pytest.mark.django_db
def test_who_a_task_may_be_given_to_is_read_by_the_same_rule(school, head, slt, dsl, trust_exec):
    from tests.factories import UserFactory, staff_member

    gone = staff_member(school, "slt", "gone", "Gary Gone")
    gone.is_active = False
    gone.save()
    UserFactory()  # no role at all
    plain = submit_report(school)[0].case
    flagged = submit_report(school, child_at_risk="yes", child_risk_details="A child")[0].case
    assert flagged.safeguarding_flag and not plain.safeguarding_flag
    for case in (plain, flagged):
        rows = get_case_for_user(head, case.reference, page=True).case.page_rows
        assert [u.pk for u in rows["task_assignees"]] == [u.pk for u in assignees_for(case)]
    assert dsl.pk in [u.pk for u in assignees_for(flagged)]
    assert dsl.pk not in [u.pk for u in assignees_for(plain)]


@pytest.mark.django_db
def test_the_page_query_compiled_once_reads_each_case_by_its_own_reference(
    school, other_school, head, other_head
):
    """The case page's SQL is compiled once per user and roles (incidents.frozen_sql): each
    reference still gets its own case and rows, and a case the user may not open stays a 404."""
    from django.http import Http404

    from incidents.access import _PAGE_CASES

    _PAGE_CASES.clear()
    one, two = CaseFactory(school=school), CaseFactory(school=school)
    elsewhere = CaseFactory(school=other_school)
    MeetingFactory(case=two, place="Room 7")
    first = get_case_for_user(head, one.reference, page=True).case
    second = get_case_for_user(head, two.reference, page=True).case
    assert len(_PAGE_CASES) == 1  # the second read used the compiled query
    assert (first.pk, second.pk) == (one.pk, two.pk)
    assert first.page_rows["meetings"] == []
    assert [m.place for m in second.page_rows["meetings"]] == ["Room 7"]
    assert second.school == school and second.school.trust == school.trust  # select_related
    with pytest.raises(Http404):
        get_case_for_user(head, elsewhere.reference, page=True)
    with pytest.raises(Http404):
        get_case_for_user(head, "no such reference", page=True)
    assert get_case_for_user(other_head, elsewhere.reference, page=True).case.pk == elsewhere.pk
    with pytest.raises(Http404):
        get_case_for_user(other_head, one.reference, page=True)


def test_a_frozen_query_needs_its_marker_once():
    from incidents.frozen_sql import FrozenQuery

    with pytest.raises(ValueError):
        FrozenQuery(Case.objects.filter(reference="B01-1"))


@pytest.mark.django_db
def test_the_rules_read_with_the_case_are_those_the_one_query_reads(full_case, head, school):
    """Each report's rules and the case's own, read with the case on its page, are the ones
    (and in the order) the rules' own query gives."""
    from incidents.selectors import _rules_of

    case = full_case
    first, second, third = school.rules.order_by("order")
    third.order, first.order = 0, 5  # ordered by `order`, not by id or title
    third.save()
    first.save()
    report = case.reports.first()
    report.rules.set([first, third])
    case.rules.set([second, first])
    page_case = get_case_for_user(head, case.reference, page=True).case
    mine, theirs = _rules_of(page_case), _rules_of(Case.objects.get(pk=case.pk))

    def described(rules):
        return [(r.pk, r.title, r.order, r.school_id) for r in rules]

    assert described(mine[0]) == described(theirs[0]) == described([second, first])
    assert list(mine[1]) == list(theirs[1]) == [report.pk]
    assert described(mine[1][report.pk]) == described(theirs[1][report.pk])
    assert [r.title for r in mine[1][report.pk]] == [third.title, first.title]


@pytest.mark.django_db
def test_on_postgresql_the_page_query_is_prepared_once_per_connection(school, head):
    from incidents.frozen_sql import FrozenQuery

    if connection.vendor != "postgresql":
        pytest.skip("PREPARE is for PostgreSQL")
    from incidents.access import _PAGE_CASES
    from incidents.frozen_sql import _PREPARED

    _PAGE_CASES.clear()
    connection.ensure_connection()
    # A test before may have prepared the same statement (same roles) on this connection.
    before = set(_PREPARED.get(connection.connection, set()))
    one, two = CaseFactory(school=school), CaseFactory(school=school)
    with CaptureQueriesContext(connection) as captured:
        for case in (one, two, one):
            assert get_case_for_user(head, case.reference, page=True).case.pk == case.pk
    (frozen,) = _PAGE_CASES.values()
    sql = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(("PREP", "EXEC"))]
    prepared = [] if frozen.name in before else ["PREPARE"]
    assert [s.split()[0] for s in sql] == [*prepared, "EXECUTE", "EXECUTE", "EXECUTE"], sql
    assert two.reference in sql[-2]
    assert frozen.name in _PREPARED[connection.connection]
    assert "$1" in frozen.prepare and FrozenQuery.MARKER not in frozen.prepare


@pytest.mark.django_db
def test_a_connection_keeps_at_most_prepared_max_statements(school, head, monkeypatch):
    from incidents import frozen_sql
    from incidents.access import _PAGE_CASES

    if connection.vendor != "postgresql":
        pytest.skip("PREPARE is for PostgreSQL")
    _PAGE_CASES.clear()
    connection.ensure_connection()
    case = CaseFactory(school=school)
    # The connection already holds as many statements as it may: the least recently run
    # one goes first.
    monkeypatch.setattr(frozen_sql, "PREPARED_MAX", 2)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what tests before prepared on this connection
        cursor.execute("PREPARE frozen_someone_elses AS SELECT 1")
        cursor.execute("PREPARE frozen_run_lately AS SELECT 2")
    frozen_sql._PREPARED[connection.connection] = {
        "frozen_someone_elses": None,
        "frozen_run_lately": None,
    }
    with CaptureQueriesContext(connection) as captured:
        assert get_case_for_user(head, case.reference, page=True).case.pk == case.pk
    sql = [q["sql"] for q in captured.captured_queries]
    first = next(i for i, q in enumerate(sql) if q.startswith("DEALLOCATE"))
    assert [q.split()[0] for q in sql[first:][:3]] == ["DEALLOCATE", "PREPARE", "EXECUTE"]
    assert sql[first] == "DEALLOCATE frozen_someone_elses"
    (frozen,) = _PAGE_CASES.values()
    assert list(frozen_sql._PREPARED[connection.connection]) == ["frozen_run_lately", frozen.name]
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements ORDER BY name")
        assert [name for (name,) in cursor.fetchall()] == sorted(["frozen_run_lately", frozen.name])


@pytest.mark.django_db
def test_a_statement_run_again_is_kept_before_one_run_longer_ago(monkeypatch):
    from incidents import frozen_sql

    if connection.vendor != "postgresql":
        pytest.skip("PREPARE is for PostgreSQL")
    monkeypatch.setattr(frozen_sql, "PREPARED_MAX", 2)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    frozen_sql._PREPARED[connection.connection] = {}
    one, two, three = (frozen_sql.Statement("default", f"SELECT {n}", ()) for n in (1, 2, 3))
    for statement in (one, two, one, three):  # `one` run again after `two`: `two` goes
        sql, params = statement.to_run()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert list(frozen_sql._PREPARED[connection.connection]) == [one.name, three.name]


@pytest.mark.django_db
def test_behind_a_transaction_pooler_the_page_query_is_not_prepared(school, head, monkeypatch):
    from incidents.access import _PAGE_CASES

    if connection.vendor != "postgresql":
        pytest.skip("PREPARE is for PostgreSQL")
    _PAGE_CASES.clear()
    # What a deployment behind pgbouncer (transaction pooling) sets, as Django documents.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    case = CaseFactory(school=school)
    with CaptureQueriesContext(connection) as captured:
        assert get_case_for_user(head, case.reference, page=True).case.pk == case.pk
    assert not [q for q in captured.captured_queries if q["sql"].startswith(("PREP", "EXEC"))]
    (frozen,) = _PAGE_CASES.values()
    assert frozen.prepare == ""
