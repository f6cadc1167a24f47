"""CSV of the case list: small lists stream inline; large ones are built by a task (real
worker here) for the member of staff who asked, shown with progress and a download link."""

from __future__ import annotations

import csv
import datetime
import io
import time

import pytest
from django.utils import timezone

from incidents import exports, workflow
from incidents.models import AccessLog, CaseExport
from tests.factories import submit_report


def make_cases(school, n: int) -> None:
    for i in range(n):
        submit_report(school, reporter_name=f"Reporter {i}", reporter_email=f"r{i}@example.org")


@pytest.mark.django_db
def test_exactly_the_inline_limit_streams_and_one_more_is_queued(
    client, school, head, monkeypatch, eager_tasks
):
    monkeypatch.setattr(exports, "INLINE_MAX_ROWS", 3)
    make_cases(school, 3)
    client.force_login(head)
    response = client.get("/staff/cases/export.csv")
    assert response.status_code == 200 and response.streaming
    assert len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))) == 4
    make_cases(school, 1)
    response = client.get("/staff/cases/export.csv")
    export = CaseExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/exports/{export.pk}/"


@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_built_by_the_worker_and_downloaded_by_its_owner_only(
    client, school, head, slt, monkeypatch, request
):
    monkeypatch.setattr(exports, "INLINE_MAX_ROWS", 2)
    make_cases(school, 4)
    evil, _ = submit_report(school, reporter_name="Priya Shah")
    workflow.case_close(
        evil.case, head, outcome='=HYPERLINK("http://evil.example","x")', rationale="x"
    )
    request.getfixturevalue("celery_worker_on_redis")  # after the data, as the suite does
    client.force_login(head)
    response = client.get("/staff/cases/export.csv?status=new&status=closed")
    assert response.status_code == 302
    export = CaseExport.objects.get()
    status_page = response["Location"]
    deadline = timezone.now() + datetime.timedelta(seconds=30)
    while timezone.now() < deadline:
        export.refresh_from_db()
        if export.status == CaseExport.Status.READY:  # a failed try is retried by the task
            break
        time.sleep(0.2)
    assert export.status == CaseExport.Status.READY, export.error
    page = client.get(status_page).text
    assert "Ready: 5 cases" in page and "Download the CSV" in page
    download = client.get(f"/staff/exports/{export.pk}/download/")
    assert download["Cache-Control"] == "private, no-store"
    body = b"".join(download.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == exports.HEADER and len(rows) == 6
    assert "Priya" not in body and "@example.org" not in body
    closed = next(r for r in rows if r[0] == evil.case.reference)
    column = dict(zip(rows[0], closed, strict=True))
    assert column["Outcome"].startswith("'=HYPERLINK")
    assert column["Where it happened"] == "A post in a group"
    assert column["Opened"] == evil.case.opened_at.astimezone(datetime.UTC).strftime(
        "%Y-%m-%d %H:%M"
    )
    # Someone else of the same school gets nothing, not even the status page.
    client.force_login(slt)
    assert client.get(status_page).status_code == 404
    assert client.get(f"/staff/exports/{export.pk}/download/").status_code == 404
    logged = AccessLog.objects.filter(user=head, action=AccessLog.Action.EXPORT)
    assert {e.detail.split(":")[0] for e in logged} >= {
        f"queued export {export.pk}",
        f"downloaded export {export.pk}",
    }


@pytest.mark.django_db
def test_the_status_page_shows_progress_and_a_way_to_check_again(client, school, head):
    export = CaseExport.objects.create(
        user=head, status=CaseExport.Status.RUNNING, rows_total=200, rows_done=50
    )
    client.force_login(head)
    page = client.get(f"/staff/exports/{export.pk}/").text
    assert "50 of 200 cases" in page and 'value="25"' in page
    assert f'href="/staff/exports/{export.pk}/">Check again' in page
    assert 'http-equiv="refresh"' not in page  # no reload a screen reader would lose its place in
    assert client.get(f"/staff/exports/{export.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_a_failed_build_says_so_and_can_be_built_again(school, head, monkeypatch):
    make_cases(school, 2)
    export = CaseExport.objects.create(user=head)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_chunks", broken)
    with pytest.raises(OSError):
        exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == CaseExport.Status.FAILED and "disk full" in export.error
    monkeypatch.undo()
    assert exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == CaseExport.Status.READY and export.rows_total == 2
    assert not exports.export_build(export_id=export.pk)  # a second run does nothing


@pytest.mark.django_db
def test_a_stuck_export_is_queued_again_when_looked_at(client, school, head, eager_tasks):
    make_cases(school, 1)
    export = CaseExport.objects.create(user=head)
    CaseExport.objects.filter(pk=export.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=exports.REQUEUE_AFTER + 1)
    )
    client.force_login(head)
    client.get(f"/staff/exports/{export.pk}/")
    export.refresh_from_db()
    assert export.status == CaseExport.Status.READY


@pytest.mark.django_db
def test_the_export_follows_the_list_access_rule(school, other_school, head, other_head):
    make_cases(school, 2)
    make_cases(other_school, 3)
    export = CaseExport.objects.create(user=other_head)
    exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.rows_total == 3
    text = export.file.open("rb").read().decode()
    assert all(
        row[0].startswith(other_school.reference_prefix)
        for row in list(csv.reader(io.StringIO(text)))[1:]
    )


@pytest.mark.django_db
def test_a_built_export_is_not_downloaded_once_its_owner_no_longer_sees_its_schools(
    client, school, head
):
    from schools.models import Membership

    make_cases(school, 2)
    export = CaseExport.objects.create(user=head)
    exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.school_ids == [school.pk]
    client.force_login(head)
    assert client.get(f"/staff/exports/{export.pk}/download/").status_code == 200
    # Head teacher of another school now (kept a case role, so the page itself still opens).
    other = school.__class__.objects.create(
        name="Next School", slug="next", reference_prefix="NXT", trust=school.trust
    )
    Membership.objects.filter(user=head, school=school).update(school=other)
    assert client.get(f"/staff/exports/{export.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_exports_are_deleted_a_day_after_they_were_asked_for(school, head):
    make_cases(school, 1)
    kept, gone = (CaseExport.objects.create(user=head) for _ in range(2))
    for export in (kept, gone):
        exports.export_build(export_id=export.pk)
    now = timezone.now()
    day = datetime.timedelta(hours=exports.KEEP_HOURS)
    CaseExport.objects.filter(pk=kept.pk).update(created_at=now - day)  # exactly a day: kept
    CaseExport.objects.filter(pk=gone.pk).update(
        created_at=now - day - datetime.timedelta(seconds=1)
    )
    gone.refresh_from_db()
    storage, name = gone.file.storage, gone.file.name
    assert storage.exists(name)
    assert exports.exports_sweep(now=now) == 1
    assert list(CaseExport.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not storage.exists(name)
