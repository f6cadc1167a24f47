"""The WhatsApp export parser over a corpus of sample exports, one file per edge case
(tests/incidents/chat_exports/), and the zip files built here."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from incidents import whatsapp
from incidents.whatsapp import ExportError, Kind, Platform, read_export

from ..chat_samples import big_export, make_zip
from ..images import image_bytes

CORPUS = Path(__file__).parent / "chat_exports"


def load(name: str) -> whatsapp.Export:
    path = CORPUS / name
    return read_export(path.read_bytes(), path.name)


def shape(export: whatsapp.Export) -> list[tuple]:
    return [(m.sent_at, m.kind, m.sender, m.text, m.edited, m.attachment) for m in export.messages]


UK_24H = [
    (datetime(2026, 3, 14, 19, 40), Kind.SYSTEM),
    (datetime(2026, 3, 14, 19, 40), Kind.SYSTEM),
    (datetime(2026, 3, 14, 19, 41), Kind.SYSTEM),
    (datetime(2026, 3, 14, 19, 42), Kind.TEXT),
    (datetime(2026, 3, 14, 19, 43), Kind.TEXT),
    (datetime(2026, 3, 14, 19, 44), Kind.MEDIA),
    (datetime(2026, 3, 14, 19, 45), Kind.DELETED),
    (datetime(2026, 3, 14, 19, 46), Kind.DELETED),
    (datetime(2026, 3, 14, 19, 47), Kind.TEXT),
    (datetime(2026, 3, 14, 19, 48), Kind.SYSTEM),
]


@pytest.mark.parametrize(
    "name, platform",
    [("android/uk_24h.txt", Platform.ANDROID), ("ios/uk_24h_seconds.txt", Platform.IOS)],
)
def test_the_same_chat_reads_the_same_on_both_platforms(name, platform):
    export = load(name)
    assert export.platform == platform
    got = [(m.sent_at.replace(second=0), m.kind) for m in export.messages]
    assert got == UK_24H
    texts = {m.index: m for m in export.messages}
    # A multi-line message keeps its lines, and only its own lines.
    assert texts[4].sender == "Mark Jones"
    assert texts[4].text.startswith(
        "Mrs Carter is useless and everyone knows it.\nShe should be sacked."
    )
    # System lines have no sender: on iOS they come under the group's name, marked U+200E.
    assert [m.text[:20] for m in export.messages if m.kind == Kind.SYSTEM][:3] == [
        "Messages and calls a",
        "Jane Smith created g",
        "Jane Smith added Tom",
    ]
    assert all(m.sender == "" for m in export.messages if m.kind == Kind.SYSTEM)
    # Deleted messages, the edited marker and omitted media.
    assert (texts[6].text, texts[7].text) == (
        "This message was deleted",
        "You deleted this message",
    )
    assert texts[8].text == "Please keep it civil everyone" and texts[8].edited
    assert texts[5].text == "" and texts[5].sender == "Jane Smith"
    assert export.messages[-1].text == "Mark Jones left"
    assert export.senders == ["Tom Brown", "Mark Jones", "Jane Smith"]


def test_ios_seconds_are_kept():
    assert load("ios/uk_24h_seconds.txt").messages[4].sent_at == datetime(2026, 3, 14, 19, 43, 10)
    assert [m.sent_at.second for m in load("android/with_seconds.txt").messages] == [7, 59]


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "android/uk_12h_narrow_space.txt",
            [
                datetime(2026, 3, 14, 19, 40),
                datetime(2026, 3, 14, 19, 42),
                datetime(2026, 3, 14, 23, 59),
                datetime(2026, 3, 15, 0, 5),  # 12:05 am is just after midnight
                datetime(2026, 3, 15, 12, 30),  # 12:30 pm is just after noon
            ],
        ),
        (
            "ios/uk_12h_narrow_space.txt",
            [
                datetime(2026, 3, 14, 19, 42, 5),
                datetime(2026, 3, 15, 0, 5),
                datetime(2026, 3, 15, 9, 0),
            ],
        ),
        ("ios/us_12h.txt", [datetime(2026, 3, 14, 19, 42, 5), datetime(2026, 3, 15, 9, 0)]),
        (
            "android/us_month_first.txt",
            [
                datetime(2026, 3, 14, 19, 42),
                datetime(2026, 3, 14, 19, 43),
                datetime(2026, 4, 2, 8, 0),
            ],
        ),
        (
            "android/two_digit_year.txt",
            [datetime(2026, 3, 14, 19, 42), datetime(2026, 3, 15, 8, 5)],
        ),
        ("ios/no_seconds.txt", [datetime(2026, 3, 14, 19, 42), datetime(2026, 3, 14, 19, 43)]),
        (
            "android/dotted_am_pm.txt",
            [datetime(2026, 3, 14, 19, 42), datetime(2026, 3, 15, 9, 5)],
        ),
        (
            "android/dots_in_dates.txt",
            [datetime(2026, 3, 14, 19, 42), datetime(2026, 3, 15, 8, 5)],
        ),
        ("ios/no_comma.txt", [datetime(2026, 3, 14, 19, 42, 5), datetime(2026, 3, 15, 8, 5)]),
        ("android/year_first.txt", [datetime(2026, 3, 14, 19, 42), datetime(2026, 3, 15, 8, 5)]),
    ],
)
def test_times_and_dates(name, expected):
    assert [m.sent_at for m in load(name).messages] == expected


def test_dates_that_could_be_either_way_are_read_day_first():
    export = load("android/ambiguous_dates_uk.txt")
    assert export.day_first
    assert [m.sent_at.date().isoformat() for m in export.messages] == ["2026-04-03", "2026-05-04"]


def test_month_first_only_when_the_file_proves_it():
    assert not load("android/us_month_first.txt").day_first
    # One day over 12 in the first place anywhere in the file makes it day first.
    text = "3/4/26, 9:00 - A: one\n13/4/26, 9:00 - B: two\n"
    messages, _platform, day_first = whatsapp.parse_text(text)
    assert day_first and messages[0].sent_at == datetime(2026, 4, 3, 9, 0)


def test_bom_and_windows_line_endings():
    export = load("android/bom_crlf.txt")
    assert export.messages[0].sender == "Tom Brown"
    assert export.messages[0].text == "Windows line endings\nand a second line"


def test_utf16_with_a_bom_is_read():
    data = "14/03/2026, 19:42 - Tom Brown: hello\n".encode("utf-16")
    assert read_export(data, "chat.txt").messages[0].text == "hello"


def test_system_line_with_a_colon_and_a_message_that_mentions_adding():
    got = [(m.kind, m.sender, m.text) for m in load("android/subject_with_colon.txt").messages]
    assert got == [
        (Kind.SYSTEM, "", 'Jane Smith changed the subject from "Re: trip" to "Year 3 parents"'),
        (Kind.TEXT, "Tom Brown", "Tom: Jane added Bob lol"),
        (Kind.SYSTEM, "", "Jane Smith changed this group's icon"),
        (Kind.SYSTEM, "", "Jane Smith removed Mark Jones"),
        (Kind.SYSTEM, "", "Sam joined using this group's invite link"),
    ]


def test_phone_numbers_names_with_odd_spaces_and_emoji():
    messages = load("android/phone_numbers_and_spaces.txt").messages
    # WhatsApp wraps numbers in U+202A…U+202C; a non-breaking and a double space become one.
    assert [m.sender for m in messages] == [
        "+44 7700 900123",
        "Mary Ann Lee",
        "",
        "🌟 Sunny Mum 🌟",
    ]
    assert messages[1].text.endswith("😀")
    assert messages[2].kind == Kind.SYSTEM and "\u202a" not in messages[2].text
    assert messages[3].text == "Emoji in the name 👍🏽"


def test_right_to_left_marks_are_removed_from_names_but_not_from_the_words():
    messages = load("android/rtl_marks.txt").messages
    assert messages[0].sender == "فاطمة"
    assert messages[0].text == "مرحبا بالجميع"
    assert messages[1].text == "Hello"


@pytest.mark.parametrize(
    "name, attachments",
    [
        ("android/file_attached.txt", ["IMG-20260314-WA0003.jpg", "PTT-20260314-WA0004.opus", ""]),
        (
            "ios/attached.txt",
            [
                "",
                "00000012-PHOTO-2026-03-14-19-42-06.jpg",
                "00000013-AUDIO-2026-03-14-19-42-07.opus",
                "",
            ],
        ),
    ],
)
def test_attachments(name, attachments):
    messages = load(name).messages
    assert [m.attachment for m in messages] == attachments
    assert [m.kind for m in messages if m.attachment] == [Kind.MEDIA, Kind.MEDIA]
    if name.startswith("android"):
        assert messages[0].text == "Look at this"  # the caption on the next line stays


@pytest.mark.parametrize(
    "name, message",
    [
        ("malformed/not_a_chat.txt", "doesn't look like a WhatsApp chat export"),
        ("malformed/empty.txt", "doesn't look like a WhatsApp chat export"),
        ("malformed/only_system.txt", "doesn't look like a WhatsApp chat export"),
        ("malformed/latin1.txt", "isn't in the text format WhatsApp uses"),
        ("malformed/picture_named_txt.txt", "is not a chat export"),
    ],
)
def test_malformed_files_get_a_clear_message(name, message):
    with pytest.raises(ExportError) as caught:
        load(name)
    assert message in caught.value.message
    assert Path(name).name in caught.value.message


def test_50000_messages_parse_within_the_form_budget():
    data = big_export(50_000)
    # CPU time, the best of three runs: the machine is shared, and the budget is about the
    # parser's work, not about how long it waited for a core (bench/chat_parse.py has both).
    timings = []
    for _ in range(3):
        started = time.process_time()
        export = read_export(data, "WhatsApp Chat with Year 3.txt")
        timings.append(time.process_time() - started)
        if timings[-1] < whatsapp.PARSE_BUDGET_SECONDS:
            break
    assert min(timings) < whatsapp.PARSE_BUDGET_SECONDS, timings
    assert len([m for m in export.messages if m.kind != Kind.SYSTEM]) == 50_000
    assert export.messages[-1].sent_at == datetime(2025, 9, 1, 7, 30) + timedelta(
        minutes=3 * 49_999
    )


def test_a_hostile_file_of_headers_is_refused_at_the_cap_not_read_to_the_end(monkeypatch):
    monkeypatch.setattr(whatsapp, "MAX_MESSAGES", 1000)
    calls = []
    real = whatsapp._when
    monkeypatch.setattr(whatsapp, "_when", lambda *a: calls.append(1) or real(*a))
    data = b"14/03/2026, 19:42 - zzz\n" * 100_000
    with pytest.raises(ExportError, match="more than 1,000 messages"):
        read_export(data, "c.txt")
    assert calls == []  # refused while scanning, before any message was built


def test_the_size_caps():
    with pytest.raises(ExportError, match="larger than 64 MB"):
        read_export(b"x" * (whatsapp.MAX_UPLOAD_BYTES + 1), "chat.txt")
    with pytest.raises(ExportError, match="too long to read"):
        read_export(b"x" * (whatsapp.MAX_TEXT_BYTES + 1), "chat.txt")
    # Exactly at the text cap is still read (and then found not to be a chat).
    with pytest.raises(ExportError, match="doesn't look like"):
        read_export(b"x" * whatsapp.MAX_TEXT_BYTES, "chat.txt")


def test_too_many_messages(monkeypatch):
    monkeypatch.setattr(whatsapp, "MAX_MESSAGES", 11)
    assert len(read_export(big_export(10), "c.txt").messages) == 11  # 10 + the e2e line
    with pytest.raises(ExportError, match="more than 11 messages"):
        read_export(big_export(11), "c.txt")


# --- zips ------------------------------------------------------------------------------------


def test_ios_zip_with_media():
    chat = (CORPUS / "ios/attached.txt").read_bytes()
    photo = image_bytes("JPEG")
    data = make_zip(
        {
            "_chat.txt": chat,
            "00000012-PHOTO-2026-03-14-19-42-06.jpg": photo,
            "00000013-AUDIO-2026-03-14-19-42-07.opus": b"OggS" + b"\0" * 100,
        }
    )
    export = read_export(data, "WhatsApp Chat - Year 3.zip")
    assert export.platform == Platform.IOS and len(export.messages) == 4
    assert set(export.media) == {
        "00000012-PHOTO-2026-03-14-19-42-06.jpg",
        "00000013-AUDIO-2026-03-14-19-42-07.opus",
    }
    assert whatsapp.read_media(data, "00000012-PHOTO-2026-03-14-19-42-06.jpg") == photo
    # Only pictures are ever read out.
    assert whatsapp.read_media(data, "00000013-AUDIO-2026-03-14-19-42-07.opus") is None


def test_android_zip_finds_its_chat_file():
    chat = (CORPUS / "android/file_attached.txt").read_bytes()
    data = make_zip(
        {"WhatsApp Chat with Year 3.txt": chat, "IMG-20260314-WA0003.jpg": image_bytes("JPEG")}
    )
    export = read_export(data, "WhatsApp Chat with Year 3.zip")
    assert export.platform == Platform.ANDROID
    assert "IMG-20260314-WA0003.jpg" in export.media


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"../../etc/evil.txt": b"14/03/2026, 19:42 - A: b\n"}, "we can open safely"),
        ({"/abs/_chat.txt": b"14/03/2026, 19:42 - A: b\n"}, "we can open safely"),
        ({"C:/x/_chat.txt": b"14/03/2026, 19:42 - A: b\n"}, "we can open safely"),
        ({"_chat.txt": b"14/03/2026, 19:42 - A: b\n", "inner.zip": b"PK\x03\x04"}, "another zip"),
        ({"photo.jpg": image_bytes("JPEG")}, "has no chat text inside"),
        ({"_chat.txt": b"shopping list\n"}, "doesn't look like"),
    ],
)
def test_unsafe_or_wrong_zips(entries, message):
    with pytest.raises(ExportError, match=message):
        read_export(make_zip(entries), "export.zip")


def test_a_zip_pretending_its_chat_is_a_zip():
    with pytest.raises(ExportError, match="another zip"):
        read_export(make_zip({"_chat.txt": make_zip({"a.txt": b"x"})}), "export.zip")


def test_zip_bomb_is_refused_before_it_is_inflated():
    bomb = make_zip({"_chat.txt": b"14/03/2026, 19:42 - A: b\n" + b" " * (50 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(ExportError, match="we can open safely"):
        read_export(bomb, "export.zip")


def test_a_zip_that_lies_about_its_size_is_read_only_up_to_the_cap(monkeypatch):
    # The declared sizes are believed only for refusing; reading stops at the cap regardless.
    monkeypatch.setattr(whatsapp, "MAX_COMPRESSION_RATIO", 10**9)
    monkeypatch.setattr(whatsapp, "MAX_TEXT_BYTES", 1000)
    data = make_zip({"_chat.txt": b"14/03/2026, 19:42 - A: b\n" + b"x" * 5000})
    with pytest.raises(ExportError, match="too long to read"):
        read_export(data, "export.zip")


def test_damaged_zip():
    data = make_zip({"_chat.txt": b"14/03/2026, 19:42 - A: b\n" * 100})
    with pytest.raises(ExportError, match="damaged"):
        read_export(data[: len(data) // 2], "export.zip")


def test_encrypted_zip_entries_are_refused():
    data = bytearray(
        make_zip({"_chat.txt": b"14/03/2026, 19:42 - A: b\n"}, compression=zipfile.ZIP_STORED)
    )
    # Set the "encrypted" flag in the local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = bytes(data).find(signature)
        data[at + offset] |= 0x1
    with pytest.raises(ExportError):
        read_export(bytes(data), "export.zip")


# --- the excerpt -----------------------------------------------------------------------------


def test_excerpt_keeps_picks_and_three_either_side_skipping_system_lines():
    messages = load("android/uk_24h.txt").messages
    # Index 4 (Mark's message): 3 before would reach the system lines, which are not kept.
    assert whatsapp.excerpt_indexes(messages, [4]) == [3, 4, 5, 6, 7]
    assert whatsapp.excerpt_indexes(messages, [8]) == [5, 6, 7, 8]
    assert whatsapp.excerpt_indexes(messages, [4], context=1) == [3, 4, 5]
    assert whatsapp.excerpt_indexes(messages, [999]) == []
    big = read_export(big_export(100), "c.txt").messages
    assert whatsapp.excerpt_indexes(big, [50, 52]) == list(range(47, 56))
