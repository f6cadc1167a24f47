"""Draft → approve (snapshot frozen) → PDF by a task → print batch → printed → sent."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.core import mail
from django.db import transaction
from pypdf import PdfReader

from incidents import workflow
from incidents.models import CaseEvent, ImmutableRecordError, Message
from letters import services
from letters.models import Letter, LetterStatus, PrintBatch
from tests.factories import LETTER_DETAILS, LetterFactory
from tests.helpers import wait_for

TODAY = datetime.date.today()


def approve_and_render(letter, head):
    services.letter_approve(letter=letter, actor=head)
    assert services.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    return letter


@pytest.mark.django_db
def test_draft_is_on_the_chronology_and_editable_with_resanitising(draft, head):
    assert draft.status == LetterStatus.DRAFT
    event = draft.case.events.get(kind=CaseEvent.Kind.LETTER)
    assert event.data["step"] == "drafted" and event.actor == head
    services.letter_update_draft(
        letter=draft,
        actor=head,
        title="Formal warning",
        body_html="<p>Dear Mr Turner,</p><script>x()</script><p onclick='x'>Please stop.</p>",
    )
    draft.refresh_from_db()
    assert "<script" not in draft.body_html and "onclick" not in draft.body_html
    with pytest.raises(services.LetterError, match="merge field"):
        services.letter_update_draft(
            letter=draft, actor=head, title="t", body_html="<p>[[secret_key]]</p>"
        )
    with pytest.raises(services.LetterError, match="template code"):
        services.letter_update_draft(
            letter=draft, actor=head, title="t", body_html="<p>{{ 7*7 }}</p>"
        )


@pytest.mark.django_db
def test_approval_freezes_the_snapshot_and_renders_once(draft, head):
    letter = approve_and_render(draft, head)
    assert letter.status == LetterStatus.READY and letter.approved_by == head
    assert letter.template_version == 0 and letter.context["recipient_name"]
    with letter.pdf.open("rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == letter.pdf_sha256
    assert services.letter_render(letter_id=letter.pk) is False  # never re-rendered
    letter.body_html = "<p>changed</p>"
    with pytest.raises(ImmutableRecordError):
        letter.save()
    with pytest.raises(services.LetterError, match="Only a draft"):
        services.letter_update_draft(letter=letter, actor=head, title="x", body_html="<p>x</p>")
    with pytest.raises(services.LetterError, match="already been approved"):
        services.letter_approve(letter=letter, actor=head)
    steps = [e.data["step"] for e in letter.case.events.filter(kind="letter")]
    assert steps == ["drafted", "approved"]


@pytest.mark.django_db
def test_template_version_is_recorded(case, head, parent):
    from letters.defaults import DEFAULT_TEMPLATES

    services.template_save(
        school=case.school,
        kind="warning",
        title="Our warning",
        body=DEFAULT_TEMPLATES["warning"][1],
        actor=head,
    )
    letter = LetterFactory(case=case, actor=head, kind="warning", person=parent)
    assert letter.template_version == 1 and letter.title == "Our warning"


@pytest.mark.django_db
def test_a_correction_is_a_new_letter_referring_to_the_old(draft, head):
    original = approve_and_render(draft, head)
    sha = original.pdf_sha256
    correction = services.letter_correct(letter=original, actor=head)
    assert correction.pk != original.pk and correction.corrects == original
    assert correction.is_draft
    approve_and_render(correction, head)
    original.refresh_from_db()
    assert original.superseded_by == correction and original.pdf_sha256 == sha
    text = "".join(p.extract_text() for p in PdfReader(correction.pdf.open("rb")).pages)
    assert "Replaces" in text


@pytest.mark.django_db
def test_letters_to_the_parent_wait_for_the_dsl(school, head, dsl, parent):
    from tests.factories import submit_report

    report, _ = submit_report(school, child_at_risk="yes", child_risk_details="named child")
    case = report.case
    workflow.case_triage(
        case,
        head,
        severity="high",
        nature="abusive",
        targets=["pupil"],
        safeguarding_screen="concern",
        lead=head,
        rules=list(school.rules.all()[:1]),
    )
    workflow.case_person_add(case, head, person=parent)
    with pytest.raises(services.LetterError, match="on hold until the DSL"):
        services.letter_draft(
            case=case,
            kind="reminder",
            actor=head,
            details=LETTER_DETAILS,
            delivery_method="post",
            person=parent,
        )
    # Letters to the reporter are not held up.
    services.letter_draft(
        case=case,
        kind="acknowledgement",
        actor=head,
        details={},
        delivery_method="follow_up",
        report=report,
    )
    workflow.case_safeguarding_decide(
        case, dsl, decision="Referred to children's services; school may proceed."
    )
    services.letter_draft(
        case=case,
        kind="reminder",
        actor=head,
        details=LETTER_DETAILS,
        delivery_method="post",
        person=parent,
    )


@pytest.mark.django_db
def test_no_letters_to_the_parent_on_a_new_or_closed_case(school, head, parent):
    from tests.factories import submit_report

    report, _ = submit_report(school)
    report.case.persons.add(parent)
    with pytest.raises(services.LetterError, match="only while the case"):
        services.letter_draft(
            case=report.case,
            kind="reminder",
            actor=head,
            details=LETTER_DETAILS,
            delivery_method="post",
            person=parent,
        )


@pytest.mark.django_db
def test_only_slt_draft_and_approve(draft, office):
    with pytest.raises(services.LetterError, match="senior leaders"):
        services.letter_approve(letter=draft, actor=office)


@pytest.mark.django_db
def test_reporter_letters_never_go_by_post(case, head):
    report = case.reports.first()
    with pytest.raises(services.LetterError, match="never by post"):
        services.letter_draft(
            case=case,
            kind="outcome_to_reporter",
            actor=head,
            details=LETTER_DETAILS,
            delivery_method="post",
            report=report,
        )


@pytest.mark.django_db
def test_reporter_letter_sent_to_the_follow_up_page(case, head):
    report = case.reports.first()
    letter = services.letter_draft(
        case=case,
        kind="outcome_to_reporter",
        actor=head,
        details=LETTER_DETAILS,
        delivery_method="follow_up",
        report=report,
    )
    letter = approve_and_render(letter, head)
    services.letter_mark_sent(letter=letter, actor=head, method="follow_up", sent_on=TODAY)
    message = Message.objects.get(report=report, direction="to_reporter")
    assert "We have finished looking into it" in message.body
    assert "<p>" not in message.body and "&amp;" not in message.body
    # The reporter gave an email address: they are told a message is waiting.
    assert case.notifications.filter(kind="reporter_message").exists()
    assert case.events.filter(kind="message_to_reporter").exists()


@pytest.mark.django_db
def test_email_delivery_attaches_the_filed_pdf(
    draft, head, office, eager_tasks, django_capture_on_commit_callbacks
):
    letter = approve_and_render(draft, head)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.letter_mark_sent(letter=letter, actor=office, method="email", sent_on=TODAY)
    # Nothing is sent inside the request, and the letter is not yet "sent".
    assert mail.outbox == []
    letter.refresh_from_db()
    assert letter.status == LetterStatus.READY
    for callback in callbacks:
        callback()
    [email] = mail.outbox
    assert email.to == ["jason.turner@example.com"] and email.bcc == []
    _name, content, mimetype = email.attachments[0]
    assert mimetype == "application/pdf"
    assert hashlib.sha256(content).hexdigest() == letter.pdf_sha256
    assert "Priya" not in email.body
    # Once it has gone: sent, by email, by whoever asked, on the chronology.
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT and letter.sent_method == "email"
    assert letter.sent_by == office
    assert [e.data["step"] for e in letter.case.events.filter(kind="letter")][-1] == "sent"


@pytest.mark.django_db
def test_a_failed_letter_email_is_visible_retried_and_only_then_sent(
    client, draft, head, office, eager_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    from schoolconduct.models import Notification
    from schoolconduct.outbox import notifications_sweep

    letter = approve_and_render(draft, head)

    def smtp_down(self, *args, **kwargs):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", smtp_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_mark_sent(letter=letter, actor=office, method="email", sent_on=TODAY)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.READY  # not marked sent: nothing went
    waiting = Notification.objects.get(kind="letter_email")
    assert waiting.sent_at is None and "unreachable" in waiting.last_error
    client.force_login(head)
    page = client.get(f"/staff/letters/{letter.pk}/").text
    assert "has failed" in page and "SMTP server unreachable" in page
    # Asking again does not queue a second email.
    with pytest.raises(services.LetterError, match="already waiting"):
        services.letter_mark_sent(letter=letter, actor=office, method="email", sent_on=TODAY)
    monkeypatch.undo()
    notifications_sweep(older_than=datetime.timedelta(0))
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT
    assert [m.to for m in mail.outbox if m.attachments] == [["jason.turner@example.com"]]
    assert "has failed" not in client.get(f"/staff/letters/{letter.pk}/").text


@pytest.mark.django_db
def test_a_letter_emailed_already_is_not_emailed_again(
    draft, head, office, eager_tasks, django_capture_on_commit_callbacks
):
    letter = approve_and_render(draft, head)
    with django_capture_on_commit_callbacks(execute=True):
        services.letter_mark_sent(letter=letter, actor=office, method="email", sent_on=TODAY)
    # Say recording it had failed after the email went: the letter still reads "ready".
    Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.READY)
    letter.refresh_from_db()
    with pytest.raises(services.LetterError, match="This letter was emailed on"):
        services.letter_mark_sent(letter=letter, actor=office, method="email", sent_on=TODAY)
    assert len([m for m in mail.outbox if m.attachments]) == 1


@pytest.mark.django_db
def test_post_needs_printing_first_and_office_records_it(draft, head, office):
    letter = approve_and_render(draft, head)
    with pytest.raises(services.LetterError, match="Print the letter"):
        services.letter_mark_sent(letter=letter, actor=office, method="post", sent_on=TODAY)
    assert services.letters_mark_printed(letters=[letter], actor=office) == 1
    services.letter_mark_sent(letter=letter, actor=office, method="post", sent_on=TODAY)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.SENT and letter.sent_by == office
    steps = [e.data["step"] for e in letter.case.events.filter(kind="letter")]
    assert steps == ["drafted", "approved", "printed", "sent"]


@pytest.mark.django_db
def test_a_render_failure_is_clear_and_retryable(draft, head, monkeypatch):
    services.letter_approve(letter=draft, actor=head)

    def boom(letter):
        raise RuntimeError("Pango exploded")

    monkeypatch.setattr("letters.rendering.letter_pdf", boom)
    assert services.letter_render(letter_id=draft.pk) is False
    draft.refresh_from_db()
    assert draft.status == LetterStatus.RENDER_FAILED and not draft.pdf
    assert "Pango exploded" in draft.render_error
    monkeypatch.undo()
    assert services.letter_render(letter_id=draft.pk) is True
    draft.refresh_from_db()
    assert draft.status == LetterStatus.READY


@pytest.mark.django_db
def test_tampered_pdf_is_not_printed(draft, head):
    letter = approve_and_render(draft, head)
    with open(letter.pdf.path, "ab") as f:
        f.write(b"tampered")
    with pytest.raises(services.LetterError, match="does not match"):
        services.letter_pdf_bytes(letter)


def make_ready_letters(case, head, parent, n):
    letters = []
    for i in range(n):
        letter = services.letter_draft(
            case=case,
            kind="reminder",
            actor=head,
            details={**LETTER_DETAILS, "conduct_summary": f"Post {i}"},
            delivery_method="post",
            person=parent,
        )
        letters.append(approve_and_render(letter, head))
    return letters


def assert_batch_matches(batch, letters):
    reader = PdfReader(io.BytesIO(batch.pdf.open("rb").read()))
    expected = []
    ordered = sorted(letters, key=lambda lt: (lt.case.reference, lt.pk))
    for index, letter in enumerate(ordered):
        pages = [p.extract_text() for p in PdfReader(letter.pdf.open("rb")).pages]
        expected += pages
        if len(pages) % 2 and index < len(ordered) - 1:
            expected.append("")  # the blank back of the sheet: the next letter starts afresh
    assert [p.extract_text() for p in reader.pages] == expected


@pytest.mark.django_db
def test_print_batch_pages_equal_the_stored_letters(case, head, parent, office):
    letters = make_ready_letters(case, head, parent, 3)
    (batch,) = services.batch_create(school=case.school, letters=letters, actor=office)
    assert services.batch_assemble(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == PrintBatch.Status.READY
    assert_batch_matches(batch, letters)
    assert services.batch_mark_printed(batch=batch, actor=office) == 3
    assert all(lt.status == LetterStatus.PRINTED for lt in Letter.objects.all())


def embedded_font_files(data: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return sum(
            1
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream)
            and obj.get("/Type") == pikepdf.Name.FontDescriptor
            for key in ("/FontFile", "/FontFile2", "/FontFile3")
            if key in obj
        )


@pytest.mark.django_db
def test_a_batch_stores_the_fonts_its_letters_share_once(case, head, parent, office):
    letters = make_ready_letters(case, head, parent, 10)
    (batch,) = services.batch_create(school=case.school, letters=letters, actor=office)
    assert services.batch_assemble(batch_id=batch.pk)
    batch.refresh_from_db()
    parts = [letter.pdf.open("rb").read() for letter in letters]
    data = batch.pdf.open("rb").read()
    # Joined as they are, the letters would keep a copy of every font each (about 90 % of
    # their summed size); shared, most fonts are stored once (10 letters: about a third).
    assert embedded_font_files(data) <= sum(map(embedded_font_files, parts)) / 3
    assert len(data) < sum(map(len, parts)) / 2
    assert_batch_matches(batch, letters)


@pytest.mark.django_db
def test_a_batch_with_a_tampered_letter_fails_and_can_be_tried_again(case, head, parent, office):
    letters = make_ready_letters(case, head, parent, 2)
    (batch,) = services.batch_create(school=case.school, letters=letters, actor=office)
    path = letters[1].pdf.path
    with open(path, "rb") as f:
        original = f.read()
    with open(path, "ab") as f:
        f.write(b"tampered")
    assert services.batch_assemble(batch_id=batch.pk) is False
    batch.refresh_from_db()
    assert batch.status == PrintBatch.Status.FAILED and not batch.pdf
    assert "does not match its fingerprint" in batch.error
    with open(path, "wb") as f:
        f.write(original)
    assert services.batch_assemble(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == PrintBatch.Status.READY and batch.page_count == 3
    assert_batch_matches(batch, letters)


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_renders_letters_and_assembles_the_batch(
    school, head, office, parent, request
):
    from tests.factories import triaged_case

    case = triaged_case(school, head, person=parent)
    # The worker starts once the case is set up (SQLite's shared test database has table
    # locks, not a busy timeout, so this thread must not write while the worker does).
    request.getfixturevalue("celery_worker_on_redis")
    # Approved together, so this thread is not writing while the worker renders (SQLite's
    # shared in-memory test database has table locks, not a busy timeout).
    with transaction.atomic():
        for i in range(2):
            letter = services.letter_draft(
                case=case,
                kind="reminder",
                actor=head,
                details={**LETTER_DETAILS, "conduct_summary": f"Post {i}"},
                delivery_method="post",
                person=parent,
            )
            services.letter_approve(letter=letter, actor=head)
    wait_for(lambda: Letter.objects.filter(status=LetterStatus.READY).count() == 2)
    letters = list(Letter.objects.all())
    (batch,) = services.batch_create(school=school, letters=letters, actor=office)
    wait_for(lambda: PrintBatch.objects.get(pk=batch.pk).status == PrintBatch.Status.READY)
    assert_batch_matches(PrintBatch.objects.get(pk=batch.pk), letters)
