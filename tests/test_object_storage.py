"""With STORAGE_S3_BUCKET every file goes to S3-compatible object storage (here moto's server,
started by the tests) and comes back only through the permission-checked views: evidence, OCR,
filed letters, print batches, governors' reports, the letterhead crest, disposal and the chat
upload sweep all work through the storage API, and nothing lands in a local folder."""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from incidents.models import CleanStatus, Evidence, OcrStatus
from letters import services as letters
from letters.models import LetterStatus
from tests.factories import (
    LETTER_DETAILS,
    REPORT_URL,
    PersonFactory,
    report_form_data,
    triaged_case,
)
from tests.helpers import require_service
from tests.images import image_bytes, jpeg_with_gps_and_rotation, upload

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def local_roots(settings, tmp_path):
    """Fresh local folders: anything written by path instead of through storage shows here."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    yield tmp_path
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


@pytest.mark.django_db
def test_a_report_with_a_photo_is_stored_in_the_bucket_and_streamed_back(
    client, school, head, trust_exec, s3_storage, local_roots, eager_tasks
):
    photo = jpeg_with_gps_and_rotation()
    data = report_form_data(school)
    data["screenshots"] = [upload(photo, "IMG_0001.JPG", "image/jpeg")]
    assert client.post(REPORT_URL, data).status_code == 302
    row = Evidence.objects.get()
    assert row.clean_status == CleanStatus.READY
    original, clean = f"private/{row.original.name}", f"private/{row.clean.name}"
    assert s3_storage.keys("private/evidence/") == sorted([original, clean])
    assert s3_storage.read(original) == photo
    assert s3_storage.is_private(original) and s3_storage.is_private(clean)
    with pytest.raises(ValueError, match="no URL"):
        _ = row.original.url

    client.force_login(head)
    shown = client.get(f"/staff/evidence/{row.pk}/")
    assert shown.status_code == 200 and shown["Cache-Control"] == "private, no-store"
    assert b"".join(shown.streaming_content) == s3_storage.read(clean)
    sealed = client.get(f"/staff/evidence/{row.pk}/original/")
    assert b"".join(sealed.streaming_content) == photo
    client.force_login(trust_exec)  # sees the clean copy only, from the bucket as from disk
    assert client.get(f"/staff/evidence/{row.pk}/original/").status_code == 404


@pytest.mark.django_db
def test_ocr_reads_a_screenshot_from_the_bucket(school, s3_storage, local_roots):
    import shutil

    from incidents import ocr
    from incidents.evidence import evidence_clean, evidence_store, inspect_image
    from tests.factories import submit_report
    from tests.images import text_screenshot

    require_service("Tesseract", bool(shutil.which("tesseract")), "apt-get install tesseract-ocr")
    report, _ = submit_report(school)
    shot = inspect_image(upload(text_screenshot(["Quizzical hedgehog"]), "s.png"))
    [row] = evidence_store(case=report.case, report=report, items=[shot])
    evidence_clean(row.pk)
    assert ocr.evidence_ocr(row.pk) == OcrStatus.DONE
    assert "hedgehog" in Evidence.objects.get(pk=row.pk).ocr_text.lower()


@pytest.mark.django_db
def test_letters_and_print_batches_are_filed_in_the_bucket(
    client, school, head, office, s3_storage, local_roots
):
    crest = upload(image_bytes("PNG", size=(120, 120)), "crest.png")
    letters.school_letter_settings_save(school=school, actor=head, target_days=5, logo=crest)
    school.refresh_from_db()
    assert s3_storage.keys("media/logos/") == [f"media/{school.logo.name}"]
    parent = PersonFactory(school=school, full_name="Mr Jason Turner", address="1 Lane")
    case = triaged_case(school, head, person=parent)
    letter = letters.letter_draft(
        case=case,
        kind="reminder",
        actor=head,
        details=LETTER_DETAILS,
        delivery_method="post",
        person=parent,
    )
    letters.letter_approve(letter=letter, actor=head)
    assert letters.letter_render(letter_id=letter.pk)  # draws the crest, read from the bucket
    letter.refresh_from_db()
    assert letter.status == LetterStatus.READY
    assert s3_storage.keys("private/letters/") == [f"private/{letter.pdf.name}"]
    client.force_login(head)
    download = client.get(reverse("letters:pdf", args=[letter.pk]))
    assert download.status_code == 200
    assert "Mr Jason Turner" in pdf_text(download.content)

    (batch,) = letters.batch_create(school=school, letters=[letter], actor=office)
    assert letters.batch_assemble(batch_id=batch.pk)  # merges the filed PDFs, from the bucket
    batch.refresh_from_db()
    assert s3_storage.keys("private/batches/") == [f"private/{batch.pdf.name}"]
    assert "Mr Jason Turner" in pdf_text(s3_storage.read(f"private/{batch.pdf.name}"))


@pytest.mark.django_db
def test_a_governors_report_is_filed_in_the_bucket_and_downloaded(
    client, school, head, s3_storage, local_roots
):
    from oversight.governors import governors_report_build, governors_report_request
    from oversight.periods import Period

    term = Period("Autumn term 2026", datetime.date(2026, 9, 3), datetime.date(2026, 12, 18))
    report = governors_report_request(schools=[school], term=term, actor=head)
    assert governors_report_build(report.pk)  # the task's body, here
    report.refresh_from_db()
    assert s3_storage.keys("private/governors/") == [f"private/{report.pdf.name}"]
    client.force_login(head)
    download = client.get(reverse("oversight:governors-download", args=[report.pk]))
    assert "Autumn term 2026" in pdf_text(b"".join(download.streaming_content))


@pytest.mark.django_db
def test_disposal_deletes_the_objects_from_the_bucket(
    school,
    head,
    s3_storage,
    local_roots,
    eager_tasks,
    time_machine,
    django_capture_on_commit_callbacks,
):
    from incidents import workflow
    from incidents.evidence import inspect_image
    from records import services as records
    from records.models import DisposalProposal
    from tests.images import png_upload

    time_machine.move_to(datetime.datetime(2020, 2, 20, 10, tzinfo=datetime.UTC))
    shot = inspect_image(png_upload())
    case = triaged_case(school, head, report_kwargs={"images": [shot]})
    time_machine.move_to(datetime.datetime(2020, 3, 2, 10, tzinfo=datetime.UTC))
    workflow.case_close(case, head, outcome="Resolved", rationale="Post removed")
    assert len(s3_storage.keys("private/evidence/")) == 2  # the original and the clean copy
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC))
    records.proposals_make(today=datetime.date(2026, 3, 2))
    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        log = records.dispose(DisposalProposal.objects.get(case=case), actor=head)
    assert log.files_removed == 2
    assert s3_storage.keys("private/evidence/") == []


@pytest.mark.django_db
def test_abandoned_chat_uploads_are_swept_from_the_bucket(s3_storage, local_roots, time_machine):
    from django.core.files.base import ContentFile

    from incidents import chat
    from schoolconduct.storage import private_storage

    time_machine.move_to(datetime.datetime(2026, 11, 24, 9, tzinfo=datetime.UTC), tick=False)
    private_storage().save(f"{chat.UPLOAD_DIR}/abc123/messages.json", ContentFile(b"[]"))
    assert chat.chat_sweep() == 0
    time_machine.move_to(datetime.datetime(2026, 11, 24, 11, tzinfo=datetime.UTC), tick=False)
    assert chat.chat_sweep() == 1
    assert s3_storage.keys(f"private/{chat.UPLOAD_DIR}/") == []


def test_the_environment_switches_storage_to_the_bucket():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({k: s.STORAGES[k] for k in ('default', 'private')}, default=str))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "schoolconduct.settings",
        "SCHOOLCONDUCT_ENV": "development",
        "STORAGE_S3_BUCKET": "trust-files",
        "STORAGE_S3_ENDPOINT_URL": "http://minio:9000",
        "STORAGE_S3_PREFIX": "/schoolconduct/",
        "STORAGE_S3_ADDRESSING_STYLE": "path",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    stores = json.loads(result.stdout.strip().splitlines()[-1])
    private = stores["private"]
    assert private["BACKEND"] == "schoolconduct.storage.PrivateS3Storage"
    assert private["OPTIONS"]["bucket_name"] == "trust-files"
    assert private["OPTIONS"]["location"] == "schoolconduct/private"
    assert private["OPTIONS"]["default_acl"] == "private"
    assert private["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    assert stores["default"]["OPTIONS"]["location"] == "schoolconduct/media"
    assert stores["default"]["OPTIONS"]["default_acl"] == "private"
    env.pop("STORAGE_S3_BUCKET")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    stores = json.loads(result.stdout.strip().splitlines()[-1])
    assert stores["private"]["BACKEND"] == "schoolconduct.storage.PrivateFileSystemStorage"


APPS = ["incidents", "letters", "measures", "oversight", "records", "schools", "security"]
APPS += ["staffauth", "schoolconduct"]
# Ways of reaching a stored file by a local path instead of through the storage API.
BY_PATH = re.compile(
    r"settings\.(?:PRIVATE_)?MEDIA_ROOT|\.path\(|\b(?:pdf|original|clean|logo|image|file)\.path\b"
    r"|open\(\s*(?:settings|os\.path|Path)"
)


def test_no_application_code_opens_a_stored_file_by_its_local_path():
    found = []
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            if "migrations" in source.parts or source.name.startswith("settings"):
                continue
            for number, line in enumerate(source.read_text().splitlines(), 1):
                if BY_PATH.search(line):
                    found.append(f"{source.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.django_db
def test_when_the_bucket_is_unreachable_the_parent_is_asked_to_try_again(
    client, school, s3_storage, local_roots, eager_tasks
):
    from incidents.models import Report

    s3_storage.client.delete_bucket(Bucket=s3_storage.name)  # the store refuses every file
    data = report_form_data(school, content="They wrote that the head is a liar.")
    data["screenshots"] = [upload(image_bytes("PNG"), "one.png"), upload(image_bytes("PNG"))]
    response = client.post(REPORT_URL, data)
    assert response.status_code == 200
    assert "We couldn&#x27;t store your screenshots just now" in response.text
    assert "They wrote that the head is a liar." in response.text  # what they typed is kept
    assert not Report.objects.exists() and not Evidence.objects.exists()


@pytest.mark.django_db
def test_a_follow_up_screenshot_the_bucket_refuses_is_not_lost_silently(
    client, school, s3_storage, local_roots, eager_tasks
):
    from incidents.models import Message
    from tests.factories import submit_report

    report, code = submit_report(school)
    client.post("/follow-up/", {"reference": report.reference, "code": code})
    s3_storage.client.delete_bucket(Bucket=s3_storage.name)
    response = client.post(
        "/follow-up/add/", {"body": "Posted again today.", "screenshots": [upload(image_bytes())]}
    )
    assert response.status_code == 200
    assert "We couldn&#x27;t store your screenshots just now" in response.text
    assert "Posted again today." in response.text
    assert not Message.objects.exists()
