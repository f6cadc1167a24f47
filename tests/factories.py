"""factory_boy factories for the whole suite."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents import workflow
from incidents.models import ChildRisk, Person
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


def case_with_everything(school, head, *, image: bytes, person=None):
    """A case with something in every section of a case file: a named reporter (REPORTER)
    whose name staff also typed into a note, a screenshot, a meeting, a message to the
    reporter, a police referral, and a warning letter sent to the parent (its PDF filed)."""
    from incidents.evidence import evidence_store, inspect_image
    from letters import services as letters

    from .images import upload

    person = person or PersonFactory(
        school=school, full_name="Mr Jason Turner", address="14 Orchard Close", postcode="AG1 4TT"
    )
    case = triaged_case(
        school,
        head,
        person=person,
        report_kwargs={
            "content": "Mr Turner called Ms Shah a liar in the Year 3 group.",
            **REPORTER,
        },
    )
    report = case.reports.get()
    evidence_store(case=case, report=report, items=[inspect_image(upload(image))])
    workflow.case_note_add(
        case, head, text="Priya Shah phoned from 07700 900123 about Amelia Rose."
    )
    workflow.case_reporter_message(case, head, report=report, body="Thank you, Priya.")
    workflow.case_meeting_record(
        case,
        head,
        kind="senior_leader",
        held_at=timezone.now() - datetime.timedelta(days=1),
        notes="Mr Turner agreed to delete the post.",
        place="Head's office",
        attendees="Mrs Carter, Mr Turner",
        person=person,
    )
    workflow.case_refer(
        case, head, kind="police", made_on=timezone.localdate(), external_reference="CAD 4471"
    )
    letter = letters.letter_draft(
        case=case,
        kind="warning",
        actor=head,
        details={
            "conduct_summary": "A message called a teacher a liar.",
            "impact": "Staff were upset.",
            "change_required": "Remove the message.",
            "response_deadline": "2026-12-05",
        },
        delivery_method="post",
        person=person,
    )
    letters.letter_approve(letter=letter, actor=head)
    letters.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    letters.letters_mark_printed(letters=[letter], actor=head)
    letter.refresh_from_db()
    letters.letter_mark_sent(letter=letter, actor=head, method="hand", sent_on=timezone.localdate())
    case.refresh_from_db()
    return case


def chat_kept(case) -> None:
    """Two kept chat messages on the case's report: one by Jason Turner (picked), one the
    reporter said was theirs ("Priya S")."""
    from incidents.models import ChatExcerpt, ExcerptMessage

    excerpt = ChatExcerpt.objects.create(
        report=case.reports.get(), platform="whatsapp", file_name="chat.txt", messages_in_export=40
    )
    lines = [
        ("Jason Turner", "Ms Shah is a liar and everyone knows it", False, True),
        ("Priya S", "Please stop, Jason.", True, False),
    ]
    for position, (sender, text, mine, picked) in enumerate(lines):
        ExcerptMessage.objects.create(
            excerpt=excerpt,
            position=position,
            sent_at=timezone.now(),
            sender=sender,
            text=text,
            kind="text",
            picked=picked,
            from_reporter=mine,
        )


def case_file_ask(case, user, **overrides):
    """Ask for a case file through the real service: for the police, reporter withheld,
    redacted images, unless `overrides` say otherwise."""
    from records import casefile

    values = {
        "purpose": "police",
        "recipient_name": "PC Jane Doyle, Kent Police",
        "include_reporter": False,
        "use_redacted": True,
    } | overrides
    return casefile.casefile_request(case=case, actor=user, **values)


def sar_from_turner(case, head):
    """An open subject access request from Mr Jason Turner (the person concerned of
    `case_with_everything`), received today, identity not yet checked."""
    from records import services

    return services.sar_register(
        school=case.school,
        person=case.persons.get(full_name="Mr Jason Turner"),
        requester_name="Jason Turner",
        requester_is_subject=True,
        received_on=timezone.localdate(),
        identity_checked_on=None,
        scope="Everything you hold about me",
        actor=head,
    )
