"""Disposal by anonymisation leaves the person's and the reporter's names and contact details
in no table: chronology lines (append-only — on PostgreSQL through the one path its trigger
allows), meeting notes, messages, task titles, bars and restrictions, letters, the SAR
register. Every text column of every table is searched after disposal."""

from __future__ import annotations

import datetime
import json

import pytest
from django.apps import apps
from django.db import connection, models

from casetasks.services import case_task_add
from incidents import workflow
from incidents.models import CaseEvent, ImmutableRecordError, Meeting, Person, Referral
from letters import services as letters
from measures.models import BanStage
from records import services
from records.models import DisposalProposal
from tests.factories import ContactRestrictionFactory, SiteBanFactory, triaged_case

CLOSED = datetime.datetime(2020, 3, 2, 10, 0, tzinfo=datetime.UTC)
PERSON = {
    "full_name": "Jasper Quillfeather-Oyelaran",
    "email": "jasper.qo@parent.example",
    "phone": "07700 900777",
    "address": "9 Wrenfield Mews\nAshcombe",
    "postcode": "AS9 9WM",
}
REPORTER = {
    "reporter_name": "Zuleika Fairweather-Quill",
    "reporter_email": "zuleika.fq@reporter.example",
    "reporter_phone": "07700 900461",
}
# Any of these left anywhere means the disposal left personal data behind.
TRACES = [
    "quillfeather",
    "oyelaran",
    "jasper",
    "parent.example",
    "900777",
    "900 777",
    "wrenfield",
    "zuleika",
    "fairweather",
    "reporter.example",
    "900461",
    "900 461",
]


def leaks() -> list[str]:
    """Every (table, column, trace) where a trace survives, over every model's text columns."""
    found = []
    text_fields = (models.CharField, models.TextField, models.JSONField)
    for model in apps.get_models(include_auto_created=True):
        fields = [f for f in model._meta.concrete_fields if isinstance(f, text_fields)]
        if not fields:
            continue
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                text = json.dumps(value) if isinstance(value, dict | list) else str(value or "")
                lowered = text.lower()
                found += [
                    f"{model._meta.db_table}.{field.column}: {trace}"
                    for trace in TRACES
                    if trace in lowered
                ]
    return sorted(set(found))


@pytest.fixture
def disposed_world(school, head, slt, time_machine):
    time_machine.move_to(CLOSED - datetime.timedelta(days=30))
    person = Person.objects.create(school=school, **PERSON)
    case = triaged_case(
        school,
        head,
        person=person,
        report_kwargs={
            **REPORTER,
            "content": "Jasper Quillfeather-Oyelaran called the teacher useless again.",
            "poster_description": "Jasper Q-O, Year 4 dad",
        },
    )
    report = case.reports.get()
    workflow.case_note_add(
        case, head, text="Rang Jasper on 07700 900777; Zuleika says he posts nightly."
    )
    workflow.case_meeting_record(
        case,
        head,
        kind=Meeting.Kind.SENIOR_LEADER,
        held_at=CLOSED - datetime.timedelta(days=20),
        notes="Mr Quillfeather-Oyelaran apologised.",
        attendees="Jasper Quillfeather-Oyelaran, Helen Carter",
        place="Head's office",
    )
    workflow.case_reporter_message(
        case, head, report=report, body="Dear Zuleika, we spoke to Mr Quillfeather-Oyelaran."
    )
    workflow.case_refer(
        case,
        head,
        kind=Referral.Kind.PLATFORM,
        made_on=(CLOSED - datetime.timedelta(days=19)).date(),
        external_reference="WA-jasper.qo",
        notes="Reported Jasper's post",
    )
    case_task_add(
        case,
        head,
        title="Phone Jasper Quillfeather-Oyelaran on 07700 900777",
        assigned_to=slt,
        due_on=(CLOSED - datetime.timedelta(days=18)).date(),
    )
    workflow.case_decide(
        case,
        head,
        actions=["warning"],
        rationale="Jasper was warned before, by email to jasper.qo@parent.example.",
        escalation_reason="Mr Quillfeather-Oyelaran's third post",
    )
    letter = letters.letter_draft(
        case=case,
        kind="warning",
        actor=head,
        details={
            "conduct_summary": "Jasper Quillfeather-Oyelaran posted abuse.",
            "impact": "Staff were upset by Jasper's words.",
            "change_required": "Stop posting about staff.",
            "response_deadline": "1 April 2020",
        },
        delivery_method="post",
        person=person,
    )
    SiteBanFactory(
        case=case,
        person=person,
        stage=BanStage.EXPIRED,
        reasons="Jasper Quillfeather-Oyelaran shouted at staff",
        scope="Whole site",
        child_arrangements="Jasper's partner brings the child",
        decision_maker=head,
        ends_on=(CLOSED - datetime.timedelta(days=5)).date(),
    )
    ContactRestrictionFactory(
        case=case,
        person=person,
        contact_point="Mrs Price, not Jasper's friend on the PTA",
        reasons="Jasper Quillfeather-Oyelaran emailed 40 times",
        ended_on=(CLOSED - datetime.timedelta(days=4)).date(),
        end_reason="Jasper stopped",
        created_by=head,
    )
    time_machine.move_to(CLOSED)
    workflow.case_close(
        case,
        head,
        outcome="Warning to Mr Quillfeather-Oyelaran",
        rationale="Jasper removed the post.",
    )
    sar = services.sar_register(
        school=school,
        person=person,
        requester_name="Jasper Quillfeather-Oyelaran",
        requester_is_subject=True,
        received_on=CLOSED.date(),
        identity_checked_on=CLOSED.date(),
        scope="Everything about Jasper",
        actor=head,
    )
    services.sar_close(sar, status="responded", on=CLOSED.date())
    assert leaks()  # the world holds the names before disposal
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC))
    services.proposals_make(today=datetime.date(2026, 3, 2))
    proposal = DisposalProposal.objects.get(case=case)
    events_before = list(case.events.values_list("pk", "kind", "actor", "created_at"))
    log = services.dispose(proposal, actor=head)
    return {"case": case, "letter": letter, "log": log, "events_before": events_before}


@pytest.mark.django_db
def test_no_table_holds_the_name_after_disposal(disposed_world):
    found = leaks()
    assert found == [], "\n".join(found)


@pytest.mark.django_db
def test_the_chronology_keeps_its_shape_and_stays_append_only(disposed_world):
    case = disposed_world["case"]
    events = list(case.events.order_by("created_at", "pk"))
    # Every line is still there, with its kind, who and when; only its words are gone.
    assert [(e.pk, e.kind, e.actor_id, e.created_at) for e in events] == [
        (pk, kind, actor, at) for pk, kind, actor, at in disposed_world["events_before"]
    ]
    task = next(e for e in events if e.kind == "task")
    assert task.summary == "Task [anonymised]"
    decided = next(e for e in events if e.kind == "decided")
    assert decided.data["actions"] == ["warning"]  # what statistics and the ladder read
    assert decided.rationale == services.ANONYMISED
    closed = next(e for e in events if e.kind == "closed")
    assert (closed.from_status, closed.to_status) == ("action", "closed")
    assert disposed_world["log"].records_cleared["chronology"] == len(events)
    # Outside disposal, the chronology is as append-only as ever.
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(case=case).update(summary="rewritten")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_still_refuses_to_rewrite_or_delete_history(disposed_world):
    from django.db import DatabaseError, transaction

    case = disposed_world["case"]
    for sql in (
        "UPDATE incidents_caseevent SET summary = 'rewritten' WHERE case_id = %s",
        "DELETE FROM incidents_caseevent WHERE case_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [case.pk])
    # The anonymising path changes words only: never who, when or what kind.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('schoolconduct.anonymising', 'on', true)")
        cursor.execute("UPDATE incidents_caseevent SET kind = 'note' WHERE case_id = %s", [case.pk])
