"""Every letter to the parent names the rule broken. A case triaged without one (the reporter
was not sure) shows its letter step disabled with the reason, before any form, and "Record
the rules broken" lets the head go on — no letter form is refused for it."""

from __future__ import annotations

import pytest

from incidents import workflow
from incidents.models import CaseEvent
from incidents.workflow import WorkflowError
from tests.factories import DETAILS, RuleFactory, letter_to_parent, triaged_case

REASON = "No rule of the code of conduct is recorded as broken on this case"


@pytest.mark.django_db
def test_no_rule_disables_the_letter_step_until_the_rules_are_recorded(
    client, school, head, parent
):
    case = triaged_case(school, head, person=parent, rules=[])
    workflow.case_decide(
        case, head, actions=["warning"], rationale="Abusive", escalation_reason="x"
    )
    client.force_login(head)
    page = client.get(f"/staff/cases/{case.reference}/")
    panel = page.context["panel"]
    assert "letter:warning" in [s.name for s in panel.blocked]
    assert REASON in page.text and "Record the rules broken" in page.text
    kinds = client.get(f"/staff/letters/case/{case.reference}/").text
    assert REASON in kinds

    # Nothing chosen: the form says so, and nothing is recorded.
    refused = client.post(f"/staff/cases/{case.reference}/rules/", {"rationale": "Checked"})
    assert refused.status_code == 200
    assert "Choose at least one rule of the code of conduct." in refused.text
    assert not case.events.filter(kind=CaseEvent.Kind.RULES).exists()

    rule = school.rules.get(title="Nothing defamatory")
    response = client.post(f"/staff/cases/{case.reference}/rules/", {"rules": [rule.pk]})
    assert response.status_code == 302
    event = case.events.get(kind=CaseEvent.Kind.RULES)
    assert event.summary == "Rules broken: Nothing defamatory" and event.actor == head
    panel = client.get(f"/staff/cases/{case.reference}/").context["panel"]
    assert panel.primary[0].name == "letter:warning" and not panel.primary[0].reason
    letter = letter_to_parent(case, head, parent, "warning", DETAILS)
    assert letter.context["rules_breached"] == "Nothing defamatory"


@pytest.mark.django_db
def test_rules_are_the_schools_own_and_one_at_least(school, other_school, head, parent):
    case = triaged_case(school, head, person=parent, rules=[])
    with pytest.raises(WorkflowError, match="at least one rule"):
        workflow.case_rules_record(case, head, rules=[])
    with pytest.raises(WorkflowError, match="this school's code"):
        workflow.case_rules_record(case, head, rules=[RuleFactory(school=other_school)])
    assert not case.rules.exists()
