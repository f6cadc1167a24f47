"""Retention review, the nightly proposals, legal holds and disposal with files gone."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from incidents import workflow
from incidents.evidence import inspect_image
from incidents.models import Case, ChatExcerpt, Evidence, ExcerptMessage, Person, Report
from letters.models import Letter
from records import services
from records.models import (
    DisposalLog,
    DisposalProposal,
    HoldKind,
    ProposalStatus,
    RetentionSchedule,
)
from records.services import RecordsError
from schoolconduct.models import Notification
from tests.factories import SiteBanFactory, triaged_case
from tests.images import png_upload

D = datetime.date
CLOSED = datetime.datetime(2020, 3, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def parent(school):
    return Person.objects.create(school=school, full_name="Pat Parent", email="pat@example.com")


def closed_case(school, head, parent, time_machine, *, actions=("warning",), images=()):
    time_machine.move_to(CLOSED - datetime.timedelta(days=10))
    case = triaged_case(school, head, person=parent, report_kwargs={"images": list(images)})
    time_machine.move_to(CLOSED)
    workflow.case_close(case, head, outcome="Resolved", rationale="Post removed")
    case.refresh_from_db()
    if actions:
        Case.objects.filter(pk=case.pk).update(actions=list(actions))
        case.refresh_from_db()
    return case


@pytest.mark.django_db
def test_review_is_closure_plus_six_years_and_open_cases_have_none(
    school, head, parent, time_machine
):
    open_case = triaged_case(school, head, person=parent)
    assert services.retention_review(open_case) is None
    case = closed_case(school, head, parent, time_machine)
    review = services.retention_review(case)
    assert review.due_on == D(2026, 3, 2)
    assert review.rule == "case_closure"


@pytest.mark.django_db
def test_no_action_cases_sooner_only_if_the_school_chooses(school, head, parent, time_machine):
    case = closed_case(school, head, parent, time_machine, actions=["nfa"])
    assert services.retention_review(case).due_on == D(2026, 3, 2)
    RetentionSchedule.objects.create(school=school, no_action_years=1)
    school.refresh_from_db()
    case = Case.objects.get(pk=case.pk)
    review = services.retention_review(case)
    assert (review.due_on, review.rule) == (D(2021, 3, 2), "no_action")


@pytest.mark.django_db
def test_a_bar_is_kept_six_years_from_its_end(school, head, parent, time_machine):
    case = closed_case(school, head, parent, time_machine)
    SiteBanFactory(
        case=case,
        person=parent,
        stage="ended",
        decision_maker=head,
        notice_on=D(2020, 1, 1),
        representation_deadline=D(2020, 1, 15),
        starts_on=D(2020, 2, 1),
        ends_on=D(2021, 2, 1),
    )
    review = services.retention_review(case)
    assert (review.due_on, review.rule) == (D(2027, 2, 1), "ban_end")


@pytest.mark.django_db
def test_nightly_proposal_on_the_day_not_the_day_before(school, head, parent, time_machine):
    case = closed_case(school, head, parent, time_machine)
    assert services.proposals_make(today=D(2026, 3, 1)) == 0
    assert services.proposals_make(today=D(2026, 3, 2)) == 1
    proposal = DisposalProposal.objects.get(case=case)
    assert proposal.status == ProposalStatus.PROPOSED
    # Run twice: still one proposal.
    time_machine.move_to(datetime.datetime(2026, 3, 3, 3, 0, tzinfo=datetime.UTC))
    call_command("propose_disposals")
    assert DisposalProposal.objects.filter(case=case).count() == 1


def _due(school, head, parent, time_machine, **kwargs):
    case = closed_case(school, head, parent, time_machine, **kwargs)
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC))
    services.proposals_make(today=D(2026, 3, 2))
    return case, DisposalProposal.objects.get(case=case)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, on, says",
    [
        (HoldKind.POLICE, "case", "Police investigation hold: asked by police"),
        (HoldKind.LITIGATION, "person", "Litigation hold: asked by police"),
        (HoldKind.COMPLAINT, "case", "Open complaint hold: asked by police"),
    ],
)
def test_disposal_blocked_by_each_legal_hold(school, head, parent, time_machine, kind, on, says):
    case, proposal = _due(school, head, parent, time_machine)
    target = {"case": case} if on == "case" else {"person": parent}
    hold = services.hold_place(
        school=school, kind=kind, reason="asked by police", actor=head, **target
    )
    with pytest.raises(RecordsError, match=f"Disposal is blocked: {says}"):
        services.dispose(proposal, actor=head)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.HELD
    assert says in proposal.held_because
    assert not DisposalLog.objects.exists()
    assert Report.objects.get(case=case).content != services.ANONYMISED
    # The nightly job marks it held too, and released it is proposed again.
    services.hold_release(hold, on=D(2026, 3, 3))
    services.proposals_make(today=D(2026, 3, 3))
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED


@pytest.mark.django_db
def test_disposal_blocked_by_an_open_sar_until_it_is_answered(school, head, parent, time_machine):
    _case, proposal = _due(school, head, parent, time_machine)
    sar = services.sar_register(
        school=school,
        person=parent,
        requester_name="Pat Parent",
        requester_is_subject=True,
        received_on=D(2026, 3, 1),
        identity_checked_on=D(2026, 3, 1),
        scope="",
        actor=head,
    )
    with pytest.raises(RecordsError, match="Open subject access request received 1 March 2026"):
        services.dispose(proposal, actor=head)
    services.sar_close(sar, status="responded", on=D(2026, 3, 20))
    with pytest.raises(RecordsError, match="already closed"):
        services.sar_close(sar, status="responded", on=D(2026, 3, 20))
    services.dispose(proposal, actor=head)


@pytest.mark.django_db
def test_hold_needs_a_reason_that_is_not_only_spaces(school, head, parent):
    with pytest.raises(RecordsError, match="why"):
        services.hold_place(
            school=school, kind="police", reason=" \u00a0", actor=head, person=parent
        )


@pytest.mark.django_db(transaction=True)
def test_disposal_anonymises_removes_files_and_logs_no_content(
    school, head, parent, time_machine, eager_tasks
):
    case, proposal = _due(school, head, parent, time_machine, images=[inspect_image(png_upload())])
    evidence = Evidence.objects.get(case=case)
    letter = Letter.objects.create(
        case=case,
        kind="warning",
        title="Formal warning",
        person=parent,
        recipient_name="Pat Parent",
        delivery_method="post",
        body_html="<p>Dear Pat</p>",
        signatory_name="Head",
        created_by=head,
    )
    letter.pdf.save("warning.pdf", ContentFile(b"%PDF-1.7 filed"))
    names = [evidence.original.name, evidence.clean.name, letter.pdf.name]
    storage = evidence.original.storage
    assert all(storage.exists(n) for n in names)
    stats_before = (case.school_id, case.nature, case.severity, case.outcome, case.closed_at)
    # The outbox: emails about the case or its letters not yet sent never go after disposal;
    # one already sent stays as the record that it went (ids only, no content).
    unsent = [
        Notification.objects.create(kind="lead_assigned", dedupe_key="d:1", target=case),
        Notification.objects.create(kind="letter_email", dedupe_key="d:2", target=letter),
    ]
    sent = Notification.objects.create(
        kind="slt_new_report", dedupe_key="d:3", target=case, sent_at=timezone.now()
    )
    elsewhere = Notification.objects.create(
        kind="lead_assigned", dedupe_key="d:4", target=triaged_case(school, head)
    )

    # A kept chat excerpt and the text read from a screenshot hold the parents' words too.
    excerpt = ChatExcerpt.objects.create(
        report=Report.objects.get(case=case),
        platform="whatsapp",
        file_name="WhatsApp Chat with Year 4 Parents.txt",
        messages_in_export=40,
    )
    line = ExcerptMessage.objects.create(
        excerpt=excerpt,
        position=7,
        sent_at=CLOSED,
        sender="Pat Parent",
        text="Pat says the teacher is useless",
        kind="text",
        picked=True,
        attachment_name="IMG-Pat.jpg",
    )
    Evidence.objects.filter(pk=evidence.pk).update(
        ocr_text="Pat Parent: useless", text_correction="Pat Parent: useless"
    )
    # With a broker but no worker (PostgreSQL run), the case's own alerts are still unsent too.
    waiting = Notification.objects.filter(case=case, sent_at__isnull=True).count() + 1

    log = services.dispose(proposal, actor=head)

    assert not Notification.objects.filter(pk__in=[n.pk for n in unsent]).exists()
    assert not Notification.objects.filter(case=case, sent_at__isnull=True).exists()
    assert Notification.objects.filter(pk__in=[sent.pk, elsewhere.pk]).count() == 2
    assert log.records_cleared["notifications"] == waiting

    assert not any(storage.exists(n) for n in names)
    case = Case.objects.get(pk=case.pk)
    assert (case.school_id, case.nature, case.severity, case.outcome, case.closed_at) == (
        stats_before
    )
    report = Report.objects.get(case=case)
    assert report.content == services.ANONYMISED
    assert report.reporter_name == report.reporter_email == ""
    assert Person.objects.get(pk=parent.pk).full_name == services.ANONYMISED
    line = ExcerptMessage.objects.get(pk=line.pk)
    assert (line.sender, line.text, line.attachment_name) == ("", services.ANONYMISED, "")
    assert ChatExcerpt.objects.get(pk=excerpt.pk).file_name == services.ANONYMISED
    evidence.refresh_from_db()
    assert evidence.ocr_text == evidence.text_correction == ""
    assert log.records_cleared["chat_messages"] == 1
    letter.refresh_from_db()
    assert letter.pdf.name == "" and "Pat" not in letter.body_html
    assert (log.case_reference, log.rule, log.disposed_by, log.files_removed) == (
        case.reference,
        "case_closure",
        head,
        3,
    )
    assert "Pat" not in str(log.records_cleared)
    with pytest.raises(RecordsError, match="already been disposed"):
        services.dispose(proposal, actor=head)
    # The log is append-only.
    from incidents.models import ImmutableRecordError

    with pytest.raises(ImmutableRecordError):
        log.save()
    with pytest.raises(ImmutableRecordError):
        DisposalLog.objects.all().delete()


@pytest.mark.django_db
def test_a_person_with_another_live_case_keeps_their_name(school, head, parent, time_machine):
    _case, proposal = _due(school, head, parent, time_machine)
    triaged_case(school, head, person=parent)
    services.dispose(proposal, actor=head)
    assert Person.objects.get(pk=parent.pk).full_name == "Pat Parent"


@pytest.mark.django_db
def test_a_reopened_case_is_no_longer_disposed_of(school, head, parent, time_machine):
    case, proposal = _due(school, head, parent, time_machine)
    workflow.case_reopen(case, head, reason="New post by the same parent")
    with pytest.raises(RecordsError, match="no longer due"):
        services.dispose(proposal, actor=head)
    assert not DisposalProposal.objects.exists()
    assert not DisposalLog.objects.exists()


@pytest.mark.django_db
def test_a_sar_received_tomorrow_is_refused(school, head, parent, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC))
    kwargs = {
        "school": school,
        "person": parent,
        "requester_name": "Pat",
        "requester_is_subject": True,
        "identity_checked_on": None,
        "scope": "",
        "actor": head,
    }
    services.sar_register(received_on=D(2026, 11, 30), **kwargs)
    with pytest.raises(RecordsError, match="future"):
        services.sar_register(received_on=D(2026, 12, 1), **kwargs)
