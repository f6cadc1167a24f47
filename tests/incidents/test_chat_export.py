"""A WhatsApp chat export on the public report form: upload, pick, keep only an excerpt."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import chat
from incidents.models import CaseEvent, ChatExcerpt, Evidence, ExcerptMessage, Report

from ..chat_samples import big_export, make_zip
from ..factories import report_form_data as valid_data
from ..images import image_bytes

CORPUS = Path(__file__).parent / "chat_exports"
UPLOAD = "/s/willow-park/report/chat/"
PICK = "/s/willow-park/report/chat/pick/"
REPORT = "/s/willow-park/report/"


def export_file(name: str = "android/uk_24h.txt", data: bytes | None = None, filename=None):
    data = data if data is not None else (CORPUS / name).read_bytes()
    return SimpleUploadedFile(filename or Path(name).name, data, content_type="text/plain")


def held_files() -> list[str]:
    """Every file held for chat uploads in private storage."""
    root = Path(storages["private"].location) / chat.UPLOAD_DIR
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def held_bytes() -> bytes:
    return b"".join(Path(p).read_bytes() for p in held_files())


@pytest.fixture(autouse=True)
def _empty_uploads():
    shutil.rmtree(Path(storages["private"].location) / chat.UPLOAD_DIR, ignore_errors=True)


@pytest.mark.django_db
def test_the_parent_is_told_what_is_kept_before_they_upload(school, client):
    text = client.get(UPLOAD).text
    assert "only those messages and up to 3 messages either side of each" in text
    assert "deleted as soon as you tick your messages" in text
    assert "other members' names and phone numbers" in text
    assert 'accept=".txt,.zip' in text
    form_text = client.get(REPORT).text
    assert "Attach a WhatsApp chat export" in form_text
    assert "Only those and up to 3 messages either side are kept" in form_text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, message",
    [
        ("malformed/not_a_chat.txt", "doesn’t look like a WhatsApp chat export"),
        ("malformed/latin1.txt", "isn’t in the text format WhatsApp uses"),
        ("malformed/empty.txt", "The submitted file is empty"),
    ],
)
def test_a_file_that_is_not_a_chat_gets_a_clear_message(school, client, name, message):
    response = client.post(UPLOAD, {"export": export_file(name)})
    assert response.status_code == 200
    assert (
        message.replace("’", "&#x27;") in response.text
        or message.replace("’", "'") in response.text
    )
    assert held_files() == []
    assert chat.SESSION_KEY not in client.session


@pytest.mark.django_db
def test_a_zip_bomb_gets_a_message_not_a_500(school, client):
    bomb = make_zip({"_chat.txt": b"14/03/2026, 19:42 - A: b\n" + b" " * (20 * 1024 * 1024)})
    response = client.post(UPLOAD, {"export": export_file(data=bomb, filename="chat.zip")})
    assert response.status_code == 200
    assert "not a WhatsApp export we can open safely" in response.text


@pytest.mark.django_db
def test_no_file(school, client):
    response = client.post(UPLOAD, {})
    assert "Choose the chat export file to attach" in response.text


def _upload_and_pick(
    client, picks, reporter="", name="android/uk_24h.txt", data=None, filename=None
):
    response = client.post(UPLOAD, {"export": export_file(name, data, filename)})
    assert response.status_code == 302 and response["Location"] == PICK, response.text[:2000]
    return client.post(PICK, {"picked": [str(p) for p in picks], "reporter": reporter})


@pytest.mark.django_db
def test_pick_page_lists_the_conversation_without_system_lines(school, client):
    client.post(UPLOAD, {"export": export_file()})
    text = client.get(PICK).text
    assert "Mrs Carter is useless and everyone knows it." in text
    assert 'name="picked" value="4"' in text
    assert "end-to-end encrypted" not in text and "added Tom Brown" not in text
    assert "This message was deleted" in text
    # The token that finds the upload is only in the server-side session.
    token = client.session[chat.SESSION_KEY]["token"]
    assert token not in text


@pytest.mark.django_db
def test_search_without_javascript_looks_through_the_whole_chat(school, client):
    client.post(UPLOAD, {"export": export_file(data=big_export(1000), filename="big.txt")})
    latest = client.get(PICK).text
    assert "Message number 990" in latest and "Message number 11<" not in latest
    found = client.get(PICK, {"q": "message number 11"}).text
    assert "Message number 11<" in found and "Message number 990" not in found
    assert "1 message found" in found or "messages found" in found
    assert client.get(PICK, {"page": "1"}).text.count('name="picked"') == chat.PAGE_SIZE


@pytest.mark.django_db
def test_nothing_ticked(school, client):
    response = _upload_and_pick(client, [])
    assert response.status_code == 200
    assert "Tick at least one message you are reporting." in response.text


@pytest.mark.django_db
def test_picking_keeps_the_excerpt_and_deletes_the_rest_at_once(school, client):
    response = _upload_and_pick(client, [4, 8])
    assert response.status_code == 302 and response["Location"] == REPORT
    # Only the excerpt is held now: the whole chat is gone from storage.
    assert [Path(p).name for p in held_files()] == ["excerpt.json"]
    held = held_bytes()
    assert b"Mrs Carter is useless" in held
    assert b"end-to-end" not in held and b"added Tom Brown" not in held
    form = client.get(REPORT).text
    assert "2 messages you picked" in form
    # The form is prefilled from the picked messages (the parent can change it).
    assert "[14/03/2026 19:43] Mrs Carter is useless" in form
    assert 'value="2026-03-14"' in form and 'value="19:43"' in form


@pytest.mark.django_db
def test_the_report_keeps_the_excerpt_and_the_chronology_says_which_messages(school, client):
    _upload_and_pick(client, [4, 8], reporter="Tom Brown")
    response = client.post(REPORT, valid_data(school, posted_on="2026-03-14"))
    assert response.status_code == 302, response.text[:3000]
    report = Report.objects.get()
    excerpt = ChatExcerpt.objects.get(report=report)
    assert excerpt.messages_in_export == 6 and excerpt.file_name == "uk_24h.txt"
    lines = list(ExcerptMessage.objects.filter(excerpt=excerpt))
    assert [m.position for m in lines] == [3, 4, 5, 6, 7, 8]
    assert [m.position for m in lines if m.picked] == [4, 8]
    assert [m.position for m in lines if m.from_reporter] == [3, 8]
    mark = lines[1]
    assert mark.sender == "Mark Jones"
    assert mark.text.startswith(
        "Mrs Carter is useless and everyone knows it.\nShe should be sacked."
    )
    assert timezone.localtime(mark.sent_at).strftime("%d/%m/%Y %H:%M") == "14/03/2026 19:43"
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.REPORT_RECEIVED)
    assert "2 messages picked from a WhatsApp chat export (14/03/2026 19:43, 14/03/2026 19:47)" in (
        event.summary
    )
    assert event.data["chat_messages_reported"] == [m.pk for m in lines if m.picked]
    assert held_files() == []
    assert chat.SESSION_KEY not in client.session


@pytest.mark.django_db
def test_a_reporter_who_says_nothing_is_not_marked(school, client):
    _upload_and_pick(client, [4])
    client.post(REPORT, valid_data(school))
    assert not ExcerptMessage.objects.filter(from_reporter=True).exists()


@pytest.mark.django_db
def test_prefill_leaves_out_the_reporters_own_messages(school, client):
    _upload_and_pick(client, [3, 4], reporter="Tom Brown")
    form = client.get(REPORT).text
    assert "[14/03/2026 19:43] Mrs Carter" in form
    assert "Has anyone seen the letter" not in form.split("<textarea")[1].split("</textarea>")[0]
    assert 'value="Mark Jones"' in form


@pytest.mark.django_db
def test_only_pictures_attached_to_kept_messages_are_kept(school, client, eager_tasks):
    chat_text = (
        (CORPUS / "ios/attached.txt").read_bytes()
        + "".join(f"[14/03/2026, 20:{i:02d}:00] Tom Brown: later {i}\n" for i in range(10)).encode()
        + "\u200e[14/03/2026, 21:00:00] Jane Smith: \u200e<attached: {}>\n".format(
            "00000099-PHOTO-2026-03-14-21-00-00.jpg"
        ).encode()
    )
    data = make_zip(
        {
            "_chat.txt": chat_text,
            "00000012-PHOTO-2026-03-14-19-42-06.jpg": image_bytes("JPEG", size=(400, 300)),
            "00000013-AUDIO-2026-03-14-19-42-07.opus": b"OggS" + b"\0" * 100,
            "00000099-PHOTO-2026-03-14-21-00-00.jpg": image_bytes("JPEG", color=(200, 0, 0)),
        }
    )
    response = _upload_and_pick(client, [1], data=data, filename="WhatsApp Chat - Year 3.zip")
    assert response.status_code == 302
    assert not any(p.endswith("export.zip") for p in held_files())
    client.post(REPORT, valid_data(school))
    kept = list(ExcerptMessage.objects.order_by("position"))
    photo = next(m for m in kept if m.position == 1)
    assert photo.evidence is not None and photo.evidence.kind == Evidence.Kind.IMAGE
    assert photo.evidence.clean and photo.evidence.width == 400
    assert Evidence.objects.count() == 1  # not the voice note, not the photo far away
    assert all(m.position < 8 for m in kept)


@pytest.mark.django_db
def test_the_upload_expires(school, client):
    client.post(UPLOAD, {"export": export_file()})
    assert chat.chat_sweep(max_age=datetime.timedelta(hours=1)) == 0
    assert chat.chat_sweep(max_age=datetime.timedelta(seconds=-1)) == 1
    assert held_files() == []
    response = client.get(PICK)
    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert "no longer here" in client.get(UPLOAD).text


@pytest.mark.django_db
def test_an_excerpt_that_expired_before_the_report_was_sent_keeps_what_was_typed(school, client):
    _upload_and_pick(client, [4])
    chat.chat_sweep(max_age=datetime.timedelta(seconds=-1))
    response = client.post(REPORT, valid_data(school, content="What I typed"))
    assert response.status_code == 200
    assert "no longer here" in response.text and "What I typed" in response.text
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_removing_the_export_deletes_it(school, client):
    _upload_and_pick(client, [4])
    response = client.post("/s/willow-park/report/chat/remove/")
    assert response.status_code == 302
    assert held_files() == [] and chat.SESSION_KEY not in client.session


@pytest.mark.django_db
def test_another_schools_form_does_not_see_this_export(school, other_school, client):
    _upload_and_pick(client, [4])
    assert "messages you picked" not in client.get("/s/elsewhere/report/").text
    assert client.get("/s/elsewhere/report/chat/pick/")["Location"] == "/s/elsewhere/report/chat/"


@pytest.mark.django_db
def test_the_privacy_notice_says_what_is_kept_from_an_export_and_what_is_discarded(client):
    text = client.get("/privacy/").text
    assert 'id="chat-exports"' in text
    assert "the messages you ticked and up to three messages" in text
    assert "other members' names and phone numbers" in text.replace("&#x27;", "'")
    assert "deleted as soon as you tick your messages" in text


@pytest.mark.django_db
def test_staff_log_a_report_with_a_chat_export(school, head, dsl, client):
    client.force_login(dsl)
    assert (
        client.post("/staff/cases/log-report/chat/", {"export": export_file()}).status_code == 404
    )
    client.force_login(head)
    school_q = f"?school={school.pk}"
    assert "Attach a WhatsApp chat export" in client.get("/staff/cases/log-report/").text
    response = client.post("/staff/cases/log-report/chat/" + school_q, {"export": export_file()})
    assert response["Location"] == "/staff/cases/log-report/chat/pick/" + school_q
    page = client.get("/staff/cases/log-report/chat/pick/" + school_q, {"q": "useless"}).text
    assert f'name="school" value="{school.pk}"' in page and "Mrs Carter is useless" in page
    response = client.post("/staff/cases/log-report/chat/pick/" + school_q, {"picked": ["4"]})
    assert response["Location"] == "/staff/cases/log-report/" + school_q
    form = client.get("/staff/cases/log-report/" + school_q).text
    assert "1 message picked" in form and "[14/03/2026 19:43] Mrs Carter" in form
    response = client.post(
        "/staff/cases/log-report/",
        {**valid_data(school, posted_on="2026-03-14"), "school": school.pk, "channel": "phone"},
    )
    assert response.status_code == 200 and "WPS-" in response.text
    excerpt = ChatExcerpt.objects.get()
    assert excerpt.report.channel == "phone"
    assert [m.position for m in excerpt.lines.all() if m.picked] == [4]
    assert held_files() == [] and chat.SESSION_KEY not in client.session


@pytest.mark.django_db
def test_beat_sweeps_abandoned_uploads_within_the_hour(school, client, settings):
    from incidents.tasks import sweep_chat_uploads

    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-chat-uploads"]
    assert schedule["task"] == "incidents.tasks.sweep_chat_uploads"
    assert chat.UPLOAD_MAX_AGE + datetime.timedelta(seconds=schedule["schedule"]) <= (
        datetime.timedelta(hours=1)
    )
    client.post(UPLOAD, {"export": export_file()})
    assert sweep_chat_uploads() == 0
    old = timezone.now().timestamp() - chat.UPLOAD_MAX_AGE.total_seconds() - 1
    for path in held_files():
        os.utime(path, (old, old))
    assert sweep_chat_uploads() == 1 and held_files() == []


@pytest.mark.django_db
def test_back_on_the_form_before_picking_the_parent_is_sent_on_to_pick(school, client):
    client.post(UPLOAD, {"export": export_file()})
    text = client.get(REPORT).text
    assert "haven&#x27;t picked the messages" in text or "haven't picked the messages" in text
    assert f'href="{PICK}"' in text
    # Sending the report anyway deletes the unpicked export.
    assert client.post(REPORT, valid_data(school)).status_code == 302
    assert held_files() == [] and not ChatExcerpt.objects.exists()
