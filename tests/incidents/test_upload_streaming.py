"""The report form's screenshots are sealed and scanned while they stream in, and stored by a
rename (incidents.uploads): the same files refused, with the same messages, for less work."""

from __future__ import annotations

import hashlib
import io
import os
import random
import threading
from pathlib import Path

import pytest
from django.core.files.storage import filesystem
from django.test import Client
from PIL import Image

from incidents import evidence, uploads
from incidents.models import Evidence, Report
from incidents.uploads import INCOMING, ScreenshotUploadHandler, incoming_dir
from schoolconduct.storage import private_storage
from tests.factories import REPORT_URL, report_form_data
from tests.images import image_bytes, jpeg_with_gps_and_rotation, png_upload, upload

PATTERNS = [b"<script", b"JavaScript:", b"<SVG/", b"<img\t", b"<!doctype"]


def _left_in_incoming() -> list[str]:
    folder = Path(private_storage().location) / INCOMING
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("pattern", PATTERNS)
def test_markup_split_across_two_chunks_is_found(pattern):
    filler = b"\x00\x11" * evidence.SCAN_CHUNK
    for cut in range(1, len(pattern)):
        data = filler[: evidence.SCAN_CHUNK - cut] + pattern + filler[: evidence.SCAN_CHUNK]
        assert data[evidence.SCAN_CHUNK - cut : evidence.SCAN_CHUNK] == pattern[:cut]
        assert evidence.scan(data).markup, (pattern, cut)
    assert not evidence.scan(filler * 3).markup


@pytest.mark.parametrize("pattern", PATTERNS)
def test_markup_fed_in_tiny_chunks_is_found(pattern):
    """Chunks shorter than the overlap (the parser can hand over a few bytes at a time)."""
    scan = evidence.MarkupScan()
    data = b"\x00" * 20 + pattern + b"\x00" * 20
    for start in range(0, len(data), 3):
        scan.feed(data[start : start + 3])
    assert scan.found


def test_the_handler_hashes_and_scans_what_it_writes(rf):
    data = image_bytes("JPEG", size=(900, 900))
    handler = ScreenshotUploadHandler(rf.post("/"))
    handler.new_file("screenshots", "p.jpg", "image/jpeg", len(data))
    for start in range(0, len(data), 1000):  # chunks that do not line up with 64 KB
        assert handler.receive_data_chunk(data[start : start + 1000], start) is None
    upload = handler.file_complete(len(data))
    assert upload.scan == evidence.scan(data)
    assert upload.scan.sha256 == hashlib.sha256(data).hexdigest() and not upload.scan.markup
    assert os.path.dirname(upload.temporary_file_path()) == incoming_dir()
    assert upload.read() == data
    inspected = evidence.inspect_image(upload)
    assert inspected.original_sha256 == hashlib.sha256(data).hexdigest()
    upload.close()
    assert not os.path.exists(upload.temporary_file_path())


def test_the_handler_leaves_other_fields_files_to_django(rf):
    handler = ScreenshotUploadHandler(rf.post("/"))
    handler.new_file("export", "chat.zip", "application/zip", 10)
    assert handler.receive_data_chunk(b"0123456789", 0) == b"0123456789"
    assert handler.file_complete(10) is None


def test_the_handler_keeps_no_more_than_the_limit_and_the_size_refuses_it(rf):
    handler = ScreenshotUploadHandler(rf.post("/"))
    handler.new_file("screenshots", "huge.png", "image/png", None)
    chunk = b"\x00" * (1024 * 1024)
    for n in range(11):
        handler.receive_data_chunk(chunk, n * len(chunk))
    upload = handler.file_complete(11 * len(chunk))
    assert upload.size == 11 * len(chunk)
    assert os.path.getsize(upload.temporary_file_path()) == evidence.MAX_BYTES + 1
    with pytest.raises(evidence.ValidationError, match="larger than 10 MB"):
        evidence.inspect_image(upload)
    upload.close()


@pytest.mark.django_db
def test_the_stored_original_is_the_streamed_file_moved_not_copied(
    school, client, broker_down, monkeypatch
):
    moves = []
    real_move = filesystem.file_move_safe

    def spy(old, new, **kwargs):
        moves.append((os.stat(old).st_ino, os.path.dirname(old)))
        return real_move(old, new, **kwargs)

    monkeypatch.setattr(filesystem, "file_move_safe", spy)
    photo = jpeg_with_gps_and_rotation()
    data = report_form_data(school)
    data["screenshots"] = [upload(photo, "IMG_0001.JPG", "image/jpeg"), png_upload("chat.png")]
    assert client.post(REPORT_URL, data).status_code == 302
    rows = list(Evidence.objects.order_by("pk"))
    assert len(rows) == 2 and len(moves) == 2
    for row, (inode, folder) in zip(rows, moves, strict=True):
        assert folder == incoming_dir()
        assert os.stat(row.original.path).st_ino == inode  # renamed: the same file on disk
        with row.original.open("rb") as f:
            stored = f.read()
        assert hashlib.sha256(stored).hexdigest() == row.original_sha256
        assert row.original_size == len(stored)
        assert os.stat(row.original.path).st_mode & 0o777 == 0o640
    with rows[0].original.open("rb") as f:
        assert f.read() == photo
    assert _left_in_incoming() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.pdf", b"%PDF-1.4 not a picture", "is not a picture we can read"),
        ("cut.jpg", image_bytes("JPEG", size=(300, 300))[:-400], "is not a picture we can read"),
        ("evil.svg", b"<svg onload=alert(1)></svg>", "is a SVG or web page file"),
        ("big.png", b"\x89PNG" + b"\x00" * (10 * 1024 * 1024), "is larger than 10 MB"),
        (
            "poly.jpg",
            image_bytes("JPEG")[:2] + b"\xff\xfe\x00\x0a<script>" + image_bytes("JPEG")[2:],
            "contains hidden web content",
        ),
    ],
)
def test_a_refused_file_is_refused_in_the_request_keeping_what_was_typed(
    school, client, name, content, message
):
    data = report_form_data(school, reporter_name="Priya Shah")
    data["content"] = "He called the teacher useless in the class group."
    data["screenshots"] = [png_upload("good.png"), upload(content, name, "image/jpeg")]
    response = client.post(REPORT_URL, data)
    assert response.status_code == 200
    assert f"“{name}” {message}" in response.text
    assert 'value="Priya Shah"' in response.text
    assert "He called the teacher useless in the class group." in response.text
    assert not Report.objects.exists() and not Evidence.objects.exists()
    assert _left_in_incoming() == []


@pytest.mark.django_db
def test_the_report_form_still_checks_its_csrf_token(school):
    client = Client(enforce_csrf_checks=True)
    data = report_form_data(school)
    data["screenshots"] = [png_upload()]
    assert client.post(REPORT_URL, data).status_code == 403
    assert not Report.objects.exists()
    page = client.get(REPORT_URL)
    data["csrfmiddlewaretoken"] = page.context["csrf_token"]
    data["screenshots"] = [png_upload()]
    assert client.post(REPORT_URL, data).status_code == 302
    assert Evidence.objects.count() == 1


@pytest.mark.django_db
def test_the_follow_up_form_still_checks_its_csrf_token(school):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/follow-up/add/", {"body": "More", "screenshots": [png_upload()]})
    assert response.status_code == 403
    token = client.get("/follow-up/").context["csrf_token"]
    data = {"csrfmiddlewaretoken": token, "body": "More", "screenshots": [png_upload()]}
    assert client.post("/follow-up/add/", data).status_code == 302  # no session: signs in


# --- one message per report for the clean copies ---------------------------------------------


@pytest.mark.django_db
def test_a_reports_images_are_queued_as_one_message_fanned_out_by_the_worker(
    school, client, broker_down, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents import tasks
    from schoolconduct import tasks as queueing

    queued = []

    def enqueue(task, *args, fallback):
        queued.append((task, args))
        return True

    monkeypatch.setattr(queueing, "enqueue", enqueue)
    data = report_form_data(school)
    data["screenshots"] = [png_upload(f"s{i}.png") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(REPORT_URL, data).status_code == 302
    ids = list(Evidence.objects.order_by("pk").values_list("pk", flat=True))
    cleaning = [(task, args) for task, args in queued if "evidence" in task.name]
    assert cleaning == [(tasks.clean_evidence_each, (ids,))]

    queued.clear()
    assert tasks.clean_evidence_each.run(ids) == 3
    assert queued == [(tasks.clean_evidence, (pk,)) for pk in ids]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_every_clean_copy_of_a_report_with_several_photos(
    school, client, celery_worker_on_redis
):
    from tests.helpers import wait_for

    data = report_form_data(school)
    data["screenshots"] = [
        upload(jpeg_with_gps_and_rotation(), "IMG_0003.JPG", "image/jpeg"),
        png_upload("chat.png"),
    ]
    assert client.post(REPORT_URL, data).status_code == 302
    wait_for(lambda: not Evidence.objects.filter(clean_status="processing").exists(), 60)
    for row in Evidence.objects.all():
        assert row.clean_status == "ready", row.clean_error
        with row.clean.open("rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == row.clean_sha256


@pytest.mark.django_db
def test_the_sweep_deletes_what_an_interrupted_request_left_in_the_incoming_folder():
    from incidents import tasks

    folder = Path(incoming_dir())
    old, fresh = folder / "tmpold.upload.jpg", folder / "tmpfresh.upload.jpg"
    old.write_bytes(b"a parent's photo, its request killed")
    fresh.write_bytes(b"a photo still streaming in")
    two_hours_ago = old.stat().st_mtime - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    tasks.sweep_evidence.run()  # every 10 minutes (beat)
    assert not old.exists() and fresh.exists()
    fresh.unlink()


@pytest.mark.django_db
def test_a_photo_damaged_inside_passes_the_form_then_staff_see_processing_then_unreadable(
    school, head, client, broker_down, django_capture_on_commit_callbacks
):
    """Through the view and its upload handler: the cheap checks pass, the task's full decode
    fails, and staff see "Processing…" until then and the failure after, never a crash or the
    original."""
    from incidents import tasks
    from incidents.models import CleanStatus

    png = bytearray(image_bytes("PNG", size=(400, 400)))
    start = png.find(b"IDAT") + 20
    png[start : start + 40] = b"\xff" * 40  # the compressed pixels, not the container
    data = report_form_data(school)
    data["screenshots"] = [upload(bytes(png), "broken.png")]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(REPORT_URL, data).status_code == 302
    row = Evidence.objects.get()
    assert row.clean_status == CleanStatus.PROCESSING
    client.force_login(head)
    page = client.get(f"/staff/cases/{row.case.reference}/").text
    assert 'data-evidence-status="processing"' in page and "Processing…" in page

    assert tasks.clean_evidence.apply(args=[row.pk]).get() == "failed"  # what a worker runs
    row.refresh_from_db()
    assert row.clean_status == CleanStatus.FAILED and not row.clean
    page = client.get(f"/staff/cases/{row.case.reference}/").text
    assert 'data-evidence-status="failed"' in page and "Picture could not be prepared" in page
    assert "the picture is damaged and can" in page
    assert client.get(f"/staff/evidence/{row.pk}/").status_code == 404  # never the original


def test_the_any_case_patterns_refuse_what_lower_casing_first_refused():
    """The rule before this change: lower-case the bytes, then look for the tags and
    "javascript:". The [xX] patterns must agree on every string, not just the examples."""
    import random
    import re

    before = re.compile(
        rb"<(?:script|html|svg[\s/>]|iframe|object|embed|body|head|meta|link|style|img\s|\?php|"
        rb"!doctype)"
    )

    def refused_before(data: bytes) -> bool:
        lowered = data.lower()
        return b"javascript:" in lowered or before.search(lowered) is not None

    rng = random.Random(12)
    pieces = "< < < : script scrip java javascript svg sv img im html !doctype ?php iframe object"
    pieces += " embed body head meta link style a / > \t \n \x0b x 0"
    tokens = [*pieces.split(" "), " "]

    def mixed_case(word: str) -> str:
        return "".join(c.upper() if rng.random() < 0.3 else c for c in word)

    found = 0
    for _ in range(40_000):
        text = "".join(mixed_case(rng.choice(tokens)) for _ in range(rng.randint(1, 5)))
        data = text.encode("latin-1")
        assert evidence.scan(data).markup == refused_before(data), data
        found += refused_before(data)
    assert 2_000 < found < 38_000  # both answers were exercised


def test_the_background_scan_sees_every_chunk_in_order_and_markup_in_the_last_one():
    chunk = bytes(range(256)).replace(b"<", b"(").replace(b":", b";") * 256  # 64 KB, no markup
    data = chunk * 40 + b"...<ScRiPt>"
    background = uploads.BackgroundScan()
    for start in range(0, len(data), 7000):  # pieces that do not line up with its batches
        background.feed(data[start : start + 7000])
        assert background._pending_bytes <= uploads.BackgroundScan.MAX_PENDING_BYTES
        assert background._pending_bytes == sum(size for _, size in background._pending)
    assert background.result() == evidence.scan(data)
    assert background.result().markup


def test_an_error_on_the_scanning_thread_reaches_the_request(monkeypatch):
    def broken(self, chunk):
        raise MemoryError("no room")

    monkeypatch.setattr(evidence.MarkupScan, "feed", broken)
    background = uploads.BackgroundScan()
    background.feed(b"\x00" * 10)
    with pytest.raises(MemoryError, match="no room"):
        background.result()


def test_a_forked_worker_starts_its_own_helper_threads(monkeypatch):
    names = [uploads.BackgroundScan.SEAL, uploads.BackgroundScan.SCAN]
    parents = [uploads._one_thread(name) for name in names]
    assert [uploads._one_thread(name) for name in names] == parents
    monkeypatch.setattr(uploads.os, "getpid", lambda: -1)  # as a process forked from this one
    children = [uploads._one_thread(name) for name in names]
    assert not set(children) & set(parents)
    assert [child.submit(lambda: "ran").result(5) for child in children] == ["ran", "ran"]


def test_an_interrupted_upload_is_removed_even_if_its_scan_failed(rf, monkeypatch):
    def broken(self, chunk):
        raise MemoryError("no room")

    monkeypatch.setattr(evidence.MarkupScan, "feed", broken)
    handler = ScreenshotUploadHandler(rf.post("/"))
    handler.new_file("screenshots", "p.png", "image/png", 10)
    handler.receive_data_chunk(b"\x00" * 10, 0)
    path = handler.file.temporary_file_path()
    handler.upload_interrupted()  # the parent's connection dropped: no error of its own
    assert not os.path.exists(path)


def test_the_pending_scan_is_bounded_in_bytes_whatever_the_chunk_size(monkeypatch):
    started = threading.Event()
    release = threading.Event()
    real = evidence.MarkupScan.feed

    def slow(self, chunk):  # the scanning thread stuck on the first chunk until released
        started.set()
        release.wait(10)
        real(self, chunk)

    monkeypatch.setattr(evidence.MarkupScan, "feed", slow)
    background = uploads.BackgroundScan()
    chunk = b"\x00" * uploads.CHUNK_SIZE
    fed = []

    def feed_all():
        for _ in range(12):
            background.feed(chunk)
            fed.append(background._pending_bytes)

    feeder = threading.Thread(target=feed_all)
    feeder.start()
    assert started.wait(5)
    feeder.join(0.5)  # blocked: the thread holds no more than the limit
    assert feeder.is_alive()
    assert max(fed) <= uploads.BackgroundScan.MAX_PENDING_BYTES
    release.set()
    feeder.join(10)
    assert background.result().size == 12 * uploads.CHUNK_SIZE


@pytest.mark.django_db
def test_the_report_form_reads_uploads_in_one_megabyte_chunks(client, school, monkeypatch):
    """Django's parser reads the smallest chunk any handler asks for (64 KB by default): the
    report form's handlers all ask for CHUNK_SIZE, so a photo arrives in 1 MB pieces."""
    sizes = []
    real = ScreenshotUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        sizes.append(len(raw_data))
        return real(self, raw_data, start)

    monkeypatch.setattr(ScreenshotUploadHandler, "receive_data_chunk", spy)
    noise = Image.frombytes("RGB", (1600, 1200), random.Random(7).randbytes(1600 * 1200 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    photo = out.getvalue()
    assert len(photo) > 2 * uploads.CHUNK_SIZE
    data = report_form_data(school, screenshots=[upload(photo, "big.jpg", "image/jpeg")])
    assert client.post(REPORT_URL, data).status_code == 302
    assert uploads.CHUNK_SIZE == 1024 * 1024
    assert sum(sizes) == len(photo)
    # The first read also holds the form's fields: its file part is a little short.
    assert max(sizes) == uploads.CHUNK_SIZE and len(sizes) <= len(photo) // uploads.CHUNK_SIZE + 2


def test_the_seal_the_scan_and_the_write_each_run_on_a_helper_thread_of_their_own(monkeypatch):
    """Beside the parser and beside one another: no two of them on one thread, none on the
    request's, and the file written whole and in order."""
    seen: dict[str, set[str]] = {"seal": set(), "scan": set(), "write": set()}
    real_seal, real_scan = uploads.BackgroundScan._seal, uploads.BackgroundScan._scan

    def seal(self, batch):
        seen["seal"].add(threading.current_thread().name)
        real_seal(self, batch)

    def scan(self, batch):
        seen["scan"].add(threading.current_thread().name)
        real_scan(self, batch)

    class Sink(io.BytesIO):
        def writelines(self, lines):
            seen["write"].add(threading.current_thread().name)
            super().writelines(lines)

    monkeypatch.setattr(uploads.BackgroundScan, "_seal", seal)
    monkeypatch.setattr(uploads.BackgroundScan, "_scan", scan)
    data = random.Random(3).randbytes(3 * uploads.CHUNK_SIZE + 12345) + b"<svg\x0bonload"
    sink = Sink()
    background = uploads.BackgroundScan(sink=sink)
    for start in range(0, len(data), 100_000):
        background.feed(data[start : start + 100_000])
    assert background.result() == evidence.scan(data)
    assert background.result().markup
    assert sink.getvalue() == data
    threads = [next(iter(names)) for names in seen.values()]
    assert all(len(names) == 1 for names in seen.values()), seen
    assert len(set(threads)) == 3 and threading.current_thread().name not in threads
    assert threads == [
        f"{uploads.BackgroundScan.SEAL}_0",
        f"{uploads.BackgroundScan.SCAN}_0",
        f"{uploads.BackgroundScan.WRITE}_0",
    ]


def test_a_full_disk_reaches_the_request_after_every_helper_has_let_go_of_the_file(monkeypatch):
    """The write fails (no space left): the parent's POST fails with it rather than storing a
    short file, and the seal and scan have finished before the request hears of it."""
    finished = []
    real_seal = uploads.BackgroundScan._seal

    def slow_seal(self, batch):
        threading.Event().wait(0.2)
        real_seal(self, batch)
        finished.append(len(batch))

    class FullDisk(io.BytesIO):
        def writelines(self, lines):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(uploads.BackgroundScan, "_seal", slow_seal)
    background = uploads.BackgroundScan(sink=FullDisk())
    background.feed(b"\x00" * uploads.CHUNK_SIZE)
    with pytest.raises(OSError, match="No space left"):
        background.result()
    assert finished == [1]  # the seal of that batch had finished when the error was raised
