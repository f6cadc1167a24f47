"""A parent's report publishes its task messages after the response has reached them
(schoolconduct.tasks.publish_after_response): the same messages, in Redis, one round trip
each fewer in the time the parent waits."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse

from schoolconduct.tasks import enqueue, publish_after_response, send_notification
from tests.factories import REPORT_URL, report_form_data
from tests.images import png_upload


def published(client) -> list[str]:
    """The task names waiting in the default queue, oldest first."""
    return [json.loads(m)["headers"]["task"] for m in reversed(client.lrange("celery", 0, -1))]


@publish_after_response
def queues_one(request):
    assert enqueue(send_notification, 0, fallback="the sweep") is True
    return HttpResponse("done")


@publish_after_response
def queues_one_then_fails(request):
    enqueue(send_notification, 0, fallback="the sweep")
    raise RuntimeError("the view failed")


@pytest.mark.django_db  # closing a response closes old database connections
def test_held_until_the_server_closes_the_response(rf, broker_on_redis):
    response = queues_one(rf.get("/"))
    assert response.content == b"done"
    assert published(broker_on_redis) == []  # the response is not out yet
    response.close()  # what the WSGI server calls once the body is sent
    assert published(broker_on_redis) == ["schoolconduct.tasks.send_notification"]
    enqueue(send_notification, 0, fallback="the sweep")  # outside such a view: at once
    assert len(published(broker_on_redis)) == 2


def test_a_view_that_fails_still_publishes_what_it_queued(rf, broker_on_redis):
    with pytest.raises(RuntimeError):
        queues_one_then_fails(rf.get("/"))
    assert published(broker_on_redis) == ["schoolconduct.tasks.send_notification"]


def test_tasks_run_in_this_process_are_never_held(rf, eager_tasks, monkeypatch):
    ran = []
    monkeypatch.setattr(send_notification, "run", lambda pk: ran.append(pk) or True)
    queues_one(rf.get("/"))
    assert ran == [0]  # ran inside the view, as before


@pytest.mark.django_db(transaction=True)
def test_the_report_forms_messages_reach_redis_once_its_response_is_closed(
    school, client, broker_on_redis
):
    data = report_form_data(school)
    data["screenshots"] = [png_upload("a.png"), png_upload("b.png")]
    # The test client closes each response before it returns, as a WSGI server does.
    assert client.post(REPORT_URL, data).status_code == 302
    assert sorted(published(broker_on_redis)) == [
        "incidents.tasks.clean_evidence_each",
        "schoolconduct.tasks.send_notification",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_report_view_holds_them_until_then(school, rf, broker_on_redis):
    from django.contrib.sessions.middleware import SessionMiddleware

    from incidents.public_views import report

    data = report_form_data(school)
    data["screenshots"] = [png_upload("a.png")]
    request = rf.post(REPORT_URL, data)
    request._dont_enforce_csrf_checks = True
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    response = report(request, school=school.slug)
    assert response.status_code == 302
    assert published(broker_on_redis) == []  # the report is saved; its messages wait
    response.close()
    request.close()  # its uploads, as Django's handler closes them after a response
    assert sorted(published(broker_on_redis)) == [
        "incidents.tasks.clean_evidence",
        "schoolconduct.tasks.send_notification",
    ]
