"""Screenshots from the public: inspect, seal, clean.

Everything a parent uploads is hostile until proven otherwise. An upload is accepted only if
Pillow fully decodes it as a JPEG, PNG or WebP within a pixel limit and nothing in it looks like
markup (SVG, HTML, script — a "polyglot" that is both an image and a web page). The original is
kept byte for byte, sealed with its SHA-256, for SLT/DSL only; what every page shows is a clean
copy re-encoded from the decoded pixels: upright, no EXIF or GPS, nothing appended.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import threading
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

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
# at worst; a three-byte pattern such as "<a " would refuse genuine photos.
_MARKUP = re.compile(
    rb"<(?:script|html|svg[\s/>]|iframe|object|embed|body|head|meta|link|style|img\s|\?php|"
    rb"!doctype)|javascript:",
    re.IGNORECASE,
)

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
    """A decoded, accepted upload: its original bytes and a clean re-encoded copy."""

    original_name: str
    original: bytes
    original_sha256: str
    content_type: str
    extension: str
    clean: bytes
    clean_sha256: str
    width: int
    height: int


def _display_name(name: str) -> str:
    name = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    return name[:80]


def inspect_image(upload: UploadedFile) -> InspectedImage:
    """Decode and clean one upload, or raise ValidationError with a message a parent understands."""
    name = _display_name(upload.name or "")
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(TOO_BIG.format(name=name), code="too_big")
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(TOO_BIG.format(name=name), code="too_big")

    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html")):
        raise ValidationError(
            WRONG_TYPE.format(name=name, kind="SVG or web page"), code="wrong_type"
        )
    if _MARKUP.search(data):
        raise ValidationError(MARKUP.format(name=name), code="polyglot")

    # WeasyPrint switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when it is
    # imported; a truncated upload must still be refused here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in _FORMATS:
                    raise ValidationError(
                        WRONG_TYPE.format(name=name, kind=fmt or "unknown"), code="wrong_type"
                    )
                if probe.width * probe.height > MAX_PIXELS:
                    raise ValidationError(TOO_MANY_PIXELS.format(name=name), code="too_many_pixels")
                probe.load()  # a full decode: truncated or malformed files fail here
                _check_container_end(fmt, data, name)
                clean, width, height = _clean_copy(probe, fmt)
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(TOO_MANY_PIXELS.format(name=name), code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(UNREADABLE.format(name=name), code="unreadable") from None

    content_type, extension = _FORMATS[fmt]
    return InspectedImage(
        original_name=name,
        original=data,
        original_sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        extension=extension,
        clean=clean,
        clean_sha256=hashlib.sha256(clean).hexdigest(),
        width=width,
        height=height,
    )


def _check_container_end(fmt: str, data: bytes, name: str) -> None:
    """Refuse bytes hidden after the end of a PNG or WebP container.

    JPEGs are not held to this: some phones legitimately append their own data after the end
    marker. The markup scan above still covers them, and the clean copy drops the tail anyway.
    """
    if fmt == "PNG":
        end = data.rfind(b"IEND")
        trailing = data[end + 8 :] if end >= 0 else b""
    elif fmt == "WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        trailing = data[declared:]
    else:
        return
    if trailing.strip(b"\x00"):
        raise ValidationError(MARKUP.format(name=name), code="polyglot")


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


def evidence_files(inspected: InspectedImage) -> tuple[ContentFile, ContentFile]:
    """The original and clean copy as files with random names (nothing of the upload's name)."""
    stem = uuid.uuid4().hex
    return (
        ContentFile(inspected.original, name=f"{stem}{inspected.extension}"),
        ContentFile(inspected.clean, name=f"{stem}{inspected.extension}"),
    )


def evidence_store(*, case, items, report=None, message=None, actor=None) -> list:
    """Save inspected uploads as Evidence rows (files into private storage)."""
    from .models import Evidence, OcrStatus

    rows = []
    for item in items:
        if isinstance(item, InspectedImage):
            original, clean = evidence_files(item)
            extra = {
                "kind": Evidence.Kind.IMAGE,
                "ocr_status": OcrStatus.PENDING,
                "clean": clean,
                "clean_sha256": item.clean_sha256,
                "width": item.width,
                "height": item.height,
            }
        else:
            original = ContentFile(item.original, name=f"{uuid.uuid4().hex}{item.extension}")
            extra = {"kind": Evidence.Kind.DOCUMENT}
        row = Evidence(
            case=case,
            report=report,
            message=message,
            original=original,
            original_name=item.original_name,
            original_sha256=item.original_sha256,
            original_size=len(item.original),
            content_type=item.content_type,
            uploaded_by=actor,
            **extra,
        )
        row.save()
        rows.append(row)
        if row.kind == Evidence.Kind.IMAGE:
            evidence_read_text_later(row.pk)
    return rows


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
