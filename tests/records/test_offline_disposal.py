"""Disposal of a case about an incident that was not a post: where it happened and the staff
witness go with the rest of the case's personal data."""

from __future__ import annotations

import datetime

import pytest

from incidents import workflow
from incidents.models import Report
from records import services
from records.models import DisposalProposal
from tests.factories import triaged_case


@pytest.mark.django_db
def test_disposal_clears_the_place_and_the_staff_witness(school, head, slt, time_machine):
    time_machine.move_to(datetime.datetime(2019, 3, 1, 10, 0, tzinfo=datetime.UTC))
    gate = {"conduct": "in_person", "conduct_place": "outside 14 Orchard Close", "witness": slt}
    call = {"conduct": "phone_call", "witness_name": "Mrs Price"}
    case = triaged_case(school, head, report_kwargs=gate)
    second = triaged_case(school, head, report_kwargs=call)
    for each in (case, second):
        workflow.case_close(each, head, outcome="Resolved", rationale="Apologised")
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC))
    services.proposals_make(today=datetime.date(2026, 3, 2))
    for each in (case, second):
        services.dispose(DisposalProposal.objects.get(case=each), actor=head)
    gate_report, call_report = Report.objects.get(case=case), Report.objects.get(case=second)
    # The in-person report keeps a place (the database asks for one), not the address.
    assert (gate_report.conduct, gate_report.conduct_place) == ("in_person", "[anonymised]")
    assert gate_report.witness is None
    assert (call_report.conduct_place, call_report.witness_name) == ("", "")
