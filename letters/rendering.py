"""Letters to PDF: one function turns a letter into PDF bytes.

The layout is our own template (templates/letters/pdf/letter.html); the body is the letter's
sanitised HTML. The PDF engine and its locked-down fetcher are in `schoolconduct.pdf`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from schoolconduct.formats import long_date

if TYPE_CHECKING:  # pragma: no cover
    from .models import Letter

from schoolconduct.pdf import (  # noqa: F401 — the letters app's entry points
    ASSET_PREFIX,
    RenderedPdf,
    file_asset,
    html_to_pdf,
    make_fetcher,
)

logger = logging.getLogger(__name__)


Assets = dict[str, tuple[bytes, str]]


def letter_html(letter: Letter) -> tuple[str, Assets]:
    """The full HTML of a letter (our layout around its sanitised body) and the images it
    uses (the school's logo, the signatory's signature)."""
    school = letter.case.school
    assets: Assets = {}
    logo = file_asset("logo", school.logo)
    signature = None
    signatory = letter.signatory
    if signatory is not None and hasattr(signatory, "signature"):
        signature = file_asset("signature", signatory.signature.image)
    for item in (logo, signature):
        if item:
            assets[item[0]] = item[1]
    context = letter.context or {}
    from .placeholders import split_closing
    from .services import letter_merged_body

    body, last_block = split_closing(letter_merged_body(letter))
    html = render_to_string(
        "letters/pdf/letter.html",
        {
            "letter": letter,
            "school": school,
            # Sanitised by nh3 on every save; merged values are escaped.
            "body": mark_safe(body),  # noqa: S308
            "last_block": mark_safe(last_block),  # noqa: S308
            "draft": letter.is_draft,
            "logo_url": logo[0] if logo else "",
            "signature_url": signature[0] if signature else "",
            "letter_date": context.get("letter_date") or long_date(timezone.localdate()),
            "address_lines": [ln for ln in letter.recipient_address.splitlines() if ln.strip()],
            "static": ASSET_PREFIX + "static/",
        },
    )
    return html, assets


def letter_pdf(letter: Letter) -> RenderedPdf:
    """The one function that turns a letter into PDF bytes."""
    html, assets = letter_html(letter)
    return html_to_pdf(html, assets=assets)


def warm_up() -> None:
    """Pay WeasyPrint's first-render cost (≈1 s) when a worker starts, not on a letter."""
    try:
        html_to_pdf(
            "<html lang='en-GB'><head><title>warm</title><link rel='stylesheet' "
            f"href='{ASSET_PREFIX}static/letters/letter.css'></head><body><p>Warm "
            "up</p></body></html>"
        )
    except Exception:  # pragma: no cover - a missing Pango is reported on first real use
        logger.warning("WeasyPrint warm-up failed", exc_info=True)
