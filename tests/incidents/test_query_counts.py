"""Queries per page are constant: measured at N and 10N rows with their related objects."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import workflow
from incidents.evidence import evidence_store, inspect_image
from measures.models import BanStage
from schools.models import Role
from tests.factories import (
    CaseTaskFactory,
    GroupFactory,
    MembershipFactory,
    PersonFactory,
    RuleFactory,
    SchoolFactory,
    UserFactory,
    autumn_and_spring_terms,
    make_ban,
    submit_report,
    triage,
)
from tests.images import png_upload


def grow(school, head, n: int, target=None):
    """n more cases with a triaged lead, a person, a note and a screenshot each; and n more
    reports, events, messages and files on `target`."""
    image = inspect_image(png_upload())
    for i in range(n):
        report, _ = submit_report(school, content=f"Post {i}", reporter_name=f"R{i}")
        triage(report.case, head, rules=list(school.rules.all()))
        person = PersonFactory(school=school, full_name=f"Parent {i}")
        workflow.case_person_add(report.case, head, person=person)
        evidence_store(case=report.case, report=report, items=[image])
        CaseTaskFactory(case=report.case, assigned_to=head)  # due soon: on the deadlines
        if target is not None:
            extra, _ = submit_report(school, content=f"Same post {i}")
            evidence_store(case=target, report=None, items=[image])
            workflow.case_merge_into(extra.case, head, target=target)
            workflow.case_note_add(target, head, text=f"Note {i}")
            workflow.case_reporter_message(
                target, head, report=target.reports.first(), body=f"Question {i}"
            )
            workflow.case_person_add(report.case, head, person=target.persons.first())


def count(client, url: str) -> tuple[int, list[str]]:
    """The page's queries with nothing kept in the cache (the dashboard's counts per school
    are, once counted): the most a page can ask."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def target(school, head):
    report, _ = submit_report(school)
    triage(report.case, head)
    person = PersonFactory(school=school, full_name="The parent")
    workflow.case_person_add(report.case, head, person=person)
    return report.case


def url_for(which: str, target) -> str:
    """The page's address now (a cursor page starts after the newest case)."""
    from incidents.models import Case
    from incidents.pagination import cursor_for

    newest = Case.objects.order_by("-opened_at", "-pk").first()
    return {
        "dashboard": "/staff/",
        "list": "/staff/cases/?sort=-opened",
        "search": "/staff/cases/?status=action&status=investigating&q=Parent",
        "deep": f"/staff/cases/?after={quote(cursor_for(newest.opened_at, newest.pk))}",
        "case": f"/staff/cases/{target.reference}/",
        "export": "/staff/cases/export.csv",
        "queue": "/staff/letters/",
        "register": "/staff/bans/",
    }[which]


PAGES = ["dashboard", "list", "search", "deep", "case", "export", "queue", "register"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["head", "trust_exec"])
@pytest.mark.parametrize("which", PAGES)
def test_queries_do_not_grow_with_the_data(request, client, school, head, target, which, who):
    if which == "case" and who == "trust_exec":
        pytest.skip("the case page is measured for the head teacher")
    viewer = request.getfixturevalue(who)
    client.force_login(viewer)
    submit_report(school)  # the dashboard lists a case waiting for triage
    grow(school, head, 3, target)
    mine = {"case": 0}.get(which, 1)  # tasks of the viewer's ("Your tasks"; not the case page's)
    for _ in range(mine):
        CaseTaskFactory(case=target, assigned_to=viewer, title="Mine")
    client.get(url_for(which, target))  # warm caches (sessions, content types)
    small, _ = count(client, url_for(which, target))
    grow(school, head, 27, target)  # ten times as many cases, reports, events, persons
    for _ in range(20 * mine):
        CaseTaskFactory(case=target, assigned_to=viewer, title="Mine", due_on=timezone.localdate())
    large, sql = count(client, url_for(which, target))
    # (A list's first page shorter than a page is its own count: one query fewer, never more.)
    assert small <= large, "\n".join(sql)
    assert large == EXPECTED_QUERIES[which], f"{large} queries:\n" + "\n".join(sql)
    assert large <= 12, "\n".join(sql)  # the target for every staff page


def short_lists(case, head, n: int) -> None:
    """n more of each list the case page reads with the case: meetings, referrals, letters,
    tasks, bars, restrictions and access log lines."""
    from tests.factories import (
        AccessLogFactory,
        CaseTaskFactory,
        ContactRestrictionFactory,
        LetterFactory,
        MeetingFactory,
        ReferralFactory,
        SiteBanFactory,
    )

    person = case.persons.first()
    person.address, person.postcode = "1 Mill Lane", "AG1 1AA"  # where letters go
    person.save()
    for _ in range(n):
        MeetingFactory(case=case, person=person)
        ReferralFactory(case=case)
        LetterFactory(case=case, actor=head, person=person)
        CaseTaskFactory(case=case, assigned_to=head)
        SiteBanFactory(case=case, person=person, decision_maker=head)
        ContactRestrictionFactory(case=case, person=person, created_by=head)
        AccessLogFactory(case=case, user=head)


@pytest.mark.django_db
def test_the_case_pages_short_lists_add_no_queries(client, school, head, target):
    client.force_login(head)
    submit_report(school)  # a new report that could be merged in
    grow(school, head, 2, target)
    short_lists(target, head, 1)
    url = url_for("case", target)
    client.get(url)  # warm caches (sessions, content types)
    small, _ = count(client, url)
    short_lists(target, head, 4)
    large, sql = count(client, url)
    assert small == large == EXPECTED_QUERIES["case"], "\n".join(sql)


def add_school(trust) -> None:
    """One more school in the trust, with its own rules, groups, head teacher, term dates
    (its own calendar), a few cases and a bar awaiting its decision."""
    school = SchoolFactory(trust=trust)
    RuleFactory(school=school)
    GroupFactory(school=school)
    head = UserFactory()
    MembershipFactory(user=head, school=school, role=Role.SLT, is_head_teacher=True)
    autumn_and_spring_terms(school)
    grow(school, head, 2)
    submit_report(school)  # a new report waiting for triage
    make_ban(school, head, stage=BanStage.INTENTION, starts_on=None, review_on=None)


def uncached_statistics() -> None:
    """Every school's statistics version changed: the next view counts its figures (cold)."""
    from oversight.cache import changed
    from schools.models import School

    changed(*School.objects.values_list("pk", flat=True))


TRUST_PAGES = [*(p for p in PAGES if p != "case"), "statistics"]


@pytest.mark.django_db
@pytest.mark.parametrize("which", TRUST_PAGES)
def test_a_trusts_pages_ask_the_same_whatever_the_number_of_schools(
    client, trust, school, head, trust_exec, target, which
):
    client.force_login(trust_exec)
    grow(school, head, 2, target)
    submit_report(school)  # the dashboard lists a case from the start
    url = "/staff/reports/" if which == "statistics" else None
    client.get(url or url_for(which, target))  # warm caches (sessions, content types)
    if which == "statistics":
        uncached_statistics()
    one, _ = count(client, url or url_for(which, target))
    for _ in range(3):
        add_school(trust)
    if which == "statistics":
        uncached_statistics()
    # New schools change the filter's choices: the first page after works them out again.
    client.get(url or url_for(which, target))
    four, sql = count(client, url or url_for(which, target))
    # (A list's first page shorter than a page is its own count: one query fewer, never more.)
    assert one <= four, "\n".join(sql)
    if which != "statistics":
        # (At most: with fewer cases than a page, the list's first page needs no count.)
        assert four <= EXPECTED_QUERIES[which], "\n".join(sql)


# Every page starts with: session, user, the user's school and trust memberships (3).
EXPECTED_QUERIES = {
    # + the user's schools, their calendars (one UNION), counts by school and status (only
    #   when not in the cache: measured without), the first few new / DSL / LADO cases and
    #   mine (window functions, with the overdue new, DSL and LADO counts), bars due,
    #   restrictions due, letters approved but not sent, the cases shown, and the tasks:
    #   "Your tasks" and tasks due with their cases' reporters (to hide them in the titles)
    "dashboard": 12,
    # + the filter's choices (schools, rules, groups, leads: one UNION; measured with nothing
    #   in the cache, where a page keeps them once it has worked them out), count, the page
    #   with its report counts. A search's first page counts its matches in the query that
    #   reads it.
    "list": 6,
    "search": 5,
    "deep": 6,
    # + the case with its lists as JSON columns (reports, evidence, kept chat messages,
    #   events, messages, the report and case rules, meetings, referrals, the access log,
    #   bars, restrictions, letters, the kinds of letter drafted, tasks: read once, and used
    #   by the close guard and the next step too), persons with their other cases, and the
    #   new reports that could be merged in with their cases (one query).
    #   No session write: a visit's time moves on at most once a minute.
    "case": 6,
    # + the filter's choices (none in the cache), "is it small?" (a count bounded by a LIMIT),
    #   access-log insert, the rows (one chunked query)
    "export": 7,
    # the letters app's pages, measured as they are
    "queue": 6,
    "register": 7,
}
