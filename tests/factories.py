"""factory_boy factories for the whole suite."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import chat, workflow
from incidents.models import ChildRisk, Person, SafeguardingScreen
from incidents.services import ReportDetails, report_submit
from letters.models import LetterTemplate
from measures.models import BanStage, ContactRestriction, SiteBan
from schools.models import (
    Group,
    InsetDay,
    Membership,
    Role,
    Rule,
    School,
    TermDate,
    Trust,
    TrustMembership,
)
from tests.helpers import time_machine_at


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


class TermDateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermDate

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Term {n}")
    starts_on = datetime.date(2026, 9, 2)
    ends_on = datetime.date(2026, 10, 23)


def autumn_and_spring_terms(school, *, spring_ends=datetime.date(2027, 3, 26)) -> None:
    """The school's terms around the ban tests' Monday 23 November 2026."""
    TermDateFactory(
        school=school,
        name="Autumn 2",
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 12, 18),
    )
    TermDateFactory(
        school=school, name="Spring 1", starts_on=datetime.date(2027, 1, 5), ends_on=spring_ends
    )


class InsetDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsetDay

    school = factory.SubFactory(SchoolFactory)
    date = datetime.date(2026, 11, 2)


class PersonFactory(factory.django.DjangoModelFactory):
    """The adult whose conduct a case is about."""

    class Meta:
        model = Person

    school = factory.SubFactory(SchoolFactory)
    full_name = factory.Sequence(lambda n: f"Parent {n}")


class SiteBanFactory(factory.django.DjangoModelFactory):
    """A bar at a given stage, written directly (the workflow tests go through the actions)."""

    class Meta:
        model = SiteBan

    case = None  # required: a case of `school`
    person = factory.SubFactory(PersonFactory, school=factory.SelfAttribute("..school"))
    school = factory.LazyAttribute(lambda o: o.case.school)
    stage = BanStage.CONFIRMED
    reasons = "Threats at the gate"
    scope = "The whole site"
    duration = "Three months"
    child_arrangements = "Another adult brings the child to the gate"
    decision_maker = factory.SubFactory(UserFactory)
    notice_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20))
    representation_deadline = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=5)
    )


class ContactRestrictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactRestriction

    case = None  # required: a case of `school`
    person = factory.SubFactory(PersonFactory, school=factory.SelfAttribute("..school"))
    school = factory.LazyAttribute(lambda o: o.case.school)
    contact_point = "Mrs Price"
    channels = "email to the office"
    reasons = "Repeated calls to staff"
    starts_on = factory.LazyFunction(timezone.localdate)
    review_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    created_by = factory.SubFactory(UserFactory)


class LetterTemplateFactory(factory.django.DjangoModelFactory):
    """A school's own version of a letter template (letters themselves are drafted through
    `letters.services.letter_draft`, which takes the snapshot a letter must have)."""

    class Meta:
        model = LetterTemplate

    kind = "reminder"
    trust = None
    # A template belongs to a school or (trust-wide) to a trust, never both.
    school = factory.Maybe(
        "trust", yes_declaration=None, no_declaration=factory.SubFactory(SchoolFactory)
    )
    version = factory.Sequence(lambda n: n + 1)
    title = "Reminder of our code of conduct"
    body = "<p>[[recipient_name]]</p>"
    created_by = factory.SubFactory(UserFactory)


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


def triaged_case(school, head, *, person=None, report_kwargs=None, **triage_params):
    """A reported case triaged by `head` — medium severity, abusive comments about staff, no
    safeguarding concern, the school's first rule, unless `triage` says otherwise — with
    `person` added as the person concerned."""
    report, _ = submit_report(school, **(report_kwargs or {}))
    return triage(report.case, head, person=person, **triage_params)


def triage(case, head, *, person=None, **triage_params):
    """Triage an existing case as `triaged_case` does; returns it refreshed."""

    params = {
        "severity": "medium",
        "nature": "abusive",
        "targets": ["staff"],
        "safeguarding_screen": "none",
        "lead": head,
        "rules": list(case.school.rules.all()[:1]),
    }
    params.update(triage_params)
    workflow.case_triage(case, head, **params)
    if person is not None:
        workflow.case_person_add(case, head, person=person)
    case.refresh_from_db()
    return case


# The report form of the demo school the `school` fixture makes.
REPORT_URL = "/s/willow-park/report/"


def report_form_data(school, **overrides):
    """What a parent posts on the report form: a valid report, changed by `overrides`
    (None drops a field)."""
    data = {
        "group": str(school.groups.first().pk),
        "group_other": "",
        "posted_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "posted_time": "19:30",
        "content": "Mrs Smith is a useless teacher and everyone should complain.",
        "rules": [str(school.rules.first().pk)],
        "poster_description": "Dad of a Year 3 child",
        "child_at_risk": "no",
        "child_risk_details": "",
        "reporter_name": "",
        "reporter_email": "",
        "reporter_phone": "",
        "reporter_relationship": "",
        "contact_preference": "follow_up",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# What staff enter when drafting a letter of any kind.
LETTER_DETAILS = {
    "conduct_summary": "A message called a named teacher “useless” and “a liar”.",
    "impact": "The teacher was upset; about forty parents saw it.",
    "change_required": "Remove the message and raise concerns with the school directly.",
    "response_deadline": "5 December 2026",
    "meeting_date": "Tuesday 1 December 2026",
    "meeting_time": "3.30pm",
    "meeting_place": "The head teacher's office",
    "meeting_attendees": "Mrs Carter (head)",
    "meeting_purpose": "To talk about the message and how to raise concerns.",
    "reasons": "Repeated abusive messages about staff after a warning.",
    "proposed_scope": "The school site and grounds, at all times.",
    "duration": "Three months",
    "representation_deadline": "Friday 11 December 2026",
    "decision_maker": "The chair of governors",
    "child_arrangements": "Your child may be dropped off and collected at the main gate by "
    "another adult you nominate.",
    "start_date": "Monday 23 November 2026",
    "why_immediate": "Staff were threatened at the gate.",
    "representations_summary": "We received your letter of 10 December and considered it.",
    "review_date": "Friday 26 February 2027",
    "review_outcome": "The bar will continue.",
    "conditions": "No contact with staff at the gate.",
    "contact_point": "the school business manager, Mrs Price",
    "outcome_summary": "We have looked into your report and taken the action we consider "
    "appropriate.",
}

# A named reporter, for letters and pages that must never show them to others.
REPORTER = {
    "reporter_name": "Priya Shah",
    "reporter_email": "priya.shah@example.com",
    "reporter_phone": "07700 900123",
}


# The day the deadline tests are set on (a Monday).
DEADLINES_DAY = datetime.date(2026, 11, 23)


def make_ban(school, head, stage=BanStage.CONFIRMED, **extra):
    """A bar on a triaged case with sensitive text, dated around `DEADLINES_DAY`."""
    report, _ = submit_report(school, content="SECRET CASE TEXT", reporter_name="Priya Shah")
    case = report.case
    triage(case, head)
    person = PersonFactory(school=school, full_name="Mr Jason Turner", children_classes="Year 3")
    case.persons.add(person)
    values = {
        "reasons": "SECRET REASONS",
        "scope": "Whole site at all times",
        "duration": "3 months",
        "child_arrangements": "Met at the gate by Mrs Price",
        "decision_maker": head,
        "notice_on": DEADLINES_DAY - datetime.timedelta(days=20),
        "representation_deadline": DEADLINES_DAY - datetime.timedelta(days=6),
        "starts_on": DEADLINES_DAY - datetime.timedelta(days=1),
        "review_on": DEADLINES_DAY + datetime.timedelta(days=40),
    }
    values.update(extra)
    return SiteBanFactory(case=case, person=person, school=school, stage=stage, **values)


def make_everything_due(school, head, time_machine) -> None:
    """One of each thing the deadline engine reminds about, due or overdue on 23 Nov 2026."""
    time_machine.move_to(datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC))
    # A report waiting since last week (triage target: 2 school days).
    with time_machine_at(time_machine, 2026, 11, 16):
        submit_report(school)
        _flagged, _ = submit_report(school, child_at_risk="yes", child_risk_details="x")
    allegation, _ = submit_report(school)
    triage(allegation.case, head, safeguarding_screen=SafeguardingScreen.ALLEGATION)
    make_ban(school, head, stage=BanStage.INTENTION, starts_on=None, review_on=None)
    make_ban(
        school, head, review_on=datetime.date(2026, 11, 25), ends_on=datetime.date(2026, 11, 27)
    )
    report, _ = submit_report(school)
    ContactRestrictionFactory(
        case=report.case,
        person=PersonFactory(school=school, full_name="P"),
        school=school,
        contact_point="x",
        channels="x",
        reasons="x",
        starts_on=datetime.date(2026, 10, 1),
        review_on=datetime.date(2026, 11, 24),
        created_by=head,
    )


def chat_line(index, minute, sender, text, *, picked=False, from_reporter=False, kind="text"):
    """One message of a chat excerpt draft, sent on 14 March 2026 at 19:<minute>."""
    return {
        "index": index,
        "sent_at": datetime.datetime(2026, 3, 14, 19, minute).isoformat(),
        "sender": sender,
        "text": text,
        "kind": kind,
        "edited": False,
        "attachment": "",
        "picked": picked,
        "from_reporter": from_reporter,
        "picture": False,
        "note": "",
    }


def report_with_chat(school, triage_by=None):
    """A report with a kept WhatsApp excerpt in which the reporter (Priya Shah) speaks."""
    draft = chat.ExcerptDraft(
        file_name="WhatsApp Chat with Year 3.txt",
        platform="android",
        messages_in_export=812,
        lines=[
            chat_line(
                40,
                41,
                "Priya Shah",
                "Has anyone seen the trip letter, Priya here?",
                from_reporter=True,
            ),
            chat_line(
                41, 43, "Mark Jones", "Mrs Carter is useless and everyone knows it.", picked=True
            ),
            chat_line(42, 44, "Priya Shah", "That's not fair Mark", from_reporter=True),
            chat_line(
                43,
                45,
                "Mark Jones",
                "@Priya Shah shut up, someone should wait for her after school",
                picked=True,
            ),
        ],
    )
    report, _ = report_submit(
        school=school,
        details=report_details(school, reporter_name="Priya Shah", reporter_email="p@example.com"),
        images=[],
        chat=draft,
    )
    if triage_by is not None:
        triage(report.case, triage_by)
    return report
