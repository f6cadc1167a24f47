"""The staff list and dashboard built for 100,000 cases: cursor pages, search through the
trigram-indexed subqueries, filters without DISTINCT, and a dashboard that loads only what
it shows but counts exactly what the deadline engine would."""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote, unquote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import deadlines, workflow
from incidents.models import Case, Person
from incidents.pagination import cursor_for, parse_cursor
from incidents.selectors import DUE_ROWS, dashboard_summary
from tests.factories import (
    GroupFactory,
    make_everything_due,
    report_with_chat,
    submit_report,
    triage,
)
from tests.helpers import time_machine_at


def make_cases(school, n: int, *, when=None) -> list[Case]:
    """n new cases; all opened at the same moment when `when` is given (ties on the date)."""
    cases = []
    for _ in range(n):
        report, _ = submit_report(school)
        cases.append(report.case)
    if when is not None:
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(opened_at=when)
    return cases


def references(html: str) -> list[str]:
    return re.findall(r'href="/staff/cases/([A-Z]+-\d{4}-\d+)/"', html)


def next_link(html: str, which: str = "after") -> str | None:
    found = re.search(rf'href="\?[^"]*{which}=([^"&]+)"', html)
    return found.group(1) if found else None


# --- cursor pages ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_cursor_pages_walk_every_case_once_even_when_dates_tie(client, school, head):
    same_moment = timezone.now() - datetime.timedelta(days=3)
    make_cases(school, 60, when=same_moment)  # more than a page, all with one date
    make_cases(school, 45)
    client.force_login(head)
    seen, page, after = [], client.get("/staff/cases/").text, None
    assert "105 cases." in page
    while True:
        rows = references(page)
        assert len(rows) <= 50
        seen += rows
        after = next_link(page)
        if not after:
            break
        page = client.get(f"/staff/cases/?after={after}").text
    assert len(seen) == 105 and len(set(seen)) == 105
    expected = list(
        Case.objects.filter(school=school)
        .order_by("-opened_at", "-pk")
        .values_list("reference", flat=True)
    )
    assert seen == expected


@pytest.mark.django_db
def test_previous_goes_back_to_the_same_rows_and_filters_are_kept(client, school, head):
    make_cases(school, 120)
    client.force_login(head)
    first = client.get("/staff/cases/?status=new").text
    second_url = f"/staff/cases/?status=new&after={next_link(first)}"
    second = client.get(second_url).text
    assert "status=new" in re.search(r'href="(\?[^"]*after=[^"]+)"', second).group(1)
    back = client.get(f"/staff/cases/?status=new&before={next_link(second, 'before')}").text
    assert references(back) == references(first)
    assert "First" in second and "Previous" in second
    assert "Previous" not in first


@pytest.mark.django_db
def test_oldest_first_pages_by_cursor_too(client, school, head):
    make_cases(school, 55)
    client.force_login(head)
    first = client.get("/staff/cases/?sort=opened").text
    rest = client.get(f"/staff/cases/?sort=opened&after={next_link(first)}").text
    expected = list(Case.objects.order_by("opened_at", "pk").values_list("reference", flat=True))
    assert references(first) + references(rest) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "2026-01-01~x",
        "2026-01-01T00:00:00~5",
        "~",
        "9" * 100,
        "2026-13-01T00:00+00:00~1",
    ],
)
def test_a_bad_cursor_gives_the_first_page_and_says_so(client, school, head, cursor):
    make_cases(school, 3)
    client.force_login(head)
    for which in ("after", "before"):
        response = client.get(f"/staff/cases/?status=new&{which}={quote(cursor)}")
        assert response.status_code == 200
        assert len(references(response.text)) == 3
        # An empty cursor is no cursor: nothing to explain.
        assert (OUT_OF_DATE in response.text) is bool(cursor)


OUT_OF_DATE = "That page link is out of date or could not be read, so this is the first page."


@pytest.mark.django_db
def test_a_cursor_beyond_either_end_gives_the_first_page_not_an_empty_one(client, school, head):
    make_cases(school, 3)
    client.force_login(head)
    long_ago = quote(cursor_for(datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC), 1))
    far_ahead = quote(cursor_for(datetime.datetime(2990, 1, 1, tzinfo=datetime.UTC), 1))
    for url in (f"/staff/cases/?after={long_ago}", f"/staff/cases/?before={far_ahead}"):
        page = client.get(url).text
        assert len(references(page)) == 3 and OUT_OF_DATE in page


@pytest.mark.django_db
def test_exactly_one_page_has_no_pages_and_one_more_makes_a_last_page_of_one(client, school, head):
    make_cases(school, 50)
    client.force_login(head)
    page = client.get("/staff/cases/").text
    assert len(references(page)) == 50 and next_link(page) is None and "Pages" not in page
    make_cases(school, 1)
    first = client.get("/staff/cases/").text
    last = client.get(f"/staff/cases/?after={next_link(first)}").text
    assert len(references(last)) == 1
    assert next_link(last) is None  # the last page: no Next
    assert "First" in last and "Previous" in last
    back = client.get(f"/staff/cases/?before={next_link(last, 'before')}").text
    assert references(back) == references(first) and "Previous" not in back


@pytest.mark.django_db
def test_a_cursor_naming_a_case_gone_from_the_list_carries_on_after_where_it_was(
    client, school, other_school, head
):
    """A bookmarked page whose last case is no longer in the list (disposed of, or out of the
    user's sight) still continues from the same place in the list."""
    same_moment = timezone.now() - datetime.timedelta(days=1)
    make_cases(school, 30, when=same_moment)  # ties on the date too
    make_cases(school, 30)
    client.force_login(head)
    first = client.get("/staff/cases/").text
    cursor = next_link(first)
    expected_next = references(client.get(f"/staff/cases/?after={cursor}").text)
    _when, pk = parse_cursor(unquote(cursor))
    Case.objects.filter(pk=pk).update(school=other_school)
    page = client.get(f"/staff/cases/?after={cursor}").text
    assert OUT_OF_DATE not in page
    assert references(page) == expected_next


def test_cursor_round_trip_keeps_microseconds_and_zone():
    when = datetime.datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=datetime.UTC)
    assert parse_cursor(cursor_for(when, 42)) == (when, 42)
    assert parse_cursor("2026-03-29T01:30:00~42") is None  # no time zone: refused


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["severity", "-severity", "status", "-status"])
def test_numbered_pages_in_a_sort_with_ties_show_every_case_once(client, school, head, sort):
    cases = make_cases(school, 55)
    Case.objects.filter(pk__in=[c.pk for c in cases[::2]]).update(severity="high")
    client.force_login(head)
    seen = references(client.get(f"/staff/cases/?sort={sort}").text)
    seen += references(client.get(f"/staff/cases/?sort={sort}&page=2").text)
    assert sorted(seen) == sorted(c.reference for c in cases)


@pytest.mark.django_db
def test_other_sorts_still_page_by_number(client, school, head):
    make_cases(school, 55)
    client.force_login(head)
    page = client.get("/staff/cases/?sort=reference").text
    assert "Page 1 of 2" in page
    assert len(references(client.get("/staff/cases/?sort=reference&page=2").text)) == 5


# --- filters and search ----------------------------------------------------------------------


@pytest.mark.django_db
def test_status_filter_has_no_distinct_and_group_filter_lists_a_case_once(client, school, head):
    group = GroupFactory(school=school, name="Year 6 parents")
    report, _ = submit_report(school, group=group)
    extra, _ = submit_report(school, group=group)
    workflow.case_merge_into(extra.case, head, target=report.case)
    submit_report(school)  # another group
    client.force_login(head)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/staff/cases/?status=new&group={group.pk}").text
    assert references(page) == [report.case.reference]
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "stored", "typed"),
    [
        ("name", "Mrs Amelia Hughes", "hughes"),
        ("name", "Mrs Amelia Hughes", "  AMELIA HUG  "),
        ("content", "He called the teacher useless in front of everyone", "USELESS IN"),
        ("poster", "Dad of the boy in Year 4", "year 4"),
    ],
)
def test_search_finds_names_text_and_poster_whatever_the_case(
    client, school, head, field, stored, typed
):
    wanted, _ = submit_report(
        school,
        content=stored if field == "content" else "Something else entirely",
        poster_description=stored if field == "poster" else "",
    )
    if field == "name":
        triage(wanted.case, head)
        person = Person.objects.create(school=school, full_name=stored)
        workflow.case_person_add(wanted.case, head, person=person)
    submit_report(school, content="Nothing to see", poster_description="Someone")
    client.force_login(head)
    page = client.get(f"/staff/cases/?q={quote(typed)}").text
    assert references(page) == [wanted.case.reference]
    assert "1 case." in page


@pytest.mark.django_db
def test_search_by_reference_and_spaces_only_means_no_search(client, school, head):
    first, _ = submit_report(school)
    submit_report(school)
    client.force_login(head)
    assert references(client.get(f"/staff/cases/?q={first.case.reference.lower()}").text) == [
        first.case.reference
    ]
    assert len(references(client.get("/staff/cases/?q=%20%20%20").text)) == 2


@pytest.mark.django_db
def test_search_never_reaches_another_schools_cases(client, school, other_school, head):
    submit_report(other_school, content="Hughes said something")
    mine, _ = submit_report(school, content="Hughes again")
    client.force_login(head)
    assert references(client.get("/staff/cases/?q=hughes").text) == [mine.case.reference]


@pytest.mark.django_db
def test_search_in_kept_chat_messages_cannot_confirm_a_guess_at_the_reporter(
    client, school, head, trust_exec
):
    """The chat and screenshot parts of the search are under the same reporter rule as the
    report text: the trust executive may find the case by what was posted, not by the
    reporter's name (Priya Shah, who reported, is also a sender in her chat)."""
    reference = report_with_chat(school).case.reference
    client.force_login(trust_exec)
    assert references(client.get("/staff/cases/?q=after+school").text) == [reference]
    assert references(client.get("/staff/cases/?q=Priya+here").text) == []
    client.force_login(head)
    assert references(client.get("/staff/cases/?q=Priya+here").text) == [reference]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_search_ignores_case_beyond_ascii_and_uses_the_trigram_indexes(
    client, school, head
):
    wanted, _ = submit_report(school, content="Posted by ZOË BRONTË at 9pm")
    submit_report(school, content="Zoe Bronte is someone else")  # no accents: not the same
    client.force_login(head)
    assert references(client.get(f"/staff/cases/?q={quote('zoë brontë')}").text) == [
        wanted.case.reference
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        for table, column, index in (
            ("incidents_report", "content", "report_content_trgm"),
            ("incidents_report", "poster_description", "report_poster_trgm"),
            ("incidents_person", "full_name", "person_name_trgm"),
        ):
            cursor.execute(
                f'EXPLAIN SELECT 1 FROM "{table}" '  # noqa: S608 (fixed names)
                f'WHERE UPPER("{column}"::text) LIKE UPPER(%s)',
                ["%hughes%"],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert index in plan, plan
        cursor.execute("SET enable_seqscan = on")
        # References also have a LIKE-prefix index, which an empty table's plan prefers.
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'case_reference_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_connections_switch_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1


# --- the dashboard ---------------------------------------------------------------------------


def engine_view(user, today):
    """What the full deadline engine says: every item for the user's cases."""
    from incidents.access import cases_visible_to

    items = deadlines.due_items(cases=cases_visible_to(user), today=today)
    return [(d.kind, d.key, d.due_on) for d in items], sum(d.overdue(today) for d in items)


@pytest.mark.django_db
def test_dashboard_shows_and_counts_exactly_what_the_deadline_engine_does(
    school, head, time_machine
):
    make_everything_due(school, head, time_machine)
    # More waiting reports than the panel shows, opened on each of the last ten days, so some
    # are due today (not overdue), some yesterday (overdue) and some later.
    for days_ago in range(10):
        with time_machine_at(time_machine, 2026, 11, 23 - days_ago):
            make_cases(school, 4)
    time_machine.move_to(datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC))
    today = timezone.localdate()
    expected, overdue = engine_view(head, today)
    assert len(expected) > DUE_ROWS
    summary = dashboard_summary(user=head)
    shown = [(d.kind, d.key, d.due_on) for d, _late in summary["due"]]
    assert shown == expected[:DUE_ROWS]
    assert summary["overdue_count"] == overdue
    waiting = [case for case, _due, _late in summary["waiting"]]
    oldest = list(Case.objects.filter(status="new").order_by("opened_at", "pk")[:20])
    assert waiting == oldest


@pytest.mark.django_db
def test_dashboard_counts_are_right_for_a_trust_with_two_calendars(
    school, other_school, trust, head, trust_exec, time_machine
):
    from schools.models import TermDate

    other_school.trust = trust
    other_school.triage_target_days = 5
    other_school.save()
    # One school is on holiday for the last fortnight: its reports wait for term to start.
    TermDate.objects.create(
        school=other_school,
        name="Autumn",
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2026, 11, 6),
    )
    TermDate.objects.create(
        school=other_school,
        name="Late autumn",
        starts_on=datetime.date(2026, 11, 20),
        ends_on=datetime.date(2026, 12, 18),
    )
    for days_ago in range(0, 21, 2):
        with time_machine_at(time_machine, 2026, 11, 23 - days_ago):
            make_cases(school, 2)
            make_cases(other_school, 2)
    time_machine.move_to(datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC))
    today = timezone.localdate()
    expected, overdue = engine_view(trust_exec, today)
    summary = dashboard_summary(user=trust_exec)
    assert [(d.kind, d.key, d.due_on) for d, _ in summary["due"]] == expected[:DUE_ROWS]
    assert summary["overdue_count"] == overdue
