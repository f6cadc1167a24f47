"""The governors' termly report: a real PDF read back, small numbers hidden, no names."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from incidents.models import Person
from oversight.governors import (
    governors_report_build,
    governors_report_request,
    governors_reports_due,
)
from oversight.models import GovernorsReport
from tests.factories import triaged_case

D = datetime.date


def _at(day: datetime.date):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 10, tzinfo=datetime.UTC), tick=False
    )


def governors_report_make(**kwargs) -> GovernorsReport:
    """Ask for a report and build it here, as the task would."""
    report = governors_report_request(**kwargs)
    assert governors_report_build(report.pk)
    report.refresh_from_db()
    return report


def _text(report: GovernorsReport) -> str:
    with report.pdf.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
def test_report_hides_numbers_under_five_and_names_no_one(school, head, autumn):
    person = Person.objects.create(school=school, full_name="Zebedee Quartermaine")
    with _at(D(2026, 11, 10)):
        cases = [triaged_case(school, head, person=person, nature="threats") for _ in range(3)]
        cases += [triaged_case(school, head, nature="defamation") for _ in range(2)]
        cases += [triaged_case(school, head, nature="abusive") for _ in range(5)]
    with _at(D(2026, 12, 21)):
        report = governors_report_make(schools=[school], term=autumn, actor=head)
    text = " ".join(_text(report).split())
    assert "Autumn term 2026" in text
    assert "Threats or intimidation fewer than 5" in text
    assert "Abusive or personal comments 5" in text
    assert "Defamation fewer than 5" in text
    assert "Cases opened 10" in text
    # No one can be identified: no person, no reporter, no reference, no case text.
    assert "Zebedee" not in text and "Quartermaine" not in text
    assert all(c.reference not in text for c in cases)
    assert "useless" not in text  # the posts' words (the factory's report content)
    assert report.pages >= 1 and len(report.pdf_sha256) == 64


@pytest.mark.django_db
def test_a_figure_that_could_be_worked_out_is_hidden_in_table_and_chart(school, head, autumn):
    with _at(D(2026, 11, 10)):
        for _ in range(3):
            triaged_case(school, head, nature="threats")
        for _ in range(5):
            triaged_case(school, head, nature="abusive")
    with _at(D(2026, 12, 21)):
        report = governors_report_make(schools=[school], term=autumn, actor=head)
    text = " ".join(_text(report).split())
    # 8 cases in all: showing 5 would give away the 3.
    assert "Abusive or personal comments fewer than 5" in text
    assert "Threats or intimidation fewer than 5" in text


@pytest.mark.django_db
def test_report_compares_with_previous_term_and_same_term_last_year(school, head, autumn):
    with _at(D(2025, 10, 1)):  # autumn 2025: estimated dates (none entered for that year)
        for _ in range(6):
            triaged_case(school, head)
    with _at(D(2026, 11, 10)):
        triaged_case(school, head)
    with _at(D(2026, 12, 21)):
        report = governors_report_make(schools=[school], term=autumn, actor=head)
    text = " ".join(_text(report).split())
    assert "Autumn term 2025" in text and "Summer term 2026" in text
    assert "Cases opened fewer than 5 0 6" in text


@pytest.mark.django_db
def test_daily_job_files_one_report_after_the_term_ends(school, head, autumn):
    with _at(D(2026, 11, 10)):
        triaged_case(school, head)
    with _at(D(2026, 12, 18)):  # the last day of term: not yet
        assert governors_reports_due() == 0
    with _at(D(2026, 12, 19)):
        assert governors_reports_due() == 1
        assert governors_reports_due() == 0  # running twice files nothing twice
    report = GovernorsReport.objects.get()
    assert report.trigger == GovernorsReport.Trigger.END_OF_TERM
    assert report.term_name == "Autumn term 2026"
    with _at(D(2026, 12, 27)):  # more than a week later, a new school's term is not chased
        assert governors_reports_due() == 0


@pytest.mark.django_db
def test_staff_make_and_download_a_report(
    client,
    school,
    head,
    office,
    other_head,
    autumn,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    with _at(D(2026, 12, 21)):
        client.force_login(head)
        page = client.get(reverse("oversight:governors"))
        assert page.status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("oversight:governors"), {"school": school.pk, "term": "2026-09-03"}
            )
    assert response.status_code == 302
    report = GovernorsReport.objects.get()
    assert report.status == GovernorsReport.Status.DONE  # built by the task, after the commit
    url = reverse("oversight:governors-download", args=[report.pk])
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    for user in (office, other_head):
        client.force_login(user)
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_an_unknown_term_is_refused_with_a_message(client, head, school):
    client.force_login(head)
    response = client.post(
        reverse("oversight:governors"), {"school": school.pk, "term": "1999-01-01"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not GovernorsReport.objects.exists()


@pytest.mark.django_db
def test_a_trust_wide_report_is_listed_only_for_who_oversees_every_school(
    client, school, other_school, trust, head, trust_exec
):
    other_school.trust = trust
    other_school.save()
    both = GovernorsReport.objects.create(
        scope_key="x",
        title="Trust-wide report",
        term_name="T",
        term_start=D(2026, 9, 1),
        term_end=D(2026, 12, 18),
    )
    both.schools.set([school, other_school])
    mine = GovernorsReport.objects.create(
        scope_key="y",
        title="Willow Park report",
        term_name="T",
        term_start=D(2026, 9, 1),
        term_end=D(2026, 12, 18),
    )
    mine.schools.set([school])
    client.force_login(head)
    listed = {r.title for r in client.get(reverse("oversight:governors")).context["reports"]}
    assert listed == {"Willow Park report"}
    client.force_login(trust_exec)
    listed = {r.title for r in client.get(reverse("oversight:governors")).context["reports"]}
    assert listed == {"Willow Park report", "Trust-wide report"}
