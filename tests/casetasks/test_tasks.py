"""Tasks on a case: giving one (who may be given it, the due date, the title), finishing it,
the chronology, and where it shows — the case page, "Your tasks", the deadlines calendar."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from casetasks.models import CaseTask
from casetasks.services import (
    assignees_for,
    case_task_add,
    case_task_done,
    case_task_reassign,
)
from incidents.access import may_open_case
from incidents.workflow import WorkflowError
from oversight.deadlines import feed_create
from schools.models import Membership, Role
from tests.factories import (
    CaseTaskFactory,
    MembershipFactory,
    UserFactory,
    submit_report,
    triaged_case,
)
from tests.helpers import frozen_at

D = datetime.date
TODAY = D(2026, 12, 1)  # a Tuesday


@pytest.fixture(autouse=True)
def _today():
    with frozen_at(TODAY):
        yield


@pytest.fixture
def case(school, head):
    return triaged_case(school, head, report_kwargs={"reporter_name": "Zuleika Fairweather-Quill"})


def add_url(case) -> str:
    return reverse("staff:case-action", args=[case.reference, "task_add"])


def form_data(user, **overrides) -> dict:
    return {
        "title": "Phone the parent",
        "assigned_to": user.pk,
        "due_on": TODAY.isoformat(),
        **overrides,
    }


# --- giving a task ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_slt_gives_a_task_from_the_case_page_and_it_is_on_the_chronology(client, case, head, slt):
    client.force_login(head)
    page = client.get(reverse("staff:case-detail", args=[case.reference]))
    assert add_url(case) in page.content.decode()  # offered among the case's actions
    response = client.post(add_url(case), form_data(slt, title="  Collect   statements "))
    assert response.status_code == 302
    task = CaseTask.objects.get()
    assert (task.title, task.assigned_to, task.due_on, task.created_by) == (
        "Collect statements",
        slt,
        TODAY,
        head,
    )
    event = case.events.order_by("-pk").first()
    assert event.kind == "task" and event.actor == head
    assert event.summary == "Task for Dan Deputy, due 1 December 2026: Collect statements"
    assert event.data == {"task": task.pk, "step": "added", "due_on": "2026-12-01"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"title": "   "}, "This field is required."),
        ({"title": "\u00a0 \u00a0"}, "This field is required."),
        ({"due_on": "2026-11-30"}, "The due date can&#x27;t be in the past."),
        ({"due_on": ""}, "This field is required."),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "Call Zuleika Fairweather-Quill back"}, "The title names the reporter"),
        ({"title": "Ring Ms Fairweather-Quill"}, "The title names the reporter"),
    ],
    ids=["spaces", "nbsp", "yesterday", "no-date", "too-long", "reporter", "reporter-surname"],
)
def test_a_bad_task_is_refused_with_what_was_typed_kept(client, case, head, slt, overrides, error):
    client.force_login(head)
    data = form_data(slt, **overrides)
    response = client.post(add_url(case), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    if data["title"].strip() and len(data["title"]) <= 200:
        assert data["title"] in html  # kept in the form
    assert not CaseTask.objects.exists()
    assert not case.events.filter(kind="task").exists()


@pytest.mark.django_db
def test_due_today_is_accepted_and_yesterday_refused_by_the_action_itself(case, head, slt):
    with pytest.raises(WorkflowError, match="past"):
        case_task_add(case, head, title="Call", assigned_to=slt, due_on=TODAY - D.resolution)
    case_task_add(case, head, title="Call", assigned_to=slt, due_on=TODAY)
    assert CaseTask.objects.get().due_on == TODAY


@pytest.mark.django_db
def test_who_may_be_given_a_task(case, school, head, slt, dsl, office, trust_exec, other_head):
    """Whoever may open the case: SLT, the trust's executives, and the DSL only on a case with
    a safeguarding flag. Never office staff (they never open cases) or another school."""
    inactive = UserFactory(username="gone", is_active=False)
    MembershipFactory(user=inactive, school=school, role=Role.SLT)
    assert set(assignees_for(case)) == {head, slt, trust_exec}
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    assert set(assignees_for(flagged.case)) == {head, slt, trust_exec, dsl}
    # The list is the same rule as opening the case.
    for user in (head, slt, dsl, office, trust_exec, other_head, inactive):
        for c in (case, flagged.case):
            assert (user in set(assignees_for(c))) == (may_open_case(user, c) and user.is_active)
    for user in (office, other_head, dsl, inactive):
        with pytest.raises(WorkflowError, match="can't open this case"):
            case_task_add(case, head, title="Call", assigned_to=user, due_on=TODAY)
    case_task_add(flagged.case, head, title="Check the record", assigned_to=dsl, due_on=TODAY)


@pytest.mark.django_db
def test_the_form_offers_only_those_who_may_open_the_case(client, case, head, office, trust_exec):
    client.force_login(head)
    form = client.get(add_url(case)).context["form"]
    assert office not in form.fields["assigned_to"].queryset
    assert trust_exec in form.fields["assigned_to"].queryset
    response = client.post(add_url(case), form_data(office))
    assert "Select a valid choice" in response.content.decode()
    assert not CaseTask.objects.exists()


@pytest.mark.django_db
def test_only_slt_and_trust_give_tasks_and_not_on_a_closed_case(
    client, school, case, head, dsl, trust_exec
):
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    client.force_login(dsl)
    # Not a step the DSL holds the role for: not offered, and the page is a 404.
    assert client.post(add_url(flagged.case), form_data(dsl)).status_code == 404
    assert not CaseTask.objects.exists()
    case_task_add(case, trust_exec, title="Meet the parent", assigned_to=head, due_on=TODAY)
    from incidents import workflow

    workflow.case_close(case, head, outcome="Resolved", rationale="Post removed")
    with pytest.raises(WorkflowError, match="closed"):
        case_task_add(case, head, title="Too late", assigned_to=head, due_on=TODAY)


# --- finishing a task -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_assignee_marks_it_done_once_and_it_is_on_the_chronology(client, school, head, dsl):
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    case = flagged.case
    task = case_task_add(case, head, title="Check CPOMS", assigned_to=dsl, due_on=TODAY).result
    client.force_login(dsl)
    url = reverse("staff:task-done", args=[task.pk])
    response = client.post(url, {"back": "dashboard"})
    assert response.status_code == 302 and response["Location"] == reverse("staff:dashboard")
    task.refresh_from_db()
    assert task.done_by == dsl and task.done_at is not None
    event = case.events.order_by("-pk").first()
    assert (event.kind, event.actor, event.summary) == ("task", dsl, "Task done: Check CPOMS")
    # Twice: refused with a message, nothing more on the chronology.
    response = client.post(url, follow=True)
    assert "already done" in response.content.decode()
    assert case.events.filter(kind="task").count() == 2


@pytest.mark.django_db
def test_slt_finishes_anyones_task_but_another_colleague_cannot(client, school, head, slt, dsl):
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    for_slt = case_task_add(flagged.case, head, title="Call", assigned_to=slt, due_on=TODAY).result
    with pytest.raises(WorkflowError, match="Only the person the task is for"):
        case_task_done(flagged.case, dsl, task=for_slt)
    for_dsl = case_task_add(flagged.case, head, title="Check", assigned_to=dsl, due_on=TODAY).result
    case_task_done(flagged.case, head, task=for_dsl)
    assert CaseTask.objects.get(pk=for_dsl.pk).done_by == head


@pytest.mark.django_db
def test_marking_done_another_schools_task_is_a_404(client, case, head, other_head, office):
    task = CaseTaskFactory(case=case, assigned_to=head)
    for user in (other_head, office):
        client.force_login(user)
        assert client.post(reverse("staff:task-done", args=[task.pk])).status_code == 404
    assert client.post(reverse("staff:task-done", args=[999999])).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


# --- the case page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_page_lists_tasks_and_flags_an_assignee_who_lost_their_role(
    client, case, school, head, slt
):
    task = case_task_add(case, head, title="Phone the parent", assigned_to=slt, due_on=TODAY)
    CaseTaskFactory(case=case, assigned_to=head, title="Write to the group admin")
    Membership.objects.filter(user=slt).delete()  # the deputy leaves the school
    client.force_login(head)
    html = client.get(reverse("staff:case-detail", args=[case.reference])).content.decode()
    assert "Phone the parent" in html and "due today" in html
    assert "Write to the group admin" in html
    assert "Dan Deputy can no longer open this case" in html
    assert reverse("staff:task-done", args=[task.result.pk]) in html


@pytest.mark.django_db
def test_case_page_hides_a_reporter_a_title_names_from_the_trust(client, case, head, trust_exec):
    # A title can only name the reporter if a report was merged in after the task was given.
    CaseTaskFactory(case=case, assigned_to=trust_exec, title="Ask Zuleika for the screenshot")
    client.force_login(trust_exec)
    html = client.get(reverse("staff:case-detail", args=[case.reference])).content.decode()
    assert "Zuleika" not in html and "the screenshot" in html


# --- "Your tasks" on the dashboard ----------------------------------------------------------


@pytest.mark.django_db
def test_your_tasks_overdue_first_then_today_then_upcoming(client, case, head, slt):
    for title, days in (("Later", 3), ("Today", 0), ("Late", -1), ("Very late", -10)):
        CaseTaskFactory(
            case=case, assigned_to=head, title=title, due_on=TODAY + datetime.timedelta(days)
        )
    CaseTaskFactory(case=case, assigned_to=slt, title="Someone else's")
    done = CaseTaskFactory(case=case, assigned_to=head, title="Finished", due_on=TODAY)
    CaseTask.objects.filter(pk=done.pk).update(done_at=timezone.now(), done_by=head)
    client.force_login(head)
    response = client.get(reverse("staff:dashboard"))
    [(template, panel)] = response.context["panels"]
    assert template == "casetasks/_dashboard.html"
    assert [t.title for t in panel["overdue"]] == ["Very late", "Late"]
    assert [t.title for t in panel["today"]] == ["Today"]
    assert [t.title for t in panel["upcoming"]] == ["Later"]
    html = response.content.decode()
    mine = html[html.index('id="your-tasks"') :]
    mine = mine[: mine.index("</section>")]
    assert "Someone else" not in mine and "Finished" not in mine
    assert mine.index("Very late") < mine.index("Late<") < mine.index("Today") < mine.index("Later")


@pytest.mark.django_db
def test_your_tasks_is_bounded_in_rows_and_queries(client, school, head, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(head)
    counts = []
    for n in (1, 40):
        for i in range(n):
            c = submit_report(school)[0].case
            CaseTaskFactory(case=c, assigned_to=head, due_on=TODAY + datetime.timedelta(i % 9))
        client.get(reverse("staff:dashboard"))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("staff:dashboard"))
        counts.append(len(ctx.captured_queries))
    panel = response.context["panels"][0][1]
    shown = len(panel["overdue"]) + len(panel["today"]) + len(panel["upcoming"])
    assert shown == 15 and panel["more"] == 41 - 15 and panel["total"] == 41
    assert "And 26 more" in response.content.decode()
    # "Your tasks", how many there are and the tasks due: one query, however many.
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_an_assignee_who_loses_their_role_no_longer_sees_the_task(client, case, head, slt):
    CaseTaskFactory(case=case, assigned_to=slt, title="Phone the parent")
    client.force_login(slt)
    assert "Phone the parent" in client.get(reverse("staff:dashboard")).content.decode()
    Membership.objects.filter(user=slt).update(role=Role.OFFICE)
    response = client.get(reverse("staff:dashboard"))
    assert "Phone the parent" not in response.content.decode()
    assert response.context["panels"] == []  # office staff are given no tasks


# --- the deadlines calendar and its feed ----------------------------------------------------


@pytest.mark.django_db
def test_tasks_are_on_the_calendar_with_their_title_but_the_feed_has_only_the_reference(
    client, case, head, slt
):
    case_task_add(case, head, title="Collect statements", assigned_to=slt, due_on=TODAY)
    client.force_login(head)
    html = client.get(reverse("oversight:deadlines")).content.decode()
    assert "Task: Collect statements (Dan Deputy)" in html
    token = feed_create(user=slt)
    feed = client.get(reverse("oversight:deadline-feed", args=[token]))
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    summaries = {str(e["summary"]) for e in events}
    assert f"Task — {case.reference}" in summaries
    assert "Collect statements" not in feed.content.decode()
    assert "Deputy" not in feed.content.decode()


@pytest.mark.django_db
def test_done_tasks_leave_the_calendar(client, case, head, slt):
    task = case_task_add(case, head, title="Collect statements", assigned_to=slt, due_on=TODAY)
    case_task_done(case, slt, task=task.result)
    client.force_login(head)
    assert "Collect statements" not in client.get(reverse("oversight:deadlines")).content.decode()


@pytest.mark.django_db
def test_the_form_suggests_a_week_ahead_and_refuses_dates_before_today(client, case, head):
    client.force_login(head)
    html = client.get(add_url(case)).content.decode()
    assert 'type="date"' in html and 'value="2026-12-08"' in html and 'min="2026-12-01"' in html


@pytest.mark.django_db
def test_the_case_page_asks_the_same_number_of_queries_for_one_task_or_many(
    client, case, head, slt, trust_exec
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(head)
    url = reverse("staff:case-detail", args=[case.reference])
    counts = []
    for n in (1, 12):
        for i in range(n):
            CaseTaskFactory(case=case, assigned_to=(slt, trust_exec, head)[i % 3])
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- giving a task to someone else ----------------------------------------------------------


@pytest.mark.django_db
def test_slt_gives_a_task_to_someone_else_from_the_case_page(client, case, head, slt, trust_exec):
    task = case_task_add(case, head, title="Phone the parent", assigned_to=slt, due_on=TODAY)
    task = task.result
    Membership.objects.filter(user=slt).delete()  # the deputy has left
    client.force_login(head)
    html = client.get(reverse("staff:case-detail", args=[case.reference])).content.decode()
    assert '<details class="mt-2" open>' in html  # offered at once for a lost assignee
    url = reverse("staff:task-reassign", args=[task.pk])
    response = client.post(url, {"assigned_to": trust_exec.pk})
    assert response.status_code == 302 and response["Location"].endswith("#case-tasks")
    task.refresh_from_db()
    assert task.assigned_to == trust_exec
    event = case.events.order_by("-pk").first()
    assert event.summary == "Task given to Tom Ashworth instead of Dan Deputy: Phone the parent"
    assert event.data == {"task": task.pk, "step": "reassigned"}


@pytest.mark.django_db
def test_a_task_is_given_only_to_someone_who_may_open_the_case(
    client, school, case, head, slt, office, dsl, other_head
):
    task = case_task_add(case, head, title="Call", assigned_to=slt, due_on=TODAY).result
    client.force_login(head)
    url = reverse("staff:task-reassign", args=[task.pk])
    for chosen, says in (
        (office.pk, "can&#x27;t open this case"),
        (other_head.pk, "can&#x27;t open this case"),
        (slt.pk, "already Dan Deputy&#x27;s"),
        ("", "Choose who the task is for"),
        ("x", "Choose who the task is for"),
        (999999, "Choose who the task is for"),
    ):
        response = client.post(url, {"assigned_to": chosen}, follow=True)
        assert says in response.content.decode()
    task.refresh_from_db()
    assert task.assigned_to == slt
    # Only those who run the case give tasks away: not the DSL, not another school.
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    theirs = case_task_add(flagged.case, head, title="Check", assigned_to=dsl, due_on=TODAY)
    with pytest.raises(WorkflowError, match="permission"):
        case_task_reassign(flagged.case, dsl, task=theirs.result, assigned_to=head)
    client.force_login(other_head)
    assert client.post(url, {"assigned_to": other_head.pk}).status_code == 404
    case_task_done(case, slt, task=task)
    with pytest.raises(WorkflowError, match="already done"):
        case_task_reassign(case, head, task=task, assigned_to=head)
