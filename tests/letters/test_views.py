"""Letters through the staff pages."""

from __future__ import annotations

import datetime

import pytest

from letters.models import Letter, LetterStatus, LetterTemplate, PrintBatch
from tests.factories import DETAILS, LetterFactory


@pytest.mark.django_db
def test_case_page_links_to_letters_and_lists_them(client, head, case, draft):
    client.force_login(head)
    page = client.get(f"/staff/cases/{case.reference}/").text
    assert f"/staff/letters/case/{case.reference}/" in page
    assert f"/staff/letters/{draft.pk}/" in page


@pytest.mark.django_db
def test_draft_a_warning_from_the_case_with_a_clear_refusal_first(client, head, case, parent):
    client.force_login(head)
    url = f"/staff/letters/case/{case.reference}/new/warning/"
    data = {
        "person": parent.pk,
        "delivery_method": "post",
        **{k: v for k, v in DETAILS.items() if k != "impact"},
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "needs: The impact of the conduct" in refused.text
    assert DETAILS["conduct_summary"].split("“")[0] in refused.text  # kept what was typed
    response = client.post(url, {**data, "impact": DETAILS["impact"]})
    letter = Letter.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/letters/{letter.pk}/"
    page = client.get(response["Location"]).text
    assert "Approve the letter" in page and "Mr Jason Turner" in page


@pytest.mark.django_db
def test_blocked_case_says_why(client, school, head):
    from tests.factories import submit_report

    report, _ = submit_report(school)
    client.force_login(head)
    page = client.get(f"/staff/letters/case/{report.reference}/new/warning/").text
    assert "only while the case is being investigated" in page


@pytest.mark.django_db
def test_edit_preview_approve(client, head, draft, eager_tasks, django_capture_on_commit_callbacks):
    client.force_login(head)
    url = f"/staff/letters/{draft.pk}/"
    html = {"body_format": "html", **DETAILS}
    bad = client.post(url, {**html, "title": "Warning", "body_html": "<p>[[secret_key]]</p>"})
    assert "not a merge field we know" in bad.text
    client.post(
        url, {**html, "title": "Formal warning", "body_html": draft.body_html + "<p>PS.</p>"}
    )
    preview = client.get(f"/staff/letters/{draft.pk}/preview.pdf")
    assert preview["Content-Type"] == "application/pdf" and preview.content.startswith(b"%PDF")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/letters/{draft.pk}/approve/")
    draft.refresh_from_db()
    assert draft.status == LetterStatus.READY and "PS." in draft.body_html
    assert client.post(url, {"title": "x", "body_html": "<p>x</p>"}).status_code == 405
    assert client.get(f"/staff/letters/{draft.pk}/pdf/").content.startswith(b"%PDF")


@pytest.mark.django_db
def test_office_prints_a_batch_and_records_sending(
    client, head, office, draft, eager_tasks, django_capture_on_commit_callbacks
):
    from letters import services

    with django_capture_on_commit_callbacks(execute=True):
        services.letter_approve(letter=draft, actor=head)
    client.force_login(office)
    queue = client.get("/staff/letters/").text
    assert "Mr Jason Turner" in queue and "Formal warning" in queue
    assert "Mr Patel is a useless teacher" not in queue  # no case content
    assert "Priya" not in queue
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/staff/letters/batches/", {"letters": [draft.pk]})
    batch = PrintBatch.objects.get()
    assert batch.status == PrintBatch.Status.READY
    pdf = client.get(f"/staff/letters/batches/{batch.pk}/pdf/")
    assert pdf.content.startswith(b"%PDF")
    client.post(f"/staff/letters/batches/{batch.pk}/printed/")
    draft.refresh_from_db()
    assert draft.status == LetterStatus.PRINTED
    client.post(
        f"/staff/letters/{draft.pk}/sent/",
        {"method": "post", "sent_on": str(datetime.date.today()), "next": "queue"},
    )
    draft.refresh_from_db()
    assert draft.status == LetterStatus.SENT and draft.sent_on == datetime.date.today()
    # Office staff still can't open the letter's page or the case.
    assert client.get(f"/staff/letters/{draft.pk}/").status_code == 404
    assert client.get(f"/staff/cases/{draft.case.reference}/").status_code == 404


@pytest.mark.django_db
def test_office_never_sees_drafts_or_reporter_letters(client, head, office, case, draft):
    to_reporter = LetterFactory(case=case, actor=head, to_reporter=True, ready=True)
    client.force_login(office)
    assert client.get(f"/staff/letters/{draft.pk}/pdf/").status_code == 404
    assert client.get(f"/staff/letters/{to_reporter.pk}/pdf/").status_code == 404
    assert "Priya" not in client.get("/staff/letters/").text


@pytest.mark.django_db
def test_template_editing_with_preview_errors_and_reset(client, head, school):
    client.force_login(head)
    url = "/staff/letters/templates/reminder/"
    page = client.get(url).text
    assert "[[rules_breached]]" in page and "(required)" in page
    bad = client.post(
        url,
        {
            "school": school.pk,
            "title": "Reminder",
            "body_text": "Dear [[recipient_name]] {% debug %}",
        },
    )
    assert bad.status_code == 200
    assert "template code" in bad.text and "must include" in bad.text
    assert "{% debug %}" in bad.text  # what was typed is kept
    assert not LetterTemplate.objects.exists()
    from letters.defaults import DEFAULT_TEMPLATES

    body = DEFAULT_TEMPLATES["reminder"][1].replace("grateful", "very grateful")
    html = {"body_format": "html"}
    ok = client.post(url, {"school": school.pk, "title": "Our reminder", "body_html": body, **html})
    assert ok.status_code == 302
    saved = LetterTemplate.objects.get()
    assert saved.version == 1 and "very grateful" in saved.body
    preview = client.get(url).text
    assert "Dear Mr Sample" in preview  # sample data
    client.post(f"{url}reset/", {"school": school.pk})
    assert (
        LetterTemplate.objects.order_by("-version").first().body == DEFAULT_TEMPLATES["reminder"][1]
    )


@pytest.mark.django_db
def test_template_preview_is_sanitised(client, head, school):
    client.force_login(head)
    page = client.post(
        "/staff/letters/templates/reminder/",
        {
            "school": school.pk,
            "title": "x",
            "body_format": "html",
            "body_html": "<script>alert(1)</script><p>Hi</p>",
        },
    ).text
    assert "<script>alert(1)</script>" not in page


@pytest.mark.django_db
def test_trust_executive_edits_a_trust_wide_template(client, trust_exec, head, school):
    from letters import services
    from letters.defaults import DEFAULT_TEMPLATES

    client.force_login(trust_exec)
    url = f"/staff/letters/templates/reminder/?trust={school.trust_id}"
    assert "Trust-wide: Riverside Learning Trust" in client.get(url).text
    body = DEFAULT_TEMPLATES["reminder"][1].replace("grateful", "most grateful")
    response = client.post(
        "/staff/letters/templates/reminder/",
        {
            "trust": school.trust_id,
            "title": "Trust reminder",
            "body_format": "html",
            "body_html": body,
        },
    )
    assert response.status_code == 302
    saved = LetterTemplate.objects.get()
    assert saved.trust_id == school.trust_id and saved.school is None
    assert services.template_current(school=school, kind="reminder")[0] == "Trust reminder"
    # A head teacher who is not a trust executive can't reach the trust-wide scope.
    client.force_login(head)
    page = client.get(url).text
    assert "Trust-wide: Riverside" not in page.split("<h1>")[1].split("</h1>")[0]


@pytest.mark.django_db
def test_a_batch_left_unassembled_can_be_tried_again(
    client, head, office, draft, broker_down, django_capture_on_commit_callbacks
):
    from letters import services

    services.letter_approve(letter=draft, actor=head)
    services.letter_render(letter_id=draft.pk)
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        (batch,) = services.batch_create(school=draft.case.school, letters=[draft], actor=office)
    assert PrintBatch.objects.get(pk=batch.pk).status == PrintBatch.Status.ASSEMBLING
    client.force_login(office)
    assert f"Try again: batch {batch.pk}" in client.get("/staff/letters/").text
    from schoolconduct.celery import app

    app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/letters/batches/{batch.pk}/retry/")
    assert PrintBatch.objects.get(pk=batch.pk).status == PrintBatch.Status.READY


@pytest.mark.django_db
def test_dates_and_times_are_typed_in_the_browsers_pickers(client, head, case):
    import lxml.html

    client.force_login(head)
    page = client.get(f"/staff/letters/case/{case.reference}/new/meeting_invitation/")
    assert page.status_code == 200
    form = lxml.html.fromstring(page.content)
    date, time = (form.get_element_by_id(f"id_{name}") for name in ("meeting_date", "meeting_time"))
    assert (date.get("type"), date.get("data-detail-field")) == ("date", "meeting_date")
    assert (time.get("type"), time.get("data-detail-field")) == ("time", "meeting_time")
    bad = client.post(
        f"/staff/letters/case/{case.reference}/new/meeting_invitation/",
        {"meeting_date": "next Tuesday", "meeting_time": "half three"},
    )
    assert "Enter a valid date." in bad.text and "Enter a valid time." in bad.text
    # What was typed stays in the form, as typed.
    again = lxml.html.fromstring(bad.content)
    assert again.get_element_by_id("id_meeting_date").get("value") == "next Tuesday"
    assert again.get_element_by_id("id_meeting_time").get("value") == "half three"


@pytest.mark.django_db
def test_a_drafts_stored_date_and_time_come_back_in_the_pickers_format(client, head, case):
    import lxml.html

    letter = LetterFactory(case=case, actor=head, kind="meeting_invitation", details=DETAILS)
    client.force_login(head)
    form = lxml.html.fromstring(client.get(f"/staff/letters/{letter.pk}/").content)
    assert form.get_element_by_id("id_meeting_date").get("value") == "2026-12-01"
    assert form.get_element_by_id("id_meeting_time").get("value") == "15:30"
