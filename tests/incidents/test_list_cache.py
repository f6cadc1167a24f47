"""The case list's own work cut for 100,000 cases (issue 12): the filter's choices and blank
form kept in the cache per set of schools and replaced when the set-up changes, the rows
written out in the list, a search counted in the query that reads its first page, and the
search's reporter rule for someone who sees the reporter in some of their schools only."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from incidents import workflow
from incidents.models import Case, Person
from schools import versions
from schools.models import Group, Membership, Role, Rule
from schools.services import school_install_default_rules
from tests.factories import (
    GroupFactory,
    MembershipFactory,
    RuleFactory,
    SchoolFactory,
    TrustMembershipFactory,
    report_with_chat,
    staff_member,
    submit_report,
    triage,
)


def filter_form(html: str) -> str:
    return html[html.index("<aside") : html.index("</aside>")]


def references(html: str) -> list[str]:
    return re.findall(r'href="/staff/cases/([A-Z]+-\d{4}-\d+)/"', html)


def options_query(captured) -> list[str]:
    """The query that works the filter's choices out (a UNION naming each kind)."""
    return [q["sql"] for q in captured.captured_queries if "o_kind" in q["sql"]]


# --- the filter's choices in the cache ------------------------------------------------------


@pytest.mark.django_db
def test_the_second_page_load_takes_the_choices_and_blank_form_from_the_cache(client, school, head):
    submit_report(school)
    client.force_login(head)
    first = client.get("/staff/cases/").text
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/staff/cases/").text
    assert options_query(captured) == []
    assert filter_form(again) == filter_form(first)
    # A filtered page renders its own form (values chosen) from the same cached choices.
    with CaptureQueriesContext(connection) as captured:
        filtered = client.get("/staff/cases/", {"severity": "high"}).text
    assert options_query(captured) == []
    assert '<option value="high" selected>' in filtered


@pytest.mark.django_db
def test_the_cached_blank_form_is_the_form_a_page_with_nothing_chosen_renders(
    rf, school, other_school, head, trust_exec
):
    """The cache keeps the form rendered from an unbound filter; without the cache a page with
    no filter chosen (a cursor page: `?after=`) rendered the bound one. They are the same."""
    from django.http import QueryDict

    from incidents.filters import FILTER_FORM_TEMPLATE, CaseFilter, FilterChoices
    from incidents.selectors import case_list
    from incidents.staff_views import _blank_filter_form

    for user in (head, trust_exec):
        request = rf.get("/staff/cases/", {"after": "2026-01-01T00:00:00+00:00~5"})
        request.user = user
        choices = FilterChoices(user)
        bound = CaseFilter(
            QueryDict("after=2026-01-01T00:00:00%2B00:00~5"),
            queryset=case_list(user=user),
            options=choices.options,
            request=request,
        )
        rendered = render_to_string(FILTER_FORM_TEMPLATE, {"form": bound.form})
        assert choices.blank_form_html(_blank_filter_form) == rendered
        assert FilterChoices(user).entry["form"] == rendered  # and it was kept


def _new_rule(school, head, trust_exec):
    RuleFactory(school=school, title="No photos of children")
    return "No photos of children"


def _group_renamed(school, head, trust_exec):
    group = Group.objects.filter(school=school).first() or GroupFactory(school=school)
    group.name = "Reception parents (new)"
    group.save()
    return "Reception parents (new)"


def _new_lead(school, head, trust_exec):
    staff_member(school, Role.SLT, "newdeputy", "Nadia Newcomer")
    return "Nadia Newcomer"


def _lead_renamed(school, head, trust_exec):
    head.last_name = "Carter-Jones"
    head.save()
    return "Helen Carter-Jones"


def _default_rules_installed(school, head, trust_exec):
    Rule.objects.filter(school=school, title="Nothing defamatory").delete()
    return None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change", [_new_rule, _group_renamed, _new_lead, _lead_renamed, _default_rules_installed]
)
def test_a_change_to_the_set_up_shows_in_the_filter_at_once(
    client, school, head, trust_exec, change
):
    client.force_login(head)
    before = filter_form(client.get("/staff/cases/").text)  # now in the cache
    shown = change(school, head, trust_exec)
    if shown is None:  # the default rules: cache the page without one, then add it in bulk
        before = filter_form(client.get("/staff/cases/").text)
        school_install_default_rules(school=school)
        shown = "Nothing defamatory"
    assert shown not in before
    assert shown in filter_form(client.get("/staff/cases/").text)
    assert shown in filter_form(client.get("/staff/cases/", {"status": "new"}).text)


@pytest.mark.django_db
def test_a_lead_who_leaves_goes_from_the_filter(client, school, head):
    deputy = staff_member(school, Role.SLT, "deputy2", "Dora Departing")
    client.force_login(head)
    assert "Dora Departing" in filter_form(client.get("/staff/cases/").text)
    Membership.objects.filter(user=deputy).delete()
    assert "Dora Departing" not in filter_form(client.get("/staff/cases/").text)


def _setup_version() -> str:
    found = versions.tokens(["setup"])
    assert found is not None
    return found["setup"]


@pytest.mark.django_db(transaction=True)
def test_the_version_moves_on_when_the_change_commits(client, school, head):
    """A page that read the rows before the change committed cannot keep its copy: the
    version moves on again after the commit."""
    from django.db import transaction

    client.force_login(head)
    client.get("/staff/cases/")
    with transaction.atomic():
        RuleFactory(school=school, title="Committed rule")
        inside = _setup_version()
    assert _setup_version() != inside
    assert "Committed rule" in filter_form(client.get("/staff/cases/").text)


@pytest.mark.django_db
def test_signing_in_does_not_throw_the_choices_away(client, school, head):
    client.force_login(head)
    client.get("/staff/cases/")
    version = _setup_version()
    client.logout()
    client.force_login(head)
    head.save(update_fields=["last_login"])
    assert _setup_version() == version


@pytest.mark.django_db
def test_each_user_sees_the_choices_of_their_own_schools(
    client, school, other_school, head, other_head, trust, trust_exec
):
    RuleFactory(school=school, title="Willow rule")
    RuleFactory(school=other_school, title="Elsewhere rule")
    sister = SchoolFactory(trust=trust, name="Sister School")
    RuleFactory(school=sister, title="Sister rule")
    pages = {}
    for user in (head, other_head, trust_exec, head):
        client.force_login(user)
        pages[user.username] = filter_form(client.get("/staff/cases/").text)
    assert "Willow rule" in pages["head"] and "Elsewhere rule" not in pages["head"]
    assert "Sister rule" not in pages["head"]
    assert "Elsewhere rule" in pages["otherhead"] and "Willow rule" not in pages["otherhead"]
    assert "Willow rule (Willow Park Primary)" in pages["trust"]
    assert "Sister rule (Sister School)" in pages["trust"]
    assert "Elsewhere rule" not in pages["trust"]


@pytest.mark.django_db
def test_a_new_role_gives_the_user_the_new_schools_choices(client, school, other_school, head):
    RuleFactory(school=other_school, title="Elsewhere rule")
    client.force_login(head)
    assert "Elsewhere rule" not in filter_form(client.get("/staff/cases/").text)
    MembershipFactory(user=head, school=other_school, role=Role.SLT)
    client.force_login(head)  # a fresh user object: roles are read once per request
    assert "Elsewhere rule (Elsewhere Academy)" in filter_form(client.get("/staff/cases/").text)


@pytest.mark.django_db
def test_the_list_works_without_a_cache(client, school, head, monkeypatch):
    submit_report(school)

    def unreachable(*args, **kwargs):
        raise ConnectionError("no cache")

    monkeypatch.setattr(cache, "get_many", unreachable)
    monkeypatch.setattr(cache, "set", unreachable)
    client.force_login(head)
    page = client.get("/staff/cases/").text
    assert "1 case." in page
    assert "No abusive or personal comments" in filter_form(page)


# --- the rows ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rows_show_what_the_shared_case_row_shows(client, school, head):
    lead = staff_member(school, Role.SLT, "lead", "Lena Lead")
    flagged, _ = submit_report(school)
    triage(flagged.case, head, severity="high")
    workflow.case_reassign(flagged.case, head, lead=lead)
    flagged.case.refresh_from_db()
    flagged.case.safeguarding_flag = True
    flagged.case.save()
    plain, _ = submit_report(school)
    client.force_login(head)
    page = client.get("/staff/cases/").text

    def squeeze(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())

    for report in (flagged, plain):
        case = report.case
        case.refresh_from_db()
        case.report_count = case.reports.count()
        row = render_to_string(
            "partials/case_row.html",
            {"case": case, "show_school": True, "extra": case.report_count},
        )
        assert squeeze(row) in squeeze(page)
    assert "Lena Lead" in page and "Safeguarding</span>" in page


# --- the search's count -----------------------------------------------------------------------


def counts(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"].upper()[:40]]


@pytest.mark.django_db
def test_a_search_counts_its_matches_in_the_query_for_its_first_page(client, school, head):
    for _ in range(53):
        submit_report(school, content="Mr Quigley again")
    submit_report(school, content="Nothing to see")
    client.force_login(head)
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/staff/cases/?q=quigley").text
    assert "53 cases." in first and len(references(first)) == 50
    assert counts(captured) == []
    after = re.search(r'href="\?[^"]*after=([^"&]+)"', first).group(1)
    second = client.get(f"/staff/cases/?q=quigley&after={after}").text
    assert "53 cases." in second and len(references(second)) == 3
    assert "54 cases." in client.get("/staff/cases/").text


@pytest.mark.django_db
def test_a_first_page_shorter_than_a_page_is_its_own_count(client, school, head):
    for _ in range(3):
        submit_report(school)
    client.force_login(head)
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/staff/cases/").text
    assert "3 cases." in page
    assert counts(captured) == []
    assert "0 cases." in client.get("/staff/cases/?q=nobody-at-all").text


# --- the search's reporter rule, partly visible ----------------------------------------------


@pytest.mark.django_db
def test_a_search_names_the_reporter_only_where_the_user_may_see_them(client, school, trust, head):
    """SLT at one school of the trust, executive of the whole trust: a search for the
    reporter's name finds the case at their own school, not the one at the sister school."""
    sister = SchoolFactory(trust=trust, name="Sister School")
    mine = report_with_chat(school).case.reference
    theirs = report_with_chat(sister).case.reference
    TrustMembershipFactory(user=head, trust=trust)
    client.force_login(head)
    assert references(client.get("/staff/cases/?q=Priya+here").text) == [mine]
    assert sorted(references(client.get("/staff/cases/?q=after+school").text)) == sorted(
        [mine, theirs]
    )
    # A person's name is no guess at the reporter: found wherever the case is.
    person = Person.objects.create(school=sister, full_name="Quentin Blake")
    case = Case.objects.get(reference=theirs)
    triage(case, head)
    workflow.case_person_add(case, head, person=person)
    assert references(client.get("/staff/cases/?q=quentin").text) == [theirs]
