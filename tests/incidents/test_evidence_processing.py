"""Screenshots are checked in the request and re-encoded by a task afterwards: "processing"
until the clean copy exists, never the original in its place, failures retried and shown."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from incidents import evidence as evidence_module
from incidents import tasks
from incidents.evidence import (
    EvidenceNotStored,
    evidence_clean,
    evidence_clean_sweep,
    evidence_store,
    inspect_image,
)
from incidents.models import CleanStatus, Evidence, Message, OcrStatus
from tests.factories import REPORT_URL, report_form_data, submit_report, triage
from tests.helpers import wait_for
from tests.images import jpeg_with_gps_and_rotation, png_upload, upload

FOLLOW_UP = "/follow-up/"


def stored_photo(school) -> Evidence:
    report, _ = submit_report(school)
    [row] = evidence_store(case=report.case, report=report, items=[inspect_image(png_upload())])
    return row


def case_page(client, user, row: Evidence) -> str:
    client.force_login(user)
    return client.get(f"/staff/cases/{row.case.reference}/").text


def failing_clean_copy(monkeypatch, *, failures: int | None = None) -> list[int]:
    """Make the re-encoding fail (every time, or the first `failures` times); count the tries."""
    tries: list[int] = []
    real = evidence_module.clean_copy

    def clean_copy(data: bytes):
        tries.append(1)
        if failures is None or len(tries) <= failures:
            raise OSError("storage unreachable")
        return real(data)

    monkeypatch.setattr(evidence_module, "clean_copy", clean_copy)
    monkeypatch.setattr(tasks, "CLEAN_RETRY_SECONDS", 0)
    return tries


# --- the request only checks and seals ---------------------------------------------------------


@pytest.mark.django_db
def test_the_report_keeps_the_photo_processing_and_never_serves_the_original(
    school, head, trust_exec, client, broker_down, django_capture_on_commit_callbacks
):
    gps = jpeg_with_gps_and_rotation()
    data = report_form_data(school)
    data["screenshots"] = [upload(gps, "IMG_0001.JPG", "image/jpeg")]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(REPORT_URL, data).status_code == 302  # no worker, no broker: fine
    row = Evidence.objects.get()
    assert row.clean_status == CleanStatus.PROCESSING and not row.clean and not row.clean_sha256
    with row.original.open("rb") as f:
        assert f.read() == gps  # sealed in the request, byte for byte
    assert row.original_sha256 == hashlib.sha256(gps).hexdigest()

    page = case_page(client, head, row)
    assert 'data-evidence-status="processing"' in page and "Processing…" in page
    assert f' src="/staff/evidence/{row.pk}/"' not in page  # no broken image
    assert "Read the text again" not in page
    for user in (head, trust_exec):
        client.force_login(user)
        response = client.get(f"/staff/evidence/{row.pk}/")
        assert response.status_code == 404
        assert b"PhoneMaker" not in response.content  # not the original in its place
    client.force_login(head)
    original = client.get(f"/staff/evidence/{row.pk}/original/")  # SLT: the original, as ever
    assert b"".join(original.streaming_content) == gps


@pytest.mark.django_db
def test_the_task_makes_an_upright_clean_copy_without_metadata(school, broker_down):
    report, _ = submit_report(school)
    image = inspect_image(upload(jpeg_with_gps_and_rotation(), "p.jpg", "image/jpeg"))
    [row] = evidence_store(case=report.case, report=report, items=[image])
    assert evidence_clean(row.pk) == CleanStatus.READY
    row.refresh_from_db()
    assert row.clean_status == CleanStatus.READY and row.ocr_status == OcrStatus.PENDING
    with row.clean.open("rb") as f:
        clean = f.read()
    assert hashlib.sha256(clean).hexdigest() == row.clean_sha256
    assert b"PhoneMaker" not in clean
    with Image.open(io.BytesIO(clean)) as picture:
        assert picture.size == (100, 300) == (row.width, row.height)
    # Safe to run twice: the same copy, no second file.
    assert evidence_clean(row.pk) == CleanStatus.READY
    stem = row.original.name.rsplit("/", 1)[1].split(".")[0]
    copies = [n for n in row.clean.storage.listdir("evidence/clean")[1] if n.startswith(stem)]
    assert copies == [row.clean.name.rsplit("/", 1)[1]]


@pytest.mark.django_db
def test_without_a_broker_the_copy_is_made_in_process_at_once(school, head, client, eager_tasks):
    row = stored_photo(school)
    assert row.clean_status == CleanStatus.READY and row.clean
    page = case_page(client, head, row)
    assert f' src="/staff/evidence/{row.pk}/"' in page and "Processing…" not in page
    assert client.get(f"/staff/evidence/{row.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_disposed_of_original_is_left_alone(school, broker_down):
    row = stored_photo(school)
    Evidence.objects.filter(pk=row.pk).update(original="")
    assert evidence_clean(row.pk) == CleanStatus.PROCESSING
    row.refresh_from_db()
    assert not row.clean


@pytest.mark.django_db
def test_an_original_that_no_longer_matches_its_seal_is_not_cleaned(school, broker_down):
    row = stored_photo(school)
    storage = row.original.storage
    storage.delete(row.original.name)
    storage.save(row.original.name, ContentFile(b"something else"))
    with pytest.raises(ValueError, match="does not match its seal"):
        evidence_clean(row.pk)


# --- failures: retried, then shown, then tried again on request --------------------------------


@pytest.mark.django_db
def test_a_failing_copy_is_retried_then_shown_with_try_again(
    school, head, dsl, client, eager_tasks, monkeypatch
):
    tries = failing_clean_copy(monkeypatch)
    row = stored_photo(school)
    assert len(tries) == 4  # the first try and three retries
    row.refresh_from_db()
    assert row.clean_status == CleanStatus.FAILED and not row.clean
    assert row.clean_error == "OSError: storage unreachable"
    page = case_page(client, head, row)
    assert 'data-evidence-status="failed"' in page and "Picture could not be prepared" in page
    assert "OSError: storage unreachable" in page and "Try again" in page
    assert f' src="/staff/evidence/{row.pk}/"' not in page
    assert client.get(f"/staff/evidence/{row.pk}/").status_code == 404
    # The DSL sees it failed; only those who run the case may ask again.
    assert "Try again" not in case_page(client, dsl, row)
    assert client.post(f"/staff/evidence/{row.pk}/clean-again/").status_code == 404

    monkeypatch.undo()  # whatever went wrong is fixed
    client.force_login(head)
    response = client.post(f"/staff/evidence/{row.pk}/clean-again/")
    assert response.status_code == 302 and response["Location"].endswith(f"#evidence-{row.pk}")
    row.refresh_from_db()
    assert row.clean_status == CleanStatus.READY and row.clean_error == ""
    assert client.get(f"/staff/evidence/{row.pk}/").status_code == 200
    # Asking again for a copy that exists does nothing.
    client.post(f"/staff/evidence/{row.pk}/clean-again/")
    assert Evidence.objects.get(pk=row.pk).clean == row.clean


@pytest.mark.django_db
def test_a_copy_that_fails_twice_succeeds_on_the_third_try(school, eager_tasks, monkeypatch):
    tries = failing_clean_copy(monkeypatch, failures=2)
    row = stored_photo(school)
    assert len(tries) == 3
    assert row.clean_status == CleanStatus.READY and row.clean_error == ""


# --- the sweep: a task lost with the broker is queued again ------------------------------------


@pytest.mark.django_db
def test_the_sweep_queues_again_what_is_still_processing_after_ten_minutes(
    school, broker_down, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC), tick=False)
    row = stored_photo(school)
    broker_down.conf.task_always_eager = True  # the broker is back (in-process here)
    time_machine.move_to(row.uploaded_at + datetime.timedelta(minutes=10), tick=False)
    assert evidence_clean_sweep() == 0  # ten minutes exactly: its task may still be queued
    assert Evidence.objects.get(pk=row.pk).clean_status == CleanStatus.PROCESSING
    time_machine.move_to(row.uploaded_at + datetime.timedelta(minutes=10, seconds=1), tick=False)
    assert evidence_clean_sweep() == 1
    assert Evidence.objects.get(pk=row.pk).clean_status == CleanStatus.READY
    assert evidence_clean_sweep() == 0


def test_beat_runs_the_sweep():
    from django.conf import settings

    tasks_run = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "incidents.tasks.sweep_evidence" in tasks_run


# --- every way in: the follow-up page and staff uploads ----------------------------------------


@pytest.mark.django_db
def test_a_parents_follow_up_screenshot_is_processed_by_the_task(
    school, head, client, broker_down, django_capture_on_commit_callbacks
):
    report, code = submit_report(school)
    client.post(FOLLOW_UP, {"reference": report.reference, "code": code})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/follow-up/add/", {"body": "Again today.", "screenshots": [png_upload("again.png")]}
        )
    assert response.status_code == 302
    row = Message.objects.get().evidence.get()
    assert row.clean_status == CleanStatus.PROCESSING
    assert "Processing…" in case_page(client, head, row)
    assert evidence_clean(row.pk) == CleanStatus.READY


@pytest.mark.django_db
def test_a_staff_upload_is_processed_by_the_task(
    school, head, client, broker_down, django_capture_on_commit_callbacks
):
    case = submit_report(school)[0].case
    triage(case, head)
    client.force_login(head)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/staff/cases/{case.reference}/gather/",
            {
                "kind": "statement",
                "text": "A screenshot from the class teacher",
                "files": png_upload(),
            },
        )
    assert response.status_code == 302
    row = case.evidence.get()
    assert row.kind == Evidence.Kind.IMAGE and row.clean_status == CleanStatus.PROCESSING
    assert evidence_clean(row.pk) == CleanStatus.READY


# --- with a real worker on Redis ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_clean_copy_after_the_parents_request(
    school, head, client, celery_worker_on_redis
):
    data = report_form_data(school)
    data["screenshots"] = [upload(jpeg_with_gps_and_rotation(), "IMG_0002.JPG", "image/jpeg")]
    assert client.post(REPORT_URL, data).status_code == 302
    wait_for(lambda: Evidence.objects.get().clean_status != CleanStatus.PROCESSING, 60)
    row = Evidence.objects.get()
    assert row.clean_status == CleanStatus.READY, row.clean_error
    client.force_login(head)
    response = client.get(f"/staff/evidence/{row.pk}/")
    clean = b"".join(response.streaming_content)
    assert response.status_code == 200 and b"PhoneMaker" not in clean
    assert hashlib.sha256(clean).hexdigest() == row.clean_sha256


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_a_failing_copy_then_records_the_failure(
    school, celery_worker_on_redis, monkeypatch
):
    tries = failing_clean_copy(monkeypatch)
    report, _ = submit_report(school)
    evidence_store(case=report.case, report=report, items=[inspect_image(png_upload())])
    wait_for(lambda: Evidence.objects.get().clean_status == CleanStatus.FAILED, 60)
    assert len(tries) == 4
    assert Evidence.objects.get().clean_error == "OSError: storage unreachable"


@pytest.mark.django_db
def test_a_picture_damaged_inside_fails_at_once_without_retries(
    school, head, client, eager_tasks, monkeypatch
):
    monkeypatch.setattr(tasks, "CLEAN_RETRY_SECONDS", 0)
    tries: list[int] = []
    real = evidence_module.evidence_clean

    def counted(evidence_id):
        tries.append(evidence_id)
        return real(evidence_id)

    monkeypatch.setattr(evidence_module, "evidence_clean", counted)
    png = bytearray(png_upload().read())
    start = png.find(b"IDAT") + 20
    png[start : start + 40] = b"\xff" * 40
    report, _ = submit_report(school)
    [row] = evidence_store(
        case=report.case, report=report, items=[inspect_image(upload(bytes(png)))]
    )
    assert len(tries) == 1
    assert row.clean_status == CleanStatus.FAILED
    assert row.clean_error.startswith("DamagedImage: the picture is damaged")
    assert "damaged and can" in case_page(client, head, row)


@pytest.mark.django_db
def test_the_case_page_can_ask_whether_a_picture_is_ready(
    school, head, other_head, client, broker_down
):
    row = stored_photo(school)
    page = case_page(client, head, row)
    assert f'data-status-url="/staff/evidence/{row.pk}/status/"' in page
    response = client.get(f"/staff/evidence/{row.pk}/status/")
    assert response.json() == {"status": "processing"}
    assert response["Cache-Control"] == "private, no-store"
    evidence_clean(row.pk)
    assert client.get(f"/staff/evidence/{row.pk}/status/").json() == {"status": "ready"}
    client.force_login(other_head)
    assert client.get(f"/staff/evidence/{row.pk}/status/").status_code == 404


@pytest.mark.django_db
def test_the_admin_lists_pictures_by_whether_their_copy_failed(school, admin_client, eager_tasks):
    row = stored_photo(school)
    Evidence.objects.filter(pk=row.pk).update(clean_status=CleanStatus.FAILED)
    page = admin_client.get("/admin/incidents/evidence/", {"clean_status__exact": "failed"})
    assert page.status_code == 200 and "Could not be prepared" in page.text
    empty = admin_client.get("/admin/incidents/evidence/", {"clean_status__exact": "ready"})
    assert "0 evidence" in empty.text


@pytest.mark.django_db
def test_a_storage_failure_midway_removes_what_was_already_stored(school, monkeypatch):
    storage = Evidence._meta.get_field("original").storage
    real, saved = storage.save, []

    def save(name, content, max_length=None):
        if saved:
            raise OSError("disk full")
        saved.append(real(name, content, max_length=max_length))
        return saved[-1]

    monkeypatch.setattr(storage, "save", save)
    report, _ = submit_report(school)
    shots = [inspect_image(png_upload(f"{n}.png")) for n in range(2)]
    with pytest.raises(EvidenceNotStored):
        evidence_store(case=report.case, report=report, items=shots)
    assert len(saved) == 1 and not storage.exists(saved[0])
    assert not Evidence.objects.exists()
