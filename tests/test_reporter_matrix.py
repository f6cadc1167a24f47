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

from incidents import exports, workflow
from incidents.models import CaseExport, Person
from letters import services
from measures.procedure import restriction_start
from schoolconduct.outbox import notifications_sweep
from tests.factories import triaged_case

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
}


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
def world(school, head, dsl, office, personas, eager_tasks):
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
    to_parent = services.letter_draft(
        case=case,
        kind="contact_restriction",
        actor=head,
        details=details,
        delivery_method="post",
        person=person,
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
    [batch] = services.batch_create(school=school, letters=[to_parent], actor=office)
    services.batch_assemble(batch_id=batch.pk)
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
    assert staff_mail and {"New", "URGENT:"} <= kinds
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
    to_reporter = services.letter_draft(
        case=case,
        kind="acknowledgement",
        actor=head,
        details={},
        delivery_method="follow_up",
        report=world["report"],
    )
    services.letter_approve(letter=to_reporter, actor=head)
    services.letter_render(letter_id=to_reporter.pk)
    workflow.case_reassign(case, head, lead=trust_exec)
    later = timezone.localdate() + datetime.timedelta(days=30)
    due = due_items(cases=Case.objects.filter(pk=case.pk), today=later)
    to = {d.key: d.to for d in due if d.kind == "letter_not_sent"}
    to_parent = case.letters.get(kind="contact_restriction")
    assert to[f"letter:{to_reporter.pk}"] == ("head",)  # not the trust executive leading it
    assert to[f"letter:{to_parent.pk}"] == ("lead",)
