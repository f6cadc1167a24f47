# ruff: noqa: E501  (the pinned CSV lines are kept whole, one line of the file each)
"""The case-list CSV, byte for byte, for each role: pinned so that making the export faster
never changes its columns, what each role sees, the labels, the dates, the quoting or the
formula guard. Built both ways (streamed inline and by the task)."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import QuerySet

from incidents import exports
from incidents.models import Case, CaseExport, Report
from schools.models import Role
from tests.factories import SchoolFactory, UserFactory, staff_member, submit_report

UTC = datetime.UTC


def report(where, conduct: str, name: str = "Another Reporter"):
    # The place is never exported (it may name someone); only the kind is.
    place = "" if conduct in ("group_post", "social_media") else "By the gate, Mr Secret"
    return submit_report(where, reporter_name=name, conduct=conduct, conduct_place=place)[0]


def set_case(case: Case, **fields) -> None:
    # Status and outcome only change through the workflow; the test sets them directly so
    # the pinned file does not depend on the workflow's wording or today's date.
    QuerySet.update(Case.objects.filter(pk=case.pk), **fields)


@pytest.fixture
def export_data(school, other_school, trust):
    oak = SchoolFactory(
        trust=trust, name='=Oak "Grove", Academy', slug="oak", reference_prefix="OAK"
    )
    ann = UserFactory(username="ann", first_name="=Ann", last_name='O"Neil, Jr')
    lines = UserFactory(username="lines", first_name="Line", last_name="Break\nName")
    cher = UserFactory(username="cher", first_name="Cher", last_name="")
    nobody_sees = SchoolFactory(name="Far Away", slug="far", reference_prefix="FAR")
    made = []
    for n, (where, conduct) in enumerate(
        [
            (school, "group_post"),
            (school, "in_person"),
            (oak, "email"),
            (school, "social_media"),
            (oak, "phone_call"),
            (school, "group_post"),
            (other_school, "group_post"),
            (school, "group_post"),
        ]
    ):
        made.append(report(where, conduct, f"Secret Reporter {n}").case)
    # More reports on the first case (kinds listed once each, in the ladder's order) and on
    # the third (their own cases moved to a school of another trust); the last case's only
    # report moved away (no reports: 0, no kinds).
    for conduct in ("email", "group_post", "in_person"):
        extra = report(school, conduct)
        Report.objects.filter(pk=extra.pk).update(case=made[0])
        set_case(extra.case, school=nobody_sees)
    extra = report(oak, "email")
    Report.objects.filter(pk=extra.pk).update(case=made[2])
    set_case(extra.case, school=nobody_sees)
    Report.objects.filter(case=made[7]).update(case=made[5])
    at = datetime.datetime
    rows = [
        # reference, status, severity, nature, lead, opened, outcome, actions
        (
            "WPS-2025-0001",
            "closed",
            "high",
            "abusive",
            ann,
            at(2025, 7, 1, 23, 30, 59, tzinfo=UTC),  # BST: 2 July locally, 1 July in UTC
            'Apology received, "sorry"\nclosed',
            ["warning", "retired_step", "nfa"],
        ),
        ("WPS-2025-0002", "new", "medium", "", None, at(2025, 1, 5, 9, 0, tzinfo=UTC), "", []),
        (
            "OAK-2025-0001",
            "action",
            "critical",
            "threats",
            lines,
            at(2025, 3, 9, 12, 5, tzinfo=UTC),
            "",
            ["police", "site_ban"],
        ),
        (
            "@WPS-2025-0003",
            "investigating",
            "low",
            "defamation",
            cher,
            at(2025, 3, 9, 12, 5, tzinfo=UTC),  # the same minute: newest case first
            '=HYPERLINK("http://evil.example","x")',
            [],
        ),
        (
            "OAK-2025-0002",
            "monitoring",
            "",
            "other",
            ann,
            at(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
            "-1",
            ["meeting_slt"],
        ),
        (
            "WPS-2025-0004",
            "closed",
            "low",
            "criticism",
            lines,
            at(2025, 11, 2, 0, 0, tzinfo=UTC),
            "+ resolved, with a meeting",
            [],
        ),
        (
            "ELS-2025-0001",
            "new",
            "high",
            "harassment",
            None,
            at(2025, 6, 6, 6, 6, tzinfo=UTC),
            "",
            [],
        ),
        ("WPS-2025-0005", "new", "", "", None, at(2025, 2, 2, 2, 2, tzinfo=UTC), "", []),
    ]
    for case, (reference, status, severity, nature, lead, opened, outcome, actions) in zip(
        made, rows, strict=True
    ):
        set_case(
            case,
            reference=reference,
            status=status,
            severity=severity,
            nature=nature,
            lead=lead,
            opened_at=opened,
            outcome=outcome,
            actions=actions,
        )
    return made


HEADER = "Reference,School,Status,Severity,Nature,Lead,Opened,Reports,Where it happened,Outcome\r\n"
HEAD = (
    HEADER
    + 'WPS-2025-0004,Willow Park Primary,Closed,Low,Criticism of the school,"Line Break\nName",2025-11-02 00:00,2,A post in a group,"\'+ resolved, with a meeting"\r\n'
    + 'WPS-2025-0001,Willow Park Primary,Closed,High,Abusive or personal comments,"\'=Ann O""Neil, Jr",2025-07-01 23:30,4,A post in a group; In person; An email,"Warning letter; No further action — Apology received, ""sorry""\nclosed"\r\n'
    + '\'@WPS-2025-0003,Willow Park Primary,Investigating,Low,Defamation,Cher,2025-03-09 12:05,1,Social media,"\'=HYPERLINK(""http://evil.example"",""x"")"\r\n'
    + "WPS-2025-0005,Willow Park Primary,New,,,,2025-02-02 02:02,0,,\r\n"
    + "WPS-2025-0002,Willow Park Primary,New,Medium,,,2025-01-05 09:00,1,In person,\r\n"
)
TRUST = (
    HEADER
    + 'WPS-2025-0004,Willow Park Primary,Closed,Low,Criticism of the school,"Line Break\nName",2025-11-02 00:00,2,A post in a group,"\'+ resolved, with a meeting"\r\n'
    + 'WPS-2025-0001,Willow Park Primary,Closed,High,Abusive or personal comments,"\'=Ann O""Neil, Jr",2025-07-01 23:30,4,A post in a group; In person; An email,"Warning letter; No further action — Apology received, ""sorry""\nclosed"\r\n'
    + '\'@WPS-2025-0003,Willow Park Primary,Investigating,Low,Defamation,Cher,2025-03-09 12:05,1,Social media,"\'=HYPERLINK(""http://evil.example"",""x"")"\r\n'
    + 'OAK-2025-0001,"\'=Oak ""Grove"", Academy",Action,Critical,Threats or intimidation,"Line Break\nName",2025-03-09 12:05,2,An email,Refer to police; Site ban\r\n'
    + "WPS-2025-0005,Willow Park Primary,New,,,,2025-02-02 02:02,0,,\r\n"
    + "WPS-2025-0002,Willow Park Primary,New,Medium,,,2025-01-05 09:00,1,In person,\r\n"
    + 'OAK-2025-0002,"\'=Oak ""Grove"", Academy",Monitoring,,Other,"\'=Ann O""Neil, Jr",2024-12-31 23:59,1,A phone call,Meeting with a senior leader — -1\r\n'
)
OTHER = (
    HEADER
    + "ELS-2025-0001,Elsewhere Academy,New,High,Harassment,,2025-06-06 06:06,1,A post in a group,\r\n"
)


def built_by_the_task(user) -> bytes:
    export = CaseExport.objects.create(user=user)
    assert exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as f:
        return f.read()


def streamed(client, user) -> bytes:
    client.force_login(user)
    response = client.get("/staff/cases/export.csv")
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"), [("head", HEAD), ("trust", TRUST), ("other", OTHER), ("dsl", HEADER)]
)
def test_each_role_gets_exactly_these_bytes(
    client, export_data, head, trust_exec, other_head, school, role, expected
):
    user = {
        "head": head,
        "trust": trust_exec,
        "other": other_head,
        "dsl": staff_member(school, Role.DSL, "dsl", "David Okafor"),
    }[role]
    assert streamed(client, user) == expected.encode()
    assert built_by_the_task(user) == expected.encode()


@pytest.mark.parametrize(
    "text", ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\r", " lead", "tab\there", "é — ü"]
)
def test_a_prequoted_cell_is_what_csv_writer_writes(text):
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerow([text, text, "x"])
    assert f"{exports.field(text)},{exports.field(text)},x\r\n" == out.getvalue()


def test_csv_writer_quotes_exactly_the_characters_the_export_checks_references_for():
    # A reference is written as it is when it has none of them (the export's shortcut).
    quoted = {chr(c) for c in range(0x3000) if exports.field(f"A{chr(c)}B") != f"A{chr(c)}B"}
    assert quoted == set(exports._NEEDS_QUOTES)


@pytest.mark.django_db
def test_a_requester_who_no_longer_sees_any_case_gets_the_header_alone(export_data, head):
    from schools.models import Membership

    export = CaseExport.objects.create(user=head)
    Membership.objects.filter(user=head).delete()
    assert exports.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.rows_total == 0 and export.file.open("rb").read() == HEADER.encode()


@pytest.mark.django_db
def test_without_server_side_cursors_the_bytes_are_the_same(
    client, export_data, trust_exec, monkeypatch
):
    from django.db import connection

    def refused():
        raise AssertionError("a server-side cursor although the settings turn them off")

    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    monkeypatch.setattr(connection, "chunked_cursor", refused)
    assert built_by_the_task(trust_exec) == TRUST.encode()
    assert streamed(client, trust_exec) == TRUST.encode()
