"""Incidents that don't happen online: staff log where and how the conduct happened (a post,
in person at a place, a phone call, an email) and the member of staff who witnessed or
received it; the case page and its chronology say so. The public form stays a post."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import IntegrityError, transaction

from incidents.models import CaseEvent, Conduct, Report
from tests.factories import REPORT_URL, report_form_data, submit_report

LOG_URL = "/staff/cases/log-report/"


def log_data(school, **overrides):
    """What a member of staff posts to "Log a report": an incident at the school gate."""
    data = {
        "school": school.pk,
        "channel": "in_person",
        "conduct": "in_person",
        "conduct_place": "at the school gate",
        "witness": "",
        "witness_name": "",
        "group": "",
        "group_other": "",
        "posted_on": "2026-11-30",
        "content": "Shouted at the Year 3 teacher in front of children.",
        "rules_unsure": "on",
        "child_at_risk": "no",
        "contact_preference": "follow_up",
        "website": "",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.mark.django_db
def test_an_incident_at_the_gate_needs_no_group_and_names_the_staff_witness(
    client, school, head, slt
):
    client.force_login(head)
    response = client.post(LOG_URL, log_data(school, witness=str(slt.pk)))
    assert response.status_code == 200, response.context["form"].errors
    report = Report.objects.get()
    assert (report.conduct, report.conduct_place) == (Conduct.IN_PERSON, "at the school gate")
    assert report.group is None and report.group_other == ""
    assert report.witness == slt and report.witness_display == slt.get_full_name()
    assert not report.is_post
    event = report.case.events.get(kind=CaseEvent.Kind.REPORT_RECEIVED)
    assert event.summary == (
        f"Report {report.reference} received: in person (at the school gate), "
        f"witnessed or received by {slt.get_full_name()}"
    )
    assert event.data["conduct"] == "in_person" and event.data["witness"] == slt.pk

    page = client.get(f"/staff/cases/{report.case.reference}/").text
    assert "Where and how" in page and "In person: at the school gate" in page
    assert f'Staff witness</dt><dd class="col-sm-9">{slt.get_full_name()}' in page
    assert ">Group</dt>" not in page
    assert "{#" not in page  # no template comment leaks onto the page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # In person needs a place; one of only spaces is none.
        ({"conduct_place": ""}, "conduct_place", "Say where it happened"),
        ({"conduct_place": "   \u00a0 "}, "conduct_place", "Say where it happened"),
        # A post needs its group (as before); an off-line incident doesn't.
        ({"conduct": "group_post", "conduct_place": ""}, "group", "Choose the group"),
        ({"conduct": "social_media"}, "group", "Choose the group or platform"),
        # One witness: a user or a name, not both.
        ({"witness": "HEAD", "witness_name": "Mrs Price"}, "witness_name", "not both"),
    ],
)
def test_bad_input_says_which_field_and_keeps_what_was_typed(
    client, school, head, overrides, field, message
):
    client.force_login(head)
    if overrides.get("witness") == "HEAD":
        overrides = {**overrides, "witness": str(head.pk)}
    data = log_data(school, content="Typed words that must be kept", **overrides)
    response = client.post(LOG_URL, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert "Typed words that must be kept" in response.text
    assert not Report.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("conduct", "place", "stored"),
    [
        ("phone_call", "", ""),  # no place needed: "in a phone call to the school"
        ("email", "  the school   office ", "the school office"),  # spaces tidied
        ("in_person", "x", "x"),  # one character is a place
    ],
)
def test_calls_and_emails_need_no_place_and_a_place_is_tidied(
    client, school, office, conduct, place, stored
):
    client.force_login(office)
    response = client.post(LOG_URL, log_data(school, conduct=conduct, conduct_place=place))
    assert response.status_code == 200
    report = Report.objects.get()
    assert (report.conduct, report.conduct_place) == (conduct, stored)


@pytest.mark.django_db
def test_a_post_logged_by_staff_keeps_its_group_and_a_form_without_conduct_is_a_post(
    client, school, head
):
    client.force_login(head)
    group = school.groups.first()
    response = client.post(
        LOG_URL,
        log_data(school, conduct=None, conduct_place=None, group=str(group.pk)),
    )
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.conduct == Conduct.GROUP_POST and report.group == group
    # An off-line incident drops a group chosen before the kind was changed.
    client.post(
        LOG_URL,
        log_data(school, conduct="phone_call", group=str(group.pk), witness_name="Mrs Price"),
    )
    call = Report.objects.exclude(pk=report.pk).get()
    assert call.group is None and call.witness_name == "Mrs Price" and call.witness is None


@pytest.mark.django_db
def test_the_witness_list_is_the_schools_staff(client, school, other_school, head, other_head):
    client.force_login(head)
    form = client.get(LOG_URL).context["form"]
    choices = list(form.fields["witness"].queryset)
    assert head in choices and other_head not in choices
    response = client.post(LOG_URL, log_data(school, witness=str(other_head.pk)))
    assert "witness" in response.context["form"].errors
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_the_public_form_stays_a_post(client, school):
    page = client.get(REPORT_URL).text
    assert 'name="conduct"' not in page and 'name="witness' not in page
    data = report_form_data(school, conduct="in_person", conduct_place="at the gate")
    client.post(REPORT_URL, data)
    report = Report.objects.get()
    assert report.conduct == Conduct.GROUP_POST and report.conduct_place == ""


@pytest.mark.django_db
def test_the_database_refuses_an_in_person_report_without_a_place_or_two_witnesses(school, head):
    report, _ = submit_report(school)
    base = {
        f.attname: getattr(report, f.attname)
        for f in Report._meta.concrete_fields
        if f.name not in ("id", "reference")
    }
    for n, broken in enumerate(
        [
            {"conduct": "in_person", "conduct_place": ""},
            {"witness_id": head.pk, "witness_name": "Mrs Price"},
        ]
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Report.objects.create(**{**base, "reference": f"X-{n}", **broken})


@pytest.mark.django_db
def test_the_case_list_filters_by_where_it_happened_and_the_csv_says_how(client, school, head):
    post, _ = submit_report(school)
    gate, _ = submit_report(school, conduct="in_person", conduct_place="outside Priya Shah's house")
    call, _ = submit_report(school, conduct="phone_call")
    client.force_login(head)
    listed = client.get("/staff/cases/", {"conduct": "in_person"}).context["page"]
    assert [c.pk for c in listed] == [gate.case.pk]
    everything = client.get("/staff/cases/", {"conduct": ""}).context["page"]
    assert len(everything) == 3
    body = b"".join(client.get("/staff/cases/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    where = rows[0].index("Where it happened")
    by_reference = {row[0]: row[where] for row in rows[1:]}
    assert by_reference == {
        post.case.reference: "A post in a group",
        gate.case.reference: "In person",
        call.case.reference: "A phone call",
    }
    assert "Priya" not in body  # the kind only, never the place


@pytest.mark.django_db
def test_merge_candidates_say_where_an_off_line_incident_happened(client, school, head):
    gate = {"conduct": "in_person", "conduct_place": "at the school gate"}
    text = "Shouted at the Year 3 teacher at pick-up"
    target = submit_report(school, content=text, **gate)[0].case
    same = submit_report(school, content=text + "!", poster_description="Dad", **gate)[0].case
    # The same words and day, but by phone: not the same incident.
    call = submit_report(school, content=text, conduct="phone_call")[0].case
    client.force_login(head)
    candidates = client.get(f"/staff/cases/{target.reference}/merge-in/").context["form"]
    labels = {c.case: c.label for c in candidates.candidates}
    day = Report.objects.get(case=same).posted_on
    assert labels[same] == (
        f"{same.reference} — in person (at the school gate) — on {day:%-d %b %Y} — "
        f"“{text}!” — by Dad — likely duplicate (same place and day, similar text)"
    )
    assert "likely duplicate" not in labels[call]
    assert labels[call].startswith(f"{call.reference} — a phone call — on ")
