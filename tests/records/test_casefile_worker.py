"""The case file made by a real Celery worker on Redis, from the page's form."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from records.models import CaseFile
from tests.factories import case_file_ask, case_with_everything
from tests.helpers import wait_for
from tests.images import image_bytes


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_case_file_and_the_page_follows_it(
    client, school, head, eager_tasks, request
):
    case = case_with_everything(school, head, image=image_bytes("PNG"))
    # The worker starts after the data is written (SQLite's shared test database locks).
    request.getfixturevalue("celery_worker_on_redis")
    client.force_login(head)
    client.post(
        reverse("records:case-file", args=[case.reference]),
        {"purpose": "lado", "recipient_name": "LADO, Kent County Council", "reporter": "withheld"},
    )
    case_file = CaseFile.objects.get()
    status_url = reverse("records:case-file-status", args=[case_file.pk])
    wait_for(lambda: CaseFile.objects.get().status in ("ready", "failed"), 90)
    case_file.refresh_from_db()
    assert case_file.status == "ready", case_file.error
    assert case_file.progress == 100
    status = client.get(status_url).text
    assert "Download the PDF" in status and "data-poll" not in status
    pdf = b"".join(
        client.get(reverse("records:case-file-download", args=[case_file.pk])).streaming_content
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "The LADO: LADO, Kent County Council" in text
    # Running the task again does nothing: the row is claimed once.
    from records.casefile import casefile_build

    assert casefile_build(case_file.pk) is False


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_it_waits_and_the_page_polls_its_progress(
    client, school, head, eager_tasks, request
):
    case = case_with_everything(school, head, image=image_bytes("PNG"))
    request.getfixturevalue("broker_down")
    case_file = case_file_ask(case, head, purpose="other", recipient_name="Ofsted")
    assert CaseFile.objects.get().status == "queued"  # asked for; nothing lost
    CaseFile.objects.filter(pk=case_file.pk).update(
        status="building", progress=65, progress_label="Laying out the pages"
    )
    client.force_login(head)
    status = client.get(reverse("records:case-file-status", args=[case_file.pk])).text
    assert "Being made: laying out the pages (65%)" in status
    assert f'data-poll="{reverse("records:case-file-status", args=[case_file.pk])}"' in status
    assert client.get(reverse("records:case-file-download", args=[case_file.pk])).status_code == 404
    # Still waiting ten minutes later (the broker was down): the page says to ask again.
    CaseFile.objects.filter(pk=case_file.pk).update(status="queued")
    for minutes, stale in ((9, False), (11, True)):
        CaseFile.objects.filter(pk=case_file.pk).update(
            made_at=timezone.now() - datetime.timedelta(minutes=minutes)
        )
        status = client.get(reverse("records:case-file-status", args=[case_file.pk])).text
        assert ("Ask for it again" in status) is stale
        assert ("data-poll" in status) is not stale


@pytest.mark.django_db
def test_a_locked_database_puts_the_case_file_back_and_the_task_retries_it(
    school, head, monkeypatch
):
    """SQLite under load answers "database table is locked": transient, so not a failure."""
    from django.db import OperationalError

    from records import casefile
    from records.tasks import build_case_file

    case_file = case_file_ask(case_with_everything(school, head, image=image_bytes("PNG")), head)
    real, calls = casefile.casefile_pdf, []

    def locked_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database table is locked: records_casefile")
        return real(*args, **kwargs)

    monkeypatch.setattr(casefile, "casefile_pdf", locked_once)
    monkeypatch.setattr(build_case_file, "retry_backoff", False)
    with pytest.raises(OperationalError):
        casefile.casefile_build(case_file.pk)
    case_file.refresh_from_db()
    assert case_file.status == "queued"
    calls.clear()
    assert build_case_file.apply(args=[case_file.pk]).get() is True
    case_file.refresh_from_db()
    assert case_file.status == "ready" and len(calls) == 2
