"""factory_boy factories for every model of the app, and the builders tests share (a submitted
report, a triaged case, what staff type on a letter)."""

from __future__ import annotations

import datetime

import factory
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model
from django.utils import timezone

from casetasks.models import CaseTask
from incidents import chat, workflow
from incidents.evidence import evidence_store, inspect_image
from incidents.models import (
    AccessLog,
    Case,
    CaseEvent,
    CaseExport,
    ChatExcerpt,
    ChildRisk,
    Evidence,
    ExcerptMessage,
    Meeting,
    Message,
    Person,
    ReferenceCounter,
    Referral,
    Report,
    SafeguardingScreen,
    SensitiveName,
)
from incidents.services import ReportDetails, report_submit
from letters.models import Letter, LetterTemplate, PrintBatch, Signature
from measures.models import BanReview, BanStage, ContactRestriction, SiteBan
from oversight.models import CalendarFeed, GovernorsReport
from records.models import (
    Breach,
    CaseFile,
    DisposalLog,
    DisposalProposal,
    EvidenceRedaction,
    LegalHold,
    RetentionSchedule,
    SubjectAccessRequest,
)
from schoolconduct.models import Notification
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
from security.models import LockoutRelease
from staffauth.models import SchoolSignIn, SecondFactorReset
from tests.helpers import time_machine_at

from .images import png_upload


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


def staff_member(school, role, username: str, name: str, **membership):
    """A member of staff of `school` in `role` (a `Membership`), signing in as `username`
    with the personas' password; `name` is "First Last"."""
    first_name, last_name = name.split(" ", 1)
    user = UserFactory(username=username, first_name=first_name, last_name=last_name)
    MembershipFactory(user=user, school=school, role=role, **membership)
    return user


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


class CaseTaskFactory(factory.django.DjangoModelFactory):
    """A task written directly (the task tests give them through the workflow action)."""

    class Meta:
        model = CaseTask

    case = None  # required
    title = "Phone the parent"
    assigned_to = None  # required: someone who may open the case
    created_by = factory.LazyAttribute(lambda o: o.assigned_to)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=3))


class CaseExportFactory(factory.django.DjangoModelFactory):
    """A large CSV of the case list asked for (queued; `incidents.exports.export_build`
    builds it)."""

    class Meta:
        model = CaseExport

    user = factory.SubFactory(UserFactory)
    query = "status=new"


class CaseFileFactory(factory.django.DjangoModelFactory):
    """A case file asked for (queued; `records.casefile.casefile_build` makes its PDF)."""

    class Meta:
        model = CaseFile

    case = None  # required
    school = factory.LazyAttribute(lambda o: o.case.school)
    purpose = "police"
    recipient_name = "PC Jane Doyle, Kent Police"
    made_by = factory.SubFactory(UserFactory)


class EvidenceRedactionFactory(factory.django.DjangoModelFactory):
    """A redacted copy of a piece of evidence, written directly (the redaction tests make them
    through `records.redaction`, which fills the regions in the pixels)."""

    class Meta:
        model = EvidenceRedaction

    evidence = None  # required
    regions = factory.LazyFunction(lambda: [[0, 0, 4, 4]])
    file = factory.django.FileField(filename="redacted.png", data=b"not really a picture")
    sha256 = "0" * 64
    source_sha256 = "0" * 64
    made_by = factory.SubFactory(UserFactory)


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
    body = "<p>[[recipient_name]]</p><p>[[incident]]</p>"
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


def temporarily_barred_case(school, head, **person_fields):
    """A triaged case about threats at the gate: a site ban decided, then a temporary bar
    imposed by `head` on the person concerned (Mr Jason Turner, with `person_fields`)."""
    from incidents.models import Nature, Outcome
    from measures import procedure

    parent = Person(**{"full_name": "Mr Jason Turner", **person_fields})
    case = triaged_case(school, head, person=parent, nature=Nature.THREATS)
    workflow.case_decide(
        case, head, actions=[Outcome.SITE_BAN], rationale="Threats", escalation_reason="Risk"
    )
    procedure.ban_temporary_impose(
        case,
        head,
        person=case.persons.get(),
        immediate_risk_reason="Threatened a teacher at the gate",
        reasons="Threats",
        scope="Whole site",
        duration="Three months",
        child_arrangements="Met at the gate",
        decision_maker=head,
    )
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


def phone_report_data(school, **overrides):
    """What staff post on /staff/cases/log-report/ for a report a parent phoned in."""
    return {
        "school": school.pk,
        "channel": "phone",
        "group": school.groups.first().pk,
        "posted_on": "2026-11-20",
        "content": "A parent rang about a post",
        "rules_unsure": "on",
        "child_at_risk": "no",
        "contact_preference": "phone",
        "reporter_phone": "0770090000",
        "website": "",
        **overrides,
    }


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

# What staff type on the draft form: the same, with dates and times as the form's fields take
# them and without the dates a bar records (letters take those from the bar, never from what
# is typed). The letters tests' `draft` fixture uses it.
DETAILS = {
    **{
        name: value
        for name, value in LETTER_DETAILS.items()
        if name not in {"representation_deadline", "start_date", "review_date"}
    },
    "response_deadline": "2026-12-05",
    "meeting_date": "2026-12-01",
    "meeting_time": "15:30",
}

# What the procedure recorded for the case (the bar and the restriction): the letters take
# these dates from here, never from what is typed.
RECORDED = {
    "representation_deadline": "11 December 2026",
    "start_date": "23 November 2026",
    "end_date": "22 February 2027",
    "review_date": "26 February 2027",
}


class LockoutReleaseFactory(factory.django.DjangoModelFactory):
    """A sign-in lockout an administrator lifted (recorded by security.services)."""

    class Meta:
        model = LockoutRelease

    released_at = factory.LazyFunction(timezone.now)
    released_by = factory.SubFactory(UserFactory)
    released_by_name = factory.LazyAttribute(lambda o: o.released_by.username)
    username = "head"
    ip_address = "203.0.113.5"
    failures = 3


class SecondFactorResetFactory(factory.django.DjangoModelFactory):
    """An administrator's reset of a user's second factors (a lost phone)."""

    class Meta:
        model = SecondFactorReset

    actor = factory.SubFactory(UserFactory)
    user = factory.SubFactory(UserFactory)
    removed = "totp"
    reason = "Phone lost; identity checked in person"


# --- made through the services (a report, a letter, a batch, evidence) ------------------------
# These rows need what only their service writes (a reference, a snapshot, a sealed file), so
# their factories call it; the other arguments are the service's own.


class ReportFactory(factory.django.DjangoModelFactory):
    """A parent's report, saved by `report_submit` (its case is `report.case`). Any other
    keyword is a field of the report form (`report_details`)."""

    class Meta:
        model = Report

    school = factory.SubFactory(SchoolFactory)

    @classmethod
    def _create(cls, model_class, *, school, **details):
        report, _ = submit_report(school, **details)
        return report


class CaseFactory(factory.django.DjangoModelFactory):
    """A new case, opened by a parent's report (`triaged_case` goes on to triage)."""

    class Meta:
        model = Case

    school = factory.SubFactory(SchoolFactory)

    @classmethod
    def _create(cls, model_class, *, school, **details):
        return ReportFactory(school=school, **details).case


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A screenshot on `case`, inspected and stored as staff upload it."""

    class Meta:
        model = Evidence

    case = None  # required
    upload = factory.LazyFunction(png_upload)
    actor = None

    @classmethod
    def _create(cls, model_class, *, case, upload, actor):
        (evidence,) = evidence_store(case=case, items=[inspect_image(upload)], actor=actor)
        return evidence


class LetterFactory(factory.django.DjangoModelFactory):
    """A letter drafted by `actor` on `case` through `letters.services.letter_draft` (the
    snapshot every letter has), to the case's first person unless `person` is given, or
    with `to_reporter=True` to the reporter of its first report. `ready=True`: approved and
    its PDF made, ready to print or send."""

    class Meta:
        model = Letter
        skip_postgeneration_save = True  # an approved letter refuses a second save

    case = None  # required: a triaged case
    actor = None  # required: who drafts (and approves) it
    kind = "reminder"
    details = factory.LazyFunction(lambda: dict(LETTER_DETAILS))
    delivery_method = "post"
    person = factory.LazyAttribute(lambda o: o.case.persons.first())
    report = None

    class Params:
        # The acknowledgement to the person who reported, on their follow-up page.
        to_reporter = factory.Trait(
            kind="acknowledgement",
            details=factory.LazyFunction(dict),
            delivery_method="follow_up",
            person=None,
            report=factory.LazyAttribute(lambda o: o.case.reports.first()),
        )

    @classmethod
    def _create(cls, model_class, **kwargs):
        from letters import services

        return services.letter_draft(**kwargs)

    @factory.post_generation
    def ready(letter, create, extracted, **kwargs):
        from letters import services

        if create and extracted:
            services.letter_approve(letter=letter, actor=letter.created_by)
            assert services.letter_render(letter_id=letter.pk)
            letter.refresh_from_db()


class PrintBatchFactory(factory.django.DjangoModelFactory):
    """A print batch of ready `letters` (one delivery method), made by `batch_create`."""

    class Meta:
        model = PrintBatch

    letters = None  # required: ready letters of one school, sent the same way
    actor = factory.SubFactory(UserFactory)
    cover_sheet = False

    @classmethod
    def _create(cls, model_class, *, letters, actor, cover_sheet):
        from letters import services

        (batch,) = services.batch_create(
            school=letters[0].case.school, letters=letters, actor=actor, cover_sheet=cover_sheet
        )
        return batch


# --- written directly ------------------------------------------------------------------------


class NotificationFactory(factory.django.DjangoModelFactory):
    """An outbox row about `target` (a case, a letter)."""

    class Meta:
        model = Notification

    kind = "lead_assigned"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    target = None  # required


class MessageFactory(factory.django.DjangoModelFactory):
    """A message on a report's follow-up page (from the reporter unless `direction` says)."""

    class Meta:
        model = Message

    report = None  # required
    case = factory.LazyAttribute(lambda o: o.report.case)
    direction = Message.Direction.FROM_REPORTER
    body = "There is more: they posted again this morning."


class CaseEventFactory(factory.django.DjangoModelFactory):
    """A chronology line written directly (steps write theirs through the workflow)."""

    class Meta:
        model = CaseEvent

    case = None  # required
    kind = CaseEvent.Kind.NOTE
    summary = "Spoke to the class teacher"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    case = None  # required
    kind = Meeting.Kind.SENIOR_LEADER
    held_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    notes = "We talked about the message and how to raise concerns."
    recorded_by = factory.SubFactory(UserFactory)


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    case = None  # required
    kind = Referral.Kind.POLICE
    made_on = factory.LazyFunction(timezone.localdate)
    made_by = factory.SubFactory(UserFactory)


class AccessLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessLog

    user = factory.SubFactory(UserFactory)
    case = None
    action = "view_case"


class SensitiveNameFactory(factory.django.DjangoModelFactory):
    """A name the school asks to be suggested for redaction in screenshots' text."""

    class Meta:
        model = SensitiveName

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Pupil Name{n}")


class ChatExcerptFactory(factory.django.DjangoModelFactory):
    """The kept part of a chat export attached to a report."""

    class Meta:
        model = ChatExcerpt

    report = None  # required
    platform = "whatsapp"
    file_name = "WhatsApp Chat with Year 3 Parents.txt"
    messages_in_export = 40


class ExcerptMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExcerptMessage

    excerpt = factory.SubFactory(ChatExcerptFactory)
    position = factory.Sequence(lambda n: n)
    sent_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    sender = "Pat Parent"
    text = "Pat says the teacher is useless"
    kind = "text"


class BanReviewFactory(factory.django.DjangoModelFactory):
    """A review of a confirmed bar, written directly (the procedure's `ban_review` action
    writes it with the chronology line)."""

    class Meta:
        model = BanReview

    ban = None  # required
    reviewed_on = factory.LazyFunction(timezone.localdate)
    outcome = BanReview.Outcome.CONTINUE
    notes = "No change in conduct yet."
    reviewed_by = factory.SubFactory(UserFactory)


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    user = factory.SubFactory(UserFactory)
    image = factory.django.ImageField(filename="signature.png", width=300, height=80)


class GovernorsReportFactory(factory.django.DjangoModelFactory):
    """A filed governors' report for `schools` (no PDF unless `pdf` is given)."""

    class Meta:
        model = GovernorsReport
        skip_postgeneration_save = True

    scope_key = factory.Sequence(str)
    title = "Autumn term 2026"
    term_name = "Autumn term 2026"
    term_start = datetime.date(2026, 9, 3)
    term_end = datetime.date(2026, 12, 18)
    status = GovernorsReport.Status.DONE

    @factory.post_generation
    def schools(report, create, extracted, **kwargs):
        if create and extracted:
            report.schools.set(extracted)


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarFeed

    user = factory.SubFactory(UserFactory)
    token_sha256 = factory.Sequence(lambda n: f"{n:064x}")


class SubjectAccessRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubjectAccessRequest

    school = factory.SubFactory(SchoolFactory)
    person = factory.SubFactory(PersonFactory, school=factory.SelfAttribute("..school"))
    requester_name = factory.LazyAttribute(lambda o: o.person.full_name)
    received_on = factory.LazyFunction(timezone.localdate)
    created_by = factory.SubFactory(UserFactory)


class LegalHoldFactory(factory.django.DjangoModelFactory):
    """A legal hold: nothing it covers is disposed of while it stands."""

    class Meta:
        model = LegalHold

    school = factory.SubFactory(SchoolFactory)
    kind = "police"
    # A hold covers a case or a person (the database requires one): a person by default.
    case = None
    person = factory.SubFactory(PersonFactory, school=factory.SelfAttribute("..school"))
    reason = "Police investigation, reference 123/26"
    placed_by = factory.SubFactory(UserFactory)


class RetentionScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RetentionSchedule
        django_get_or_create = ("school",)

    school = factory.SubFactory(SchoolFactory)


class DisposalProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisposalProposal

    case = None  # required
    rule = "case_closure"
    due_on = factory.LazyFunction(timezone.localdate)


class DisposalLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisposalLog

    school = factory.SubFactory(SchoolFactory)
    case_reference = factory.Sequence(lambda n: f"WPS-2020-{n:04d}")
    rule = "case_closure"
    method = "anonymise"
    disposed_by = factory.SubFactory(UserFactory)


class BreachFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Breach

    school = factory.SubFactory(SchoolFactory)
    summary = "A letter went to the wrong address"
    aware_at = factory.LazyFunction(timezone.now)
    recorded_by = factory.SubFactory(UserFactory)


class SocialAppFactory(factory.django.DjangoModelFactory):
    """A school's own OpenID Connect sign-in app (django-allauth's)."""

    class Meta:
        model = SocialApp

    provider = "openid_connect"
    provider_id = factory.Sequence(lambda n: f"app-{n}")
    name = "Willow Park (Microsoft 365)"
    client_id = "client"
    secret = "secret"
    settings = factory.LazyFunction(lambda: {"server_url": "https://login.example/tenant/v2.0"})


class SchoolSignInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolSignIn

    app = factory.SubFactory(SocialAppFactory)
    school = factory.SubFactory(SchoolFactory)
    email_domain = "school.example"


class ReferenceCounterFactory(factory.django.DjangoModelFactory):
    """The next case reference number of a school and year (`reference_next` keeps it)."""

    class Meta:
        model = ReferenceCounter
        django_get_or_create = ("school", "year")

    school = factory.SubFactory(SchoolFactory)
    year = 2026


def letter_to_parent(case, head, person, kind="warning", details=None, **values):
    """A draft letter of `kind` to `person`, by post, with `details` (LETTER_DETAILS unless
    given) and `values` on top."""
    from letters.services import letter_draft

    return letter_draft(
        case=case,
        kind=kind,
        actor=head,
        details={**(LETTER_DETAILS if details is None else details), **values},
        delivery_method="post",
        person=person,
    )


def outcome_to_reporter(case, head, summary: str, *, report=None):
    """A draft outcome letter to the reporter of `report` (the case's first report), for the
    follow-up page."""
    from letters.services import letter_draft

    return letter_draft(
        case=case,
        kind="outcome_to_reporter",
        actor=head,
        details={"outcome_summary": summary},
        delivery_method="follow_up",
        report=report or case.reports.first(),
    )


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
