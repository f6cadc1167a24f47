"""Join PDFs into one and store identical objects once, with qpdf (pikepdf) alone.

Each letter is rendered on its own, so each carries its own copy of the fonts, the school's
logo and the signature. After the pages are joined, the objects the pages' resources reach
(fonts, their descriptors, font files and ToUnicode maps, images, graphics states) are
deduplicated bottom-up: an object's references are first pointed at their canonical copies,
then the object is keyed by its dictionary as written (those references included) and, for a
stream, its raw (still compressed) bytes; the first object with a key is kept and every later
one is replaced by it. qpdf writes only the objects still reachable, in compressed object
streams. This does what pypdf's `compress_identical_objects` did: 200 bench letters, 3.0 MB
apart, join into 0.56 MB in under a second (pypdf after qpdf: 1.2 MB, 1.4–2.7 s).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pikepdf


class _Deduplicator:
    def __init__(self) -> None:
        self.canonical: dict[tuple[int, int], pikepdf.Object] = {}  # objgen → kept object
        self.by_key: dict[tuple[bytes, bytes], pikepdf.Object] = {}
        self.visiting: set[tuple[int, int]] = set()

    def indirect(self, obj: pikepdf.Object) -> pikepdf.Object:
        """The kept object equal to this indirect object (possibly itself)."""
        objgen = obj.objgen
        kept = self.canonical.get(objgen)
        if kept is not None:
            return kept
        if objgen in self.visiting:  # a cycle: leave it; its key stays unique
            return obj
        self.visiting.add(objgen)
        if isinstance(obj, pikepdf.Stream):
            self.children(obj.stream_dict)
            key = (obj.stream_dict.unparse(resolved=True), obj.read_raw_bytes())
        else:
            self.children(obj)
            key = (obj.unparse(resolved=True), b"")
        self.visiting.discard(objgen)
        kept = self.by_key.setdefault(key, obj)
        self.canonical[objgen] = kept
        return kept

    def children(self, container: pikepdf.Object) -> None:
        """Point the references inside this dictionary or array at their kept objects."""
        if b" R" not in container.unparse(resolved=True):  # no reference inside (widths)
            return
        if isinstance(container, pikepdf.Dictionary):
            for name in list(container.keys()):
                self.child(container, name, container[name])
        elif isinstance(container, pikepdf.Array):
            for index, value in enumerate(container):
                self.child(container, index, value)

    def child(self, container: pikepdf.Object, where: str | int, value: object) -> None:
        if not isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            return
        if value.is_indirect:
            kept = self.indirect(value)
            if kept.objgen != value.objgen:
                container[where] = kept
        elif not isinstance(value, pikepdf.Stream):
            self.children(value)


def join(
    parts: Iterable[bytes], *, blank_after_odd: bool, page_size: tuple[float, float]
) -> tuple[bytes, int]:
    """(the joined PDF's bytes, its page count). With `blank_after_odd`, a blank page follows
    every part but the last with an odd number of pages, so each part starts on a new sheet
    when printed double-sided."""
    parts = list(parts)
    joined = pikepdf.Pdf.new()
    sources: list[pikepdf.Pdf] = []
    try:
        for index, data in enumerate(parts):
            source = pikepdf.Pdf.open(io.BytesIO(data))
            sources.append(source)  # kept open until the joined file is written
            joined.pages.extend(source.pages)
            if blank_after_odd and len(source.pages) % 2 and index < len(parts) - 1:
                joined.add_blank_page(page_size=page_size)
        dedup = _Deduplicator()
        for page in joined.pages:
            resources = page.obj.get("/Resources")
            if resources is None:
                continue
            if resources.is_indirect:
                kept = dedup.indirect(resources)
                if kept.objgen != resources.objgen:
                    page.obj.Resources = kept
            else:
                dedup.children(resources)
        out = io.BytesIO()
        joined.save(
            out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
        return out.getvalue(), len(joined.pages)
    finally:
        for source in sources:
            source.close()
        joined.close()
