"""The case page's next-step panel, and steps refused before their form is shown."""

from __future__ import annotations

import lxml.html
import pytest

from incidents import workflow
from incidents.next_step import case_panel
from tests.factories import phone_report_data, submit_report, triage


@pytest.fixture
def case(school):
    report, _ = submit_report(school, content="Mrs Smith is a disgrace and should be sacked")
    return report.case


def decide_warning(case, head) -> None:
    workflow.case_decide(
        case, head, actions=["warning"], rationale="Attack", escalation_reason="Named a teacher"
    )


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _panel(client, case):
    page = lxml.html.fromstring(client.get(f"/staff/cases/{case.reference}/").text)
    primary = [_text(a) for a in page.xpath('//*[@id="next-step"]//a[contains(@class, "btn")]')]
    blocked = {
        _text(b): _text(b.getnext()) for b in page.xpath('//*[@id="next-step"]//button[@disabled]')
    }
    return page, primary, blocked


@pytest.mark.django_db
def test_a_new_case_leads_with_triage(client, head, case):
    client.force_login(head)
    page, primary, _ = _panel(client, case)
    assert primary == ["Triage"]
    # The other actions are grouped below, and triage is not offered twice.
    others = [_text(a) for a in page.xpath('//*[@id="other-actions"]//a')]
    assert "Triage" not in others and "Add a note" in others


@pytest.mark.django_db
def test_after_deciding_a_warning_the_next_step_is_to_draft_it(client, head, case):
    triage(case, head)
    decide_warning(case, head)
    client.force_login(head)
    page, primary, blocked = _panel(client, case)
    # A warning leaves no bar or restriction to monitor: draft it, then close the case.
    assert primary == ["Draft the formal warning", "Close the case"]
    assert blocked["Start monitoring"].startswith("Monitoring is for a case where a ban")
    others = [_text(a) for a in page.xpath('//*[@id="other-actions"]//a')]
    assert "Close the case" not in others and "Start monitoring" not in others
    (link,) = page.xpath('//*[@id="next-step"]//a[@data-step="letter:warning"]')
    assert link.get("href") == f"/staff/letters/case/{case.reference}/new/warning/"
    # Not a list of every letter kind.
    assert "Notice of intention to bar" not in _text(page.get_element_by_id("next-step"))


@pytest.mark.django_db
def test_once_the_warning_is_drafted_it_is_no_longer_the_next_step(client, school, head):
    from incidents.models import Person
    from letters import services
    from tests.factories import LETTER_DETAILS as DETAILS
    from tests.factories import triaged_case

    person = Person.objects.create(school=school, full_name="A Parent", address="1 Road")
    case = triaged_case(school, head, person=person)
    decide_warning(case, head)
    client.force_login(head)
    assert _panel(client, case)[1][0] == "Draft the formal warning"
    services.letter_draft(
        case=case,
        kind="warning",
        actor=head,
        details=DETAILS,
        delivery_method="post",
        person=person,
    )
    _, primary, _ = _panel(client, case)
    assert primary == ["Close the case"]


@pytest.mark.django_db
def test_a_letter_held_back_by_safeguarding_is_shown_disabled_with_the_reason(
    client, school, head, dsl
):
    report, _ = submit_report(school, child_at_risk="yes", child_risk_details="a child named")
    case = report.case
    triage(case, head)
    decide_warning(case, head)
    client.force_login(head)
    _, primary, blocked = _panel(client, case)
    assert "Draft the formal warning" not in primary
    assert blocked["Draft the formal warning"] == (
        "Letters to the parent are on hold until the DSL records a safeguarding decision."
    )
    # The DSL sees their decision first, at the top of the page.
    client.force_login(dsl)
    _, primary, _ = _panel(client, case)
    assert primary[0] == "Record the safeguarding decision"


@pytest.mark.django_db
def test_a_step_not_possible_yet_is_disabled_with_its_reason_before_the_form(client, school, head):
    target = submit_report(school)[0].case
    source = submit_report(school)[0].case
    workflow.case_merge_into(source, head, target=target)
    client.force_login(head)
    _, primary, blocked = _panel(client, source)
    assert primary == []
    assert blocked["Reopen the case"] == (
        f"This case was merged into {target.reference}: open that case instead."
    )
    # Following the step's address says why, and offers no form to fill in.
    response = client.get(f"/staff/cases/{source.reference}/reopen/")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.text)
    assert "open that case instead" in _text(page.get_element_by_id("step-refusal"))
    assert not page.xpath("//main//textarea") and not page.xpath('//main//form[@method="post"]')
    posted = client.post(f"/staff/cases/{source.reference}/reopen/", {"rationale": "x"})
    assert posted.status_code == 200 and "step-refusal" in posted.text
    source.refresh_from_db()
    assert source.status == "closed"


@pytest.mark.django_db
def test_why_not_asks_the_table_without_performing(head, case, office):
    before = case.events.count()
    assert workflow.why_not(case=case, actor=head) == {}
    # Office staff hold no case role: nothing to explain to them, nothing offered.
    assert workflow.why_not(case=case, actor=office) == {}
    assert case_panel(case, office).primary == []
    assert case.events.count() == before


@pytest.mark.django_db
def test_a_new_action_in_the_table_appears_disabled_with_its_reason(head, case):
    entry = workflow.Transition(
        name="test_only_step",
        label="A step the table adds",
        sources=frozenset({"new"}),
        target=None,
        who=frozenset({workflow.MANAGE}),
        event="note",
        precondition=lambda c: "Not until the moon is full.",
    )
    workflow.TRANSITIONS[entry.name] = entry
    try:
        panel = case_panel(case, head)
        assert [(s.label, s.reason) for s in panel.blocked] == [
            ("A step the table adds", "Not until the moon is full.")
        ]
    finally:
        del workflow.TRANSITIONS[entry.name]


@pytest.mark.django_db
def test_one_opened_the_case_per_visit_not_per_page_and_thumbnail(
    client, school, head, eager_tasks
):
    from incidents.evidence import evidence_store, inspect_image
    from incidents.models import AccessLog
    from tests.images import png_upload

    report, _ = submit_report(school)
    case = report.case
    [row] = evidence_store(case=case, report=report, items=[inspect_image(png_upload())])
    client.force_login(head)
    for query in ("", "?kind=note", ""):
        assert client.get(f"/staff/cases/{case.reference}/{query}").status_code == 200
        assert client.get(f"/staff/evidence/{row.pk}/").status_code == 200
    log = AccessLog.objects.filter(case=case, user=head)
    assert list(log.values_list("action", flat=True)) == ["view_case"]
    # A visit ends after half an hour without opening the case: the next one is logged.
    for idle, count in ((30 * 60 - 5, 1), (30 * 60 + 1, 2)):
        session = client.session
        session["case_visits"] = {str(case.pk): session["case_visits"][str(case.pk)] - idle}
        session.save()
        client.get(f"/staff/cases/{case.reference}/")
        assert log.filter(action="view_case").count() == count
    # A file opened on its own, outside a visit, is logged by itself.
    client.logout()
    client.force_login(head)
    client.get(f"/staff/evidence/{row.pk}/")
    assert log.filter(action="view_evidence", evidence=row).count() == 1


@pytest.mark.django_db
def test_office_staff_log_a_phoned_concern_but_never_see_the_case(
    client, school, other_school, office
):
    from incidents.models import CaseEvent, Report

    client.force_login(office)
    form = client.get("/staff/cases/log-report/")
    assert form.status_code == 200 and other_school.name not in form.text
    response = client.post(
        "/staff/cases/log-report/",
        phone_report_data(school, content="A parent rang about a post"),
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.channel == "phone" and report.case.school == school
    assert response.context["code"] in response.text and report.reference in response.text
    # No way into the case: no link, and the case page, its chronology and files are a 404.
    assert f"/staff/cases/{report.case.reference}/" not in response.text
    assert client.get(f"/staff/cases/{report.case.reference}/").status_code == 404
    assert client.get(f"/staff/cases/{report.case.reference}/chronology/").status_code == 404
    assert report.case.events.get(kind=CaseEvent.Kind.OPENED).actor == office
    # Logging for another school is not possible: the form falls back to their own.
    client.post("/staff/cases/log-report/", {"school": other_school.pk})
    assert not Report.objects.filter(school=other_school).exists()


@pytest.mark.django_db
def test_merge_candidates_say_group_date_excerpt_person_and_suggest_duplicates(
    client, school, head
):
    text = "Mrs Smith is a disgrace and should be sacked"
    target = submit_report(school, content=text, poster_description="Dad of twins")[0].case
    duplicate = submit_report(
        school, content="Mrs Smith is a disgrace, should be sacked!", poster_description="Dad"
    )[0].case
    other_day = submit_report(school, content=text, posted_on="2026-11-01")[0].case
    unlike = submit_report(school, content="Parking on the zigzags again at pick-up time")[0].case
    client.force_login(head)
    page = lxml.html.fromstring(client.get(f"/staff/cases/{target.reference}/merge-in/").text)
    labels = [_text(label) for label in page.xpath('//*[@id="div_id_sources"]//label')]
    assert [label.split(" — ")[0] for label in labels] == [
        duplicate.reference,  # likely duplicates first
        other_day.reference,
        unlike.reference,
    ]
    group = school.groups.first().name
    # submit_report posts "yesterday" by default: the label shows that day as "j M Y".
    posted = duplicate.reports.get().posted_on
    assert labels[0] == (
        f"{duplicate.reference} — {group} — posted {posted.day} {posted:%b %Y} — “Mrs Smith "
        "is a disgrace, "
        "should be sacked!” — posted by Dad — likely duplicate (same group and day, similar text)"
    )
    # The same text on another day, or another text on the same day, is not suggested.
    assert "likely duplicate" not in labels[1] and "likely duplicate" not in labels[2]


@pytest.mark.django_db
def test_merging_a_flagged_report_into_an_unflagged_case_says_so_first(client, school, head):
    target = submit_report(school)[0].case
    flagged = submit_report(school, child_at_risk="yes", child_risk_details="A child")[0].case
    assert flagged.safeguarding_flag and not target.safeguarding_flag
    client.force_login(head)
    url = f"/staff/cases/{target.reference}/merge-in/"
    page = client.get(url).text
    assert "SAFEGUARDING FLAG: merging flags this case too" in page
    refused = client.post(url, {"sources": [flagged.pk], "rationale": "Same  post"})
    # Refused at the field, on the same page, with the tick and the reason kept.
    assert refused.status_code == 200
    assert "has a safeguarding flag, which merging carries into this case" in refused.text
    shown = lxml.html.fromstring(refused.text)
    [box] = shown.xpath(f'//input[@name="sources"][@value="{flagged.pk}"]')
    assert box.get("checked") is not None
    assert shown.xpath('//input[@name="rationale"]/@value') == ["Same  post"]
    assert shown.xpath('//*[@id="error_id_carry_flag"]')
    flagged.refresh_from_db()
    assert flagged.status == "new"
    client.post(url, {"sources": [flagged.pk], "carry_flag": "on"})
    target.refresh_from_db()
    flagged.refresh_from_db()
    assert flagged.merged_into == target and target.safeguarding_flag


@pytest.mark.django_db
def test_merging_a_flagged_case_away_names_the_flag_at_the_field(client, school, head):
    target = submit_report(school)[0].case
    flagged = submit_report(school, child_at_risk="yes", child_risk_details="A child")[0].case
    client.force_login(head)
    url = f"/staff/cases/{flagged.reference}/merge/"
    refused = client.post(url, {"target": f" {target.reference.lower()} "})
    assert refused.status_code == 200
    assert f"This report has a safeguarding flag and {target.reference} has none" in refused.text
    assert 'href="#id_carry_flag"' in refused.text
    client.post(url, {"target": target.reference, "carry_flag": "on"})
    target.refresh_from_db()
    assert target.safeguarding_flag


@pytest.fixture
def sister(trust):
    from tests.factories import GroupFactory, RuleFactory, SchoolFactory

    sister = SchoolFactory(trust=trust, name="Oak Hill Primary", slug="oak", reference_prefix="OHP")
    RuleFactory(school=sister, title="No abusive or personal comments")
    GroupFactory(school=sister, name="Year 3 parents")
    return sister


@pytest.mark.django_db
def test_trust_view_lists_every_school_and_filters_say_whose(client, school, sister, trust_exec):
    submit_report(school)
    client.force_login(trust_exec)
    dashboard = lxml.html.fromstring(client.get("/staff/").text)
    rows = [_text(th) for th in dashboard.xpath('//*[@id="schools-h"]/..//tbody/tr/th')]
    assert rows == ["Oak Hill Primary", "Willow Park Primary"]  # no cases at Oak Hill: listed
    listing = lxml.html.fromstring(client.get("/staff/cases/").text)
    for name in ("rule", "group"):
        options = [_text(o) for o in listing.xpath(f'//select[@name="{name}"]/option')][1:]
        assert all(o.endswith(("(Oak Hill Primary)", "(Willow Park Primary)")) for o in options)
    assert "Year 3 parents (Oak Hill Primary)" in [
        _text(o) for o in listing.xpath('//select[@name="group"]/option')
    ]


@pytest.mark.django_db
def test_sorting_by_severity_and_status_follows_their_order(client, school, head):
    cases = {}
    for severity in ("critical", "low", "high", "medium"):
        case = submit_report(school)[0].case
        triage(case, head, severity=severity)
        cases[severity] = case
    new = submit_report(school)[0].case
    workflow.case_close(cases["high"], head, outcome="Resolved", rationale="Apology given")
    client.force_login(head)

    def order(sort: str) -> list[str]:
        page = lxml.html.fromstring(client.get(f"/staff/cases/?sort={sort}").text)
        return [_text(a) for a in page.xpath("//table//tbody/tr/*[1]//a")]

    by = {c.reference: k for k, c in cases.items()}
    assert [by.get(r, "none") for r in order("severity")] == [
        "none",  # not triaged yet: first (no severity)
        "low",
        "medium",
        "high",
        "critical",
    ]
    assert [by.get(r, "none") for r in order("-severity")][:4] == [
        "critical",
        "high",
        "medium",
        "low",
    ]
    statuses = order("status")
    assert statuses[0] == new.reference and statuses[-1] == cases["high"].reference


@pytest.mark.django_db
def test_csv_outcome_column_is_filled_from_the_decision(client, school, head):
    import csv
    import io

    decided = submit_report(school)[0].case
    triage(decided, head)
    decide_warning(decided, head)
    target = submit_report(school)[0].case
    merged = submit_report(school)[0].case
    workflow.case_merge_into(merged, head, target=target)
    client.force_login(head)
    response = client.get("/staff/cases/export.csv")
    rows = {
        row["Reference"]: row["Outcome"]
        for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }
    assert rows[decided.reference] == "Warning letter"  # decided, not yet closed
    assert rows[merged.reference] == f"Merged into {target.reference}"
    assert rows[target.reference] == ""


@pytest.mark.django_db
def test_lado_steps_show_only_on_an_allegation_and_say_what_comes_first(client, head, case):
    triage(case, head)
    client.force_login(head)
    _, _, blocked = _panel(client, case)
    # Not an allegation: the LADO's decision is no step of this case, so it isn't "not yet".
    assert "Record the LADO's decision" not in blocked
    workflow.case_allegation_identify(case, head, details="A parent says a teacher hit a child")
    case.refresh_from_db()
    page, _, blocked = _panel(client, case)
    assert blocked["Record the LADO's decision"] == (
        "Record the LADO referral first, then the LADO's decision."
    )
    # Already an allegation: recording it again isn't offered, nor listed as "not yet".
    assert "Record an allegation against a member of staff" not in blocked
    others = [_text(a) for a in page.xpath('//*[@id="other-actions"]//a')]
    assert "Record an allegation against a member of staff" not in others


@pytest.mark.django_db
def test_decide_again_is_offered_from_action_and_monitoring(client, head, case):
    triage(case, head)
    decide_warning(case, head)
    client.force_login(head)
    page, primary, _ = _panel(client, case)
    names = primary + [_text(a) for a in page.xpath('//*[@id="other-actions"]//a')]
    assert "Decide the outcome" in names
    # Nothing to monitor after a warning: the step is shown disabled, with the table's reason.
    _, _, blocked = _panel(client, case)
    assert blocked["Start monitoring"].startswith("Monitoring is for a case where a ban")
