"""Screenshots streamed in once: sealed and scanned on the way, stored by a rename.

Django writes an upload over 2 MB to a temporary file; the report form then used to read each
file back, lower-case all of it for the markup scan, hash it and write it again into private
storage — four more passes over every byte of five 4 MB photos. `ScreenshotUploadHandler`
does the SHA-256 and the markup scan on each 1 MB chunk as it arrives (while it is still in
the CPU's cache) and writes it to a temporary file in a folder of the private storage itself,
so storing the original is a rename (`FileSystemStorage` moves a file that has a
`temporary_file_path`). With object storage the file is uploaded from the temporary file.

The hashing, scanning and writing run on helper threads of the worker process
(`BackgroundScan`), one chunk behind the parser: while the request's own thread waits for the
next bytes from the socket and finds the next boundary, the helpers seal, scan and write the
chunks before (hashlib, the write and Hyperscan release the GIL; with Python's re instead of
Hyperscan the scan holds it, ~20-30 ms for five 3 MB photos, and the parser waits meanwhile),
so on a machine with a second core the checks and the disk cost the parent little more than
the parse itself. Django's own handler writes each chunk in the request's thread.
`file_complete` waits for the helpers to finish the file, so nothing is decided on a partial
scan.

`inspect_image` uses the handler's result (`upload.scan`) when it has one, and scans the file
itself when not (a staff upload, a chat picture, a test's file): the checks are the same.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from schoolconduct.storage import private_storage

from .evidence import MAX_BYTES, Scan, Scanner

FIELD = "screenshots"
INCOMING = ".incoming"
CHUNK_SIZE = 1024 * 1024


def incoming_dir() -> str | None:
    """Where uploads are written while they stream in: FILE_UPLOAD_TEMP_DIR if set, else a
    folder inside the private storage when it is on local disk (the same filesystem, so a
    rename stores the file), else the system's temporary folder (None)."""
    if settings.FILE_UPLOAD_TEMP_DIR:
        return str(settings.FILE_UPLOAD_TEMP_DIR)
    storage = private_storage()
    if not isinstance(storage, FileSystemStorage):  # object storage: uploaded from /tmp
        return None
    folder = os.path.join(storage.location, INCOMING)
    mode = settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS or 0o750
    os.makedirs(folder, mode=mode, exist_ok=True)
    return folder


def incoming_sweep(older_than_minutes: int = 60) -> int:
    """Delete what a request left in the incoming folder: a worker killed mid-upload never
    closes (and so never deletes) its temporary files, and a parent's screenshots must not
    stay on disk with no report to account for them. Run by the evidence sweep."""
    storage = private_storage()
    if settings.FILE_UPLOAD_TEMP_DIR or not isinstance(storage, FileSystemStorage):
        return 0
    folder = os.path.join(storage.location, INCOMING)
    cutoff = time.time() - older_than_minutes * 60
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.remove(entry.path)
                removed += 1
        except FileNotFoundError:  # stored or closed meanwhile
            continue
    return removed


_executors: dict[str, ThreadPoolExecutor] = {}
_executors_pid = 0
_executors_lock = threading.Lock()


def _one_thread(name: str) -> ThreadPoolExecutor:
    """This process's one thread called `name`, started on first use (after gunicorn's fork: a
    thread does not survive a fork, so a process that finds its parent's threads starts its
    own). One thread runs what it is given in the order it was given, which each file's seal,
    scan and writes need; with threaded workers, requests take turns on it."""
    global _executors_pid
    with _executors_lock:
        if _executors_pid != os.getpid():
            _executors.clear()
            _executors_pid = os.getpid()
        if name not in _executors:
            _executors[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        return _executors[name]


class BackgroundScan:
    """An upload's seal (SHA-256), markup scan and, if given a `sink`, its write, each on a
    thread of its own (`SEAL`, `SCAN`, `WRITE`), fed a batch of chunks (BATCH bytes or more)
    at a time, in order. All three release the GIL for the bytes themselves (hashlib, the
    write, and Hyperscan where it is installed), so they go on side by side and beside the
    parser: on one thread, the seal and the scan together took longer than the parse of the
    same bytes (SHA-256 ≈ 19 ms and the scan ≈ 8 ms for five 4 MB photos here, against a
    parse of ≈ 20), which then waited for them.

    At most MAX_PENDING_BYTES wait for the threads: past that, `feed` waits for the oldest
    batch, so a slow thread or disk slows the upload rather than holding a whole file in
    memory twice. The sink is the writing thread's until `result()` returns: nothing else may
    touch it before."""

    BATCH = 256 * 1024
    MAX_PENDING_BYTES = 4 * 1024 * 1024
    SEAL, SCAN, WRITE = "upload-seal", "upload-scan", "upload-write"

    def __init__(self, sink: Any = None) -> None:
        self._scanner = Scanner()
        self._jobs: list[tuple[ThreadPoolExecutor, Callable[[list[bytes]], None]]] = [
            (_one_thread(self.SEAL), self._seal),
            (_one_thread(self.SCAN), self._scan),
        ]
        if sink is not None:
            self._jobs.append((_one_thread(self.WRITE), sink.writelines))
        self._pending: collections.deque[tuple[list[Future[None]], int]] = collections.deque()
        self._pending_bytes = 0
        self._batch: list[bytes] = []
        self._batched = 0

    def feed(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._batched += len(chunk)
        self._scanner.count(chunk)
        if self._batched >= self.BATCH:
            self._submit()

    def _submit(self) -> None:
        while self._pending and self._pending_bytes + self._batched > self.MAX_PENDING_BYTES:
            self._wait_oldest()
        batch, size, self._batch, self._batched = self._batch, self._batched, [], 0
        futures = [executor.submit(job, batch) for executor, job in self._jobs]
        self._pending.append((futures, size))
        self._pending_bytes += size

    def _wait_oldest(self) -> None:
        futures, size = self._pending.popleft()
        self._pending_bytes -= size
        for future in futures:  # all finished before any error is raised: no thread is
            future.exception()  # still busy with the file when the request moves on
        for future in futures:
            future.result()

    def _seal(self, batch: list[bytes]) -> None:
        for chunk in batch:
            self._scanner.seal(chunk)

    def _scan(self, batch: list[bytes]) -> None:
        for chunk in batch:
            self._scanner.look(chunk)

    def result(self) -> Scan:
        """The whole file's scan, once every chunk handed over has been sealed, scanned and
        written (an error on any thread, a full disk included, is raised here). It is what
        `evidence.scan` finds in the same bytes."""
        if self._batch:
            self._submit()
        while self._pending:
            self._wait_oldest()
        return self._scanner.result()


class ScannedUpload(TemporaryUploadedFile):
    """A temporary upload with what the handler found while it streamed in (`scan`)."""

    scan: Scan | None = None

    def __init__(self, name, content_type, size, charset, content_type_extra=None, *, folder):
        _, ext = os.path.splitext(name)
        # Closed (and so deleted, unless stored by a rename) with the request's other files.
        file = tempfile.NamedTemporaryFile(suffix=".upload" + ext, dir=folder)  # noqa: SIM115
        super(TemporaryUploadedFile, self).__init__(
            file, name, content_type, size, charset, content_type_extra
        )


class ScreenshotUploadHandler(FileUploadHandler):
    """Takes the `screenshots` field's files (other fields' files go to Django's handlers):
    each chunk is hashed, scanned for markup and written to disk as it arrives, on the helper
    threads (`BackgroundScan`); the file is the request's again once `file_complete` or
    `upload_interrupted` has waited for them. A file over
    MAX_BYTES is not kept beyond that (it is refused by its size anyway).

    Chunks of CHUNK_SIZE (1 MB, not Django's 64 KB; `screenshot_uploads` gives the other
    handlers the same, as the parser reads the smallest any handler asks for): five 4 MB photos
    are then about 20 reads, writes and scans each instead of 320, which took the parse of such
    a report from ≈ 61 to ≈ 44 ms here (256 KB: 53 ms; 4 MB: 53 ms)."""

    chunk_size = CHUNK_SIZE

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.active = field_name == FIELD
        if not self.active:
            return
        self.file = ScannedUpload(
            self.file_name,
            self.content_type,
            0,
            self.charset,
            self.content_type_extra,
            folder=incoming_dir(),
        )
        self.scanner = BackgroundScan(sink=self.file)
        self.kept = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if not self.active:
            return raw_data  # the next handler's
        room = MAX_BYTES + 1 - self.kept
        if room > 0:
            chunk = raw_data if len(raw_data) <= room else raw_data[:room]
            self.scanner.feed(chunk)  # sealed, scanned and written on the helper threads
            self.kept += len(chunk)
        return None

    def file_complete(self, file_size: int):
        if not self.active:
            return None
        self.file.scan = self.scanner.result()  # first: the thread writes until it returns
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        if getattr(self, "active", False) and hasattr(self, "file"):
            with contextlib.suppress(Exception):  # the upload is being dropped anyway
                self.scanner.result()  # let the thread finish with this file's chunks
            temp_location = self.file.temporary_file_path()
            try:
                self.file.close()
                os.remove(temp_location)
            except FileNotFoundError:
                pass


def screenshot_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view whose `screenshots` are read by ScreenshotUploadHandler.

    The handler must be in place before anything reads the body, and CsrfViewMiddleware reads
    it (for the token) before the view runs; so, as Django's documentation shows, the view is
    exempt from the middleware and checks the token itself (csrf_protect) after the handler
    is set: the same check, one step later."""
    protected = csrf_protect(view)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            handlers = [ScreenshotUploadHandler(request), *request.upload_handlers]
            for handler in handlers:  # the parser reads the smallest chunk any handler asks for
                handler.chunk_size = max(handler.chunk_size or 0, CHUNK_SIZE)
            request.upload_handlers = handlers
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapper)
