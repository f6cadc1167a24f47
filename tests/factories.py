"""factory_boy factories for the whole suite."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import workflow
from incidents.models import ChildRisk
from incidents.services import ReportDetails, report_submit
from schools.models import Group, Membership, Role, Rule, School, Trust, TrustMembership


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Trust {n}")
    slug = factory.Sequence(lambda n: f"trust-{n}")


def _prefix(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "S" + letters[n // len(letters) % len(letters)] + letters[n % len(letters)]


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    trust = factory.SubFactory(TrustFactory)
    name = factory.Sequence(lambda n: f"School {n} Primary")
    slug = factory.Sequence(lambda n: f"school-{n}")
    reference_prefix = factory.Sequence(_prefix)
    address = "School Lane\nTesttown"
    postcode = "TT1 1TT"
    phone = "01632 960999"
    email = factory.LazyAttribute(lambda o: f"office@{o.slug}.example")
    childrens_services_phone = "01632 960123"


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Rule {n}")
    explanation = "Be kind."
    order = factory.Sequence(lambda n: n)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Class {n} parents")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@staff.example")
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.SLT


class TrustMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrustMembership

    user = factory.SubFactory(UserFactory)
    trust = factory.SubFactory(TrustFactory)


def report_details(school: School, **overrides) -> ReportDetails:
    group = overrides.pop("group", None) or school.groups.first() or GroupFactory(school=school)
    values = {
        "group": group,
        "group_other": "",
        "posted_on": timezone.localdate() - datetime.timedelta(days=1),
        "posted_time": None,
        "content": "A parent called the Year 3 teacher useless and a disgrace.",
        "rules": [],
        "rules_unsure": True,
        "poster_description": "A parent in the group",
        "child_at_risk": ChildRisk.NO,
        "child_risk_details": "",
    }
    values.update(overrides)
    return ReportDetails(**values)


def submit_report(school: School, images=(), **overrides):
    """A report saved through the real service; returns (report, code)."""
    return report_submit(
        school=school, details=report_details(school, **overrides), images=list(images)
    )


def triaged_case(school, head, *, person=None, report_kwargs=None, **triage):
    """A reported case triaged by `head` — medium severity, abusive comments about staff, no
    safeguarding concern, the school's first rule, unless `triage` says otherwise — with
    `person` added as the person concerned."""

    report, _ = submit_report(school, **(report_kwargs or {}))
    params = {
        "severity": "medium",
        "nature": "abusive",
        "targets": ["staff"],
        "safeguarding_screen": "none",
        "lead": head,
        "rules": list(school.rules.all()[:1]),
    }
    params.update(triage)
    workflow.case_triage(report.case, head, **params)
    if person is not None:
        workflow.case_person_add(report.case, head, person=person)
    report.case.refresh_from_db()
    return report.case
