"""Every staff URL × every role × own school / other school, against a hand-written matrix.

The URL list comes from the resolver: a staff URL that nobody listed here fails the test.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from incidents.evidence import evidence_store, inspect_image
from incidents.models import CaseExport
from tests.factories import TermDateFactory, case_file_ask, submit_report
from tests.helpers import ROLES, access_failures, url_names
from tests.images import png_upload

# name: (own-school object statuses by role, other-school object statuses by role)
# None for the other school means the URL has no object.
R, NF, NA, OK = 302, 404, 405, 200
EXPECTED = {
    #                          anon slt  dsl  office trust other
    "dashboard": ((R, OK, OK, OK, OK, OK), None),
    "case-list": ((R, OK, OK, NF, OK, OK), None),
    "register": ((R, OK, OK, OK, OK, OK), None),
    "case-export": ((R, OK, OK, NF, OK, OK), None),
    # A large export belongs to the one who asked for it (here: SLT), nobody else.
    "case-export-status": ((R, OK, NF, NF, NF, NF), None),
    "case-export-download": ((R, OK, NF, NF, NF, NF), None),
    "report-log": ((R, OK, NF, OK, OK, OK), None),
    "report-log-chat": ((R, OK, NF, NF, OK, OK), None),
    "sensitive-names": ((R, OK, NF, NF, OK, OK), None),
    "sensitive-name-remove": ((R, NA, NA, NF, NA, NA), None),
    # Nothing uploaded yet: back to the upload step.
    "report-log-chat-pick": ((R, R, NF, NF, R, R), None),
    "report-log-chat-remove": ((R, NA, NA, NF, NA, NA), None),
    "case-detail": ((R, OK, OK, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    "case-chronology": ((R, OK, OK, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    # Its own page (GET) and the merge (POST): those who run the case.
    "case-merge-in": ((R, OK, NF, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    "case-action": ((R, OK, OK, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    "evidence": ((R, OK, OK, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    "evidence-original": ((R, OK, OK, NF, NF, NF), (R, NF, NF, NF, NF, OK)),
    "evidence-status": ((R, OK, OK, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    # Correcting a screenshot's text and deciding redactions: those who run the case.
    "evidence-text": ((R, OK, NF, NF, OK, NF), (R, NF, NF, NF, NF, OK)),
    "evidence-read-again": ((R, NA, NA, NF, NA, NA), (R, NA, NA, NF, NA, NA)),
    "evidence-clean-again": ((R, NA, NA, NF, NA, NA), (R, NA, NA, NF, NA, NA)),
    "evidence-redaction": ((R, NA, NA, NF, NA, NA), (R, NA, NA, NF, NA, NA)),
    # Marking a task done and giving it to someone else (POST only). Who may be given a task
    # is TASKS and ASSIGNABLE below: SLT, trust executives and — on a safeguarding case — the
    # DSL; never office staff, who can't open cases.
    "task-done": ((R, NA, NA, NF, NA, NA), (R, NA, NA, NF, NA, NA)),
    "task-reassign": ((R, NA, NA, NF, NA, NA), (R, NA, NA, NF, NA, NA)),
    "login": ((OK, R, R, R, R, R), None),
    "logout": ((NA, NA, NA, NA, NA, NA), None),
    "password-reset": ((OK, OK, OK, OK, OK, OK), None),
    "password-reset-sent": ((OK, OK, OK, OK, OK, OK), None),
    "password-reset-confirm": ((OK, OK, OK, OK, OK, OK), None),
    "password-reset-complete": ((OK, OK, OK, OK, OK, OK), None),
}


def test_every_staff_url_is_in_the_matrix():
    assert url_names("staff") == set(EXPECTED)


def url_for(name: str, case, evidence, export=None) -> str:
    kwargs: dict = {}
    if name in ("case-export-status", "case-export-download"):
        kwargs = {"pk": export.pk}
    elif name in ("case-detail", "case-chronology", "case-merge-in"):
        kwargs = {"reference": case.reference}
    elif name == "case-action":
        kwargs = {"reference": case.reference, "action": "note"}
    elif name.startswith("evidence"):
        kwargs = {"pk": evidence.pk}
    elif name in ("sensitive-name-remove", "task-done", "task-reassign"):
        kwargs = {"pk": 1}
    elif name == "password-reset-confirm":
        kwargs = {"uidb64": "MQ", "token": "set-password"}
    return reverse(f"staff:{name}", kwargs=kwargs)


@pytest.fixture
def world(school, other_school, personas, eager_tasks):
    objects = {}
    for key, where in (("own", school), ("other", other_school)):
        report, _ = submit_report(where, child_at_risk="yes", child_risk_details="x")
        [evidence] = evidence_store(
            case=report.case, report=report, items=[inspect_image(png_upload())]
        )
        objects[key] = (report.case, evidence)
    export = CaseExport.objects.create(
        user=personas["slt"], status=CaseExport.Status.READY, rows_total=0
    )
    export.file.save("matrix.csv", ContentFile(b"Reference\r\n"))
    objects["export"] = export
    return objects, personas


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_access(client, world, name):
    objects, users = world
    failures = []
    for which, expected in zip(("own", "other"), EXPECTED[name], strict=True):
        if expected is None:
            continue
        case, evidence = objects[which]
        url = url_for(name, case, evidence, objects["export"])
        failures += access_failures(client, users, url, expected, f"on {which} {url}")
    assert not failures, "\n".join(failures)


CALENDAR = {
    "index": (R, OK, NF, NF, OK, OK),
    "delete": (R, NA, NA, NA, NA, NA),
}


def test_every_calendar_url_is_in_the_matrix():
    assert url_names("calendar") == set(CALENDAR)


@pytest.mark.django_db
def test_calendar_access(client, school, other_head, personas):
    from schools.models import TermDate

    term = TermDateFactory(
        school=school,
        name="T",
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2026, 10, 1),
    )
    users = personas
    urls = {
        "index": reverse("calendar:index"),
        "delete": reverse("calendar:delete", kwargs={"kind": "term", "pk": term.pk}),
    }
    failures = []
    for name, expected in CALENDAR.items():
        failures += access_failures(client, users, urls[name], expected, name)
    # Another school's head cannot delete this school's term.
    client.force_login(other_head)
    assert client.post(urls["delete"]).status_code == 404
    assert TermDate.objects.filter(pk=term.pk).exists()
    assert not failures, "\n".join(failures)


OVERSIGHT = {
    # Statistics and governors' reports: SLT and trust executives of the school only.
    "statistics": (R, OK, NF, NF, OK, OK),
    "governors": (R, OK, NF, NF, OK, OK),
    "governors-download": (R, OK, NF, NF, OK, NF),
    # The deadlines calendar: anyone who can open cases (a DSL sees flagged cases' deadlines).
    "deadlines": (R, OK, OK, NF, OK, OK),
    "deadline-feed-manage": (R, NA, NA, NF, NA, NA),
    # The feed needs no sign-in: its secret address is the key (an unknown one is a 404).
    "deadline-feed": (NF, NF, NF, NF, NF, NF),
}


def test_every_oversight_url_is_in_the_matrix():
    assert url_names("oversight") == set(OVERSIGHT)


@pytest.mark.django_db
def test_oversight_access(client, school, other_school, personas):
    from django.core.files.base import ContentFile

    from oversight.models import GovernorsReport
    from tests.factories import GovernorsReportFactory

    report = GovernorsReportFactory(
        scope_key=str(school.pk), schools=[school], status=GovernorsReport.Status.DONE
    )
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7 test"))
    users = personas
    urls = {
        "statistics": reverse("oversight:statistics"),
        "governors": reverse("oversight:governors"),
        "governors-download": reverse("oversight:governors-download", args=[report.pk]),
        "deadlines": reverse("oversight:deadlines"),
        "deadline-feed-manage": reverse("oversight:deadline-feed-manage"),
        "deadline-feed": reverse("oversight:deadline-feed", args=["not-a-real-token"]),
    }
    failures = []
    for name, expected in OVERSIGHT.items():
        failures += access_failures(client, users, urls[name], expected, name)
    assert not failures, "\n".join(failures)


RECORDS = {
    # Data protection: SLT of the school and its trust's executives only.
    "sars": (R, OK, NF, NF, OK, OK),
    "sar": (R, OK, NF, NF, OK, NF),
    "retention": (R, OK, NF, NF, OK, OK),
    "dispose": (R, NA, NA, NA, NA, NA),
    "hold-release": (R, NA, NA, NA, NA, NA),
    "breaches": (R, OK, NF, NF, OK, OK),
    "breach": (R, OK, NF, NF, OK, NF),
    # Case files, redaction and disclosure bundles: those who run the case (SLT and the
    # trust's executives); the DSL, office staff and other schools get a 404. The POST-only
    # steps answer a GET with 405 once signed in (they check access on POST: tests/records).
    "case-file": (R, OK, NF, NF, OK, NF),
    "case-file-status": (R, OK, NF, NF, OK, NF),
    "case-file-download": (R, OK, NF, NF, OK, NF),
    "redact": (R, OK, NF, NF, OK, NF),
    "redacted-image": (R, OK, NF, NF, OK, NF),
    "sar-bundle": (R, NA, NA, NA, NA, NA),
    "bundle-approve": (R, NA, NA, NA, NA, NA),
    "bundle-release": (R, NA, NA, NA, NA, NA),
}


def test_every_records_url_is_in_the_matrix():
    assert url_names("records") == set(RECORDS)


@pytest.mark.django_db
def test_records_access(client, school, personas, head, eager_tasks):
    from django.utils import timezone

    from incidents.models import Person
    from records import casefile, redaction, services
    from records.models import DisposalProposal

    person = Person.objects.create(school=school, full_name="Pat Parent")
    sar = services.sar_register(
        school=school,
        person=person,
        requester_name="Pat Parent",
        requester_is_subject=True,
        received_on=datetime.date(2026, 11, 2),
        identity_checked_on=None,
        scope="",
        actor=head,
    )
    breach = services.breach_record(
        school=school, summary="Lost laptop", aware_at=timezone.now(), details="", actor=head
    )
    hold = services.hold_place(school=school, kind="police", reason="x", actor=head, person=person)
    report, _ = submit_report(school)
    [evidence] = evidence_store(
        case=report.case, report=report, items=[inspect_image(png_upload())]
    )
    copy = redaction.evidence_redact(evidence=evidence, regions=[[0, 0, 5, 5]], actor=head)
    case_file = case_file_ask(report.case, head)
    casefile.casefile_build(case_file.pk)
    proposal = DisposalProposal.objects.create(
        case=report.case, rule="case_closure", due_on=datetime.date(2026, 1, 1)
    )
    urls = {
        "sars": reverse("records:sars"),
        "sar": reverse("records:sar", args=[sar.pk]),
        "retention": reverse("records:retention"),
        "dispose": reverse("records:dispose", args=[proposal.pk]),
        "hold-release": reverse("records:hold-release", args=[hold.pk]),
        "breaches": reverse("records:breaches"),
        "breach": reverse("records:breach", args=[breach.pk]),
        "case-file": reverse("records:case-file", args=[report.case.reference]),
        "case-file-status": reverse("records:case-file-status", args=[case_file.pk]),
        "case-file-download": reverse("records:case-file-download", args=[case_file.pk]),
        "redact": reverse("records:redact", args=[evidence.pk]),
        "redacted-image": reverse("records:redacted-image", args=[copy.pk]),
        "sar-bundle": reverse("records:sar-bundle", args=[sar.pk]),
        "bundle-approve": reverse("records:bundle-approve", args=[case_file.pk]),
        "bundle-release": reverse("records:bundle-release", args=[case_file.pk]),
    }
    failures = []
    for name, expected in RECORDS.items():
        failures += access_failures(client, personas, urls[name], expected, name)
    # Posting as another school's head changes nothing.
    client.force_login(personas["other"])
    assert client.post(urls["hold-release"]).status_code == 404
    assert client.post(urls["dispose"], {"confirm": "yes"}).status_code == 404
    hold.refresh_from_db()
    assert hold.released_on is None
    assert not failures, "\n".join(failures)


# Tasks on a case. Giving one is a case action (the case action page, SLT and trust
# executives); being given one and finishing it follow who may open the case.
# fmt: off
TASKS = {
    #                         anon slt  dsl  office trust other
    "give, own case":        (R,   OK,  NF,  NF,    OK,   NF),
    "give, flagged case":    (R,   OK,  NF,  NF,    OK,   NF),
}
Y_, N_ = True, False
ASSIGNABLE = {
    #                         anon slt  dsl  office trust other
    "own case":              (N_,  Y_,  N_,  N_,    Y_,   N_),
    "flagged case":          (N_,  Y_,  Y_,  N_,    Y_,   N_),
}
# fmt: on


@pytest.mark.django_db
def test_who_gives_and_who_may_be_given_a_task(client, school, personas):
    from casetasks.services import assignees_for

    plain, _ = submit_report(school)
    flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    cases = {"own case": plain.case, "flagged case": flagged.case}
    failures = []
    for (name, expected), case in zip(TASKS.items(), cases.values(), strict=True):
        url = reverse("staff:case-action", args=[case.reference, "task_add"])
        for role, status in zip(ROLES, expected, strict=True):
            client.logout()
            if personas[role] is not None:
                client.force_login(personas[role])
            got = client.get(url).status_code
            if got != status:
                failures.append(f"{role} {name}: {got}, expected {status}")
    for name, expected in ASSIGNABLE.items():
        allowed = set(assignees_for(cases[name]))
        for role, may in zip(ROLES, expected, strict=True):
            if (personas[role] in allowed) != may:
                failures.append(f"{role} assignable on {name}: {not may}, expected {may}")
    assert not failures, "\n".join(failures)
