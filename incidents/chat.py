"""WhatsApp chat exports as evidence: upload, pick, keep only an excerpt.

Data minimisation is the point of this module. Between the two steps of the public form the
parsed export waits in private storage under a random token that lives only in the parent's
server-side session (never in a URL). When the parent picks their messages, everything but the
picked messages and `CONTEXT` messages either side is deleted at once — the rest of the
conversation, other members' numbers and the zip with its media — and only pictures attached to
kept messages are read, through the same inspection as screenshots. Anything abandoned is swept
after `UPLOAD_MAX_AGE`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone

from . import whatsapp
from .evidence import InspectedImage, evidence_store, inspect_image
from .models import Case, ChatExcerpt, Evidence, ExcerptMessage, Report, private_storage

logger = logging.getLogger(__name__)

UPLOAD_DIR = "chat-uploads"
# Swept every 10 minutes by beat (and at each upload), so nothing stays beyond the hour the
# parent is promised.
UPLOAD_MAX_AGE = timedelta(minutes=50)
CONTEXT = 3
PAGE_SIZE = 100
MAX_PICKS = 20
MAX_PICTURES = 10
SESSION_KEY = "chat_export"
REPORTER_LABEL = "The reporter"
NAME_REMOVED = "[name removed]"

NOTHING_PICKED = "Tick at least one message you are reporting."
TOO_MANY_PICKED = f"Tick up to {MAX_PICKS} messages: the ones you are reporting."
EXPIRED = (
    "Your chat export is no longer here (it is deleted after an hour). Please attach it again."
)


def _storage() -> Storage:
    return private_storage()


def _path(token: str, name: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        raise ValueError("bad token")
    return f"{UPLOAD_DIR}/{token}/{name}"


# --- step 1: upload --------------------------------------------------------------------------


def chat_upload(*, upload: UploadedFile) -> dict[str, Any]:
    """Read an uploaded export and hold it for the picking step; return the session state.

    Raises ValidationError with a parent's message for anything that is not a chat we can read.
    """
    chat_sweep()
    name = whatsapp.display_file_name(upload.name or "")
    if upload.size is not None and upload.size > whatsapp.MAX_UPLOAD_BYTES:
        raise ValidationError(whatsapp.TOO_BIG.format(name=name), code="too_big")
    upload.seek(0)
    data = upload.read(whatsapp.MAX_UPLOAD_BYTES + 1)
    try:
        export = whatsapp.read_export(data, name)
    except whatsapp.ExportError as error:
        raise ValidationError(error.message, code="export") from None
    token = secrets.token_hex(16)
    storage = _storage()
    payload = {
        "file_name": export.name,
        "platform": export.platform.value,
        "messages": [m.as_dict() for m in export.messages],
    }
    storage.save(_path(token, "messages.json"), ContentFile(json.dumps(payload).encode()))
    if export.media:
        storage.save(_path(token, "export.zip"), ContentFile(data))
    return {
        "token": token,
        "stage": "uploaded",
        "file_name": export.name,
        "count": sum(1 for m in export.messages if m.kind != whatsapp.Kind.SYSTEM),
    }


def _load_messages(token: str) -> tuple[dict[str, Any], list[whatsapp.ChatMessage]] | None:
    try:
        with _storage().open(_path(token, "messages.json"), "rb") as handle:
            payload = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return payload, [whatsapp.ChatMessage.from_dict(m) for m in payload["messages"]]


@dataclass
class PickPage:
    messages: list[whatsapp.ChatMessage]
    number: int
    pages: int
    total: int
    query: str
    file_name: str

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def chat_pick_page(*, state: dict[str, Any], query: str = "", page: str | int = "") -> PickPage:
    """One page of the uploaded chat for picking (the latest page unless asked), optionally
    only the messages whose sender or text contain `query`. Raises LookupError if expired."""
    loaded = _load_messages(state.get("token", ""))
    if loaded is None:
        raise LookupError(EXPIRED)
    payload, messages = loaded
    messages = [m for m in messages if m.kind != whatsapp.Kind.SYSTEM]
    query = " ".join(query.split())[:100]
    if query:
        needle = query.casefold()
        messages = [
            m for m in messages if needle in m.text.casefold() or needle in m.sender.casefold()
        ]
    pages = max(1, -(-len(messages) // PAGE_SIZE))
    try:
        number = min(max(int(page), 1), pages)
    except (TypeError, ValueError):
        number = pages
    start = (number - 1) * PAGE_SIZE
    return PickPage(
        messages[start : start + PAGE_SIZE],
        number,
        pages,
        len(messages),
        query,
        payload["file_name"],
    )


# --- step 2: pick ----------------------------------------------------------------------------


def chat_senders(*, state: dict[str, Any], picked: list[int]) -> list[str]:
    """Senders of the messages that would be kept with these picks (for "which one is you")."""
    loaded = _load_messages(state.get("token", ""))
    if loaded is None:
        return []
    _payload, messages = loaded
    keep = whatsapp.excerpt_indexes(messages, picked, context=CONTEXT)
    return sorted({messages[i].sender for i in keep if messages[i].sender})


def chat_pick(*, state: dict[str, Any], picked: list[int], reporter: str = "") -> dict[str, Any]:
    """Keep the picked messages and CONTEXT either side; delete the rest of the export now.

    `reporter` is the sender name the parent says is theirs (or ""): it is marked so staff who
    may not know who reported never see it. Raises ValidationError (bad picks) or LookupError
    (the upload has expired).
    """
    token = state.get("token", "")
    loaded = _load_messages(token)
    if loaded is None:
        raise LookupError(EXPIRED)
    payload, messages = loaded
    valid = {m.index for m in messages if m.kind != whatsapp.Kind.SYSTEM}
    picked = sorted({p for p in picked if p in valid})
    if not picked:
        raise ValidationError(NOTHING_PICKED, code="none")
    if len(picked) > MAX_PICKS:
        raise ValidationError(TOO_MANY_PICKED, code="too_many")
    keep = whatsapp.excerpt_indexes(messages, picked, context=CONTEXT)
    storage = _storage()
    zip_path = _path(token, "export.zip")
    archive = b""
    if storage.exists(zip_path):
        with storage.open(zip_path, "rb") as handle:
            archive = handle.read()
    lines, pictures = [], 0
    for position in keep:
        message = messages[position]
        line = message.as_dict()
        line.update(
            picked=message.index in picked,
            from_reporter=bool(reporter) and message.sender == reporter,
            picture=False,
            note="",
        )
        if message.attachment:
            line["note"] = "Attachment not kept: only pictures are accepted."
            raw = whatsapp.read_media(archive, message.attachment) if archive else None
            if raw is not None and pictures < MAX_PICTURES:
                try:
                    inspect_image(SimpleUploadedFile(message.attachment, raw))
                except ValidationError as error:
                    line["note"] = error.messages[0]
                else:
                    storage.save(_path(token, f"picture-{message.index}"), ContentFile(raw))
                    line["picture"], line["note"] = True, ""
                    pictures += 1
            elif archive and message.attachment.lower().endswith(whatsapp.IMAGE_EXTENSIONS):
                line["note"] = "The picture was not in the export."
        lines.append(line)
    draft = {
        "file_name": payload["file_name"],
        "platform": payload["platform"],
        "messages_in_export": sum(1 for m in messages if m.kind != whatsapp.Kind.SYSTEM),
        "lines": lines,
    }
    # Data minimisation: the whole conversation and the zip go now, before anything else.
    for name in ("messages.json", "export.zip"):
        if storage.exists(_path(token, name)):
            storage.delete(_path(token, name))
    storage.save(_path(token, "excerpt.json"), ContentFile(json.dumps(draft).encode()))
    return {
        **state,
        "stage": "picked",
        "picked": len(picked),
        "kept": len(lines),
        "pictures": pictures,
    }


@dataclass
class ExcerptDraft:
    """What will be stored with the report: kept lines and their inspected pictures."""

    file_name: str
    platform: str
    messages_in_export: int
    lines: list[dict[str, Any]]
    pictures: dict[int, InspectedImage] = field(default_factory=dict)

    @property
    def picked_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["picked"]]

    def sent_at(self, line: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(line["sent_at"])

    def prefill(self) -> dict[str, Any]:
        """Report form answers suggested by the picked messages (the parent can change them).
        The reporter's own messages and name are left out: the report text is seen by staff
        who may not know who reported."""
        picked = [line for line in self.picked_lines if not line["from_reporter"]]
        if not picked:
            return {}
        first = self.sent_at(picked[0])
        senders = list(dict.fromkeys(line["sender"] for line in picked if line["sender"]))
        return {
            # As the browser's date and time inputs want them (not the locale's format).
            "posted_on": first.date().isoformat(),
            "posted_time": f"{first:%H:%M}",
            "content": "\n".join(
                f"[{self.sent_at(line):%d/%m/%Y %H:%M}] {line['text'] or '(picture)'}"
                for line in picked
            ),
            "poster_description": ", ".join(senders)[:200],
        }


def chat_draft(*, state: dict[str, Any] | None, pictures: bool = False) -> ExcerptDraft | None:
    """The picked excerpt waiting for the report to be sent, or None. Its pictures are
    inspected again (decoded and cleaned) only when asked: when the report is being saved."""
    if not state or state.get("stage") != "picked":
        return None
    token = state.get("token", "")
    storage = _storage()
    try:
        with storage.open(_path(token, "excerpt.json"), "rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    draft = ExcerptDraft(
        data["file_name"], data["platform"], data["messages_in_export"], data["lines"]
    )
    for line in draft.lines:
        line["when"] = f"{draft.sent_at(line):%d/%m/%Y %H:%M}"
        if line["picture"] and pictures:
            try:
                with storage.open(_path(token, f"picture-{line['index']}"), "rb") as handle:
                    raw = handle.read()
                draft.pictures[line["index"]] = inspect_image(
                    SimpleUploadedFile(line["attachment"], raw)
                )
            except (OSError, ValidationError):
                line["picture"] = False
    return draft


def chat_discard(*, state: dict[str, Any] | None) -> None:
    """Delete everything held for this upload (after the report is saved, or on "remove")."""
    token = (state or {}).get("token", "")
    try:
        _, files = _storage().listdir(_path(token, ""))
    except (ValueError, OSError):
        return
    for name in files:
        _storage().delete(_path(token, name))


def chat_sweep(*, max_age: timedelta = UPLOAD_MAX_AGE) -> int:
    """Delete uploads abandoned for longer than `max_age`; return how many."""
    storage = _storage()
    try:
        folders, _ = storage.listdir(UPLOAD_DIR)
    except OSError:
        return 0
    cutoff = timezone.now() - max_age
    removed = 0
    for token in folders:
        try:
            _, files = storage.listdir(f"{UPLOAD_DIR}/{token}")
            times = [storage.get_modified_time(f"{UPLOAD_DIR}/{token}/{f}") for f in files]
        except OSError:
            continue
        if times and max(times) < cutoff:
            for name in files:
                storage.delete(f"{UPLOAD_DIR}/{token}/{name}")
            removed += 1
    return removed


# --- stored with the report ------------------------------------------------------------------


def excerpt_store(*, case: Case, report: Report, draft: ExcerptDraft, actor: Any = None) -> list:
    """Save the excerpt's lines and pictures (called inside report_submit's transaction).
    Returns the kept messages."""
    excerpt = ChatExcerpt.objects.create(
        report=report,
        platform=draft.platform,
        file_name=draft.file_name[:120],
        messages_in_export=draft.messages_in_export,
    )
    rows = []
    tz = timezone.get_current_timezone()
    for line in draft.lines:
        picture = draft.pictures.get(line["index"])
        evidence = None
        if picture is not None:
            [evidence] = evidence_store(case=case, report=report, items=[picture], actor=actor)
        rows.append(
            ExcerptMessage(
                excerpt=excerpt,
                position=line["index"],
                sent_at=timezone.make_aware(draft.sent_at(line), tz),
                sender=line["sender"][:200],
                text=line["text"],
                kind=line["kind"],
                edited=line["edited"],
                picked=line["picked"],
                from_reporter=line["from_reporter"],
                attachment_name=line["attachment"][:200] if evidence else "",
                evidence=evidence,
            )
        )
    return ExcerptMessage.objects.bulk_create(rows)


@dataclass(frozen=True)
class ShownMessage:
    """A kept message as one member of staff may see it."""

    pk: int
    sent_at: datetime
    sender: str
    text: str
    kind: str
    edited: bool
    picked: bool
    from_reporter: bool
    evidence: Evidence | None

    @property
    def quotable(self) -> bool:
        # Quoting the reporter's own words into a letter to someone else would name them.
        return bool(self.text) and not self.from_reporter and self.kind == whatsapp.Kind.TEXT


def reporter_identity(*, reports: list[Report], chat_lines: list[ExcerptMessage]):
    """The reporters' identity (incidents.identity) as the form gave it and as their chat
    export showed them (the senders they said were them): what is hidden from staff who may
    not see the reporter, and from every quote put into a letter."""
    from .identity import ReporterIdentity

    senders = {line.sender for line in chat_lines if line.from_reporter and line.sender}
    return ReporterIdentity(
        names=[*(r.reporter_name for r in reports), *senders],
        emails=[r.reporter_email for r in reports],
        phones=[*(r.reporter_phone for r in reports), *senders],
        first_names=True,
    )


def excerpt_for_viewer(messages: list[ExcerptMessage], *, hidden: Any = None) -> list[ShownMessage]:
    """Kept messages through the one rule for reporter identity: for staff who may not see
    the reporter (`hidden` is then their ReporterIdentity) a sender who is the reporter shows
    as "The reporter" and their details are hidden in every message's text."""
    shown = []
    for m in messages:
        is_reporter = m.from_reporter or bool(hidden and m.sender and hidden.find(m.sender))
        shown.append(
            ShownMessage(
                pk=m.pk,
                sent_at=m.sent_at,
                sender=REPORTER_LABEL if (hidden is not None and is_reporter) else m.sender,
                text=hidden.redact(m.text) if hidden is not None else m.text,
                kind=m.kind,
                edited=m.edited,
                picked=m.picked,
                from_reporter=is_reporter,
                evidence=m.evidence,
            )
        )
    return shown


def evidence_quotes(*, case: Case, tokens: list[str]) -> list[str]:
    """The exact words and time of kept chat messages (`m<id>`) and of text read from
    screenshots (`t<id>`) of this case, for a letter's conduct summary. Anything not on this
    case, or a message from the reporter, is skipped."""
    message_ids = [int(t[1:]) for t in tokens if re.fullmatch(r"m\d{1,12}", t)]
    evidence_ids = [int(t[1:]) for t in tokens if re.fullmatch(r"t\d{1,12}", t)]
    quotes = []
    tz = timezone.get_current_timezone()
    # No letter to anyone but the reporter names them: their details leave every quote.
    hidden = reporter_identity(
        reports=list(Report.objects.filter(case=case)),
        chat_lines=list(
            ExcerptMessage.objects.filter(excerpt__report__case=case, from_reporter=True)
        ),
    )
    messages = ExcerptMessage.objects.filter(
        excerpt__report__case=case, pk__in=message_ids, from_reporter=False
    ).order_by("sent_at", "position")
    for message in messages:
        if message.text:
            when = timezone.localtime(message.sent_at, tz)
            text = hidden.redact(message.text, NAME_REMOVED)
            quotes.append(f"At {when:%H:%M} on {when:%d/%m/%Y}: “{text}”")
    for evidence in Evidence.objects.filter(case=case, pk__in=evidence_ids).order_by("pk"):
        if evidence.text:
            when = timezone.localtime(evidence.uploaded_at, tz)
            text = hidden.redact(evidence.text, NAME_REMOVED)
            quotes.append(f"A screenshot sent on {when:%d/%m/%Y} reads: “{text}”")
    return quotes
