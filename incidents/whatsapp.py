"""WhatsApp "Export chat" files: read the `.txt` (or the `.zip` with media) into messages.

Pure Python on purpose — no Django here — so it can be tested over a corpus of sample exports
and timed on its own (bench/chat_parse.py). Everything a parent uploads is hostile: a file that
is not a chat, in the wrong encoding, a zip bomb, a zip with `../` names or another zip inside
raises `ExportError` with a message a parent understands, never anything else.

What WhatsApp writes (Android and iOS, UK and elsewhere):

    Android  14/03/2026, 19:42 - Jane Smith: text           (24-hour)
             14/03/2026, 7:42 pm - Jane Smith: text          (12-hour, U+202F before "pm")
             3/14/26, 7:42 PM - Jane Smith: text              (US, month first)
             14/03/2026, 19:40 - Jane Smith added Tom         (a system line: no "Name: ")
    iOS      [14/03/2026, 19:42:05] Jane Smith: text
             [14/03/2026, 7:42:05 pm] Jane Smith: text
             ‎[14/03/2026, 19:42:06] Jane Smith: ‎image omitted      (U+200E marks)
             [14/03/2026, 19:40:00] Year 3: ‎Jane added Tom   (system lines carry the group name)

A line that does not start with a date continues the message before it.
"""

from __future__ import annotations

import enum
import io
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

# Caps. An export of 50,000 messages is about 4 MB of text; a year of a busy class group with
# photos is tens of MB zipped. Anything bigger is refused with a message, never read whole.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
MAX_TEXT_BYTES = 24 * 1024 * 1024
MAX_MESSAGES = 200_000
MAX_ZIP_ENTRIES = 5_000
MAX_ZIP_TOTAL_BYTES = 512 * 1024 * 1024
MAX_MEDIA_BYTES = 10 * 1024 * 1024
# A real export's text compresses about 4:1 and photos barely at all; 200:1 is a bomb.
MAX_COMPRESSION_RATIO = 200
# What the report form allows for reading an export (a 50,000-message export takes a fraction
# of this; bench/chat_parse.py measures it).
PARSE_BUDGET_SECONDS = 3.0

NOT_A_CHAT = (
    "“{name}” doesn't look like a WhatsApp chat export. In WhatsApp open the chat, tap the "
    "group name, then “Export chat”, and attach the .txt or .zip file it makes."
)
WRONG_ENCODING = (
    "“{name}” isn't in the text format WhatsApp uses (UTF-8). Please attach the file exactly "
    "as WhatsApp exported it."
)
TOO_BIG = "“{name}” is larger than 64 MB. Export the chat “Without media” and attach that."
TEXT_TOO_BIG = "The chat in “{name}” is too long to read here (over 24 MB of text)."
TOO_MANY_MESSAGES = "The chat in “{name}” has more than {limit:,} messages; export a shorter chat."
BAD_ZIP = "“{name}” is a damaged or unusual zip file that we can't open safely."
NESTED_ZIP = "“{name}” has another zip file inside it. Please attach the export WhatsApp made."
NO_CHAT_IN_ZIP = "“{name}” has no chat text inside. Please attach the export WhatsApp made."
UNSAFE_ZIP = "“{name}” is not a WhatsApp export we can open safely."
WRONG_TYPE = "“{name}” is not a chat export. Please attach the .txt or .zip file WhatsApp made."

_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{_BIDI}]")
_SPACE = "[ \u00a0\u202f\u2009]"
_DATE = r"(?P<d1>\d{1,4})[./-](?P<d2>\d{1,2})[./-](?P<d3>\d{1,4})"
_TIME = (
    rf"(?P<h>\d{{1,2}})[:.](?P<m>\d{{2}})(?:[:.](?P<s>\d{{2}}))?"
    rf"(?:{_SPACE}?(?P<ampm>[aApP]\.?{_SPACE}?[mM]\.?))?"
)
_IOS = re.compile(rf"^[{_BIDI}]*\[{_DATE},?{_SPACE}{_TIME}\]{_SPACE}(?P<rest>.*)$", re.DOTALL)
_ANDROID = re.compile(
    rf"^[{_BIDI}]*{_DATE},?{_SPACE}{_TIME}{_SPACE}[-–]{_SPACE}(?P<rest>.*)$", re.DOTALL
)
# "Name: text". Names don't contain ": " and are short; a system line's own colon (a subject
# "Re: trip") is caught by the system patterns first, which require the actor to have none.
_SENDER = re.compile(r"^(?P<sender>[^:\n]{1,100}?):[ \u00a0](?P<text>.*)$", re.DOTALL)
_SENDER_EMPTY = re.compile(r"^(?P<sender>[^:\n]{1,100}?):$")

_ACTOR = r"[^:\n]{1,100}?"
_SYSTEM = re.compile(
    r"^(?:"
    r"Messages and calls are end-to-end encrypted.*"
    r"|Messages to this group are now secured with end-to-end encryption.*"
    r"|This message was deleted\.?"  # only when it has no sender (never on its own)
    rf"|{_ACTOR} (?:added|removed) .+"
    rf"|{_ACTOR} (?:left|joined using this group's invite link|joined using a group link)"
    rf"|{_ACTOR} created (?:group|this group).*"
    rf"|{_ACTOR} changed (?:the subject|the group description|this group's (?:icon|settings)"
    r"|the group name|their phone number|the settings|to ).*"
    rf"|{_ACTOR} deleted this group's icon"
    rf"|{_ACTOR} (?:pinned|unpinned) a message"
    rf"|{_ACTOR} turned (?:on|off) disappearing messages.*"
    r"|You're now an admin|You are now an admin|You joined.*|You were added.*"
    r"|Your security code with .+ changed.*|.+'s security code changed.*"
    r"|Missed (?:voice|video) call.*"
    r")$",
    re.DOTALL,
)
_DELETED = re.compile(
    r"^(?:This message was deleted|You deleted this message|"
    r"This message was deleted by an admin|Diese Nachricht wurde gelöscht)\.?$"
)
_EDITED = re.compile(rf"[\s{_BIDI}]*<This message was edited>[\s{_BIDI}]*$")
_SYSTEM_VERB = re.compile(r" (?:changed|created|added|removed|pinned|turned) ")
_OMITTED = re.compile(
    r"^(?:<Media omitted>|(?:image|video|audio|sticker|GIF|document|Contact card) omitted"
    r"|<(?:image|video|audio|sticker|GIF|document) omitted>)$",
    re.IGNORECASE,
)
_ATTACHED_IOS = re.compile(r"<attached: (?P<name>[^>\n]{1,200})>")
_ATTACHED_ANDROID = re.compile(r"^(?P<name>[^\n/\\]{1,200}\.[A-Za-z0-9]{2,5}) \(file attached\)")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


class ExportError(Exception):
    """The upload is not a chat we can read; `message` says why, for a parent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Kind(enum.StrEnum):
    TEXT = "text"
    MEDIA = "media"
    DELETED = "deleted"
    SYSTEM = "system"


class Platform(enum.StrEnum):
    ANDROID = "android"
    IOS = "ios"


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message as the export shows it. `sent_at` is the phone's local time (naive)."""

    index: int
    sent_at: datetime
    sender: str
    text: str
    kind: Kind
    edited: bool = False
    attachment: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "sent_at": self.sent_at.isoformat(),
            "sender": self.sender,
            "text": self.text,
            "kind": self.kind.value,
            "edited": self.edited,
            "attachment": self.attachment,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ChatMessage:
        return cls(
            index=int(str(data["index"])),
            sent_at=datetime.fromisoformat(str(data["sent_at"])),
            sender=str(data["sender"]),
            text=str(data["text"]),
            kind=Kind(str(data["kind"])),
            edited=bool(data.get("edited")),
            attachment=str(data.get("attachment") or ""),
        )


@dataclass
class Export:
    """A parsed export. `media` maps a file name in the zip to its entry (not yet read)."""

    name: str
    platform: Platform
    messages: list[ChatMessage]
    day_first: bool
    media: dict[str, zipfile.ZipInfo] = field(default_factory=dict)

    @property
    def senders(self) -> list[str]:
        seen: dict[str, None] = {}
        for message in self.messages:
            if message.sender:
                seen.setdefault(message.sender, None)
        return list(seen)


def clean_name(name: str) -> str:
    """A sender's name for display: bidi marks gone, odd spaces made ordinary, runs of spaces
    collapsed (WhatsApp wraps phone numbers in U+202A…U+202C and some names in U+200E)."""
    name = _BIDI_RE.sub("", name).replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(name.split())


def _clean_text(text: str) -> str:
    # Marks at the ends are WhatsApp's own; those inside belong to the writer's text.
    return text.replace("\r", "").strip(_BIDI + " \u00a0\n\t")


def display_file_name(name: str) -> str:
    name = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    return _BIDI_RE.sub("", name)[:80] or "file"


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ExportError(WRONG_ENCODING.format(name=name)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportError(WRONG_ENCODING.format(name=name)) from None


@dataclass(frozen=True, slots=True)
class _Header:
    d1: int
    d2: int
    d3: int
    hour: int
    minute: int
    second: int
    ampm: str
    rest: str


def _headers(lines: Iterable[str]) -> Iterator[tuple[_Header | None, str]]:
    for line in lines:
        match = _IOS.match(line) or _ANDROID.match(line)
        if match is None:
            yield None, line
            continue
        g = match.groupdict()
        yield (
            _Header(
                int(g["d1"]),
                int(g["d2"]),
                int(g["d3"]),
                int(g["h"]),
                int(g["m"]),
                int(g["s"] or 0),
                (g["ampm"] or "").lower().replace(".", "").replace(" ", "")[:1],
                g["rest"],
            ),
            line,
        )


def _date_order(headers: list[_Header]) -> tuple[bool, bool]:
    """(year_first, day_first) for the whole file. Day first (UK) unless a date in the file
    can only be month first (a second number over 12, and never a first one over 12)."""
    year_first = any(h.d1 > 31 for h in headers)
    if year_first:
        return True, False
    first_over = any(h.d1 > 12 for h in headers)
    second_over = any(h.d2 > 12 for h in headers)
    return False, not (second_over and not first_over)


def _when(h: _Header, year_first: bool, day_first: bool) -> datetime | None:
    if year_first:
        year, month, day = h.d1, h.d2, h.d3
    elif day_first:
        day, month, year = h.d1, h.d2, h.d3
    else:
        month, day, year = h.d1, h.d2, h.d3
    if year < 100:
        year += 2000
    hour = h.hour
    if h.ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if h.ampm == "p" else 0)
    try:
        return datetime(year, month, day, hour, h.minute, h.second)
    except ValueError:
        return None


def _classify(rest: str, ios: bool) -> tuple[str, str, bool]:
    """(sender, text, is_system) from what follows the date."""
    stripped = _clean_text(rest)
    match = _SENDER.match(rest) or _SENDER_EMPTY.match(rest.rstrip())
    if match is None:
        return "", stripped, True  # Android writes system lines without "Name: "
    candidate = match.group("sender")
    if not ios and _SYSTEM.match(stripped) and _SYSTEM_VERB.search(candidate):
        # 'Jane changed the subject from "Re: trip"…' — the colon belongs to the subject.
        return "", stripped, True
    sender = clean_name(candidate)
    text = match.groupdict().get("text") or ""
    # iOS puts system lines under the group's name, the text starting with U+200E.
    body = _clean_text(text)
    if ios and text.startswith("\u200e") and _SYSTEM.match(body) and not _DELETED.match(body):
        return "", body, True
    return sender, text, False


def parse_text(text: str, *, name: str = "chat") -> tuple[list[ChatMessage], Platform, bool]:
    """Messages from an export's text; raises ExportError if it holds none."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parsed: list[tuple[_Header | None, str]] = []
    headers: list[_Header] = []
    for header, line in _headers(lines):
        parsed.append((header, line))
        if header is not None:
            headers.append(header)
            # Stop reading at the cap, not after every line of a hostile file.
            if len(headers) > MAX_MESSAGES:
                raise ExportError(TOO_MANY_MESSAGES.format(name=name, limit=MAX_MESSAGES))
    if not headers:
        raise ExportError(NOT_A_CHAT.format(name=name))
    year_first, day_first = _date_order(headers)
    ios = sum(1 for h, line in parsed if h is not None and "[" in line[:3]) * 2 > len(headers)
    messages: list[ChatMessage] = []
    # (sent_at, sender, text lines, is_system) of the message being read
    current: tuple[datetime, str, list[str], bool] | None = None
    dated = 0

    def finish() -> None:
        if current is None:
            return
        when, sender, parts, system = current
        messages.append(_message(len(messages), when, sender, "\n".join(parts), system))
        if len(messages) > MAX_MESSAGES:
            raise ExportError(TOO_MANY_MESSAGES.format(name=name, limit=MAX_MESSAGES))

    for header, line in parsed:
        when = _when(header, year_first, day_first) if header is not None else None
        if header is None or when is None:
            if current is not None:
                current[2].append(line)
            continue
        dated += 1
        finish()
        sender, body, system = _classify(header.rest, ios)
        current = (when, sender, [body], system)
    finish()
    if dated == 0 or not any(m.kind != Kind.SYSTEM for m in messages):
        raise ExportError(NOT_A_CHAT.format(name=name))
    return messages, (Platform.IOS if ios else Platform.ANDROID), day_first


def _message(index: int, when: datetime, sender: str, raw: str, system: bool) -> ChatMessage:
    text = _clean_text(raw.rstrip("\n"))
    if system:
        return ChatMessage(index, when, "", _BIDI_RE.sub("", text), Kind.SYSTEM)
    edited = False
    if _EDITED.search(text):
        edited = True
        text = _clean_text(_EDITED.sub("", text))
    if _DELETED.match(text):
        return ChatMessage(index, when, sender, text.rstrip("."), Kind.DELETED, edited)
    attachment = ""
    found = _ATTACHED_IOS.search(text) or _ATTACHED_ANDROID.match(text)
    if found:
        attachment = display_file_name(found.group("name"))
        text = _clean_text(text[: found.start()] + text[found.end() :])
        return ChatMessage(index, when, sender, text, Kind.MEDIA, edited, attachment)
    if _OMITTED.match(text):
        return ChatMessage(index, when, sender, "", Kind.MEDIA, edited)
    return ChatMessage(index, when, sender, text, Kind.TEXT, edited)


# --- files -----------------------------------------------------------------------------------


def read_export(data: bytes, name: str) -> Export:
    """An uploaded `.txt` or `.zip` export, parsed. Media in a zip are listed, not read."""
    shown = display_file_name(name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ExportError(TOO_BIG.format(name=shown))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _read_zip(data, shown)
    if data[:5] == b"%PDF-" or data[:4] in (b"\x89PNG", b"GIF8") or data[:3] == b"\xff\xd8\xff":
        raise ExportError(WRONG_TYPE.format(name=shown))
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExportError(WRONG_TYPE.format(name=shown))
    if len(data) > MAX_TEXT_BYTES:
        raise ExportError(TEXT_TOO_BIG.format(name=shown))
    messages, platform, day_first = parse_text(_decode(data, shown), name=shown)
    return Export(shown, platform, messages, day_first)


def _safe_member(info: zipfile.ZipInfo) -> bool:
    path = info.filename.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return False
    if any(part in ("..", "") for part in path.rstrip("/").split("/")):
        return False
    if stat.S_ISLNK(info.external_attr >> 16):
        return False
    return not info.flag_bits & 0x1  # encrypted


def _read_zip(data: bytes, name: str) -> Export:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ExportError(BAD_ZIP.format(name=name)) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ExportError(UNSAFE_ZIP.format(name=name))
    total = 0
    files = [i for i in infos if not i.is_dir()]
    for info in files:
        if not _safe_member(info):
            raise ExportError(UNSAFE_ZIP.format(name=name))
        if info.filename.lower().endswith((".zip", ".jar", ".apk")):
            raise ExportError(NESTED_ZIP.format(name=name))
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ExportError(UNSAFE_ZIP.format(name=name))
    if total > MAX_ZIP_TOTAL_BYTES:
        raise ExportError(UNSAFE_ZIP.format(name=name))
    texts = [i for i in files if i.filename.lower().endswith(".txt")]
    chat = _pick_chat_file(texts)
    if chat is None:
        raise ExportError(NO_CHAT_IN_ZIP.format(name=name))
    raw = _read_member(archive, chat, MAX_TEXT_BYTES, name, TEXT_TOO_BIG)
    if raw.startswith(b"PK\x03\x04"):
        raise ExportError(NESTED_ZIP.format(name=name))
    messages, platform, day_first = parse_text(_decode(raw, name), name=name)
    media = {
        display_file_name(i.filename): i
        for i in files
        if i is not chat and "/" not in i.filename.replace("\\", "/").strip("/")
    }
    return Export(name, platform, messages, day_first, media)


def _pick_chat_file(texts: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    if not texts:
        return None
    for info in texts:
        if display_file_name(info.filename) == "_chat.txt":
            return info
    for info in texts:
        if display_file_name(info.filename).lower().startswith("whatsapp chat"):
            return info
    return texts[0] if len(texts) == 1 else None


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str, too_big: str
) -> bytes:
    """Read at most `limit` bytes, whatever the entry claims its size is."""
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        raise ExportError(BAD_ZIP.format(name=name)) from None
    if len(data) > limit:
        raise ExportError(too_big.format(name=name))
    return data


def read_media(data: bytes, entry_name: str) -> bytes | None:
    """The bytes of one picture in a zip export (None if it is missing, not a picture, or too
    big): only media attached to the messages a parent keeps are ever read."""
    if not entry_name.lower().endswith(IMAGE_EXTENSIONS):
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = next(
            (
                i
                for i in archive.infolist()
                if display_file_name(i.filename) == entry_name and _safe_member(i)
            ),
            None,
        )
        if info is None or info.file_size > MAX_MEDIA_BYTES:
            return None
        return _read_member(archive, info, MAX_MEDIA_BYTES, entry_name, BAD_ZIP)
    except (ExportError, zipfile.BadZipFile, OSError, ValueError):
        return None


def excerpt_indexes(
    messages: list[ChatMessage], picked: Iterable[int], *, context: int = 3
) -> list[int]:
    """The positions kept: each picked message and up to `context` messages either side
    (system lines such as "X added +44…" are not kept as context: they only name members)."""
    by_index = {m.index: i for i, m in enumerate(messages)}
    keep: set[int] = set()
    for index in picked:
        pos = by_index.get(index)
        if pos is None:
            continue
        keep.add(pos)
        for step in (-1, 1):
            taken, cursor = 0, pos + step
            while taken < context and 0 <= cursor < len(messages):
                if messages[cursor].kind != Kind.SYSTEM:
                    keep.add(cursor)
                    taken += 1
                cursor += step
    return sorted(messages[p].index for p in keep)
