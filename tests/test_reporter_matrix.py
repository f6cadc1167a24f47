"""Who sees the reporter: role × object × "shows the reporter?", against a matrix written out by
hand. Only the school's SLT and DSL may learn who reported (`StaffRoles.sees_reporter`).

The world is built through the real services: a named reporter with a distinctive name, email
and phone; a case triaged, safeguarding-decided, with a contact restriction (the register); a
letter to the parent (printed in a batch) and a letter to the reporter; messages, notes and
staff emails. Every response body is searched for the reporter — PDFs through pypdf's text.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from casetasks.models import CaseTask
from incidents import exports, workflow
from incidents.evidence import evidence_store, inspect_image
from incidents.models import CaseExport, Evidence, Person
from letters import services
from measures.procedure import restriction_start
from records import casefile
from schoolconduct.outbox import notification_queue, notifications_sweep
from tests.factories import LetterFactory, sar_from_turner, submit_report, triaged_case
from tests.images import png_upload

REPORTER = {
    "reporter_name": "Zuleika Fairweather-Quill",
    "reporter_email": "zuleika.fq@reporter.example",
    "reporter_phone": "07700 900461",
}
# Any of these in a response means the reporter is shown.
TRACES = ["zuleika", "fairweather", "reporter.example", "900461", "900 461"]

ROLES = ["anon", "slt", "dsl", "office", "trust", "other"]
R, NF = 302, 404
Y, N = "shows", "hides"

# object: expected (status or (200, Y/N)) for each role, in ROLES order.
OK_Y, OK_N = (200, Y), (200, N)
EXPECTED = {
    #                          anon slt    dsl   office trust other
    "dashboard": (R, OK_N, OK_N, OK_N, OK_N, OK_N),
    "case-list": (R, OK_N, OK_N, NF, OK_N, OK_N),
    "case-export": (R, OK_N, OK_N, NF, OK_N, OK_N),
    # A long list's CSV, built in the background for the head teacher: theirs alone.
    "case-export-status": (R, OK_N, NF, NF, NF, NF),
    "case-export-download": (R, OK_N, NF, NF, NF, NF),
    "case-page": (R, OK_Y, OK_Y, NF, OK_N, NF),
    "chronology-print": (R, OK_Y, OK_Y, NF, OK_N, NF),
    # The merge page lists the school's new reports: one of them sent by the same reporter.
    "merge-in-page": (R, OK_Y, NF, NF, OK_N, NF),
    "case-letters": (R, OK_Y, NF, NF, OK_N, NF),
    "parent-letter": (R, OK_N, NF, NF, OK_N, NF),
    "parent-letter-preview": (R, OK_N, NF, NF, OK_N, NF),
    "parent-letter-pdf": (R, OK_N, NF, OK_N, OK_N, NF),
    "reporter-letter": (R, OK_Y, NF, NF, NF, NF),
    "reporter-letter-preview": (R, OK_Y, NF, NF, NF, NF),
    "reporter-letter-pdf": (R, OK_Y, NF, NF, NF, NF),
    "draft-reporter-letter": (R, OK_N, NF, NF, NF, NF),
    "reissue-code": (R, OK_N, NF, NF, NF, NF),
    "print-queue": (R, OK_N, NF, OK_N, OK_N, OK_N),
    "batch-pdf": (R, OK_N, NF, OK_N, OK_N, NF),
    "register": (R, OK_N, OK_N, OK_N, OK_N, OK_N),
    "register-pdf": (R, OK_N, OK_N, OK_N, OK_N, OK_N),
    "statistics": (R, OK_N, NF, NF, OK_N, OK_N),
    "deadlines-calendar": (R, OK_N, OK_N, NF, OK_N, OK_N),
    # A screenshot whose file name and text name the reporter; one still being processed.
    "evidence-text": (R, OK_Y, NF, NF, OK_N, NF),
    "evidence-text-processing": (R, OK_Y, NF, NF, OK_N, NF),
    # Case files (records.casefile): made by those who run the case; the reporter is in one
    # only if someone who may see them chose it, and then only they may download it.
    "case-file-page": (R, OK_N, NF, NF, OK_N, NF),
    "case-file-withheld": (R, OK_N, NF, NF, OK_N, NF),
    "case-file-included": (R, OK_Y, NF, NF, NF, NF),
    "sar-page": (R, OK_N, NF, NF, OK_N, NF),
    "disclosure-bundle": (R, OK_N, NF, NF, OK_N, NF),
}


CASE_FILE_ROWS = {"case-file-withheld", "case-file-included", "disclosure-bundle"}


def shows_reporter(text: str) -> bool:
    lowered = text.lower()
    return any(trace in lowered for trace in TRACES)


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(content))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return content.decode()


@pytest.fixture
def world(school, head, dsl, office, personas, eager_tasks, request):
    case = triaged_case(
        school,
        head,
        safeguarding_screen="concern",
        report_kwargs={
            "child_at_risk": "unsure",
            "child_risk_details": "A child may be named",
            "content": "He wrote that Ms Fairweather-Quill should mind her own business.",
            **REPORTER,
        },
    )
    report = case.reports.get()
    workflow.case_safeguarding_decide(case, dsl, decision="No risk.")
    person = Person.objects.create(
        school=school,
        full_name="Mr Jason Turner",
        address="14 Orchard Close\nAshford Green",
        postcode="AG1 4TT",
        email="jason.turner@example.com",
    )
    workflow.case_person_add(case, head, person=person)
    # Staff type the reporter's name where they shouldn't: the trust must still not read it
    # (SLT and DSL do, on the case page and the printed chronology).
    workflow.case_note_add(case, head, text="Spoke to Zuleika on 07700900461.")
    workflow.case_reporter_message(case, head, report=report, body="Hi.")
    workflow.case_decide(
        case,
        head,
        actions=["contact_restriction"],
        rationale="Repeated abuse of staff.",
        escalation_reason="Threats at the gate.",
    )
    restriction_start(
        case,
        head,
        person=person,
        contact_point="the school business manager",
        channels="email to the office",
        reasons="Abuse of staff",
        review_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    details = {
        "conduct_summary": "A message called a teacher useless.",
        "contact_point": "the school business manager",
        "review_date": "1 March 2027",
        "outcome_summary": "We have acted on your report.",
    }
    to_parent = LetterFactory(
        case=case, actor=head, kind="contact_restriction", details=details, person=person
    )
    to_reporter = services.letter_draft(
        case=case,
        kind="outcome_to_reporter",
        actor=head,
        details=details,
        delivery_method="email",
        report=report,
    )
    for letter in (to_parent, to_reporter):
        services.letter_approve(letter=letter, actor=head)
        services.letter_render(letter_id=letter.pk)
        letter.refresh_from_db()
    # Sent to the follow-up page: its text ("Dear Zuleika …") is on the chronology too.
    services.letter_mark_sent(
        letter=to_reporter, actor=head, method="follow_up", sent_on=timezone.localdate()
    )
    # Tasks whose titles name the reporter (given before a report was merged in — a new one
    # naming them is refused): on the dashboard's "Your tasks" and due-soon panel, the case
    # page and the deadlines calendar, hidden from whoever the rule excludes.
    # Their emails ("you have a task", the reminder) are in the staff emails below.
    for assignee in (personas["trust"], dsl):
        task = CaseTask.objects.create(
            case=case,
            title="Ring Zuleika Fairweather-Quill on 07700 900461",
            assigned_to=assignee,
            created_by=head,
            due_on=timezone.localdate(),
        )
        for kind, params in (
            ("task_given", {"by": head.pk, "to": assignee.pk}),
            ("task_reminder", {"on": timezone.localdate().isoformat()}),
        ):
            notification_queue(
                kind=kind, target=task, dedupe_key=f"{kind}:{task.pk}", params=params
            )
    [batch] = services.batch_create(school=school, letters=[to_parent], actor=office)
    services.batch_assemble(batch_id=batch.pk)
    named = inspect_image(png_upload("Zuleika Fairweather-Quill's screenshot.png"))
    shot, waiting = evidence_store(case=case, report=report, items=[named, named])
    Evidence.objects.filter(pk=shot.pk).update(ocr_status="done", ocr_text="Zuleika: look")
    Evidence.objects.filter(pk=waiting.pk).update(clean="", clean_status="processing")
    # An incident at a place staff described by the reporter's home, logged with the staff
    # witness and merged into the case: the place is hidden like the rest of the report.
    gate, _ = submit_report(
        school,
        conduct="in_person",
        conduct_place="outside Ms Fairweather-Quill's house",
        witness=head,
    )
    workflow.cases_merge(target=case, sources=[gate.case], actor=head)
    # Another new report from the reporter, not merged yet: a candidate on the merge page.
    submit_report(school, content="Ms Fairweather-Quill again: the post is still up.", **REPORTER)
    files = {
        key: casefile.casefile_request(
            case=case,
            actor=head,
            purpose="solicitor",
            recipient_name="Hart & Co",
            include_reporter=key == "included",
            use_redacted=True,
        )
        for key in ("withheld", "included")
    }
    sar = sar_from_turner(case, head)
    bundle = casefile.sar_bundle_request(sar=sar, actor=head)
    # The task runs after a commit this test never makes; the PDFs are made only for the rows
    # that read them (making three PDFs for every row would double this module's time).
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("name") in CASE_FILE_ROWS:
        for made in (*files.values(), bundle):
            casefile.casefile_build(made.pk)
    export = CaseExport.objects.create(user=head)
    exports.export_build(export_id=export.pk)
    ref = case.reference
    urls = {
        "dashboard": "/staff/",
        "case-list": "/staff/cases/",
        "case-export": "/staff/cases/export.csv",
        "case-export-status": f"/staff/exports/{export.pk}/",
        "case-export-download": f"/staff/exports/{export.pk}/download/",
        "case-page": f"/staff/cases/{ref}/",
        "chronology-print": f"/staff/cases/{ref}/chronology/",
        "merge-in-page": f"/staff/cases/{ref}/merge-in/",
        "case-letters": f"/staff/letters/case/{ref}/",
        "parent-letter": f"/staff/letters/{to_parent.pk}/",
        "parent-letter-preview": f"/staff/letters/{to_parent.pk}/preview.pdf",
        "parent-letter-pdf": f"/staff/letters/{to_parent.pk}/pdf/",
        "reporter-letter": f"/staff/letters/{to_reporter.pk}/",
        "reporter-letter-preview": f"/staff/letters/{to_reporter.pk}/preview.pdf",
        "reporter-letter-pdf": f"/staff/letters/{to_reporter.pk}/pdf/",
        "draft-reporter-letter": f"/staff/letters/case/{ref}/new/outcome_to_reporter/",
        "reissue-code": f"/staff/cases/{ref}/reissue_code/",
        "print-queue": "/staff/letters/",
        "batch-pdf": f"/staff/letters/batches/{batch.pk}/pdf/",
        "register": "/staff/bans/",
        "register-pdf": "/staff/bans/?format=pdf",
        "statistics": "/staff/reports/",
        "deadlines-calendar": "/staff/reports/deadlines/",
        "evidence-text": f"/staff/evidence/{shot.pk}/text/",
        "evidence-text-processing": f"/staff/evidence/{waiting.pk}/text/",
        "case-file-page": f"/staff/records/cases/{ref}/case-file/",
        "case-file-withheld": f"/staff/records/case-files/{files['withheld'].pk}/download/",
        "case-file-included": f"/staff/records/case-files/{files['included'].pk}/download/",
        "sar-page": f"/staff/records/sar/{sar.pk}/",
        "disclosure-bundle": f"/staff/records/case-files/{bundle.pk}/download/",
    }
    return {"case": case, "report": report, "urls": urls, "users": personas, "batch": batch}


def test_every_object_is_in_the_matrix(world):
    assert set(world["urls"]) == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_who_sees_the_reporter(client, world, name):
    url = world["urls"][name]
    failures = []
    for role, expected in zip(ROLES, EXPECTED[name], strict=True):
        client.logout()
        if world["users"][role] is not None:
            client.force_login(world["users"][role])
        response = client.get(url)
        status, shows = expected if isinstance(expected, tuple) else (expected, N)
        if response.status_code != status:
            failures.append(f"{role} {url}: {response.status_code}, expected {status}")
            continue
        if status == 200 and shows_reporter(body_text(response)) != (shows == Y):
            failures.append(f"{role} {url}: reporter {'hidden' if shows == Y else 'shown'}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_chronology_never_names_the_reporter_of_a_letter(world):
    summaries = [e.summary for e in world["case"].events.all()]
    assert "Outcome to the reporter drafted" in summaries
    assert "Outcome to the reporter approved" in summaries
    assert not [s for s in summaries if shows_reporter(s)]


@pytest.mark.django_db
def test_what_typed_text_hides_from_the_trust(client, world, trust_exec, head):
    """The note and the reported post name the reporter: hidden for the trust, shown to SLT."""
    url = world["urls"]["case-page"]
    client.force_login(trust_exec)
    page = client.get(url).text
    assert "Spoke to [reporter&#x27;s details hidden] on [reporter&#x27;s details hidden]." in page
    assert "He wrote that Ms [reporter&#x27;s details hidden] should mind" in page
    client.force_login(head)
    assert "Spoke to Zuleika on 07700900461." in client.get(url).text


@pytest.mark.django_db
def test_trust_executive_cannot_act_on_a_letter_to_the_reporter(client, world, trust_exec):
    case = world["case"]
    letter = case.letters.get(kind="outcome_to_reporter")
    client.force_login(trust_exec)
    for path in ("approve/", "retry/", "correct/", "sent/", "printed/"):
        assert client.post(f"/staff/letters/{letter.pk}/{path}").status_code == 404, path
    drafted = client.post(
        f"/staff/letters/case/{case.reference}/new/outcome_to_reporter/",
        {"report": world["report"].pk, "delivery_method": "follow_up", "outcome_summary": "x"},
    )
    assert drafted.status_code == 404
    assert case.letters.filter(kind="outcome_to_reporter").count() == 1
    # The letters page offers no letter to the reporter.
    kinds_page = client.get(f"/staff/letters/case/{case.reference}/").text
    assert "Outcome to the reporter" not in kinds_page
    assert "Acknowledgement to the reporter" not in kinds_page


@pytest.mark.django_db
def test_services_refuse_a_trust_executive_a_letter_to_the_reporter(world, trust_exec):
    with pytest.raises(services.LetterError, match="senior leaders and DSLs"):
        services.letter_draft(
            case=world["case"],
            kind="acknowledgement",
            actor=trust_exec,
            details={},
            delivery_method="follow_up",
            report=world["report"],
        )


@pytest.mark.django_db
def test_reissuing_a_code_needs_the_reporter_rule(world, trust_exec):
    from incidents.workflow import WorkflowError, available_actions

    case = world["case"]
    assert "reissue_code" not in available_actions(case=case, actor=trust_exec)
    with pytest.raises(WorkflowError, match="school's senior leaders can check"):
        workflow.case_code_reissue(
            case,
            trust_exec,
            report=world["report"],
            identity_check="They told me their name.",
        )


@pytest.mark.django_db
def test_emails_to_staff_never_carry_the_reporter(world):
    mail.outbox.clear()
    notifications_sweep(older_than=datetime.timedelta(0))
    staff_mail = [m for m in mail.outbox if REPORTER["reporter_email"] not in m.to + m.bcc]
    kinds = {m.subject.split(" ")[0] for m in staff_mail}
    assert staff_mail and {"New", "URGENT:", "Task"} <= kinds
    assert sum(m.subject.startswith("New task") for m in staff_mail) == 2  # trust and DSL
    for message in staff_mail:
        text = message.subject + message.body + " ".join(message.bcc)
        assert not shows_reporter(text), message.subject


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["fairweather-quill", "Ms Fairweather", "QUILL should"])
def test_searching_the_report_text_cannot_confirm_a_guess_at_the_reporter(
    client, world, trust_exec, head, query
):
    """The trust reads the post with the reporter's name hidden; a search for the name must
    not find the case by its text either. SLT, who may see the reporter, find it."""
    reference = world["case"].reference
    client.force_login(trust_exec)
    assert reference not in client.get("/staff/cases/", {"q": query}).text
    assert reference in client.get("/staff/cases/", {"q": "mind her own business"}).text
    client.force_login(head)
    assert reference in client.get("/staff/cases/", {"q": query}).text


@pytest.mark.django_db
def test_a_letter_to_the_reporter_is_reminded_to_someone_who_can_open_it(world, trust_exec, head):
    from incidents.deadlines import due_items
    from incidents.models import Case

    case = world["case"]
    to_reporter = LetterFactory(
        case=case, actor=head, to_reporter=True, report=world["report"], ready=True
    )
    workflow.case_reassign(case, head, lead=trust_exec)
    later = timezone.localdate() + datetime.timedelta(days=30)
    due = due_items(cases=Case.objects.filter(pk=case.pk), today=later)
    to = {d.key: d.to for d in due if d.kind == "letter_not_sent"}
    to_parent = case.letters.get(kind="contact_restriction")
    assert to[f"letter:{to_reporter.pk}"] == ("head",)  # not the trust executive leading it
    assert to[f"letter:{to_parent.pk}"] == ("lead",)
