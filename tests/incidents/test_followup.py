"""Receipt codes and the follow-up page."""

from __future__ import annotations

import logging
import math

import pytest

from incidents import codes
from incidents.models import CaseEvent, Message
from incidents.notifications import Kind as NotificationKind
from tests.factories import submit_report
from tests.images import png_upload

URL = "/follow-up/"


def test_code_has_at_least_80_bits_and_is_grouped_for_reading():
    code = codes.generate_followup_code()
    raw = code.replace("-", "")
    assert len(raw) * math.log2(len(set(codes.ALPHABET))) >= 80
    assert len(code.split("-")) == 4 and all(len(g) == 4 for g in code.split("-"))
    assert set(raw) <= set(codes.ALPHABET)
    assert len({codes.generate_followup_code() for _ in range(200)}) == 200


def test_code_is_stored_as_a_keyed_hash_and_typing_is_forgiving():
    code = "K7QM-3XPA-9TRD-WH20"
    stored = codes.hash_followup_code(code)
    assert code not in stored and code.replace("-", "") not in stored
    assert len(stored) == 64
    assert codes.check_followup_code("k7qm 3xpa 9trd wh2o", stored)  # O read as 0, spaces
    assert not codes.check_followup_code("K7QM-3XPA-9TRD-WH21", stored)


def test_without_its_own_key_the_hash_depends_on_the_secret_key(settings):
    settings.FOLLOW_UP_CODE_KEY = ""
    first = codes.hash_followup_code("AAAA-BBBB-CCCC-DDDD")
    settings.SECRET_KEY = "another-secret-key-" + "y" * 40
    assert codes.hash_followup_code("AAAA-BBBB-CCCC-DDDD") != first


def _signs_in(reference: str, code: str) -> bool:
    from incidents import services

    return services.report_authenticate(reference=reference, code=code) is not None


@pytest.mark.django_db
def test_rotating_the_secret_key_keeps_codes_made_with_the_code_key(school, settings):
    settings.FOLLOW_UP_CODE_KEY = "code-key-" + "a" * 50
    report, code = submit_report(school)
    settings.SECRET_KEY = "a-brand-new-secret-key-" + "z" * 40
    settings.SECRET_KEY_FALLBACKS = []
    assert _signs_in(report.reference, code)


@pytest.mark.django_db
def test_rotating_the_code_key_keeps_old_codes_through_the_fallbacks(school, settings):
    settings.FOLLOW_UP_CODE_KEY = "old-code-key-" + "a" * 50
    report, code = submit_report(school)
    old_hash = report.followup_code_hash
    settings.FOLLOW_UP_CODE_KEY = "new-code-key-" + "b" * 50
    settings.FOLLOW_UP_CODE_KEY_FALLBACKS = []
    assert not _signs_in(report.reference, code)  # the fallback is what keeps it working
    settings.FOLLOW_UP_CODE_KEY_FALLBACKS = ["old-code-key-" + "a" * 50]
    assert _signs_in(report.reference, code)
    report.refresh_from_db()
    assert report.followup_code_hash != old_hash  # re-hashed with the new key on use
    settings.FOLLOW_UP_CODE_KEY_FALLBACKS = []
    assert _signs_in(report.reference, code)  # so the old key can now be dropped
    assert not _signs_in(report.reference, codes.generate_followup_code())


@pytest.mark.django_db
def test_codes_made_before_the_code_key_existed_keep_working(school, settings):
    settings.FOLLOW_UP_CODE_KEY = ""
    report, code = submit_report(school)
    legacy_hash = report.followup_code_hash
    settings.FOLLOW_UP_CODE_KEY = "code-key-" + "c" * 50
    assert _signs_in(report.reference, code)
    report.refresh_from_db()
    assert report.followup_code_hash == codes.hash_followup_code(code) != legacy_hash
    # ...and a later SECRET_KEY rotation no longer matters for it.
    settings.SECRET_KEY = "rotated-secret-" + "d" * 50
    assert _signs_in(report.reference, code)


@pytest.mark.django_db
def test_an_old_derived_code_survives_a_secret_key_rotation_through_its_fallbacks(school, settings):
    settings.FOLLOW_UP_CODE_KEY = ""
    old_secret = settings.SECRET_KEY
    report, code = submit_report(school)
    settings.SECRET_KEY = "rotated-secret-" + "e" * 50
    settings.FOLLOW_UP_CODE_KEY = "code-key-" + "f" * 50
    assert not _signs_in(report.reference, code)
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert _signs_in(report.reference, code)


def test_the_code_key_is_not_the_old_derivation(settings):
    settings.FOLLOW_UP_CODE_KEY = settings.SECRET_KEY
    new = codes.hash_followup_code("AAAA-BBBB-CCCC-DDDD")
    assert codes.match_followup_code("AAAA-BBBB-CCCC-DDDD", new) == (True, False)
    settings.FOLLOW_UP_CODE_KEY = ""
    legacy = codes.hash_followup_code("AAAA-BBBB-CCCC-DDDD")
    assert new != legacy


@pytest.mark.django_db
def test_follow_up_shows_status_and_an_empty_message_state(school, client):
    report, code = submit_report(school)
    assert client.get(URL).status_code == 200  # the sign-in form
    response = client.post(URL, {"reference": report.reference.lower(), "code": code})
    assert response.status_code == 302 and response["Location"] == URL
    page = client.get(URL)
    assert 'Status: <span id="report-status">Received</span>' in page.text
    assert "There are no messages from the school yet" in page.text
    assert code not in page.text  # the code is never shown again


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["wrong code", "wrong reference", "both wrong"])
def test_any_wrong_combination_gets_the_same_message(school, client, which):
    report, code = submit_report(school)
    reference = report.reference
    other_code = codes.generate_followup_code()
    data = {
        "wrong code": (reference, other_code),
        "wrong reference": ("WPS-1999-0001", code),
        "both wrong": ("NOPE-1", other_code),
    }[which]
    response = client.post(URL, {"reference": data[0], "code": data[1]})
    assert response.status_code == 200
    assert "We could not find a report with that reference and code." in response.text
    assert "Received" not in response.text


@pytest.mark.django_db
def test_follow_up_is_rate_limited(school, client, settings):
    settings.RATE_LIMIT_FOLLOWUP = (3, 900)
    report, code = submit_report(school)
    for _ in range(3):
        client.post(URL, {"reference": report.reference, "code": "AAAA-AAAA-AAAA-AAAA"})
    response = client.post(URL, {"reference": report.reference, "code": code})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


@pytest.mark.django_db
def test_secrets_never_in_a_url_and_get_does_not_sign_in(school, client):
    report, code = submit_report(school)
    response = client.get(URL, {"reference": report.reference, "code": code})
    assert "Status:" not in response.text  # a GET with the code in the query is ignored
    form = client.get(URL).text
    assert 'method="post"' in form


@pytest.mark.django_db
def test_code_never_reaches_the_logs(school, client, caplog):
    caplog.set_level(logging.DEBUG)
    report, code = submit_report(school, reporter_email="p@example.com")
    client.post(URL, {"reference": report.reference, "code": code})
    client.post(URL, {"reference": report.reference, "code": "AAAA-AAAA-AAAA-AAAA"})
    raw = code.replace("-", "")
    assert code not in caplog.text and raw not in caplog.text


@pytest.mark.django_db
def test_adding_information_and_screenshots(school, client):
    report, code = submit_report(school)
    client.post(URL, {"reference": report.reference, "code": code})
    response = client.post(
        "/follow-up/add/",
        {
            "body": "They posted again this morning.",
            "screenshots": [png_upload("again.png")],
        },
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.direction == Message.Direction.FROM_REPORTER
    assert message.report == report and message.case == report.case
    assert message.evidence.count() == 1
    assert report.case.events.filter(kind=CaseEvent.Kind.REPORTER_ADDED_INFORMATION).exists()
    assert report.case.notifications.filter(kind=NotificationKind.SLT_REPORTER_ADDED).exists()
    page = client.get(URL)
    assert "They posted again this morning." in page.text
    assert "1 screenshot attached" in page.text


@pytest.mark.django_db
def test_adding_information_errors_keep_what_was_typed(school, client):
    report, code = submit_report(school)
    client.post(URL, {"reference": report.reference, "code": code})
    response = client.post(
        "/follow-up/add/",
        {
            "body": "More details here",
            "screenshots": [png_upload(f"{i}.png") for i in range(6)],
        },
    )
    assert response.status_code == 200
    assert "You can attach up to 5 screenshots." in response.text
    assert "More details here" in response.text
    assert "not kept because of a problem on this page: attach all 6 again" in response.text
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_adding_needs_a_follow_up_session(school, client):
    response = client.post("/follow-up/add/", {"body": "sneaky"})
    assert response.status_code == 302
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_finish_ends_the_follow_up_session(school, client):
    report, code = submit_report(school)
    client.post(URL, {"reference": report.reference, "code": code})
    client.post("/follow-up/finish/")
    assert "Status:" not in client.get(URL).text


@pytest.mark.django_db
def test_follow_up_session_expires(school, client, monkeypatch):
    import time as time_module

    report, code = submit_report(school)
    client.post(URL, {"reference": report.reference, "code": code})
    real = time_module.time
    monkeypatch.setattr("incidents.public_views.time.time", lambda: real() + 31 * 60)
    assert "Status:" not in client.get(URL).text


@pytest.mark.django_db
def test_sign_in_rotates_the_session_key(school, client):
    report, code = submit_report(school)
    client.get(URL)
    client.session.save()
    before = client.session.session_key
    client.post(URL, {"reference": report.reference, "code": code})
    assert client.session.session_key != before


@pytest.mark.django_db
def test_staff_messages_show_to_the_reporter_but_nothing_else(school, client):
    report, code = submit_report(school)
    Message.objects.create(
        case=report.case,
        report=report,
        direction=Message.Direction.TO_REPORTER,
        body="Could you send the original screenshot?",
    )
    CaseEvent.objects.create(
        case=report.case, kind=CaseEvent.Kind.NOTE, summary="Internal: spoke to the class teacher"
    )
    client.post(URL, {"reference": report.reference, "code": code})
    page = client.get(URL).text
    assert "Could you send the original screenshot?" in page
    assert "From the school" in page
    assert "Internal: spoke to the class teacher" not in page
    assert "There are no messages from the school yet" not in page
