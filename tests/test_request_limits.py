"""Request bodies are capped from their Content-Length before anything reads them."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from incidents import evidence
from incidents.models import Report
from schoolconduct.middleware import RequestBodyLimitMiddleware, body_limit_for

REPORT_URL = "/s/willow-park/report/"


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


def post_declaring(path: str, length: int):
    request = RequestFactory().generic("POST", path, b"")
    request.META["CONTENT_LENGTH"] = str(length)
    request.META["wsgi.input"] = Unreadable()
    request._stream = Unreadable()
    return request


def test_the_report_forms_cap_is_five_screenshots_plus_a_margin():
    cap = body_limit_for(REPORT_URL)
    five = evidence.MAX_FILES * evidence.MAX_BYTES
    assert settings.UPLOAD_FILE_MAX_BYTES == evidence.MAX_BYTES
    assert five < cap <= five + 2 * 1024 * 1024


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [REPORT_URL, "/follow-up/", "/staff/sign-in/", "/staff/cases/", "/no-such-page/"],
)
def test_one_byte_over_the_cap_is_refused_unread_and_the_cap_itself_passes(path, school):
    cap = body_limit_for(path)
    reached = []

    def view(request):
        reached.append(request)
        return HttpResponse("ok")

    middleware = RequestBodyLimitMiddleware(view)
    response = middleware(post_declaring(path, cap + 1))
    assert response.status_code == 413 and not reached
    assert "too much to send at once" in response.content.decode()
    assert middleware(post_declaring(path, cap)).status_code == 200 and reached


@pytest.mark.django_db
def test_a_60_mb_report_gets_a_clear_413_and_nothing_is_saved(school, client):
    response = client.generic(
        "POST",
        REPORT_URL,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert "That was too much to send at once" in response.text
    assert "51 MB" in response.text
    assert "Connection" not in response  # hop-by-hop: not the application's to set
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_sign_in_pages_take_only_a_small_body(client, db):
    response = client.generic(
        "POST",
        "/follow-up/",
        b"",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(64 * 1024 + 1),
        **{"wsgi.input": Unreadable()},
    )
    assert response.status_code == 413
    assert "64 KB" in response.text


def test_djangos_own_limits_sit_inside_the_cap():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.REQUEST_BODY_MAX_BYTES
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2 * 1024 * 1024  # bigger files go to disk
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES >= evidence.MAX_FILES
