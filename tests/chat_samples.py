"""Chat exports made on the fly: the 50,000-message export and zip files (bench/ uses them too).

The small hand-made samples, one per edge case, are files in tests/incidents/chat_exports/.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

SENDERS = ["Tom Brown", "Jane Smith", "Mark Jones", "\u202a+44 7700 900123\u202c", "Mary Ann Lee"]
LINES = [
    "Has anyone seen the letter about the trip?",
    "Thanks 👍",
    "Can someone send me the spelling list please",
    "Mrs Carter is useless and everyone knows it.\nShe should be sacked.",
    "<Media omitted>",
    "This message was deleted",
    "See you at pick-up <This message was edited>",
]


def big_export(count: int = 50_000, *, ios: bool = False) -> bytes:
    """An export of `count` messages over a few months, every kind of line mixed in."""
    start = datetime(2025, 9, 1, 7, 30)
    out = []
    if ios:
        out.append(
            "[01/09/2025, 07:29:00] Year 3 parents: \u200eMessages and calls are end-to-end "
            "encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them."
        )
    else:
        out.append(
            "01/09/2025, 07:29 - Messages and calls are end-to-end encrypted. No one outside "
            "of this chat, not even WhatsApp, can read or listen to them. Tap to learn more."
        )
    for i in range(count):
        when = start + timedelta(minutes=3 * i)
        sender = SENDERS[i % len(SENDERS)]
        text = LINES[i % len(LINES)] if i % 11 else f"Message number {i}"
        if ios:
            out.append(f"[{when:%d/%m/%Y, %H:%M:%S}] {sender}: {text}")
        else:
            out.append(f"{when:%d/%m/%Y, %H:%M} - {sender}: {text}")
    return ("\n".join(out) + "\n").encode()


def make_zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()
