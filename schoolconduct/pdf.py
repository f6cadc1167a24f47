"""HTML to PDF with WeasyPrint, loading nothing but our own assets.

Shared by letters and the restrictions register. WeasyPrint loads resources only through
`AssetFetcher`, which serves `sc://asset/…` URLs from an allowlist — our fonts and print CSS
under `static/`, plus images handed in by the caller (a school's logo, a signature) — and
refuses everything else: the network, the file system (`file://`), `data:`, attachments.

One `FontConfiguration` and image cache are shared per process (a new one per document is
slower and leaks memory). WeasyPrint is imported lazily, so the rest of the app runs on a
machine without Pango.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import logging
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from django.contrib.staticfiles import finders

logger = logging.getLogger(__name__)

ASSET_PREFIX = "sc://asset/"
# Only these static folders may be read while rendering.
STATIC_ALLOWED = ("fonts/", "letters/", "print/")

_lock = threading.Lock()
_font_config = None
_image_cache: dict = {}


def _release_font_config() -> None:
    # Drop the shared configuration while the interpreter is still whole: its __del__
    # needs modules that are gone by the time globals are torn down.
    global _font_config
    _font_config = None


atexit.register(_release_font_config)


def _shared_font_config():
    global _font_config
    with _lock:
        if _font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
        return _font_config


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):
        """Serves `sc://asset/…` from an allowlist; refuses every other URL."""

        def __init__(self, assets: dict[str, tuple[bytes, str]]):
            super().__init__(allowed_protocols={"sc"}, allow_redirects=False)
            self.assets = assets
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url in self.assets:
                body, content_type = self.assets[url]
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
            if url.startswith(ASSET_PREFIX + "static/"):
                relative = url[len(ASSET_PREFIX + "static/") :]
                path = _static_path(relative)
                if path is not None:
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, path.read_bytes(), {"Content-Type": content_type}
                    )
            self.refused.append(url[:200])
            logger.warning("Letter rendering refused to fetch %r", url[:200])
            raise ValueError(f"Refused: {url[:200]}")

    return AssetFetcher


def _static_path(relative: str) -> Path | None:
    if ".." in relative.split("/") or not relative.startswith(STATIC_ALLOWED):
        return None
    found = finders.find(relative)
    return Path(found) if found else None


def make_fetcher(assets: dict[str, tuple[bytes, str]] | None = None):
    return _fetcher_class()(assets or {})


def file_asset(kind: str, field) -> tuple[str, tuple[bytes, str]] | None:
    if not field:
        return None
    try:
        with field.open("rb") as f:
            data = f.read()
    except OSError:
        logger.warning("Could not read %s %s for a letter", kind, field.name)
        return None
    digest = hashlib.sha256(data).hexdigest()[:16]
    content_type = mimetypes.guess_type(field.name)[0] or "image/png"
    # The digest in the URL keys WeasyPrint's image cache: one school's logo is never another's.
    return f"{ASSET_PREFIX}{kind}/{digest}", (data, content_type)


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    sha256: str


def html_to_pdf(html: str, *, assets: dict[str, tuple[bytes, str]] | None = None) -> RenderedPdf:
    """PDF bytes from our letter HTML, with the shared font configuration and cache."""
    from PIL import ImageFile
    from weasyprint import HTML

    # Importing WeasyPrint turns this on process-wide; uploads must be decoded strictly.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fetcher = make_fetcher(assets)
    document = HTML(string=html, base_url=ASSET_PREFIX, url_fetcher=fetcher).render(
        font_config=_shared_font_config(),
        cache=_image_cache,
        pdf_tags=True,
    )
    out = io.BytesIO()
    document.write_pdf(out, pdf_tags=True, cache=_image_cache)
    data = out.getvalue()
    return RenderedPdf(data, len(document.pages), hashlib.sha256(data).hexdigest())
