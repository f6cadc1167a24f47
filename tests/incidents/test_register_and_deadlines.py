"""The restrictions register and the deadline engine."""

from __future__ import annotations

import datetime
import io
import time

import pytest
from django.core import mail
from django.core.management import call_command
from pypdf import PdfReader

from incidents import deadlines, workflow
from measures.models import BanStage, SiteBan
from schoolconduct.models import Notification
from tests.factories import (
    ContactRestrictionFactory,
    PersonFactory,
    make_ban,
    make_everything_due,
    submit_report,
    triage,
    triaged_case,
)

TODAY = datetime.date(2026, 11, 23)


@pytest.mark.django_db
def test_register_shows_who_is_barred_today_and_nothing_sensitive(
    client, school, head, office, other_school, other_head, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC))
    make_ban(school, head)
    make_ban(other_school, other_head)  # another school's bar: invisible
    client.force_login(office)
    page = client.get("/staff/bans/").text
    assert "Mr Jason Turner" in page and "Year 3" in page
    assert "Whole site at all times" in page and "Met at the gate" in page
    assert "Helen Carter" in page  # who to call
    for secret in ("SECRET CASE TEXT", "SECRET REASONS", "Priya", "WPS-"):
        assert secret not in page
    assert page.count("Mr Jason Turner") == 1
    assert "Correct at 10:00" in page


@pytest.mark.django_db
def test_register_pdf_is_one_page_with_a_correct_at_time(
    client, school, head, office, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC))
    make_ban(school, head)
    client.force_login(office)
    response = client.get("/staff/bans/?format=pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Correct at 10:00" in text and "Mr Jason Turner" in text
    assert "SECRET" not in text


@pytest.mark.django_db
def test_trust_executive_sees_all_their_schools(client, school, head, trust_exec):
    from tests.factories import MembershipFactory, SchoolFactory, UserFactory

    sister = SchoolFactory(
        trust=school.trust, name="Sister School", slug="sister", reference_prefix="SIS"
    )
    sister_head = UserFactory(username="sisterhead")
    MembershipFactory(user=sister_head, school=sister, is_head_teacher=True)
    make_ban(school, head)
    make_ban(sister, sister_head)
    client.force_login(trust_exec)
    page = client.get("/staff/bans/").text
    assert page.count("Mr Jason Turner") == 2 and "Sister School" in page


@pytest.mark.django_db
def test_expiry_takes_a_bar_off_the_register(client, school, head, office, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC))
    make_ban(school, head, ends_on=datetime.date(2026, 11, 24))
    client.force_login(office)
    assert "Mr Jason Turner" in client.get("/staff/bans/").text
    time_machine.move_to(datetime.datetime(2026, 11, 25, 7, 0, tzinfo=datetime.UTC))
    call_command("send_reminders")
    assert SiteBan.objects.get().stage == BanStage.EXPIRED
    assert "Mr Jason Turner" not in client.get("/staff/bans/").text


@pytest.mark.django_db
def test_restrictions_are_on_the_register(client, school, head, office):
    report, _ = submit_report(school)
    person = PersonFactory(school=school, full_name="Ms Contact")
    ContactRestrictionFactory(
        case=report.case,
        person=person,
        school=school,
        contact_point="Mrs Price",
        channels="email to the office",
        reasons="x",
        starts_on=datetime.date.today(),
        review_on=datetime.date.today() + datetime.timedelta(days=30),
        created_by=head,
    )
    client.force_login(office)
    page = client.get("/staff/bans/").text
    assert "Ms Contact" in page and "Contact only through Mrs Price" in page


def kinds_sent() -> list[str]:
    reminders = Notification.objects.filter(kind="deadline_reminder", sent_at__isnull=False)
    return sorted(reminders.values_list("params__deadline", flat=True))


EVERY_KIND = {
    "triage",
    "dsl_decision",
    "lado",
    "bar_decision",
    "bar_review",
    "bar_ending",
    "restriction_review",
}


@pytest.mark.django_db
def test_every_reminder_kind_fires_once_and_only_once(
    school, head, slt, dsl, time_machine, eager_tasks, django_capture_on_commit_callbacks
):
    make_everything_due(school, head, time_machine)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders")
    assert set(kinds_sent()) == EVERY_KIND
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders")  # safe to run twice: nothing goes again
    assert len(mail.outbox) == sent
    for message in mail.outbox:
        assert "SECRET" not in message.body and "Priya" not in message.body
        # Every email is a reminder, or (once) the head teachers' request for next year's term
        # dates: this school's run out within the daily job's six weeks.
        assert message.subject.startswith("Reminder:") or message.subject == (
            f"Please add {school.name}'s next term dates"
        )
    assert sum(not m.subject.startswith("Reminder:") for m in mail.outbox) <= 1
    lado = next(m for m in mail.outbox if "LADO" in m.subject)
    assert set(lado.bcc) == {head.email, dsl.email}


@pytest.mark.django_db
def test_letters_approved_but_not_sent_are_reminded(
    school, head, time_machine, eager_tasks, django_capture_on_commit_callbacks
):
    from tests.factories import LetterFactory

    time_machine.move_to(datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC))
    person = PersonFactory(school=school, full_name="A Parent", address="1 Road")
    LetterFactory(case=triaged_case(school, head, person=person), actor=head, ready=True)
    time_machine.move_to(datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders")
    assert "letter_not_sent" in kinds_sent()


@pytest.mark.django_db
def test_dashboard_panel_lists_due_and_overdue(client, school, head, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC))
    make_ban(school, head, review_on=datetime.date(2026, 11, 20))
    client.force_login(head)
    page = client.get("/staff/").text
    assert "Due soon and overdue" in page and "Bar review due" in page
    assert "Overdue: 20 Nov 2026" in page


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_on_a_real_worker_sends_every_kind_once(
    school, head, dsl, request, time_machine
):
    from incidents.tasks import send_reminders
    from tests.helpers import wait_for

    make_everything_due(school, head, time_machine)
    # The worker starts after the data is written: SQLite's shared in-memory test database
    # has table locks, not a busy timeout, so this thread must not write while it works.
    request.getfixturevalue("celery_worker_on_redis")
    send_reminders.delay()
    wait_for(lambda: set(kinds_sent()) == EVERY_KIND, 60)
    # A send that met SQLite's table lock (the worker's threads write at once) is retried by
    # its task a few seconds later (send_notification's autoretry): wait for every row.
    unsent = Notification.objects.filter(kind="deadline_reminder", sent_at__isnull=True)
    wait_for(lambda: not unsent.exists(), 60)
    sent = len(mail.outbox)
    send_reminders.delay()  # the beat firing twice sends nothing more
    time.sleep(2)
    assert len(mail.outbox) == sent
    reminders = Notification.objects.filter(kind="deadline_reminder")
    assert not reminders.filter(sent_at__isnull=True).exists()


def test_due_labels_cover_every_kind():
    assert set(deadlines.KIND_LABELS) == {
        "triage",
        "dsl_decision",
        "lado",
        "bar_decision",
        "bar_review",
        "bar_ending",
        "restriction_review",
        "letter_not_sent",
        "task",
        "sar",
        "breach",
    }


@pytest.mark.django_db
def test_dashboard_lists_allegations_to_refer_to_the_lado(client, school, head, time_machine):
    from incidents.models import SafeguardingScreen

    time_machine.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC))
    report, _ = submit_report(school)
    triage(report.case, head, safeguarding_screen=SafeguardingScreen.ALLEGATION)
    client.force_login(head)
    page = client.get("/staff/").text
    section = page.split("Allegations to refer to the LADO")[1].split("</section>")[0]
    assert report.case.reference in section and "due 24 Nov 2026" in section
    workflow.case_refer(report.case, head, kind="lado", made_on=datetime.date(2026, 11, 23))
    assert "Allegations to refer to the LADO" not in client.get("/staff/").text
