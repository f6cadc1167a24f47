"""The governors' report is built by a Celery task, not in the request: asked for → queued,
with its progress on the page → filed PDF with a download link. The daily end-of-term job
asks for it the same way. A real worker on Redis builds it in the last two tests."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from oversight import governors
from oversight.models import GovernorsReport
from oversight.periods import Period
from schools.models import TermDate
from tests.factories import triaged_case
from tests.helpers import frozen_at, wait_for

D = datetime.date
AUTUMN = Period("Autumn term 2026", D(2026, 9, 3), D(2026, 12, 18))
S = GovernorsReport.Status


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


@pytest.mark.django_db
def test_asking_queues_it_and_the_page_shows_progress_not_a_link(client, school, head, autumn):
    """Without a worker (the broker takes the task; nothing runs it yet)."""
    with frozen_at(D(2026, 12, 21)):
        client.force_login(head)
        response = client.post(
            reverse("oversight:governors"), {"school": school.pk, "term": "2026-09-03"}
        )
        assert response.status_code == 302
        report = GovernorsReport.objects.get()
        assert (report.status, report.pdf.name, report.made_by) == (S.QUEUED, "", head)
        page = client.get(reverse("oversight:governors"))
    html = page.content.decode()
    assert "is being made" in html  # the message after asking
    assert "Waiting to start…" in html and 'data-refresh="/staff/reports/governors/"' in html
    assert reverse("oversight:governors-download", args=[report.pk]) not in html
    download = client.get(reverse("oversight:governors-download", args=[report.pk]))
    assert download.status_code == 404


@pytest.mark.django_db
def test_the_build_files_the_pdf_once_even_if_run_twice(school, head, autumn):
    with frozen_at(D(2026, 12, 21)):
        triaged_case(school, head)
        report = governors.governors_report_request(schools=[school], term=autumn, actor=head)
        assert governors.governors_report_build(report.pk) is True
        report.refresh_from_db()
        first = (report.pdf.name, report.pdf_sha256)
        assert governors.governors_report_build(report.pk) is False
    report.refresh_from_db()
    assert report.status == S.DONE and (report.pdf.name, report.pdf_sha256) == first
    assert report.finished_at is not None and report.pages >= 1
    with report.pdf.open("rb") as f:
        assert "Autumn term 2026" in pdf_text(f.read())


@pytest.mark.django_db
def test_a_failed_build_says_so_and_can_be_asked_for_again(
    client, school, head, autumn, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(governors, "html_to_pdf", broken)
    report = governors.governors_report_request(schools=[school], term=autumn, actor=head)
    assert governors.governors_report_build(report.pk) is False
    report.refresh_from_db()
    assert report.status == S.FAILED and report.error == "RuntimeError"
    assert not report.pdf
    client.force_login(head)
    html = client.get(reverse("oversight:governors")).content.decode()
    assert "Could not be made." in html and "Ask for it again above" in html
    assert "data-refresh" not in html
    assert client.get(reverse("oversight:governors-download", args=[report.pk])).status_code == 404


@pytest.mark.django_db
def test_a_locked_database_puts_the_report_back_and_the_task_retries_it(
    school, head, autumn, monkeypatch
):
    """SQLite under load answers "database table is locked": transient, so not a failure."""
    from django.db import OperationalError

    from oversight.tasks import build_report

    real = governors.report_context
    calls = []

    def locked_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database table is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(governors, "report_context", locked_once)
    monkeypatch.setattr(build_report, "retry_backoff", False)  # retry at once in the test
    with frozen_at(D(2026, 12, 21)):
        triaged_case(school, head)
        report = governors.governors_report_request(schools=[school], term=autumn, actor=head)
        with pytest.raises(OperationalError):
            governors.governors_report_build(report.pk)
        report.refresh_from_db()
        assert (report.status, report.error) == (S.QUEUED, "")  # back in the queue
        calls.clear()
        assert build_report.apply(args=[report.pk]).get() is True  # retried, then built
    assert len(calls) == 2
    report.refresh_from_db()
    assert report.status == S.DONE and report.pages >= 1


@pytest.mark.django_db
def test_broker_down_the_request_still_succeeds_and_the_daily_job_queues_it_again(
    client, school, head, autumn, broker_down, django_capture_on_commit_callbacks, monkeypatch
):
    # Time runs on (the broker's connection timeout counts real seconds).
    with time_machine.travel(datetime.datetime(2026, 12, 21, 10, tzinfo=datetime.UTC)):
        client.force_login(head)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("oversight:governors"), {"school": school.pk, "term": "2026-09-03"}
            )
    assert response.status_code == 302
    report = GovernorsReport.objects.get()
    assert report.status == S.QUEUED
    queued = []
    monkeypatch.setattr(governors, "enqueue", lambda task, pk, fallback: queued.append(pk))
    governors.governors_reports_due(D(2026, 12, 21))
    assert queued == []  # asked for moments ago: not stuck yet
    GovernorsReport.objects.filter(pk=report.pk).update(
        made_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    governors.governors_reports_due(D(2026, 12, 21))
    assert queued == [report.pk]


@pytest.mark.django_db
def test_a_build_interrupted_for_an_hour_is_marked_failed_by_the_daily_job(school, head, autumn):
    report = governors.governors_report_request(schools=[school], term=autumn, actor=head)
    GovernorsReport.objects.filter(pk=report.pk).update(
        status=S.RENDERING, made_at=timezone.now() - datetime.timedelta(minutes=59)
    )
    governors.governors_reports_due()
    assert GovernorsReport.objects.get(pk=report.pk).status == S.RENDERING
    GovernorsReport.objects.filter(pk=report.pk).update(
        made_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    governors.governors_reports_due()
    report.refresh_from_db()
    assert (report.status, report.error) == (S.FAILED, "Interrupted")


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_report_asked_for_on_the_page(client, school, head, request):
    TermDate.objects.create(
        school=school, name="Autumn 1", starts_on=D(2026, 9, 3), ends_on=D(2026, 12, 18)
    )
    triaged_case(school, head, nature="threats")
    client.force_login(head)
    request.getfixturevalue("celery_worker_on_redis")
    response = client.post(
        reverse("oversight:governors"), {"school": school.pk, "term": "2026-09-03"}
    )
    assert response.status_code == 302
    report = GovernorsReport.objects.get()
    wait_for(lambda: GovernorsReport.objects.get(pk=report.pk).status == S.DONE, 90)
    html = client.get(reverse("oversight:governors")).content.decode()
    url = reverse("oversight:governors-download", args=[report.pk])
    assert url in html and "data-refresh" not in html
    download = client.get(url)
    text = pdf_text(b"".join(download.streaming_content))
    assert "Autumn term 2026" in text and "Cases opened fewer than 5" in text


@pytest.mark.django_db(transaction=True)
def test_the_daily_job_on_a_real_worker_files_the_end_of_term_report(school, head, request):
    from oversight.tasks import make_governors_reports

    today = timezone.localdate()
    TermDate.objects.create(
        school=school,
        name="Half-term just ended",
        starts_on=today - datetime.timedelta(days=40),
        ends_on=today - datetime.timedelta(days=2),
    )
    request.getfixturevalue("celery_worker_on_redis")
    make_governors_reports.delay()
    wait_for(
        lambda: GovernorsReport.objects.filter(
            trigger=GovernorsReport.Trigger.END_OF_TERM, status=S.DONE
        ).exists(),
        90,
    )
    report = GovernorsReport.objects.get()
    with report.pdf.open("rb") as f:
        assert "termly report Willow Park Primary" in pdf_text(f.read())
