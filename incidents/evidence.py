"""Screenshots from the public: inspect, seal, clean.

Everything a parent uploads is hostile until proven otherwise. An upload is accepted only if
Pillow reads it as a JPEG, PNG or WebP within a pixel limit, its container ends where it should
and nothing in it looks like markup (SVG, HTML, script — a "polyglot" that is both an image and
a web page). The original is kept byte for byte, sealed with its SHA-256, for SLT/DSL only; what
every page shows is a clean copy re-encoded from the decoded pixels: upright, no EXIF or GPS,
nothing appended.

The checks that refuse a file run in the parent's request (`inspect_image`) from the bytes and
headers alone: size, type, pixel count (decompression bombs), markup and the container's end (a
file cut short). The bytes are read once, 64 KB at a time, for the seal and the markup scan
(`Scanner`; on the parent's forms, helper threads while the upload streams in, see
incidents.uploads) — and the original is stored from its upload (a rename of the temporary
file on local disk). Decoding and re-encoding take a fifth of a second or more per photo, so
they run afterwards in a task (`incidents.tasks.clean_evidence`, queued when the report
commits): until it has, the evidence is "processing" and staff see that instead of a
picture; then the OCR task reads the clean copy. A task that fails is retried, and a last
failure (or a picture damaged inside, found by the full decode) is shown to staff with a
button to try again.

The markup scan has two engines built from the same patterns, with the same answers: Hyperscan
(PyPI "hyperscan", installed on Linux x86-64, where its wheels are) when it imports, else
Python's re. Hyperscan is ~3x faster, and above all it releases the GIL while it scans: the
scan runs on a helper thread beside Django's multipart parser (incidents.uploads), and re,
which holds the GIL, made the parser wait for it and lengthened the parent's upload.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import mmap
import os
import re
import threading
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

try:
    import hyperscan
except ImportError:  # not installed: requirements.txt installs it on Linux x86-64 only
    hyperscan = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# 40 megapixels: a very long phone screenshot of a chat is ~25 MP. Pillow itself only fails at
# twice its limit, so we check the size before decoding and treat its warning as an error too.
MAX_PIXELS = 40_000_000
ACCEPT = "image/jpeg,image/png,image/webp"

_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
# Markup that has no business inside a photo or screenshot. Each pattern is five or more
# specific bytes, so compressed pixel data matches one by chance about once in 10^4 large files
# at worst; a three-byte pattern such as "<a " would refuse genuine photos. Both engines below
# are built from these lists (and the test suite checks that they agree byte for byte).
_MARKUP_TAGS = ["script", "html", "iframe", "object", "embed", "body", "head", "meta", "link"]
_MARKUP_TAGS += ["style", "?php", "!doctype"]
_MARKUP_TAGS_SPACED = {"svg": r"[\s/>]", "img": r"\s"}  # "<svg" or "<img" then one of these
_JAVASCRIPT = "javascript:"


def _any_case(word: str) -> str:
    """Each ASCII letter as [xX]: re.IGNORECASE folds every byte the engine looks at, which
    took ~100 ms of a 4 MB photo, and lower-casing the file first is a whole pass over it."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


# Python's re: both start with a literal byte ("<", ":"), which the engine finds fast; the
# look-ahead turns away, in one test, a "<" that starts none of the tags (most of the 1 in 256
# bytes that are).
_FIRST = sorted({tag[0] for tag in [*_MARKUP_TAGS, *_MARKUP_TAGS_SPACED]})  # ! ? b e h i …
_TAG_RE = re.compile(
    (
        f"<(?=[{''.join(re.escape(c.lower() + c.upper()) for c in _FIRST)}])(?:"
        + "|".join(
            [_any_case(tag) for tag in _MARKUP_TAGS]
            + [_any_case(tag) + after for tag, after in _MARKUP_TAGS_SPACED.items()]
        )
        + ")"
    ).encode()
)
_JAVASCRIPT_RE = re.compile(f":(?<={_any_case(_JAVASCRIPT)})".encode())

# Hyperscan (Intel's regex engine, PyPI "hyperscan", wheels for Linux x86-64 only): the same
# patterns as plain alternatives (it has no look-arounds), matched in any ASCII case by the
# engine itself. Its \s is Python's: space, \t, \n, \r, \x0b, \x0c.
_HS_EXPRESSIONS = [
    *(f"<{re.escape(tag)}".encode() for tag in _MARKUP_TAGS),
    *(f"<{re.escape(tag)}{after}".encode() for tag, after in _MARKUP_TAGS_SPACED.items()),
    re.escape(_JAVASCRIPT).encode(),
]


# The longest pattern above ("javascript:") is 11 bytes: a match across two chunks lies within
# the last 10 bytes of one and the first 10 of the next.
_OVERLAP = 10
SCAN_CHUNK = 64 * 1024


def _has_markup_re(data: bytes) -> bool:
    """Markup in any mix of upper and lower case (ASCII) anywhere in `data`, found by Python's
    re (where Hyperscan is not installed). It holds the GIL while it searches: ~20-30 ms for
    15 MB here, during which the request's own thread (Django's multipart parser) waits."""
    return _TAG_RE.search(data) is not None or _JAVASCRIPT_RE.search(data) is not None


_hs_database: hyperscan.Database | None = None
_hs_lock = threading.Lock()
_hs_local = threading.local()  # this thread's scratch space (Hyperscan's is per thread)


def _hs_after_fork() -> None:
    """A lock held by another thread at a fork stays held in the child: start afresh. The
    compiled database is plain memory, read only, and works in the child as it is."""
    global _hs_lock
    _hs_lock = threading.Lock()


os.register_at_fork(after_in_child=_hs_after_fork)


def _hs_compiled() -> hyperscan.Database:
    """This process's one database, compiled on first use (~1 ms)."""
    global _hs_database
    with _hs_lock:
        if _hs_database is None:
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            database.compile(
                expressions=_HS_EXPRESSIONS,
                ids=list(range(len(_HS_EXPRESSIONS))),
                elements=len(_HS_EXPRESSIONS),
                flags=hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH,
            )
            _hs_database = database
        return _hs_database


def _hs_stop(*_: object) -> bool:
    """A match: stop the scan there (Hyperscan then raises ScanTerminated)."""
    return True


def _has_markup_hs(data: bytes) -> bool:
    """What `_has_markup_re` finds, found by Hyperscan in block mode: ~8-10 ms for 15 MB here,
    with the GIL released while it scans, so the request's thread parses the upload meanwhile.
    A match calls back into Python once (with the GIL) and stops the scan."""
    database = _hs_database
    if database is None:
        database = _hs_compiled()
    if getattr(_hs_local, "database", None) is not database:
        # Scratch is allocated for one database, once per thread: two threads scanning with
        # one scratch at once is an error in Hyperscan. The binding's Scratch does not keep
        # its database alive (a borrowed reference), so the thread keeps both.
        _hs_local.scratch = hyperscan.Scratch(database)
        _hs_local.database = database
    scratch = _hs_local.scratch
    try:
        database.scan(data, match_event_handler=_hs_stop, scratch=scratch)
    except hyperscan.ScanTerminated:
        return True
    return False


# Markup in any mix of upper and lower case (ASCII) anywhere in `data`: the fast engine when
# there is one (tests set this to either to check both).
_has_markup = _has_markup_re if hyperscan is None else _has_markup_hs


class MarkupScan:
    """The markup check fed chunk by chunk (as an upload streams in, while each chunk is still
    in the CPU's cache): finds exactly what `_has_markup` finds on the whole file, including a
    pattern split across two chunks."""

    def __init__(self) -> None:
        self.found = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.found or not chunk:
            return
        head = chunk[:_OVERLAP]
        # A pattern split between the previous chunk and this one, then this chunk itself.
        self.found = bool(self._tail and _has_markup(self._tail + head)) or _has_markup(chunk)
        self._tail = chunk[-_OVERLAP:] if len(chunk) >= _OVERLAP else self._tail + head
        self._tail = self._tail[-_OVERLAP:]


UNREADABLE = "“{name}” is not a picture we can read. Please send a JPEG, PNG or WebP screenshot."
WRONG_TYPE = (
    "“{name}” is a {kind} file. Please send screenshots as JPEG, PNG or WebP images "
    "(SVG, HTML, PDF and other files can't be accepted)."
)
TOO_BIG = "“{name}” is larger than 10 MB. Please send a smaller screenshot."
TOO_MANY_PIXELS = "“{name}” is too large an image to process. Please send an ordinary screenshot."
MARKUP = (
    "“{name}” contains hidden web content as well as a picture, so it can't be accepted. "
    "Please take a fresh screenshot and send that instead."
)
TOO_MANY = "You can attach up to 5 screenshots."


@dataclass(frozen=True)
class InspectedImage:
    """A checked, accepted upload: the file as sent (stored as it is, by a move when it is a
    temporary file on the same disk), its seal and its size from the header (the clean copy
    comes later, from the task)."""

    original_name: str
    upload: File
    original_size: int
    original_sha256: str
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def original(self) -> bytes:
        """The bytes as sent (read from the upload: for a crest decoded in the request)."""
        self.upload.seek(0)
        return self.upload.read()


@dataclass(frozen=True)
class CleanCopy:
    """An image re-encoded from its pixels alone: upright, no metadata, nothing appended."""

    data: bytes
    sha256: str
    width: int
    height: int


def _display_name(name: str) -> str:
    name = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:80]


def inspect_image(upload: UploadedFile) -> InspectedImage:
    """Check one upload, or raise ValidationError with a message a parent understands.

    Reads the file once, in 64 KB chunks, for its SHA-256 and the markup scan, unless the
    upload handler already did both while it streamed in (incidents.uploads); the header and
    the container's end are read in place (a memory map of a temporary file), never decoded."""
    name = _display_name(upload.name or "")
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(TOO_BIG.format(name=name), code="too_big")
    with _contents(upload) as data:
        if len(data) > MAX_BYTES:
            raise ValidationError(TOO_BIG.format(name=name), code="too_big")
        if not len(data):
            raise ValidationError(UNREADABLE.format(name=name), code="unreadable")
        head = bytes(data[:512]).lstrip().lower()
        if head.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html")):
            raise ValidationError(
                WRONG_TYPE.format(name=name, kind="SVG or web page"), code="wrong_type"
            )
        scanned = getattr(upload, "scan", None)
        if scanned is None or scanned.size != len(data):
            scanned = scan(data)
        if scanned.markup:
            raise ValidationError(MARKUP.format(name=name), code="polyglot")
        fmt, width, height = _probe(data, name)
        content_type, extension = _FORMATS[fmt]
        return InspectedImage(
            original_name=name,
            upload=upload,
            original_size=len(data),
            original_sha256=scanned.sha256,
            content_type=content_type,
            extension=extension,
            width=width,
            height=height,
        )


@dataclass(frozen=True)
class Scan:
    """What one pass over a file's bytes found: its SHA-256, and whether markup is hidden in
    it. Made while an upload streams in (incidents.uploads) or by `scan`."""

    size: int
    sha256: str
    markup: bool


class Scanner:
    """SHA-256 and the markup check, fed chunk by chunk. `feed` does all of it; its three
    parts (`count`, `seal`, `look`) may each be fed from a thread of its own, each in order
    (incidents.uploads does, beside the parser)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._markup = MarkupScan()
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        self.count(chunk)
        self.seal(chunk)
        self.look(chunk)

    def count(self, chunk: bytes) -> None:
        self._size += len(chunk)

    def seal(self, chunk: bytes) -> None:
        self._digest.update(chunk)

    def look(self, chunk: bytes) -> None:
        self._markup.feed(chunk)

    def result(self) -> Scan:
        return Scan(self._size, self._digest.hexdigest(), self._markup.found)


def scan(data: bytes | mmap.mmap) -> Scan:
    """One pass over bytes already received, 64 KB at a time (each chunk hashed and scanned
    while it is in the CPU's cache)."""
    scanner = Scanner()
    for start in range(0, len(data), SCAN_CHUNK):
        scanner.feed(data[start : start + SCAN_CHUNK])
    return scanner.result()


@contextlib.contextmanager
def _contents(upload: UploadedFile) -> Iterator[bytes | mmap.mmap]:
    """The upload's bytes: a read-only memory map of a file on disk (nothing copied; only the
    pages looked at are read), else the bytes read (an upload held in memory)."""
    upload.seek(0)
    handle = getattr(upload, "file", upload)
    try:
        fileno = handle.fileno()
        size = os.fstat(fileno).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = -1
    try:
        if 0 < size <= MAX_BYTES:
            with mmap.mmap(fileno, 0, access=mmap.ACCESS_READ) as mapped:
                yield mapped
        else:
            yield upload.read(MAX_BYTES + 1)
    finally:
        upload.seek(0)


def _probe(data: bytes | mmap.mmap, name: str) -> tuple[str, int, int]:
    """(format, width, height) from the headers alone, and the container's end checked.

    Only the headers are read here (milliseconds): a full decode of a 4 MB photo takes a
    fifth of a second, so it happens in the task that makes the clean copy (clean_copy)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = cast(IO[bytes], data) if isinstance(data, mmap.mmap) else io.BytesIO(data)
            source.seek(0)
            with Image.open(source) as probe:
                fmt = probe.format or ""
                if fmt not in _FORMATS:
                    raise ValidationError(
                        WRONG_TYPE.format(name=name, kind=fmt or "unknown"), code="wrong_type"
                    )
                if probe.width * probe.height > MAX_PIXELS:
                    raise ValidationError(TOO_MANY_PIXELS.format(name=name), code="too_many_pixels")
                width, height = probe.size
        _check_container_end(fmt, data, name)
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(TOO_MANY_PIXELS.format(name=name), code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(UNREADABLE.format(name=name), code="unreadable") from None
    return fmt, width, height


def _check_container_end(fmt: str, data: bytes | mmap.mmap, name: str) -> None:
    """Refuse a file cut short (its container has no end), and bytes hidden after the end of
    a PNG or WebP container.

    JPEGs may carry data after their end marker (some phones append their own): the markup
    scan above still covers it, and the clean copy drops the tail anyway.
    """
    if fmt == "PNG":
        end = data.rfind(b"IEND")
        if end < 0 or len(data) < end + 8:
            raise ValidationError(UNREADABLE.format(name=name), code="unreadable")
        trailing = data[end + 8 :]
    elif fmt == "WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        if len(data) < declared:
            raise ValidationError(UNREADABLE.format(name=name), code="unreadable")
        trailing = data[declared:]
    else:
        if _jpeg_end(data) is None:
            raise ValidationError(UNREADABLE.format(name=name), code="unreadable")
        return
    if trailing.strip(b"\x00"):
        raise ValidationError(MARKUP.format(name=name), code="polyglot")


def _jpeg_end(data: bytes | mmap.mmap) -> int | None:
    """Where the main image of a JPEG ends (just past its end marker), or None if it has none.

    Walks the segments up to the first scan (so an EXIF thumbnail's own end marker, inside an
    APP segment, is skipped), then looks for an end marker after it, from the end of the file
    (fast): in the coded data a 0xFF byte is always followed by 0x00 or a restart marker, so
    0xFF 0xD9 after the first scan is the image's end, or in data a phone appended after it."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
        elif marker == 0xDA:  # start of scan: the last end marker after it (from the end)
            end = data.rfind(b"\xff\xd9", pos + 2)
            return end + 2 if end >= 0 else None
        else:
            pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return None


class DamagedImage(ValueError):
    """An upload that passed the request's checks but whose pixels can't be decoded: retrying
    will not help (the sealed original is kept for SLT to look at)."""


def clean_copy(data: bytes) -> CleanCopy:
    """Decode an accepted image (`inspect_image` passed it) in full and re-encode it from its
    pixels. Raises DamagedImage if the pixels can't be decoded (a file damaged inside)."""
    # WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when it is
    # imported; a damaged file must still fail here, not become a half-grey picture.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                if fmt not in _FORMATS or image.width * image.height > MAX_PIXELS:
                    raise DamagedImage(f"not an accepted image ({fmt}, {image.size})")
                image.load()
                clean, width, height = _clean_copy(image, fmt)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        if isinstance(error, DamagedImage):
            raise
        raise DamagedImage(f"the picture is damaged and can't be read ({error})") from error
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise DamagedImage(str(error)) from error
    return CleanCopy(clean, hashlib.sha256(clean).hexdigest(), width, height)


def _clean_copy(image: Image.Image, fmt: str) -> tuple[bytes, int, int]:
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    if fmt == "JPEG":
        pixels = upright.convert("RGB")
    else:
        pixels = upright.convert("RGBA" if has_alpha else "RGB")
    # A fresh image from the pixels alone: no EXIF, XMP, ICC, comments or text chunks survive.
    fresh = Image.new(pixels.mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    if fmt == "JPEG":
        fresh.save(out, format="JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        fresh.save(out, format="PNG", optimize=False)
    else:
        fresh.save(out, format="WEBP", quality=90)
    return out.getvalue(), fresh.width, fresh.height


@dataclass(frozen=True)
class InspectedDocument:
    """A PDF document attached by staff (e.g. a signed statement): kept as sent."""

    original_name: str
    original: bytes
    original_sha256: str
    content_type: str = "application/pdf"
    extension: str = ".pdf"


def inspect_document(upload: UploadedFile) -> InspectedDocument:
    """Accept a PDF that pypdf can read, up to 10 MB, or raise ValidationError."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    name = _display_name(upload.name or "")
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(TOO_BIG.format(name=name), code="too_big")
    if not data.startswith(b"%PDF-"):
        raise ValidationError(f"“{name}” is not a PDF document.", code="wrong_type")
    try:
        reader = PdfReader(io.BytesIO(data))
        if not len(reader.pages):
            raise ValueError
    except (PdfReadError, ValueError, OSError, KeyError, TypeError):
        raise ValidationError(
            f"“{name}” is a damaged PDF that can't be read.", code="unreadable"
        ) from None
    return InspectedDocument(name, data, hashlib.sha256(data).hexdigest())


def inspect_upload(upload: UploadedFile) -> InspectedImage | InspectedDocument:
    """Staff uploads: a PDF document or a screenshot."""
    upload.seek(0)
    if upload.read(5) == b"%PDF-":
        return inspect_document(upload)
    return inspect_image(upload)


NOT_STORED = (
    "We couldn't store your screenshots just now, so nothing has been sent yet. Please try "
    "again in a few minutes (attach the screenshots again: what you typed is kept)."
)


class EvidenceNotStored(Exception):
    """The private storage (disk, or the object store on several machines) refused a file:
    the caller's transaction rolls back and the person is asked to try again."""


def _store_original(item) -> str:
    """Save one original into private storage; its stored name. EvidenceNotStored if the
    storage can't be reached (an object store's own errors are not OSError)."""
    from .models import Evidence

    field = Evidence._meta.get_field("original")
    name = field.generate_filename(None, f"{uuid.uuid4().hex}{item.extension}")
    # An image is saved from its upload: a temporary file on the storage's own disk is moved
    # there (a rename: nothing copied), anything else is streamed to it in chunks.
    content = item.upload if isinstance(item, InspectedImage) else ContentFile(item.original)
    try:
        return field.storage.save(name, content)
    except Exception as error:
        logger.error("Could not store an uploaded file: %s", error)
        raise EvidenceNotStored(str(error)) from error


def evidence_store(*, case, items, report=None, message=None, actor=None) -> list:
    """Save inspected uploads as Evidence rows (the originals into private storage). Each
    image's clean copy is made by a task queued when the transaction commits. Raises
    EvidenceNotStored (after removing what it stored) if the storage refuses a file."""
    from .models import CleanStatus, Evidence, OcrStatus

    stored: list[str] = []
    try:
        for item in items:
            stored.append(_store_original(item))
    except EvidenceNotStored:
        storage = Evidence._meta.get_field("original").storage
        for name in stored:
            storage.delete(name)
        raise
    rows = []
    for item, original in zip(items, stored, strict=True):
        if isinstance(item, InspectedImage):
            extra = {
                "kind": Evidence.Kind.IMAGE,
                "clean_status": CleanStatus.PROCESSING,
                "ocr_status": OcrStatus.PENDING,
            }
        else:
            extra = {"kind": Evidence.Kind.DOCUMENT, "clean_status": CleanStatus.READY}
        row = Evidence(
            case=case,
            report=report,
            message=message,
            original=original,
            original_name=item.original_name,
            original_sha256=item.original_sha256,
            original_size=(
                item.original_size if isinstance(item, InspectedImage) else len(item.original)
            ),
            content_type=item.content_type,
            uploaded_by=actor,
            **extra,
        )
        rows.append(row)
    # One INSERT for all of them (Evidence has no save() of its own and no signals).
    rows = Evidence.objects.bulk_create(rows)
    images = [row for row in rows if row.kind == Evidence.Kind.IMAGE]
    made = evidence_clean_later_many([row.pk for row in images]) if images else set()
    for row in images:
        if row.pk in made:
            row.refresh_from_db(fields=CLEAN_FIELDS)  # made already, in this process
    return rows


CLEAN_FIELDS = ["clean", "clean_sha256", "width", "height", "clean_status", "clean_error"]


def evidence_clean_later(evidence_id: int) -> bool:
    """Queue the clean copy of an image. With a broker: once the row is committed (a worker
    must find it). With none (the embedded default runs tasks in-process): now, in this
    process, so the page that follows already shows the picture. True if it ran already."""
    from schoolconduct.tasks import enqueue, enqueue_on_commit

    from .tasks import clean_evidence

    fallback = "the evidence sweep queues it again"
    if clean_evidence.app.conf.task_always_eager:
        return enqueue(clean_evidence, evidence_id, fallback=fallback)
    enqueue_on_commit(clean_evidence, evidence_id, fallback=fallback)
    return False


def evidence_clean_later_many(evidence_ids: list[int]) -> set[int]:
    """Queue the clean copies of several images: with a broker, one message once the
    transaction commits (its task queues one task per image from the worker: publishing five
    messages to Redis took 10–15 ms of the parent's request); with none, each now, in this
    process, as `evidence_clean_later` does. The ids whose task ran already."""
    from schoolconduct.tasks import enqueue_on_commit

    from .tasks import clean_evidence, clean_evidence_each

    if clean_evidence.app.conf.task_always_eager or len(evidence_ids) == 1:
        return {pk for pk in evidence_ids if evidence_clean_later(pk)}
    enqueue_on_commit(
        clean_evidence_each, list(evidence_ids), fallback="the evidence sweep queues them again"
    )
    return set()


def evidence_clean(evidence_id: int) -> str:
    """Make the clean copy of one image from its sealed original, then queue its OCR.

    Safe to run twice (a copy already made is left alone) and after disposal (nothing to do).
    Raises if the original can't be read or re-encoded: the task retries, then records it.
    """
    from .models import CleanStatus, Evidence

    row = Evidence.objects.filter(pk=evidence_id, kind=Evidence.Kind.IMAGE).first()
    if row is None or not row.original or row.clean_status == CleanStatus.READY:
        return row.clean_status if row else ""
    with row.original.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != row.original_sha256:
        raise ValueError("the stored original does not match its seal (SHA-256)")
    copy = clean_copy(data)
    stem = row.original.name.rsplit("/", 1)[-1]
    name = row.clean.field.storage.save(
        row.clean.field.generate_filename(row, stem), ContentFile(copy.data)
    )
    updated = (
        Evidence.objects.filter(pk=evidence_id)
        .exclude(clean_status=CleanStatus.READY)
        .exclude(original="")
        .update(
            clean=name,
            clean_sha256=copy.sha256,
            width=copy.width,
            height=copy.height,
            clean_status=CleanStatus.READY,
            clean_error="",
        )
    )
    if not updated:  # made meanwhile by another run, or the evidence was disposed of
        row.clean.field.storage.delete(name)
        return CleanStatus.READY
    evidence_read_text_later(evidence_id)
    return CleanStatus.READY


def evidence_clean_failed(evidence_id: int, error: BaseException, *, final: bool) -> None:
    """Record why making a clean copy failed: staff see it once the retries are used up."""
    from .models import CleanStatus, Evidence

    logger.warning("Clean copy of evidence %s failed (final: %s): %s", evidence_id, final, error)
    changes = {"clean_error": f"{type(error).__name__}: {error}"[:200]}
    if final:
        changes["clean_status"] = CleanStatus.FAILED
    Evidence.objects.filter(pk=evidence_id).exclude(clean_status=CleanStatus.READY).update(
        **changes
    )


def evidence_clean_retry(evidence) -> bool:
    """Staff's "Try again" on a failed clean copy: queue it once more."""
    from .models import CleanStatus, Evidence

    updated = Evidence.objects.filter(pk=evidence.pk, clean_status=CleanStatus.FAILED).update(
        clean_status=CleanStatus.PROCESSING, clean_error=""
    )
    if updated:
        evidence_clean_later(evidence.pk)
    return bool(updated)


def evidence_clean_sweep(older_than_minutes: int = 10) -> int:
    """Queue again every image still processing after a while (its task was lost: the broker
    was down when the report was saved, or a worker died)."""
    import datetime

    from django.utils import timezone

    from .models import CleanStatus, Evidence

    cutoff = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    ids = list(
        Evidence.objects.filter(clean_status=CleanStatus.PROCESSING, uploaded_at__lt=cutoff)
        .exclude(original="")
        .values_list("pk", flat=True)[:500]
    )
    for evidence_id in ids:
        evidence_clean_later(evidence_id)
    return len(ids)


def evidence_read_text_later(evidence_id: int) -> None:
    """Queue OCR of a clean copy once the row is committed (never slows or fails the request;
    if the broker is down the case shows "text not extracted" and staff can ask again).

    With no broker (the embedded default runs tasks in-process) reading five screenshots would
    keep the parent waiting for seconds, so there it runs in a background thread instead,
    unless settings.OCR_THREAD_WHEN_EAGER is off (the test settings read inline, to be
    deterministic)."""
    from django.conf import settings
    from django.db import transaction

    from schoolconduct.tasks import enqueue_on_commit

    from .tasks import read_evidence_text

    if read_evidence_text.app.conf.task_always_eager and getattr(
        settings, "OCR_THREAD_WHEN_EAGER", True
    ):
        transaction.on_commit(lambda: _read_text_in_thread(evidence_id))
        return
    enqueue_on_commit(
        read_evidence_text, evidence_id, fallback="staff can ask for the text to be read again"
    )


def _read_text_in_thread(evidence_id: int) -> threading.Thread:
    def run() -> None:
        from django.db import connection

        from .ocr import evidence_ocr

        try:
            evidence_ocr(evidence_id)
        except Exception:  # a thread's error must not vanish silently
            logger.exception("OCR of evidence %s failed in the background", evidence_id)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"ocr-evidence-{evidence_id}", daemon=True)
    thread.start()
    return thread
