"""Every model has a factory in tests/factories.py, and each one makes a row that saves."""

from __future__ import annotations

import factory
import pytest
from django.apps import apps

from tests import factories as f

OUR_APPS = {
    "schoolconduct",
    "casetasks",
    "security",
    "schools",
    "staffauth",
    "incidents",
    "measures",
    "letters",
    "oversight",
    "records",
}


def all_factories() -> list[type[factory.django.DjangoModelFactory]]:
    return [
        value
        for value in vars(f).values()
        if isinstance(value, type)
        and issubclass(value, factory.django.DjangoModelFactory)
        and value._meta.model is not None
    ]


def test_every_model_of_the_app_has_a_factory():
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    covered = {made._meta.model for made in all_factories()}
    assert sorted(m._meta.label for m in ours - covered) == []


@pytest.mark.django_db
def test_each_factory_makes_a_row(school, head):
    case = f.triaged_case(school, head, person=f.PersonFactory(school=school, address="1 Road"))
    report = case.reports.get()
    ban = f.SiteBanFactory(case=case)
    letter = f.LetterFactory(case=case, actor=head, ready=True)
    evidence = f.EvidenceFactory(case=case, actor=head)
    needs = {
        f.EvidenceFactory: {"case": case, "actor": head},
        f.LetterFactory: {"case": case, "actor": head},
        f.PrintBatchFactory: {"letters": [letter], "actor": head},
        f.NotificationFactory: {"target": case},
        f.MessageFactory: {"report": report},
        f.ChatExcerptFactory: {"report": report},
        f.ExcerptMessageFactory: {"excerpt__report": report},
        f.SiteBanFactory: {"case": case},
        f.ContactRestrictionFactory: {"case": case},
        f.BanReviewFactory: {"ban": ban},
        f.GovernorsReportFactory: {"schools": [school]},
        f.LetterTemplateFactory: {"school": school},
        f.ReportFactory: {"school": school},
        f.CaseFactory: {"school": school},
        f.CaseTaskFactory: {"case": case, "assigned_to": head},
        f.CaseFileFactory: {"case": case},
        f.EvidenceRedactionFactory: {"evidence": evidence},
    }
    on_the_case = (f.CaseEventFactory, f.MeetingFactory, f.ReferralFactory)
    for made in (*on_the_case, f.DisposalProposalFactory):
        needs[made] = {"case": case}
    for made in all_factories():
        row = made(**needs.get(made, {}))
        assert row.pk and made._meta.model.objects.filter(pk=row.pk).exists(), made
    assert letter.status == "ready" and letter.pdf
