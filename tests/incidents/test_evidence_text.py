"""Kept chat excerpts and text read from screenshots, as staff see and use them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from incidents import chat, ocr, redaction
from incidents.evidence import evidence_store, inspect_image
from incidents.models import (
    AccessLog,
    CaseEvent,
    Evidence,
    ExcerptMessage,
    OcrStatus,
    SensitiveName,
)

from ..factories import report_with_chat, submit_report, triage
from ..images import text_screenshot, upload


@pytest.fixture
def tesseract():
    import shutil

    from ..helpers import require_service

    require_service("Tesseract", bool(shutil.which("tesseract")), "apt-get install tesseract-ocr")


SCREENSHOT_LINES = [
    "Mrs Carter is useless and a disgrace",
    "Call me on 07700 900123",
    "or mark.jones@example.com",
    "Ask Poppy Smith about it",
]


@pytest.mark.django_db
def test_slt_see_the_excerpt_as_a_conversation_with_the_reporter_named(school, head, client):
    report = report_with_chat(school)
    client.force_login(head)
    text = client.get(f"/staff/cases/{report.case.reference}/").text
    assert "From a WhatsApp chat export" in text
    assert "4 of 812 messages kept" in text
    assert text.count("<strong>reported</strong>") == 2
    assert "Mrs Carter is useless and everyone knows it." in text
    assert "14/03/2026 19:43" in text
    assert "Priya Shah" in text


@pytest.mark.django_db
def test_trust_executives_never_learn_the_reporter_from_the_excerpt(school, trust_exec, client):
    report = report_with_chat(school)
    client.force_login(trust_exec)
    text = client.get(f"/staff/cases/{report.case.reference}/").text
    assert "Mrs Carter is useless" in text
    assert "Priya" not in text and "Shah" not in text
    assert "The reporter" in text
    assert "@[reporter&#x27;s details hidden] shut up" in text


@pytest.mark.django_db
def test_quote_a_message_into_a_formal_warning_with_its_exact_words_and_time(school, head, client):
    report = report_with_chat(school, triage_by=head)
    mark = ExcerptMessage.objects.get(position=41)
    client.force_login(head)
    page = client.get(f"/staff/cases/{report.case.reference}/").text
    link = f"/staff/letters/case/{report.case.reference}/new/warning/?quote=m{mark.pk}"
    assert link in page
    # The reporter's own messages can't be quoted into a letter to someone else.
    reporter_line = ExcerptMessage.objects.get(position=40)
    assert f"quote=m{reporter_line.pk}" not in page
    form = client.get(link).text
    assert "At 19:43 on 14/03/2026: “Mrs Carter is useless and everyone knows it.”" in form


@pytest.mark.django_db
def test_quotes_only_come_from_this_case_and_never_from_the_reporter(school, head, client):
    report = report_with_chat(school)
    other = report_with_chat(school)
    theirs = ExcerptMessage.objects.get(excerpt__report=other, position=41)
    reporter_line = ExcerptMessage.objects.get(excerpt__report=report, position=40)
    assert (
        chat.evidence_quotes(
            case=report.case, tokens=[f"m{theirs.pk}", f"m{reporter_line.pk}", "x1", "m"]
        )
        == []
    )


@pytest.mark.django_db
def test_office_staff_see_neither_excerpt_nor_text(school, office, client):
    report = report_with_chat(school)
    client.force_login(office)
    assert client.get(f"/staff/cases/{report.case.reference}/").status_code == 404


# --- OCR -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clean_copies_in_process(eager_tasks):
    """Screenshots' clean copies are made by a task: here in-process, whatever the broker."""


def screenshot_evidence(school, lines=SCREENSHOT_LINES):
    image = inspect_image(upload(text_screenshot(lines), "chat.png"))
    report, _ = submit_report(school, images=[image])
    return report, Evidence.objects.get(report=report)


@pytest.mark.django_db
def test_a_new_screenshot_waits_for_its_text(school, head, client):
    report, evidence = screenshot_evidence(school)
    assert evidence.ocr_status == OcrStatus.PENDING
    client.force_login(head)
    assert "Text being read" in client.get(f"/staff/cases/{report.case.reference}/").text


@pytest.mark.django_db
def test_ocr_reads_the_text_and_suggests_redactions(school, head, client, tesseract):
    SensitiveName.objects.create(school=school, name="Poppy  Smith")
    report, evidence = screenshot_evidence(school)
    assert ocr.evidence_ocr(evidence.pk) == OcrStatus.DONE
    evidence.refresh_from_db()
    assert "Mrs Carter is useless and a disgrace" in evidence.ocr_text
    assert [(s["kind"], s["text"], s["status"]) for s in evidence.redaction_suggestions] == [
        ("email", "mark.jones@example.com", "suggested"),
        ("phone", "07700 900123", "suggested"),
        ("name", "Poppy Smith", "suggested"),
    ]
    # Safe to run twice.
    assert ocr.evidence_ocr(evidence.pk) == OcrStatus.DONE
    client.force_login(head)
    page = client.get(f"/staff/cases/{report.case.reference}/").text
    assert "Text in this screenshot" in page and "Mrs Carter is useless" in page
    assert "Suggested redactions" in page and "Confirm" in page
    assert f"new/warning/?quote=t{evidence.pk}" in page


@pytest.mark.django_db
def test_when_tesseract_is_missing_the_case_says_text_not_extracted(
    school, head, client, monkeypatch
):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    report, evidence = screenshot_evidence(school)
    assert ocr.evidence_ocr(evidence.pk) == OcrStatus.FAILED
    evidence.refresh_from_db()
    assert evidence.ocr_status == OcrStatus.FAILED and "Tesseract" in evidence.ocr_error
    client.force_login(head)
    page = client.get(f"/staff/cases/{report.case.reference}/").text
    assert "Text not extracted." in page and "Read the text again" in page
    monkeypatch.undo()
    response = client.post(f"/staff/evidence/{evidence.pk}/read-again/")
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.ocr_status == OcrStatus.PENDING


@pytest.mark.django_db
def test_the_report_is_saved_even_if_the_task_cannot_be_queued(school, client, broker_down):
    from ..factories import REPORT_URL as URL
    from ..factories import report_form_data as valid_data

    response = client.post(
        URL, {**valid_data(school), "screenshots": [upload(text_screenshot(["hello"]), "s.png")]}
    )
    assert response.status_code == 302
    assert Evidence.objects.get().ocr_status == OcrStatus.PENDING


@pytest.mark.django_db
def test_staff_correct_the_text_and_the_original_reading_is_kept(school, head, client, tesseract):
    report, evidence = screenshot_evidence(school)
    ocr.evidence_ocr(evidence.pk)
    client.force_login(head)
    url = f"/staff/evidence/{evidence.pk}/text/"
    assert "Correct the text" in client.get(url).text
    assert AccessLog.objects.filter(evidence=evidence, action="view_evidence").count() == 1
    response = client.post(url, {"text": "   \n  "})
    assert response.status_code == 200
    assert "Type the text as it appears in the screenshot." in response.text
    response = client.post(
        url, {"text": "Mrs Carter is useless and a disgrace.\nCall 07700 900999"}
    )
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.text_correction.startswith("Mrs Carter is useless and a disgrace.")
    assert "07700 900123" in evidence.ocr_text
    assert evidence.text_corrected_by == head
    assert ("phone", "07700 900999") in [
        (s["kind"], s["text"]) for s in evidence.redaction_suggestions
    ]
    assert (
        CaseEvent.objects.filter(case=report.case, kind=CaseEvent.Kind.EVIDENCE_TEXT).count() == 1
    )
    page = client.get(f"/staff/cases/{report.case.reference}/").text
    assert "corrected by Helen Carter" in page and "Original reading" in page


@pytest.mark.django_db
def test_a_person_confirms_or_dismisses_each_redaction(school, head, client, tesseract):
    report, evidence = screenshot_evidence(school)
    ocr.evidence_ocr(evidence.pk)
    client.force_login(head)
    url = f"/staff/evidence/{evidence.pk}/redaction/"
    assert client.post(url, {"number": "1", "decision": "confirmed"}).status_code == 302
    assert client.post(url, {"number": "0", "decision": "dismissed"}).status_code == 302
    client.post(url, {"number": "99", "decision": "confirmed"})
    evidence.refresh_from_db()
    assert [s["status"] for s in evidence.redaction_suggestions] == ["dismissed", "confirmed"]
    events = CaseEvent.objects.filter(case=report.case, kind=CaseEvent.Kind.REDACTION)
    assert [e.summary for e in events] == [
        "Phone number in “chat.png” confirmed for redaction",
        "Email address in “chat.png” dismissed for redaction",
    ]
    # A correction later keeps the decisions already taken.
    client.post(f"/staff/evidence/{evidence.pk}/text/", {"text": evidence.ocr_text + "\nmore"})
    evidence.refresh_from_db()
    assert [s["status"] for s in evidence.redaction_suggestions] == ["dismissed", "confirmed"]


@pytest.mark.django_db
def test_who_may_correct(school, trust_exec, dsl, office, other_head, client):
    _report, evidence = screenshot_evidence(school)
    url = f"/staff/evidence/{evidence.pk}/text/"
    for user, status in ((office, 404), (other_head, 404), (dsl, 404), (trust_exec, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status, user


@pytest.mark.django_db
def test_documents_have_no_text_to_read(school, head, client):
    report, _ = submit_report(school)
    [doc] = evidence_store(
        case=report.case,
        items=[
            __import__("incidents.evidence").evidence.InspectedDocument(
                "a.pdf", b"%PDF-1.4", "0" * 64
            )
        ],
    )
    assert ocr.evidence_ocr(doc.pk) == ""
    client.force_login(head)
    assert client.get(f"/staff/evidence/{doc.pk}/text/").status_code == 404


def test_redaction_suggestions_at_their_edges():
    found = redaction.suggest(
        "Ring +44 7700 900123 or (0161) 496 0000, not 12345. Email a.b@school.sch.uk. "
        "Poppy\u00a0Smith and POPPY SMITH and Poppysmith",
        names=["Poppy Smith", "   "],
    )
    assert [(s["kind"], s["text"]) for s in found] == [
        ("email", "a.b@school.sch.uk"),
        ("phone", "+44 7700 900123"),
        ("phone", "(0161) 496 0000"),
        ("name", "Poppy Smith"),
    ]


# --- search ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_case_list_finds_text_in_screenshots_and_chat_messages(school, head, client):
    report, evidence = screenshot_evidence(school, ["Zebracrossing outrage"])
    Evidence.objects.filter(pk=evidence.pk).update(
        ocr_status="done", ocr_text="zebracrossing outrage"
    )
    chat_report = report_with_chat(school)
    plain, _ = submit_report(school)
    client.force_login(head)
    found = client.get("/staff/cases/", {"q": "ZEBRACROSSING"}).text
    assert report.case.reference in found and plain.case.reference not in found
    found = client.get("/staff/cases/", {"q": "wait for her after school"}).text
    assert chat_report.case.reference in found and plain.case.reference not in found
    # A correction is searched too.
    Evidence.objects.filter(pk=evidence.pk).update(text_correction="giraffe words")
    assert report.case.reference in client.get("/staff/cases/", {"q": "giraffe"}).text


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reads_a_screenshot_and_the_case_is_found_by_its_text(
    school, head, client, celery_worker_on_redis, tesseract
):
    from tests.helpers import wait_for

    from ..factories import REPORT_URL as URL
    from ..factories import report_form_data as valid_data

    picture = upload(
        text_screenshot(["Quizzical hedgehog threatens", "the Year 3 teacher"]), "s.png"
    )
    response = client.post(URL, {**valid_data(school), "screenshots": [picture]})
    assert response.status_code == 302
    wait_for(lambda: Evidence.objects.get().ocr_status != OcrStatus.PENDING, 60)
    evidence = Evidence.objects.get()
    assert evidence.ocr_status == OcrStatus.DONE, evidence.ocr_error
    client.force_login(head)
    found = client.get("/staff/cases/", {"q": "quizzical hedgehog"}).text
    assert evidence.case.reference in found
    assert timezone.now() - evidence.ocr_at < datetime.timedelta(minutes=2)


@pytest.mark.django_db
def test_only_those_who_run_the_case_may_decide_or_ask_again(
    school, dsl, office, other_head, client, tesseract
):
    _report, evidence = screenshot_evidence(school)
    ocr.evidence_ocr(evidence.pk)
    for user in (dsl, office, other_head):
        client.force_login(user)
        for path, data in (
            ("read-again/", {}),
            ("redaction/", {"number": "0", "decision": "confirmed"}),
            ("text/", {"text": "changed"}),
        ):
            assert client.post(f"/staff/evidence/{evidence.pk}/{path}", data).status_code == 404
    evidence.refresh_from_db()
    assert evidence.text_correction == ""
    assert {s["status"] for s in evidence.redaction_suggestions} == {"suggested"}


@pytest.mark.django_db
def test_slt_list_sensitive_names_and_screenshots_already_read_are_suggested(
    school, other_school, head, other_head, client
):
    _report, evidence = screenshot_evidence(school)
    Evidence.objects.filter(pk=evidence.pk).update(
        ocr_status="done", ocr_text="Ask Poppy  Smith about it"
    )
    client.force_login(head)
    url = "/staff/sensitive-names/"
    assert "No names listed yet." in client.get(url).text
    response = client.post(url, {"name": "   ", "school": school.pk})
    assert "Type the name to list." in response.text
    response = client.post(url, {"name": "Poppy\u00a0Smith", "school": school.pk})
    assert response.status_code == 302
    assert "Poppy Smith" in client.get(url).text
    again = client.post(url, {"name": "poppy smith", "school": school.pk})
    assert "is already on the list" in again.text and 'value="poppy smith"' in again.text
    evidence.refresh_from_db()
    assert [(s["kind"], s["text"]) for s in evidence.redaction_suggestions] == [
        ("name", "Poppy Smith")
    ]
    # Another school's head can neither see nor remove it.
    name = SensitiveName.objects.get()
    client.force_login(other_head)
    assert "Poppy" not in client.get(url).text
    assert client.post(f"/staff/sensitive-names/{name.pk}/remove/").status_code == 404
    client.force_login(head)
    assert client.post(f"/staff/sensitive-names/{name.pk}/remove/").status_code == 302
    assert not SensitiveName.objects.exists()


@pytest.mark.django_db
def test_a_merged_report_brings_its_excerpt_and_the_excerpt_is_never_edited(school, head, client):
    from incidents.models import ImmutableRecordError
    from incidents.workflow import cases_merge

    target = submit_report(school)[0].case
    triage(target, head)
    source = report_with_chat(school)
    cases_merge(target=target, sources=[source.case], actor=head, rationale="Same post")
    client.force_login(head)
    page = client.get(f"/staff/cases/{target.reference}/").text
    assert "Mrs Carter is useless and everyone knows it." in page
    line = ExcerptMessage.objects.get(position=41)
    assert chat.evidence_quotes(case=target, tokens=[f"m{line.pk}"])
    with pytest.raises(ImmutableRecordError):
        line.text = "changed"
        line.save()
    with pytest.raises(ImmutableRecordError):
        ExcerptMessage.objects.filter(pk=line.pk).update(text="changed")


@pytest.mark.django_db
def test_a_quote_never_names_the_reporter(school, head):
    report = report_with_chat(school)
    threat = ExcerptMessage.objects.get(excerpt__report=report, position=43)
    [quote] = chat.evidence_quotes(case=report.case, tokens=[f"m{threat.pk}"])
    assert quote == (
        "At 19:45 on 14/03/2026: “@[name removed] shut up, someone should wait for her "
        "after school”"
    )
    # The name the reporter gave on the form is removed from a screenshot's text too.
    _report, evidence = screenshot_evidence(school)
    Evidence.objects.filter(pk=evidence.pk).update(
        case=report.case, ocr_status="done", ocr_text="priya shah told everyone. Priya!"
    )
    [quote] = chat.evidence_quotes(case=report.case, tokens=[f"t{evidence.pk}"])
    assert "Priya" not in quote and "priya" not in quote and "Shah" not in quote


@pytest.mark.django_db(transaction=True)
def test_with_no_broker_the_text_is_read_in_the_background_not_in_the_request(
    school, client, settings, eager_tasks, tesseract
):
    from tests.helpers import wait_for

    from ..factories import REPORT_URL as URL
    from ..factories import report_form_data as valid_data

    settings.OCR_THREAD_WHEN_EAGER = True
    picture = upload(text_screenshot(["Background reading works"]), "s.png")
    response = client.post(URL, {**valid_data(school), "screenshots": [picture]})
    assert response.status_code == 302
    # The parent already has their answer; the reading finishes on its own thread.
    wait_for(lambda: Evidence.objects.get().ocr_status != OcrStatus.PENDING, 60)
    evidence = Evidence.objects.get()
    assert evidence.ocr_status == OcrStatus.DONE, evidence.ocr_error
    assert "Background reading works" in evidence.ocr_text
