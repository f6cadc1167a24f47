"""The daily job reminds a task's assignee through the outbox: on the due day and each day
it is overdue, once a day, with the title, the case reference and a link — nothing else."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from casetasks.models import CaseTask
from casetasks.services import case_task_add, case_task_done
from incidents.deadlines import reminders_send
from schoolconduct.models import Notification
from schools.models import Membership
from tests.factories import CaseTaskFactory, triaged_case
from tests.helpers import frozen_at

D = datetime.date
DUE = D(2026, 12, 3)  # a Thursday


def at(day: datetime.date):
    return frozen_at(day, hour=7)


@pytest.fixture
def case(school, head):
    return triaged_case(
        school,
        head,
        report_kwargs={
            "reporter_name": "Zuleika Fairweather-Quill",
            "reporter_email": "zuleika@reporter.example",
            "content": "Private words about Mrs Example",
        },
    )


@pytest.fixture
def task(case, head, slt):
    with at(D(2026, 12, 1)):
        return case_task_add(
            case, head, title="Collect statements", assigned_to=slt, due_on=DUE
        ).result


def run_daily(day, capture):
    with at(day), capture(execute=True):
        reminders_send(today=day)
    return [m for m in mail.outbox if m.subject.startswith(("Task due", "Overdue task"))]


@pytest.mark.django_db
def test_no_reminder_the_day_before_one_on_the_day_once_then_one_each_overdue_day(
    task, slt, eager_tasks, django_capture_on_commit_callbacks
):
    assert run_daily(DUE - datetime.timedelta(days=1), django_capture_on_commit_callbacks) == []
    [on_the_day] = run_daily(DUE, django_capture_on_commit_callbacks)
    assert on_the_day.subject == f"Task due today — {task.case.reference}"
    assert on_the_day.bcc == [slt.email]
    # The job run again the same day (beat twice, or by hand) sends nothing more.
    assert len(run_daily(DUE, django_capture_on_commit_callbacks)) == 1
    reminders = run_daily(DUE + datetime.timedelta(days=1), django_capture_on_commit_callbacks)
    assert len(reminders) == 2
    assert reminders[1].subject == f"Overdue task — {task.case.reference}"
    assert "was due on Thursday 03 December 2026 and is overdue" in reminders[1].body
    assert Notification.objects.filter(kind="task_reminder").count() == 2


@pytest.mark.django_db
def test_the_email_has_the_title_reference_and_link_and_nothing_else(
    task, case, eager_tasks, django_capture_on_commit_callbacks
):
    # A title that names the reporter (a report merged in later) is hidden in the email.
    CaseTaskFactory(case=case, assigned_to=task.assigned_to, title="Ask Zuleika", due_on=DUE)
    emails = run_daily(DUE, django_capture_on_commit_callbacks)
    assert len(emails) == 2
    bodies = "\n".join(m.subject + m.body for m in emails)
    assert "Task: Collect statements" in bodies
    assert f"/staff/cases/{case.reference}/" in bodies
    for trace in ("Zuleika", "Fairweather", "reporter.example", "Private words", "Example"):
        assert trace not in bodies
    assert "Task: Ask [reporter's details hidden]" in bodies


@pytest.mark.django_db
def test_a_done_task_is_not_reminded(task, slt, eager_tasks, django_capture_on_commit_callbacks):
    case_task_done(task.case, slt, task=task)
    assert run_daily(DUE, django_capture_on_commit_callbacks) == []
    assert not Notification.objects.filter(kind="task_reminder").exists()


@pytest.mark.django_db
def test_done_after_the_reminder_was_queued_sends_nothing(
    task, slt, eager_tasks, django_capture_on_commit_callbacks
):
    with at(DUE):
        reminders_send(today=DUE)  # queued, not yet sent (no commit)
    CaseTask.objects.filter(pk=task.pk).update(done_at=datetime.datetime.now(datetime.UTC))
    from schoolconduct.outbox import notifications_sweep

    with at(DUE):
        notifications_sweep(older_than=datetime.timedelta(0))
    assert not [m for m in mail.outbox if m.subject.startswith(("Task due", "Overdue task"))]


@pytest.mark.django_db
def test_an_assignee_who_lost_their_role_is_not_reminded_the_head_is(
    task, head, slt, eager_tasks, django_capture_on_commit_callbacks
):
    Membership.objects.filter(user=slt).delete()
    [email] = run_daily(DUE, django_capture_on_commit_callbacks)
    assert email.bcc == [head.email]
    assert "was for Dan Deputy, who can no longer open the case" in email.body


@pytest.mark.django_db
def test_an_inactive_assignee_is_not_reminded(
    task, head, slt, eager_tasks, django_capture_on_commit_callbacks
):
    slt.is_active = False
    slt.save()
    [email] = run_daily(DUE, django_capture_on_commit_callbacks)
    assert email.bcc == [head.email]


@pytest.mark.django_db
def test_a_task_given_to_someone_else_reminds_them(
    task, head, trust_exec, eager_tasks, django_capture_on_commit_callbacks
):
    from casetasks.services import case_task_reassign

    with at(DUE):
        case_task_reassign(task.case, head, task=task, assigned_to=trust_exec)
    [email] = run_daily(DUE, django_capture_on_commit_callbacks)
    assert email.bcc == [trust_exec.email]


# --- "you have been given a task" -----------------------------------------------------------


def given_emails():
    return [m for m in mail.outbox if m.subject.startswith("New task")]


@pytest.mark.django_db
def test_the_assignee_is_told_once_with_the_title_and_no_one_else(
    case, head, slt, trust_exec, eager_tasks, django_capture_on_commit_callbacks
):
    from casetasks.services import case_task_reassign

    with at(D(2026, 12, 1)), django_capture_on_commit_callbacks(execute=True):
        task = case_task_add(
            case, head, title="Ask Zuleika about the group", assigned_to=slt, due_on=DUE
        ).result
    [email] = given_emails()
    assert email.bcc == [slt.email]
    assert email.subject == f"New task — {case.reference}"
    assert "Helen Carter has given you a task" in email.body
    assert "due on Thursday 03 December 2026" in email.body
    assert "Task: Ask [reporter's details hidden] about the group" in email.body
    assert f"/staff/cases/{case.reference}/" in email.body
    for trace in ("Zuleika", "Fairweather", "reporter.example", "Private words"):
        assert trace not in email.subject + email.body
    # Given to someone else: they are told; a task someone gives themselves tells nobody.
    with at(D(2026, 12, 1)), django_capture_on_commit_callbacks(execute=True):
        case_task_reassign(case, head, task=task, assigned_to=trust_exec)
        case_task_add(case, head, title="Write the letter", assigned_to=head, due_on=DUE)
    assert [m.bcc for m in given_emails()] == [[slt.email], [trust_exec.email]]


@pytest.mark.django_db
def test_a_task_given_away_or_done_before_the_email_went_tells_nobody(case, head, slt, trust_exec):
    from casetasks.services import case_task_reassign
    from schoolconduct.outbox import notifications_sweep

    with at(D(2026, 12, 1)):
        task = case_task_add(case, head, title="Call", assigned_to=slt, due_on=DUE).result
        case_task_reassign(case, head, task=task, assigned_to=trust_exec)
        case_task_done(case, trust_exec, task=task)
        notifications_sweep(older_than=datetime.timedelta(0))
    assert given_emails() == []


@pytest.mark.django_db
def test_a_closed_cases_open_task_is_not_reminded_listed_or_due_until_it_reopens(
    task, head, slt, eager_tasks, django_capture_on_commit_callbacks
):
    from types import SimpleNamespace

    from casetasks.selectors import dashboard_panel
    from incidents import workflow
    from incidents.models import Case, CaseStatus

    with at(D(2026, 12, 2)):
        workflow.case_close(task.case, head, outcome="Resolved", rationale="Post removed")
    assert Case.objects.get(pk=task.case_id).status == CaseStatus.CLOSED
    assert run_daily(DUE, django_capture_on_commit_callbacks) == []
    with at(DUE):
        assert dashboard_panel(slt)["total"] == 0
        window = SimpleNamespace(cases=Case.objects.all(), today=DUE, horizon=DUE)
        assert [d for d in deadlines_of(window) if d.kind == "task"] == []
    # Reopened: the task is work again, reminded by the next morning's job (overdue now).
    with at(DUE):
        workflow.case_reopen(Case.objects.get(pk=task.case_id), head, reason="It went on")
    [reminder] = run_daily(DUE + datetime.timedelta(days=1), django_capture_on_commit_callbacks)
    assert reminder.subject.startswith("Overdue task")
    assert reminder.bcc == [slt.email]


def deadlines_of(window):
    from casetasks.selectors import task_deadlines

    return list(task_deadlines(window))
