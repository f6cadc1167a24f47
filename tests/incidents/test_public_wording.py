"""Words typed by the public (the "another group" name, who posted it) reach a letter only as
staff confirmed or reworded them at triage."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from incidents import workflow
from incidents.models import Case, CaseStatus, Person, Report
from incidents.workflow import WorkflowError
from letters import services
from tests.factories import LETTER_DETAILS, REPORT_URL, report_form_data, triage

TYPED_GROUP = "mums of 3B <3 (the REAL one)"
TYPED_POSTER = "that loud dad who parks on the zigzags"
CONFIRMED_GROUP = "Year 3 parents' WhatsApp group"


@pytest.fixture
def reported(school, client):
    client.post(
        REPORT_URL,
        report_form_data(
            school, group="other", group_other=TYPED_GROUP, poster_description=TYPED_POSTER
        ),
    )
    return Report.objects.get().case


def triage_data(school, head, **extra):
    return {
        "severity": "medium",
        "nature": "abusive",
        "targets": ["staff"],
        "rules": [school.rules.first().pk],
        "safeguarding_screen": "none",
        "lead": head.pk,
        **extra,
    }


@pytest.mark.django_db
def test_triage_shows_the_typed_words_to_confirm_or_reword(client, school, head, reported):
    client.force_login(head)
    url = f"/staff/cases/{reported.reference}/triage/"
    form = client.get(url)
    assert form.context["form"]["group_wording"].initial == TYPED_GROUP
    assert form.context["form"]["poster_wording"].initial == TYPED_POSTER
    assert "The parent typed “mums of 3B &lt;3 (the REAL one)”" in form.text
    # Emptied: refused with a clear message, the rest of what was typed kept, nothing saved.
    refused = client.post(url, triage_data(school, head, group_wording="  ", rationale="Kept"))
    assert refused.status_code == 200
    assert "Confirm or reword the group the parent named." in refused.text
    assert "Kept" in refused.text
    reported.refresh_from_db()
    assert reported.status == CaseStatus.NEW and reported.group_wording == ""
    done = client.post(
        url,
        triage_data(
            school, head, group_wording=CONFIRMED_GROUP, poster_wording="A parent in the class"
        ),
    )
    assert done.status_code == 302
    reported.refresh_from_db()
    assert reported.group_wording == CONFIRMED_GROUP
    assert reported.poster_wording == "A parent in the class"
    event = reported.events.get(kind="triaged")
    assert event.data["group_wording"] == CONFIRMED_GROUP
    assert escape(CONFIRMED_GROUP) in client.get(f"/staff/cases/{reported.reference}/").text


@pytest.mark.django_db
def test_the_workflow_refuses_a_triage_that_skips_the_typed_group(head, reported):
    with pytest.raises(WorkflowError, match="confirm or reword it"):
        triage(reported, head)


@pytest.mark.django_db
def test_letters_use_only_the_confirmed_words(client, school, head, reported):
    triage(reported, head, group_wording=CONFIRMED_GROUP)
    parent = Person.objects.create(school=school, full_name="Mr Jason Turner", address="1 Lane")
    workflow.case_person_add(reported, head, person=parent)
    # A case triaged before words were confirmed (or whose words were never confirmed).
    Case.objects.filter(pk=reported.pk).update(group_wording="")
    reported.refresh_from_db()
    client.force_login(head)
    kinds = client.get(f"/staff/letters/case/{reported.reference}/").text
    assert "has not been confirmed for letters" in kinds

    def warning():
        return services.letter_draft(
            case=reported,
            kind="warning",
            actor=head,
            details=LETTER_DETAILS,
            delivery_method="post",
            person=parent,
        )

    with pytest.raises(services.LetterError, match="has not been confirmed for letters"):
        warning()
    # Confirmed later through the case page: then the letter uses the confirmed words only.
    page = client.get(f"/staff/cases/{reported.reference}/")
    assert "Confirm the wording for letters" in page.text
    response = client.post(
        f"/staff/cases/{reported.reference}/wording/",
        {"group_wording": CONFIRMED_GROUP, "poster_wording": "A parent"},
    )
    assert response.status_code == 302
    reported.refresh_from_db()
    letter = warning()
    merged = services.letter_merged_body(letter)
    assert escape(CONFIRMED_GROUP) in merged
    assert "mums of 3B" not in merged and "zigzags" not in merged
    assert reported.events.filter(kind="wording").exists()


@pytest.mark.django_db
def test_the_wording_action_is_offered_only_when_the_public_typed_something(client, school, head):
    client.post(REPORT_URL, report_form_data(school, poster_description=""))
    case = Report.objects.get().case
    client.force_login(head)
    assert (
        "Confirm the wording for letters" not in client.get(f"/staff/cases/{case.reference}/").text
    )


@pytest.mark.django_db
def test_the_typed_words_hide_the_reporter_from_a_trust_executive(client, school, head, trust_exec):
    client.post(
        REPORT_URL,
        report_form_data(
            school,
            group="other",
            group_other="Zuleika's book club",
            reporter_name="Zuleika Fairweather-Quill",
        ),
    )
    url = f"/staff/cases/{Report.objects.get().reference}/triage/"
    client.force_login(trust_exec)
    page = client.get(url).text
    assert "Zuleika" not in page and "[reporter&#x27;s details hidden] book club" in page
    client.force_login(head)
    assert "Zuleika&#x27;s book club" in client.get(url).text
