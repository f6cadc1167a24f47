"""Text in screenshots: Tesseract reads each clean evidence image after the report is saved.

Never in the parent's request: a Celery task (incidents.tasks.read_evidence_text) calls
`evidence_ocr` once the clean copy exists. If Tesseract is missing, times out or fails, the
evidence says "Text not extracted" and nothing else changes.
"""

from __future__ import annotations

import logging
import os

from django.utils import timezone
from PIL import Image, ImageFile

from . import redaction
from .models import Evidence, OcrStatus, SensitiveName

logger = logging.getLogger(__name__)

OCR_TIMEOUT_SECONDS = 60
# A long chat screenshot is ~25 MP; Tesseract reads text at phone resolution well enough, and
# time grows with pixels, so very tall images are read at most this many pixels high.
MAX_OCR_PIXELS = 12_000_000


def _read(image: Image.Image) -> str:
    import pytesseract

    # One thread per Tesseract: a worker runs several tasks at once on few cores.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    return pytesseract.image_to_string(image, lang="eng", timeout=OCR_TIMEOUT_SECONDS)


def sensitive_names(school_id: int) -> list[str]:
    return list(SensitiveName.objects.filter(school_id=school_id).values_list("name", flat=True))


def evidence_ocr(evidence_id: int) -> str:
    """Read the text of one clean evidence image and store it with redaction suggestions.

    Safe to run twice: an image already read is left alone. Returns the status it ends in.
    """
    evidence = Evidence.objects.select_related("case").filter(pk=evidence_id).first()
    if evidence is None or evidence.kind != Evidence.Kind.IMAGE or not evidence.clean:
        return ""
    if evidence.ocr_status == OcrStatus.DONE:
        return OcrStatus.DONE
    try:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        with evidence.clean.open("rb") as handle, Image.open(handle) as opened:
            opened.load()
            image: Image.Image = opened
            if image.width * image.height > MAX_OCR_PIXELS:
                scale = (MAX_OCR_PIXELS / (image.width * image.height)) ** 0.5
                image = image.resize((int(image.width * scale), int(image.height * scale)))
            text = _read(image.convert("RGB")).strip()
    except Exception as error:
        logger.warning("OCR failed for evidence %s: %s", evidence_id, error)
        Evidence.objects.filter(pk=evidence_id).exclude(ocr_status=OcrStatus.DONE).update(
            ocr_status=OcrStatus.FAILED,
            ocr_error=f"{type(error).__name__}: {error}"[:200],
            ocr_at=timezone.now(),
        )
        return OcrStatus.FAILED
    suggestions = redaction.suggest(text, names=sensitive_names(evidence.case.school_id))
    Evidence.objects.filter(pk=evidence_id).exclude(ocr_status=OcrStatus.DONE).update(
        ocr_status=OcrStatus.DONE,
        ocr_text=text,
        ocr_error="",
        ocr_at=timezone.now(),
        redaction_suggestions=redaction.merge(suggestions, evidence.redaction_suggestions),
    )
    return OcrStatus.DONE
