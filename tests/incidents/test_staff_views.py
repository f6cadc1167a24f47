"""Staff pages: sign-in, dashboard, list, filters, CSV, case page, actions, evidence."""

from __future__ import annotations

import csv
import datetime
import io

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from incidents import workflow
from incidents.models import AccessLog, Case, CaseEvent, CaseStatus, Nature, Report
from tests.factories import phone_report_data, submit_report, triage
from tests.images import png_upload

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def case(school, head):
    report, _ = submit_report(
        school,
        reporter_name="Priya Shah",
        reporter_email="priya@example.com",
        content="Mrs Smith is a liar and should be sacked",
    )
    return report.case


def test_anonymous_visit_to_staff_redirects_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in/?next=/staff/")


@pytest.mark.django_db
def test_sign_in_with_password_and_the_same_message_for_unknown_users(client, head):
    wrong = client.post("/staff/sign-in/", {"username": "head", "password": "nope"})
    unknown = client.post("/staff/sign-in/", {"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "Please enter a correct username and password"
    assert message in wrong.text and message in unknown.text
    ok = client.post(
        "/staff/sign-in/", {"username": "head", "password": "correct horse battery staple"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/staff/"


@pytest.mark.django_db
def test_lockout_after_repeated_failures_for_minutes(client, head, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/staff/sign-in/", {"username": "head", "password": "wrong"})
    locked = client.post(
        "/staff/sign-in/", {"username": "head", "password": "correct horse battery staple"}
    )
    assert locked.status_code == 429
    assert "paused for a few minutes" in locked.text
    assert 0 < settings.AXES_COOLOFF_TIME <= 1  # hours: minutes, not forever
    # Another username from the same address is not locked.
    other = client.post("/staff/sign-in/", {"username": "someone", "password": "x"})
    assert other.status_code == 200


@pytest.mark.django_db
def test_deactivating_a_leaver_ends_their_session_at_once(client, head):
    client.force_login(head)
    assert client.get("/staff/").status_code == 200
    head.is_active = False
    head.save()
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_link(client, head, mailoutbox):
    response = client.post("/staff/password-reset/", {"email": head.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/staff/password-reset/" in mailoutbox[0].body


@pytest.mark.django_db
def test_admin_invites_staff_by_email(client, school, mailoutbox):
    admin_user = get_user_model().objects.create_superuser("admin", "a@x.example", "pw-12345")
    newcomer = get_user_model().objects.create_user("newbie", "newbie@school.example")
    client.force_login(admin_user)
    response = client.post(
        "/admin/auth/user/", {"action": "send_invitation", "_selected_action": [newcomer.pk]}
    )
    assert response.status_code == 302
    assert mailoutbox[0].to == ["newbie@school.example"]
    assert "newbie" in mailoutbox[0].body


@pytest.mark.django_db
def test_dashboard_shows_waiting_mine_and_alerts(client, school, head, case):
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    client.force_login(head)
    response = client.get("/staff/")
    text = response.text
    assert "New reports waiting for triage" in text
    assert case.reference in text and flagged.reference in text
    assert "Safeguarding alerts awaiting a DSL decision" in text
    assert "My open cases" in text


@pytest.mark.django_db
def test_trust_executive_sees_each_school(client, school, head, trust_exec, case):
    from tests.factories import SchoolFactory

    sister = SchoolFactory(
        trust=school.trust, name="Sister School", slug="sister", reference_prefix="SIS"
    )
    submit_report(sister)
    client.force_login(trust_exec)
    text = client.get("/staff/").text
    assert "By school" in text and "Sister School" in text and "Willow Park Primary" in text


@pytest.mark.django_db
def test_office_staff_see_no_case_content(client, office, case):
    client.force_login(office)
    text = client.get("/staff/").text
    assert case.reference not in text
    assert client.get("/staff/cases/").status_code == 404
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 404


@pytest.mark.django_db
def test_dsl_sees_only_safeguarding_cases(client, school, head, dsl, case):
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    client.force_login(dsl)
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 404
    page = client.get(f"/staff/cases/{flagged.reference}/")
    assert page.status_code == 200
    assert "Record the safeguarding decision" in page.text


@pytest.mark.django_db
def test_case_list_filters_search_sort_and_keep_filters_across_pages(client, school, head, case):
    for i in range(55):
        submit_report(school, content=f"Routine post {i}")
    client.force_login(head)
    response = client.get("/staff/cases/", {"q": "liar"})
    assert [c.reference for c in response.context["page"]] == [case.reference]
    page1 = client.get("/staff/cases/", {"status": "new", "sort": "reference"})
    assert page1.context["page"].paginator.count == 56
    assert "status=new&amp;sort=reference&amp;page=2" in page1.text
    page2 = client.get("/staff/cases/", {"status": "new", "sort": "reference", "page": 2})
    assert len(page2.context["page"]) == 6
    none = client.get("/staff/cases/", {"status": "closed"})
    assert "No cases match." in none.text


@pytest.mark.django_db
def test_case_list_by_nature_and_rule(client, school, head, case):
    rule = school.rules.first()
    triage(case, head, nature=Nature.DEFAMATION, rules=[rule])
    submit_report(school)
    client.force_login(head)
    by_nature = client.get("/staff/cases/", {"nature": "defamation"}).context["page"]
    assert [c.pk for c in by_nature] == [case.pk]
    by_rule = client.get("/staff/cases/", {"rule": rule.pk}).context["page"]
    assert [c.pk for c in by_rule] == [case.pk]


@pytest.mark.django_db
def test_csv_export_has_no_reporter_identity_and_no_formulas(client, school, head):
    report, _ = submit_report(
        school, reporter_name="Priya Shah", reporter_email="priya@example.com"
    )
    workflow.case_close(
        report.case, head, outcome='=HYPERLINK("http://evil.example","x")', rationale="x"
    )
    client.force_login(head)
    response = client.get("/staff/cases/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "Priya" not in body and "priya@example.com" not in body
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Reference"
    outcome = rows[1][rows[0].index("Outcome")]
    assert outcome.startswith("'=HYPERLINK")
    assert AccessLog.objects.filter(action=AccessLog.Action.EXPORT, user=head).exists()


@pytest.mark.django_db
def test_case_page_shows_reports_reporter_to_slt_and_logs_the_view(client, head, case):
    client.force_login(head)
    response = client.get(f"/staff/cases/{case.reference}/")
    text = response.text
    assert "Mrs Smith is a liar" in text
    assert "Priya Shah" in text and "priya@example.com" in text
    assert "Triage" in text  # the action offered to SLT on a new case
    assert AccessLog.objects.filter(case=case, user=head, action="view_case").exists()
    assert "Access log" in text


@pytest.mark.django_db
def test_trust_executive_does_not_see_the_reporter(client, trust_exec, case):
    client.force_login(trust_exec)
    text = client.get(f"/staff/cases/{case.reference}/").text
    assert "Mrs Smith is a liar" in text
    assert "Priya Shah" not in text and "priya@example.com" not in text
    assert "Visible to the school's SLT and DSL only" in text


@pytest.mark.django_db
def test_another_schools_case_is_a_404(client, other_head, case):
    client.force_login(other_head)
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 404
    assert client.get(f"/staff/cases/{case.reference}/triage/").status_code == 404
    assert case.reference not in client.get("/staff/cases/").text


@pytest.mark.django_db
def test_triage_through_the_page(client, school, head, case):
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/triage/"
    form = client.get(url)
    assert form.status_code == 200 and "Safeguarding screen" in form.text
    bad = client.post(url, {"severity": "", "nature": "abusive"})
    assert bad.status_code == 200 and "There is a problem" in bad.text
    response = client.post(
        url,
        {
            "severity": "high",
            "nature": "abusive",
            "targets": ["staff"],
            "rules": [school.rules.first().pk],
            "safeguarding_screen": "none",
            "lead": head.pk,
            "rationale": "Named teacher",
            "poster_wording": "A parent in the group",  # the parent's words, confirmed
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING and case.severity == "high"
    page = client.get(f"/staff/cases/{case.reference}/")
    assert "Triaged: high severity" in page.text


@pytest.mark.django_db
def test_a_guard_error_is_shown_on_the_form_and_nothing_changes(client, school, head, case):
    triage(case, head, nature=Nature.CRITICISM)
    client.force_login(head)
    response = client.post(
        f"/staff/cases/{case.reference}/decide/",
        {"actions": ["site_ban"], "rationale": "Too much criticism", "escalation_reason": "x"},
    )
    assert response.status_code == 200
    assert "Criticism of the school is not misconduct" in response.text
    assert "Too much criticism" in response.text  # what was typed is kept
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATING


@pytest.mark.django_db
def test_action_not_available_now_is_a_404(client, head, case):
    client.force_login(head)
    assert client.get(f"/staff/cases/{case.reference}/decide/").status_code == 404
    assert client.get(f"/staff/cases/{case.reference}/no-such-action/").status_code == 404


@pytest.mark.django_db
def test_gather_information_with_a_pdf_statement(client, school, head, case):
    triage(case, head)
    client.force_login(head)
    pdf = _pdf_bytes()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/staff/cases/{case.reference}/gather/",
        {
            "kind": "statement",
            "text": "Statement from the class teacher",
            "files": SimpleUploadedFile("statement.pdf", pdf, "application/pdf"),
        },
    )
    assert response.status_code == 302
    evidence = case.evidence.get(kind="document")
    assert evidence.original_name == "statement.pdf"
    download = client.get(f"/staff/evidence/{evidence.pk}/")
    assert download["Content-Disposition"].startswith("attachment")


def _pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.django_db
def test_merge_in_several_reports_from_the_case_page(client, school, head, case):
    a, _ = submit_report(school)
    b, _ = submit_report(school)
    client.force_login(head)
    response = client.post(
        f"/staff/cases/{case.reference}/merge-in/",
        {"sources": [a.case.pk, b.case.pk], "rationale": "Same post"},
    )
    assert response.status_code == 302
    assert case.reports.count() == 3
    assert Case.objects.get(pk=a.case.pk).status == CaseStatus.CLOSED


@pytest.mark.django_db
def test_merge_page_is_linked_from_the_case_page_only_when_there_is_a_report_to_merge(
    client, school, head, case
):
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/merge-in/"
    assert f'href="{url}"' not in client.get(f"/staff/cases/{case.reference}/").text
    empty = client.get(url)
    assert empty.status_code == 200 and 'id="no-merge-candidates"' in empty.text
    submit_report(school)
    assert f'href="{url}"' in client.get(f"/staff/cases/{case.reference}/").text


@pytest.mark.django_db
def test_merge_page_offers_new_reports_of_the_last_30_days_to_the_minute(
    client, school, head, case
):
    inside, _ = submit_report(school)
    outside, _ = submit_report(school)
    now = timezone.now()
    window = datetime.timedelta(days=30)
    Case.objects.filter(pk=inside.case.pk).update(
        opened_at=now - window + datetime.timedelta(minutes=1)
    )
    Case.objects.filter(pk=outside.case.pk).update(
        opened_at=now - window - datetime.timedelta(minutes=1)
    )
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/merge-in/"
    offered = [c.case.pk for c in client.get(url).context["form"].candidates]
    assert offered == [inside.case.pk]
    # Once that one is triaged, only the older one is left: nothing to offer, no link.
    triage(inside.case, head)
    assert f'href="{url}"' not in client.get(f"/staff/cases/{case.reference}/").text


@pytest.mark.django_db
def test_merge_with_nothing_ticked_says_so_at_the_field_and_keeps_the_reason(
    client, school, head, case
):
    other, _ = submit_report(school)
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/merge-in/"
    refused = client.post(url, {"rationale": "Same post, \u00a0twice"})
    assert refused.status_code == 200
    page = lxml.html.fromstring(refused.text)
    assert page.xpath('//*[@id="error_id_sources"]//text()') == [
        "Choose at least one new report to merge."
    ]
    assert page.xpath('//a[@href="#id_sources"]/text()') == [
        "Choose at least one new report to merge."
    ]
    assert page.xpath('//input[@name="rationale"]/@value') == ["Same post, \u00a0twice"]
    assert page.xpath("//title/text()")[0].startswith("Error: ")
    assert Case.objects.get(pk=other.case.pk).status == CaseStatus.NEW


@pytest.mark.django_db
def test_nothing_can_be_merged_into_a_closed_case(client, school, head, case):
    other, _ = submit_report(school)
    elsewhere, _ = submit_report(school)
    workflow.case_merge_into(case, head, target=elsewhere.case)  # closes it
    client.force_login(head)
    url = f"/staff/cases/{case.reference}/merge-in/"
    assert f'href="{url}"' not in client.get(f"/staff/cases/{case.reference}/").text
    for response in (client.get(url), client.post(url, {"sources": [other.case.pk]})):
        assert response.status_code == 302
        assert response["Location"] == f"/staff/cases/{case.reference}/"
    assert Case.objects.get(pk=other.case.pk).status == CaseStatus.NEW
    shown = client.get(f"/staff/cases/{case.reference}/").text
    assert "is closed: nothing can be merged into it" in shown


@pytest.mark.django_db
def test_evidence_clean_copy_and_logged_original(client, school, head, trust_exec, eager_tasks):
    report, _ = submit_report(school)
    from incidents.evidence import evidence_store, inspect_image

    [row] = evidence_store(case=report.case, report=report, items=[inspect_image(png_upload())])
    client.force_login(head)
    clean = client.get(f"/staff/evidence/{row.pk}/")
    assert clean.status_code == 200 and clean["Content-Type"] == "image/png"
    assert clean["X-Content-Type-Options"] == "nosniff"
    assert b"".join(clean.streaming_content) == row.clean.open("rb").read()
    original = client.get(f"/staff/evidence/{row.pk}/original/")
    assert original.status_code == 200 and original["Content-Disposition"].startswith("attachment")
    assert AccessLog.objects.filter(evidence=row, action="download_original").exists()
    assert AccessLog.objects.filter(evidence=row, action="view_evidence").exists()
    client.force_login(trust_exec)
    assert client.get(f"/staff/evidence/{row.pk}/").status_code == 200
    assert client.get(f"/staff/evidence/{row.pk}/original/").status_code == 404


@pytest.mark.django_db
def test_staff_log_a_report_by_phone_and_get_a_code_to_pass_on(client, school, head):
    client.force_login(head)
    response = client.post(
        "/staff/cases/log-report/",
        phone_report_data(school, content="Reported by phone"),
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.channel == "phone"
    assert response.context["code"] in response.text
    event = report.case.events.get(kind=CaseEvent.Kind.OPENED)
    assert event.actor == head and "phone" in event.summary


@pytest.mark.django_db
def test_reissue_code_shows_the_new_code_once(client, head, case):
    client.force_login(head)
    report = case.reports.first()
    response = client.post(
        f"/staff/cases/{case.reference}/reissue_code/",
        {"report": report.pk, "identity_check": "Called back on the number we hold"},
    )
    assert response.status_code == 200
    code = response.context["code"]
    assert code in response.text
    assert code not in client.get(f"/staff/cases/{case.reference}/").text


@pytest.mark.django_db
def test_reporter_reads_and_replies_to_a_staff_message(client, school, head):
    report, code = submit_report(school)
    client.force_login(head)
    client.post(
        f"/staff/cases/{report.reference}/message_reporter/",
        {"report": report.pk, "body": "Can you send the original picture?"},
    )
    client.logout()
    client.post("/follow-up/", {"reference": report.reference, "code": code})
    assert "Can you send the original picture?" in client.get("/follow-up/").text
    client.post("/follow-up/add/", {"body": "Here it is"})
    client.force_login(head)
    page = client.get(f"/staff/cases/{report.reference}/").text
    assert "Here it is" in page and "Can you send the original picture?" in page


@pytest.mark.django_db
def test_printable_chronology(client, head, case):
    triage(case, head)
    client.force_login(head)
    response = client.get(f"/staff/cases/{case.reference}/chronology/")
    assert "Triaged" in response.text and "Case opened" in response.text


@pytest.mark.django_db
def test_chronology_filter_by_kind(client, head, case):
    triage(case, head)
    workflow.case_note_add(case, head, text="A private note")
    client.force_login(head)
    response = client.get(f"/staff/cases/{case.reference}/", {"kind": "note"})
    events = response.context["events"]
    assert [e.kind for e in events] == ["note"]


STAFF_PAGES = [
    "/staff/",
    "/staff/cases/",
    "/staff/cases/{ref}/",
    "/staff/cases/{ref}/triage/",
    "/staff/cases/{ref}/chronology/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_report_text_is_escaped_on_every_staff_page(client, school, head, url):
    report, _ = submit_report(school, content=XSS, poster_description=XSS, reporter_name=XSS)
    workflow.case_note_add(report.case, head, text=XSS)
    client.force_login(head)
    text = client.get(url.format(ref=report.reference), {"q": "alert"}).text
    assert "<script>alert" not in text
    assert "onerror=alert(1)>" not in text


@pytest.mark.django_db
def test_wrong_methods(client, head, case):
    client.force_login(head)
    assert client.post("/staff/cases/").status_code == 405
    assert client.post(f"/staff/cases/{case.reference}/").status_code == 405
    assert client.put(f"/staff/cases/{case.reference}/merge-in/").status_code == 405
    assert client.put(f"/staff/cases/{case.reference}/triage/").status_code == 405


def test_urls_resolve():
    assert reverse("staff:case-detail", kwargs={"reference": "WPS-2026-0001"})
