"""The statistics page: figures from aggregates, clocks at their edge, access, queries."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Case, Person
from incidents.workflow import case_decide, case_triage
from oversight import stats
from oversight.periods import Period
from tests.factories import GroupFactory, submit_report, triaged_case

D = datetime.date
AUTUMN = Period("Autumn term 2026", D(2026, 9, 3), D(2026, 12, 18))


def _at(day: datetime.date, hour: int = 10):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC), tick=False
    )


@pytest.mark.django_db
def test_counts_by_nature_severity_outcome_and_group(school, head, autumn):
    year4 = GroupFactory(school=school, name="Year 4 parents")
    with _at(D(2026, 11, 9)):
        a = triaged_case(school, head, severity="high", nature="threats")
        b = triaged_case(school, head, report_kwargs={"group": year4})
        case_decide(b, head, actions=["reminder"], rationale="First time")
        submit_report(school)  # waiting for triage
    with _at(D(2026, 8, 1)):
        triaged_case(school, head)  # before the period: not counted
    fig = stats.figures(schools=[school], period=autumn, bucket="half_term")
    assert fig.reports == [3] and fig.cases == [3]
    by = {b.key: {r.label: r.counts for r in b.rows} for b in fig.breakdowns}
    assert by["nature"] == {
        "Threats or intimidation": [1],
        "Abusive or personal comments": [1],
        "Not yet triaged": [1],
    }
    assert by["severity"]["High"] == [1] and by["severity"]["Medium"] == [1]
    assert by["outcome"]["Reminder of the code"] == [1]
    assert by["outcome"]["No decision yet"] == [2]
    assert by["group"] == {"Year 3 parents": [2], "Year 4 parents": [1]}
    assert {r.label: r.counts for r in fig.over_time.rows}["Autumn 2"] == [3]
    assert a.pk  # used


@pytest.mark.django_db
def test_triage_within_target_on_the_due_day_not_the_day_after(school, head, autumn):
    school.triage_target_days = 2
    school.save()
    # Opened Monday 9 November: two school days later is Wednesday 11 November.
    with _at(D(2026, 11, 9)):
        on_time, late = submit_report(school)[0].case, submit_report(school)[0].case
    for case, day in ((on_time, D(2026, 11, 11)), (late, D(2026, 11, 12))):
        with _at(day):
            case_triage(
                case,
                head,
                severity="low",
                nature="abusive",
                targets=["staff"],
                safeguarding_screen="none",
                lead=head,
            )
    fig = stats.figures(schools=[school], period=autumn)
    triage = fig.clocks[0]
    assert triage.counted == [2] and triage.within_target == [1]
    assert triage.median_days == [2.5]


@pytest.mark.django_db
def test_repeat_conduct_counts_people_with_more_than_one_case(school, head, autumn):
    person = Person.objects.create(school=school, full_name="Pat Repeat")
    once = Person.objects.create(school=school, full_name="Olly Once")
    with _at(D(2026, 9, 10)):
        triaged_case(school, head, person=person)
        triaged_case(school, head, person=once)
    with _at(D(2026, 11, 10)):
        triaged_case(school, head, person=person)
    fig = stats.figures(schools=[school], period=autumn)
    assert fig.repeat_people == [1]
    assert fig.repeat_people_in_period == [1]


@pytest.mark.django_db
def test_repeat_conduct_counts_cases_up_to_the_end_of_the_period_only(school, head, autumn):
    before = Person.objects.create(school=school, full_name="Bea Before")
    later = Person.objects.create(school=school, full_name="Lee Later")
    with _at(D(2026, 5, 10)):  # two cases last summer: a repeat, none in the period
        triaged_case(school, head, person=before)
        triaged_case(school, head, person=before)
        triaged_case(school, head, person=later)
    with _at(autumn.end + datetime.timedelta(days=1)):  # the day after: not counted yet
        triaged_case(school, head, person=later)
    fig = stats.figures(schools=[school], period=autumn)
    assert fig.repeat_people == [1]
    assert fig.repeat_people_in_period == [0]


@pytest.mark.django_db
def test_trust_view_compares_schools_side_by_side(
    client, school, other_school, trust, trust_exec, head
):
    other_school.trust = trust
    other_school.save()
    with _at(D(2026, 11, 10)):
        triaged_case(school, head)
    client.force_login(trust_exec)
    with _at(D(2026, 11, 30)):
        response = client.get(reverse("oversight:statistics"))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert [s.name for s in figures.schools] == ["Elsewhere Academy", "Willow Park Primary"]
    assert figures.cases == [0, 1]
    html = response.content.decode()
    assert "Elsewhere Academy" in html and "<svg" in html


@pytest.mark.django_db
def test_charts_run_no_script_and_carry_the_nonce(client, school, head, autumn):
    client.force_login(head)
    with _at(D(2026, 11, 30)):
        triaged_case(school, head)
        response = client.get(reverse("oversight:statistics"))
    html = response.content.decode()
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "kozea.github.io" not in html
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    styles = re.findall(r"<style[^>]*>", html)
    assert styles and all(f'nonce="{nonce}"' in s for s in styles)
    assert not re.search(r"<svg.*\sstyle=\"", html, re.S)
    # Every chart has its table, with the same figures.
    assert html.count('class="col-12 col-xl-7 chart"') == html.count(
        '<table class="table table-sm table-striped">'
    )


@pytest.mark.django_db
def test_custom_period_errors_keep_what_was_typed(client, head, school):
    client.force_login(head)
    response = client.get(
        reverse("oversight:statistics"),
        {"period": "custom", "start": "2026-11-20", "end": "2026-11-01"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The last day must be on or after the first day." in html
    assert 'value="2026-11-20"' in html


@pytest.mark.django_db
def test_group_filter_counts_only_that_groups_reports(client, head, school, autumn):
    year4 = GroupFactory(school=school, name="Year 4 parents")
    with _at(D(2026, 11, 10)):
        submit_report(school)
        submit_report(school, group=year4)
    client.force_login(head)
    with _at(D(2026, 11, 30)):
        response = client.get(reverse("oversight:statistics"), {"group": year4.pk})
    assert response.context["figures"].reports == [1]
    assert response.context["figures"].cases == [1]


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 8])
def test_query_count_does_not_grow_with_cases(
    client, head, school, autumn, n, django_assert_max_num_queries
):
    with _at(D(2026, 11, 10)):
        for _ in range(n):
            triaged_case(school, head, person=Person.objects.create(school=school, full_name="P"))
    client.force_login(head)
    with _at(D(2026, 11, 30)):
        client.get(reverse("oversight:statistics"))  # the session, the school's version
        # session, user, roles, school list (with versions), groups, term dates (the form),
        # then the figures (nothing cached yet): calendars, reports, cases, repeat people,
        # and groups/rules/bars/restrictions in one.
        with django_assert_max_num_queries(12):
            client.get(reverse("oversight:statistics"))
    assert Case.objects.count() == n


@pytest.mark.django_db
def test_bars_and_restrictions_in_force_at_the_period_end_each_school_its_own(
    school, head, other_school, other_head, autumn
):
    from measures.models import BanStage
    from tests.factories import ContactRestrictionFactory, SiteBanFactory

    end = autumn.end
    with _at(D(2026, 11, 9)):
        ours, theirs = triaged_case(school, head), triaged_case(other_school, other_head)
    started = D(2026, 11, 10)
    SiteBanFactory(case=ours, starts_on=started, ends_on=end)  # its last day: in force
    SiteBanFactory(case=ours, starts_on=started)
    SiteBanFactory(case=ours, stage=BanStage.LIFTED, starts_on=started, lifted_on=end)
    SiteBanFactory(case=theirs, starts_on=end + datetime.timedelta(days=1))  # not yet
    ContactRestrictionFactory(case=theirs, starts_on=started, ended_on=end)  # ended that day
    ContactRestrictionFactory(case=theirs, starts_on=started, ended_on=end + D.resolution)
    with _at(D(2026, 12, 21)):
        fig = stats.figures(schools=[school, other_school], period=autumn, bucket="half_term")
    assert fig.bars_in_force == [2, 0]
    assert fig.restrictions_in_force == [0, 1]


def test_a_trusts_chart_of_rows_each_of_one_school_draws_one_bar_a_row():
    from oversight import charts

    schools = ["North", "South", "East"]
    per_school = stats.Breakdown(
        "group",
        "Reports by group",
        [stats.Row("Year 1 (North)", [3, 0, 0]), stats.Row("Year 1 (South)", [0, 2, 0])],
    )
    svg = charts.bar_chart(per_school, schools)
    assert svg.count('class="rect reactive') == 2  # not six
    assert "North</text>" not in svg  # no legend of schools: the labels say whose
    # A row with figures in two schools keeps the schools side by side, with their legend.
    shared = stats.Breakdown("rule", "Cases by rule", [stats.Row("Be kind", [3, 2, 0])])
    side_by_side = charts.bar_chart(shared, schools)
    assert side_by_side.count('class="rect reactive') == 2 and "North</text>" in side_by_side
