"""Redaction for people outside the school: rectangles filled on a copy of an evidence image,
and names or phrases hidden in text.

An image's redacted copy is a new file made from the clean copy (the sealed original and the
clean copy are never touched): every pixel under a marked rectangle is painted solid black and
the result saved losslessly (PNG), so nothing under a mark can be recovered — no blur, no
transparency, no metadata. Text redaction matches the way people type (case, accents,
apostrophes, spacing), using the same folding as the reporter-identity check.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageFile

from incidents.identity import ReporterIdentity, fold, folded, spans_replace
from incidents.models import CaseEvent, Evidence
from incidents.redaction import CONFIRMED

from .models import EvidenceRedaction

REDACTED = "[redacted]"
MAX_REGIONS = 50
FILL = (0, 0, 0)


class RedactionError(Exception):
    """A redaction that can't be made, with a message staff understand."""


Region = tuple[int, int, int, int]


def regions_clean(regions: Iterable[Iterable[Any]], *, width: int, height: int) -> list[Region]:
    """Whole-pixel rectangles (x, y, width, height) inside the image; refuses any that are
    empty or fall outside it, saying which one."""
    cleaned: list[Region] = []
    for number, region in enumerate(regions, start=1):
        try:
            x, y, w, h = (int(v) for v in region)
        except (TypeError, ValueError):
            raise RedactionError(
                f"Area {number}: give x, y, width and height as whole numbers."
            ) from None
        if w < 1 or h < 1:
            raise RedactionError(f"Area {number}: its width and height must be at least 1 pixel.")
        if x < 0 or y < 0 or x + w > width or y + h > height:
            raise RedactionError(
                f"Area {number} goes outside the image, which is {width} × {height} pixels."
            )
        cleaned.append((x, y, w, h))
    if not cleaned:
        raise RedactionError("Mark at least one area to black out.")
    if len(cleaned) > MAX_REGIONS:
        raise RedactionError(f"Mark at most {MAX_REGIONS} areas on one image.")
    return cleaned


def redacted_png(source: bytes, regions: list[Region]) -> bytes:
    """The image with every region painted solid black, as a PNG with no metadata."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with Image.open(io.BytesIO(source)) as opened:
        image = opened.convert("RGB")
    draw = ImageDraw.Draw(image)
    for x, y, w, h in regions:
        # PIL's rectangle includes its far corner: the last pixel covered is x + w - 1.
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=FILL)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def evidence_redact(
    *, evidence: Evidence, regions: list[list[int]], actor: Any
) -> EvidenceRedaction:
    """Make a redacted copy of an evidence image from its clean copy, and note it on the
    chronology (how many areas, the new file's SHA-256 — never what was under them)."""
    if evidence.kind != Evidence.Kind.IMAGE:
        raise RedactionError("Only images can be redacted here.")
    if not evidence.clean:
        raise RedactionError(
            "The clean copy of this image is still being made. Try again in a minute."
        )
    with evidence.clean.open("rb") as f:
        source = f.read()
    with Image.open(io.BytesIO(source)) as probe:
        width, height = probe.size
    cleaned = regions_clean(regions, width=width, height=height)
    data = redacted_png(source, cleaned)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        row = EvidenceRedaction(
            evidence=evidence,
            regions=[list(r) for r in cleaned],
            sha256=digest,
            source_sha256=evidence.clean_sha256,
            made_by=actor,
        )
        row.file.save(f"{uuid.uuid4().hex}.png", ContentFile(data), save=False)
        row.save()
        count = len(cleaned)
        CaseEvent.objects.create(
            case=evidence.case,
            kind=CaseEvent.Kind.EVIDENCE_REDACTED,
            actor=actor,
            summary=(
                f"Redacted copy of a screenshot made: {count} area{'s' if count != 1 else ''} "
                "blacked out (the original and the clean copy are unchanged)"
            ),
            data={"evidence": evidence.pk, "redaction": row.pk, "regions": count, "sha256": digest},
        )
    return row


def latest_redactions(evidence_ids: Iterable[int]) -> dict[int, EvidenceRedaction]:
    """The newest redacted copy of each of these images (the one bundles use)."""
    newest: dict[int, EvidenceRedaction] = {}
    rows = EvidenceRedaction.objects.filter(evidence_id__in=list(evidence_ids)).select_related(
        "made_by"
    )
    for row in rows.order_by("evidence_id", "-made_at", "-pk"):
        newest.setdefault(row.evidence_id, row)
    return newest


def phrases_from(text: str) -> list[str]:
    """One phrase per line; blank lines and lines that are only spaces dropped."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


class TextRedactor:
    """Hides phrases, and people (the reporter, other parents) however their names, emails
    and phone numbers are typed, in text."""

    def __init__(self, *, phrases: Iterable[str] = (), identities: Iterable[ReporterIdentity] = ()):
        needles = {folded(p) for p in phrases}
        self.needles = sorted((n for n in needles if n), key=len, reverse=True)
        self.identities = [i for i in identities if i]

    def spans(self, text: str) -> list[tuple[int, int]]:
        flat, where = fold(text)
        padded = f" {flat} "
        found = []
        for needle in self.needles:
            start = padded.find(f" {needle} ")
            while start != -1:
                found.append((where[start], where[start + len(needle) - 1] + 1))
                start = padded.find(f" {needle} ", start + 1)
        for identity in self.identities:
            found += [(h.start, h.end) for h in identity.find(text)]
        return found

    def __call__(self, text: str) -> str:
        return spans_replace(text, self.spans(text), REDACTED) if text else text


def confirmed_suggestions(evidence: Iterable[Evidence]) -> list[str]:
    """The texts staff confirmed for redaction among the suggestions read from screenshots."""
    return [
        str(s["text"])
        for item in evidence
        for s in item.redaction_suggestions
        if s.get("status") == CONFIRMED and s.get("text")
    ]
