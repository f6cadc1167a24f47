"""The public report form: every path, values kept on error, honeypot, rate limit."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from incidents import codes
from incidents.models import Case, CaseEvent, CaseStatus, Evidence, Report
from incidents.notifications import Kind as NotificationKind
from tests.factories import REPORT_URL, report_form_data
from tests.images import png_upload


@pytest.mark.django_db
def test_form_shows_the_school_groups_rules_and_emergency_advice(school, client):
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    text = response.text
    assert "Year 3 parents" in text and "Another group" in text
    assert "No abusive or personal comments" in text
    assert "If a child is in immediate danger, call 999" in text
    assert school.childrens_services_phone in text
    assert 'accept="image/jpeg,image/png,image/webp"' in text
    assert 'enctype="multipart/form-data"' in text
    assert "csrfmiddlewaretoken" in text


@pytest.mark.django_db
def test_anonymous_report_opens_a_case_and_shows_the_receipt_once(school, client):
    response = client.post(REPORT_URL, report_form_data(school))
    assert response.status_code == 302
    assert response["Location"] == "/s/willow-park/report/receipt/"

    report = Report.objects.get()
    case = report.case
    assert case.status == CaseStatus.NEW and case.school == school
    assert report.reference == case.reference
    assert report.reference.startswith(f"WPS-{timezone.localdate().year}-")
    assert report.is_anonymous
    assert list(report.rules.all()) == [school.rules.first()]
    assert report.posted_time == datetime.time(19, 30)
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [CaseEvent.Kind.OPENED, CaseEvent.Kind.REPORT_RECEIVED]
    assert list(case.notifications.values_list("kind", flat=True)) == [
        NotificationKind.SLT_NEW_REPORT
    ]

    receipt = client.get(response["Location"])
    code = receipt.context["receipt"]["code"]
    assert report.reference in receipt.text and code in receipt.text
    assert codes.check_followup_code(code, report.followup_code_hash)
    assert code not in response["Location"]

    finish = client.post(response["Location"], {"saved": "1"})
    assert finish.status_code == 302
    again = client.get(response["Location"])
    assert code not in again.text
    assert "shown only once" in again.text


@pytest.mark.django_db
def test_finish_requires_confirming_the_code_was_saved(school, client):
    client.post(REPORT_URL, report_form_data(school))
    response = client.post("/s/willow-park/report/receipt/", {})
    assert response.status_code == 400
    assert "Tick the box" in response.text
    # The code is still there to save.
    assert response.context["receipt"]["code"] in response.text


@pytest.mark.django_db
def test_named_report_with_contact_details(school, client):
    data = report_form_data(
        school,
        reporter_name="Priya Shah",
        reporter_email="priya@example.com",
        reporter_phone="07700 900123",
        reporter_relationship="parent",
        contact_preference="email",
        contact_consent="on",
    )
    assert client.post(REPORT_URL, data).status_code == 302
    report = Report.objects.get()
    assert report.reporter_email == "priya@example.com"
    assert report.contact_consent and not report.is_anonymous
    assert set(report.case.notifications.values_list("kind", flat=True)) == {
        NotificationKind.SLT_NEW_REPORT,
        NotificationKind.REPORTER_ACK,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["yes", "unsure"])
def test_child_at_risk_flags_the_case_for_the_dsl(school, client, answer):
    data = report_form_data(school, child_at_risk=answer, child_risk_details="A child is named.")
    assert client.post(REPORT_URL, data).status_code == 302
    case = Case.objects.get()
    assert case.safeguarding_flag
    assert case.notifications.filter(kind=NotificationKind.DSL_URGENT).exists()
    assert case.events.filter(kind=CaseEvent.Kind.SAFEGUARDING_ALERT).exists()


@pytest.mark.django_db
def test_other_group_by_name(school, client):
    data = report_form_data(school, group="other", group_other="Year 3 mums")
    assert client.post(REPORT_URL, data).status_code == 302
    report = Report.objects.get()
    assert report.group is None and report.group_other == "Year 3 mums"


@pytest.mark.django_db
def test_not_sure_about_rules_is_allowed(school, client):
    data = report_form_data(school, rules=[], rules_unsure="on")
    assert client.post(REPORT_URL, data).status_code == 302
    assert Report.objects.get().rules_unsure


INVALID = [
    ({"group": ""}, "group", "Choose the group it was posted in"),
    ({"group": "other", "group_other": ""}, "group_other", "Tell us the name of the group"),
    ({"group": "999999"}, "group", "Select a valid choice"),
    ({"posted_on": ""}, "posted_on", "Enter the date it was posted"),
    ({"posted_on": "31/02/2026"}, "posted_on", "Enter a real date"),
    ({"posted_on": "2999-01-01"}, "posted_on", "can't be in the future"),
    ({"posted_on": "2001-01-01"}, "posted_on", "within the last two years"),
    ({"posted_time": "25:99"}, "posted_time", "Enter a time like 19:30"),
    ({"content": ""}, "content", "Tell us what was posted"),
    ({"content": "x" * 10001}, "content", "at most 10000 characters"),
    ({"rules": []}, "rules", "tick “I'm not sure”"),
    ({"child_at_risk": ""}, "child_at_risk", "Tell us whether a child may be at risk"),
    (
        {"child_at_risk": "yes", "child_risk_details": ""},
        "child_risk_details",
        "why you think a child may be at risk",
    ),
    ({"reporter_email": "not-an-email"}, "reporter_email", "Enter an email address"),
    ({"contact_preference": "email"}, "reporter_email", "Enter your email address"),
    ({"contact_preference": "phone"}, "reporter_phone", "Enter your phone number"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("override", "field", "message"), INVALID)
def test_each_invalid_field_is_explained_and_typed_values_kept(
    school, client, override, field, message
):
    data = report_form_data(school, reporter_name="Priya Shah", **override)
    response = client.post(REPORT_URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    text = response.text
    assert "There is a problem" in text  # the error summary at the top
    assert f'href="#id_{field}' in text
    assert 'value="Priya Shah"' in text  # what was typed is kept
    if field != "content":
        assert "Mrs Smith is a useless teacher" in text
    assert not Report.objects.exists() and not Case.objects.exists()


@pytest.mark.django_db
def test_attached_files_must_be_re_attached_after_an_error(school, client):
    data = report_form_data(school, content="")
    data["screenshots"] = [png_upload()]
    response = client.post(REPORT_URL, data)
    # Said at the field itself (and linked from the summary), not only at the top.
    text = response.text
    field_error = "Your screenshot was not kept because of a problem on this page: attach it again"
    assert field_error in text
    assert text.index(field_error, text.index('id="id_screenshots"') - 2000) > text.index("<form")
    assert 'href="#id_screenshots"' in text
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_several_screenshots_and_no_other_error_says_nothing_about_them(school, client):
    data = report_form_data(school, content="")
    data["screenshots"] = [png_upload(), png_upload()]
    assert "attach all 2 again" in client.post(REPORT_URL, data).text
    # Without another problem, nothing is said about attaching again.
    data = report_form_data(school, content="")
    assert "not kept" not in client.post(REPORT_URL, data).text


@pytest.mark.django_db
def test_honeypot_saves_nothing(school, client):
    response = client.post(REPORT_URL, report_form_data(school, website="http://spam.example"))
    assert response.status_code == 200
    assert "Thank you" in response.text
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_rate_limit_per_address(school, client, settings, time_machine):
    # Mid-window: the limiter counts in fixed windows, so a run across the hour would reset.
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, 15, tzinfo=datetime.UTC))
    settings.RATE_LIMIT_REPORT = (2, 3600)
    for _ in range(2):
        assert client.post(REPORT_URL, report_form_data(school)).status_code == 302
    response = client.post(REPORT_URL, report_form_data(school))
    assert response.status_code == 429
    assert "Too many reports" in response.text
    assert Report.objects.count() == 2
    # Another address (another school Wi-Fi) is not affected.
    other = client.post(REPORT_URL, report_form_data(school), REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_bot_filling_the_honeypot_is_counted_by_the_rate_limit(
    school, client, settings, time_machine
):
    # Mid-window: the limiter counts in fixed windows, so a run across the hour would reset.
    time_machine.move_to(datetime.datetime(2026, 11, 23, 10, 15, tzinfo=datetime.UTC))
    settings.RATE_LIMIT_REPORT = (2, 3600)
    for _ in range(2):  # the bot is told "thank you" while within the limit...
        bot = client.post(REPORT_URL, report_form_data(school, website="http://spam.example"))
        assert bot.status_code == 200 and "Thank you" in bot.text
    # ...and its third try is refused, as is a real report from the same address.
    assert (
        client.post(REPORT_URL, report_form_data(school, website="http://spam.example")).status_code
        == 429
    )
    assert client.post(REPORT_URL, report_form_data(school)).status_code == 429
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_rate_limit_fails_open_when_the_cache_is_down(school, client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    assert client.post(REPORT_URL, report_form_data(school)).status_code == 302
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_references_count_up_per_school(school, other_school, client):
    client.post(REPORT_URL, report_form_data(school))
    client.post(REPORT_URL, report_form_data(school))
    year = timezone.localdate().year
    assert sorted(Report.objects.values_list("reference", flat=True)) == [
        f"WPS-{year}-0001",
        f"WPS-{year}-0002",
    ]


@pytest.mark.django_db
def test_report_form_refuses_other_methods(school, client):
    assert client.put(REPORT_URL).status_code == 405


@pytest.mark.django_db
def test_csrf_is_enforced(school):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(REPORT_URL, report_form_data(school))
    assert response.status_code == 403
    assert not Report.objects.exists()
