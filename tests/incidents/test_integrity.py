"""Status and chronology tamper attempts are refused; concurrent transitions can't corrupt."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, connections

from incidents.models import (
    AccessLog,
    Case,
    CaseEvent,
    CaseStatus,
    ImmutableRecordError,
    Report,
)
from incidents.workflow import WorkflowError
from tests.factories import submit_report, triage

pg_only = pytest.mark.postgres


@pytest.mark.django_db
def test_case_status_cannot_be_saved_directly(school):
    report, _ = submit_report(school)
    case = Case.objects.get(pk=report.case.pk)
    case.status = CaseStatus.CLOSED
    with pytest.raises(ImmutableRecordError):
        case.save()
    with pytest.raises(ImmutableRecordError):
        Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    with pytest.raises(ImmutableRecordError):
        Case.objects.create(school=school, reference="WPS-X-1", status=CaseStatus.ACTION)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW


@pytest.mark.django_db
def test_other_case_fields_can_still_be_saved(school, head):
    report, _ = submit_report(school)
    case = Case.objects.get(pk=report.case.pk)
    case.lead = head
    case.save(update_fields=["lead"])
    assert Case.objects.get(pk=case.pk).lead == head


@pytest.mark.django_db
def test_chronology_cannot_be_edited_or_deleted(school):
    report, _ = submit_report(school)
    event = report.case.events.first()
    event.summary = "Rewritten history"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(pk=event.pk).update(summary="x")
    with pytest.raises(ImmutableRecordError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    assert CaseEvent.objects.get(pk=event.pk).summary != "Rewritten history"


@pytest.mark.django_db
def test_reports_and_the_access_log_cannot_be_edited(school, head):
    report, _ = submit_report(school)
    report = Report.objects.get(pk=report.pk)
    report.content = "changed"
    with pytest.raises(ImmutableRecordError):
        report.save()
    with pytest.raises(ImmutableRecordError):
        report.delete()
    entry = AccessLog.objects.create(user=head, case=report.case, action="view_case")
    with pytest.raises(ImmutableRecordError):
        entry.save()
    with pytest.raises(ImmutableRecordError):
        AccessLog.objects.filter(pk=entry.pk).update(detail="x")


@pytest.mark.django_db
def test_admin_cannot_change_status_or_chronology(client, school, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "r@x.example", "pw")
    report, _ = submit_report(school)
    case = report.case
    client.force_login(admin_user)
    page = client.get(f"/admin/incidents/case/{case.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.text  # read-only in admin
    client.post(
        f"/admin/incidents/case/{case.pk}/change/",
        {"status": "closed", "severity": "low", "lead": ""},
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEW
    event = case.events.first()
    assert (
        client.post(f"/admin/incidents/caseevent/{event.pk}/change/", {"summary": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/incidents/caseevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/incidents/caseevent/add/").status_code == 403


@pg_only
@pytest.mark.django_db
def test_postgresql_refuses_raw_updates_to_the_chronology(school):
    report, _ = submit_report(school)
    event = report.case.events.first()
    with (
        pytest.raises((InternalError, ProgrammingError, IntegrityError)),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE incidents_caseevent SET summary = 'x' WHERE id = %s", [event.pk])


@pg_only
@pytest.mark.django_db
def test_postgresql_refuses_raw_deletes_from_the_access_log(school, head):
    report, _ = submit_report(school)
    entry = AccessLog.objects.create(user=head, case=report.case, action="view_case")
    with (
        pytest.raises((InternalError, ProgrammingError, IntegrityError)),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM incidents_accesslog WHERE id = %s", [entry.pk])


@pg_only
@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_cannot_corrupt_a_case(school, head, slt):
    """Two leaders triage the same new case at the same moment: exactly one wins."""
    report, _ = submit_report(school)
    case_id = report.case.pk
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(actor):
        try:
            case = Case.objects.get(pk=case_id)
            barrier.wait()
            triage(case, actor)
            outcomes.append("ok")
        except WorkflowError as error:
            outcomes.append(str(error))
        except Exception as error:  # pragma: no cover - shown if the test fails
            outcomes.append(f"unexpected: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(u,)) for u in (head, slt)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 2, outcomes
    assert outcomes.count("ok") == 1, outcomes
    assert "while the case is investigating" in sorted(outcomes)[0]
    case = Case.objects.get(pk=case_id)
    assert case.status == CaseStatus.INVESTIGATING
    assert case.events.filter(kind="triaged").count() == 1
