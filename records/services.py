"""Data-protection services: the SAR register and its clock, legal holds, retention review
and disposal, the breach log, and the daily job that proposes and reminds.

Views call one function each; every rule lives here or in `records.clocks`.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from incidents.models import (
    Case,
    CaseStatus,
    ChatExcerpt,
    Evidence,
    ExcerptMessage,
    Meeting,
    Message,
    Outcome,
    Person,
    Referral,
    Report,
)
from letters.models import Letter
from measures.models import SiteBan
from schoolconduct import outbox
from schoolconduct.models import Notification
from schools.models import School
from schools.selectors import school_head_teachers

from . import anonymise, clocks
from .models import (
    Breach,
    BreachDecision,
    CaseFile,
    DisposalLog,
    DisposalMethod,
    DisposalProposal,
    EvidenceRedaction,
    LegalHold,
    ProposalStatus,
    RetentionSchedule,
    SarStatus,
    SubjectAccessRequest,
)

logger = logging.getLogger(__name__)

ANONYMISED = anonymise.ANONYMISED
REMIND_DAYS = 5


class RecordsError(Exception):
    """A data-protection step refused, with a reason a school's DPO understands."""


def _text(value: str) -> str:
    """Collapse spaces (including non-breaking ones): text that is only spaces is empty."""
    return " ".join(value.replace("\u00a0", " ").split())


# --------------------------------------------------------------------------------------------
# Subject access requests


def sar_register(
    *,
    school: School,
    person: Person,
    requester_name: str,
    requester_is_subject: bool,
    received_on: datetime.date,
    identity_checked_on: datetime.date | None,
    scope: str,
    actor: Any,
) -> SubjectAccessRequest:
    """Record a SAR. Its month runs from the later of receipt and the identity check."""
    name = _text(requester_name)
    if not name:
        raise RecordsError("Say who made the request.")
    if received_on > timezone.localdate():
        raise RecordsError("A request cannot be received in the future.")
    return SubjectAccessRequest.objects.create(
        school=school,
        person=person,
        requester_name=name,
        requester_is_subject=requester_is_subject,
        received_on=received_on,
        identity_checked_on=identity_checked_on,
        scope=scope.strip(),
        created_by=actor,
    )


def sar_identity_checked(sar: SubjectAccessRequest, *, on: datetime.date) -> None:
    """Record the identity check; the month starts now if it is later than receipt."""
    if not sar.is_open:
        raise RecordsError("This request is no longer open.")
    sar.identity_checked_on = on
    sar.save(update_fields=["identity_checked_on"])


def sar_extend(
    sar: SubjectAccessRequest, *, months: int, told_on: datetime.date, reason: str
) -> None:
    """Extend the deadline by one or two further months. Allowed only if the requester was
    told within the first month — its last day included, the day after refused."""
    reason = reason.strip()
    if not sar.is_open:
        raise RecordsError("This request is no longer open.")
    first_due = sar.first_due_on
    if first_due is None:
        raise RecordsError("The month has not started: record the identity check before extending.")
    if not 1 <= months <= clocks.SAR_MAX_EXTENSION_MONTHS:
        raise RecordsError("The deadline can be extended by one or two further months only.")
    if not _text(reason):
        raise RecordsError("Give the reason for the extension (the requester must be told it).")
    if told_on > first_due:
        raise RecordsError(
            f"Too late to extend: the requester had to be told by {first_due:%-d %B %Y}, "
            f"within the first month, and was told on {told_on:%-d %B %Y}."
        )
    if told_on < sar.starts_on:
        raise RecordsError("The requester cannot be told before the month started.")
    sar.extension_months = months
    sar.extension_told_on = told_on
    sar.extension_reason = reason
    sar.save(update_fields=["extension_months", "extension_told_on", "extension_reason"])


def sar_close(sar: SubjectAccessRequest, *, status: str, on: datetime.date) -> None:
    """The response was sent (or the request withdrawn): the legal hold lifts."""
    if not sar.is_open:
        raise RecordsError("This request is already closed.")
    if status not in (SarStatus.RESPONDED, SarStatus.WITHDRAWN):
        raise RecordsError("Choose whether the response was sent or the request withdrawn.")
    if on < sar.received_on:
        raise RecordsError("The request cannot close before it was received.")
    sar.status = status
    sar.response_sent_on = on if status == SarStatus.RESPONDED else None
    sar.save(update_fields=["status", "response_sent_on"])


def sar_records(sar: SubjectAccessRequest):
    """The cases that hold the person's data, across their trust's schools — what the
    disclosure bundle (built by the case-file machinery) draws on."""
    return Case.objects.filter(persons=sar.person).select_related("school").order_by("opened_at")


# --------------------------------------------------------------------------------------------
# Legal holds


def holds_for_case(case: Case, *, today: datetime.date | None = None) -> list[str]:
    """Why this case's records may not be disposed of now (empty: nothing holds them)."""
    person_ids = list(case.persons.values_list("pk", flat=True))
    reasons = []
    holds = LegalHold.objects.filter(released_on__isnull=True).filter(
        Q(case=case) | Q(person_id__in=person_ids)
    )
    for hold in holds.order_by("pk"):
        reasons.append(f"{hold.get_kind_display()} hold: {hold.reason}")
    sars = SubjectAccessRequest.objects.filter(status=SarStatus.OPEN, person_id__in=person_ids)
    for sar in sars.order_by("pk"):
        reasons.append(f"Open subject access request received {sar.received_on:%-d %B %Y}")
    return reasons


def hold_place(
    *,
    school: School,
    kind: str,
    reason: str,
    actor: Any,
    case: Case | None = None,
    person: Person | None = None,
) -> LegalHold:
    """Place a legal hold on a case or on everything about a person."""
    if case is None and person is None:
        raise RecordsError("A hold is on a case or on a person.")
    if not _text(reason):
        raise RecordsError("Say why the records are held.")
    return LegalHold.objects.create(
        school=school, kind=kind, reason=reason.strip(), case=case, person=person, placed_by=actor
    )


def hold_release(hold: LegalHold, *, on: datetime.date) -> None:
    if hold.released_on is not None:
        raise RecordsError("This hold is already released.")
    hold.released_on = on
    hold.save(update_fields=["released_on"])


# --------------------------------------------------------------------------------------------
# Retention


@dataclass(frozen=True)
class Review:
    due_on: datetime.date
    rule: str
    label: str


def schedule_for(school: School) -> RetentionSchedule:
    """The school's schedule, or the defaults if it never changed them (not saved)."""
    return RetentionSchedule.objects.filter(school=school).first() or RetentionSchedule(
        school=school
    )


def retention_review(case: Case, schedule: RetentionSchedule | None = None) -> Review | None:
    """When the case's records are due for review, and under which rule (None while open).

    The latest rule wins: a bar's record is kept ban_years after the bar ends even if the
    case closed earlier."""
    if case.status != CaseStatus.CLOSED or case.closed_at is None:
        return None
    schedule = schedule or schedule_for(case.school)
    closed = timezone.localtime(case.closed_at).date()
    no_action = case.actions == [Outcome.NO_FURTHER_ACTION] or (
        not case.actions and not case.outcome
    )
    if no_action and schedule.no_action_years is not None:
        review = Review(
            clocks.add_years(closed, schedule.no_action_years),
            "no_action",
            f"closed with no action + {schedule.no_action_years} years",
        )
    else:
        review = Review(
            clocks.add_years(closed, schedule.case_years),
            "case_closure",
            f"case closure + {schedule.case_years} years",
        )
    for ends_on in SiteBan.objects.filter(case=case).values_list("ends_on", flat=True):
        if ends_on is None:
            continue
        ban_due = clocks.add_years(ends_on, schedule.ban_years)
        if ban_due > review.due_on:
            review = Review(ban_due, "ban_end", f"end of bar + {schedule.ban_years} years")
    return review


def case_page_part(case: Case, user: Any) -> dict[str, Any]:
    """The case page's "due for review on …" line (templates/records/case_retention.html)."""
    return {"retention_review": retention_review(case)}


def proposals_make(*, today: datetime.date) -> int:
    """The nightly job: propose every closed case whose review date has come, marking the
    held ones with why. Returns how many proposals are waiting for an administrator."""
    waiting = 0
    closed = Case.objects.filter(status=CaseStatus.CLOSED).select_related("school")
    schedules: dict[int, RetentionSchedule] = {}
    for case in closed.exclude(disposal__status=ProposalStatus.DONE):
        schedule = schedules.setdefault(case.school_id, schedule_for(case.school))
        review = retention_review(case, schedule)
        if review is None or review.due_on > today:
            continue
        reasons = holds_for_case(case, today=today)
        DisposalProposal.objects.update_or_create(
            case=case,
            defaults={
                "rule": review.rule,
                "due_on": review.due_on,
                "status": ProposalStatus.HELD if reasons else ProposalStatus.PROPOSED,
                "held_because": "; ".join(reasons)[:500],
            },
        )
        waiting += 1
    return waiting


def _remove_files(stored: list[tuple[Any, str]]) -> None:
    """Delete stored files for good (evidence originals and clean copies, filed PDFs)."""
    for storage, name in stored:
        storage.delete(name)


def _chat_clear(case: Case) -> int:
    """Anonymise the kept chat excerpts of the case's reports. They are append-only against
    editing; disposal at the end of retention is the one change the law requires of them, so
    it goes past the append-only manager on purpose (the base QuerySet.update)."""
    excerpts = ChatExcerpt.objects.filter(report__case=case)
    QuerySet.update(excerpts, file_name=ANONYMISED)
    lines = ExcerptMessage.objects.filter(excerpt__report__case=case)
    return QuerySet.update(lines, sender="", text=ANONYMISED, attachment_name="")


def _outbox_clear(case: Case) -> int:
    """Delete the unsent outbox rows that target the case or one of its letters."""
    case_rows = Q(target_type=ContentType.objects.get_for_model(Case), target_id=case.pk)
    letter_rows = Q(
        target_type=ContentType.objects.get_for_model(Letter),
        target_id__in=Letter.objects.filter(case=case).values("pk"),
    )
    deleted, _ = Notification.objects.filter(case_rows | letter_rows, sent_at__isnull=True).delete()
    return deleted


def dispose(proposal: DisposalProposal, *, actor: Any) -> DisposalLog:
    """Carry out a confirmed disposal: anonymise the case so the statistics still add up
    (school, dates, nature, severity, outcome stay), remove every evidence file and filed
    letter PDF from storage, and log what was done — not the content.

    Holds are checked again here, under the row lock: a hold placed since the proposal wins
    (the proposal is marked held, with why, and RecordsError says so).
    """
    with transaction.atomic():
        outcome = _dispose_locked(proposal, actor=actor)
    if isinstance(outcome, DisposalLog):
        return outcome
    raise RecordsError("Disposal is blocked: " + "; ".join(outcome) + ".")


def _dispose_locked(proposal: DisposalProposal, *, actor: Any) -> DisposalLog | list[str]:
    proposal = (
        DisposalProposal.objects.select_for_update()
        .select_related("case__school")
        .get(pk=proposal.pk)
    )
    case = proposal.case
    if proposal.status == ProposalStatus.DONE:
        raise RecordsError("These records have already been disposed of.")
    review = retention_review(case)
    if review is None or review.due_on > timezone.localdate():
        # Reopened, or a bar's dates changed since the proposal: not due after all.
        proposal.delete()
        return ["the case is no longer due for disposal (reopened, or its dates changed)"]
    reasons = holds_for_case(case)
    if reasons:
        proposal.status = ProposalStatus.HELD
        proposal.held_because = "; ".join(reasons)[:500]
        proposal.save(update_fields=["status", "held_because"])
        return reasons
    stored = [
        (field.storage, field.name)
        for item in Evidence.objects.filter(case=case)
        for field in (item.original, item.clean)
        if field
    ] + [
        (letter.pdf.storage, letter.pdf.name)
        for letter in Letter.objects.filter(case=case)
        if letter.pdf
    ]
    # Who the case names, read before the reports and people below lose it: the free text
    # typed about them (the chronology above all) is cleared with it (records.anonymise).
    people = list(case.persons.all())
    identity = anonymise.identity_of(case, people)
    # Redacted copies and case files — a disclosure bundle may cover several cases: any that
    # covers this one goes — their files, and the names typed to hide in them.
    redactions = list(EvidenceRedaction.objects.filter(evidence__case=case).exclude(file=""))
    case_files = [f for f in CaseFile.objects.exclude(pdf="") if case.pk in f.case_ids]
    stored += [(r.file.storage, r.file.name) for r in redactions]
    stored += [(f.pdf.storage, f.pdf.name) for f in case_files]
    cleared = {
        "redactions": EvidenceRedaction.objects.filter(pk__in=[r.pk for r in redactions]).update(
            file=""
        ),
        "case_files": CaseFile.objects.filter(
            Q(pk__in=[f.pk for f in case_files]) | Q(case=case)
        ).update(pdf="", recipient_name=ANONYMISED, phrases=""),
        "evidence": Evidence.objects.filter(case=case).update(
            original="",
            clean="",
            original_name=ANONYMISED,
            ocr_text="",
            ocr_error="",
            text_correction="",
            redaction_suggestions=[],
        ),
        "chat_messages": _chat_clear(case),
        "letters": Letter.objects.filter(case=case).update(
            pdf="",
            title=ANONYMISED,
            recipient_name=ANONYMISED,
            recipient_address="",
            recipient_email="",
            body_html="",
            context={},
        ),
        "reports": Report.objects.filter(case=case).update(
            content=ANONYMISED,
            child_risk_details="",
            poster_description="",
            group_other="",
            reporter_name="",
            reporter_email="",
            reporter_phone="",
            witness=None,
            witness_name="",
        ),
        # Where it happened may name a home or a person; an in-person report keeps a place.
        "places": Report.objects.filter(case=case)
        .exclude(conduct_place="")
        .update(conduct_place=ANONYMISED),
        "messages": Message.objects.filter(case=case).update(body=ANONYMISED),
        "meetings": Meeting.objects.filter(case=case).update(
            notes=ANONYMISED, attendees="", place=""
        ),
        "referrals": Referral.objects.filter(case=case).update(notes="", external_reference=""),
    }
    # The outbox: an email not yet sent about this case or its letters never goes now; the
    # sent ones stay (kind, date, how many — ids only, no content) as the record of what went.
    cleared["notifications"] = _outbox_clear(case)
    alone = [
        person
        for person in people
        if not person.cases.exclude(pk=case.pk).exclude(disposal__status=ProposalStatus.DONE)
    ]
    cleared |= anonymise.free_text_clear(case, identity, people_anonymised=alone)
    for person in alone:
        Person.objects.filter(pk=person.pk).update(
            full_name=ANONYMISED, address="", postcode="", email="", phone=""
        )
    cleared["people"] = len(people)
    Case.objects.filter(pk=case.pk).update(
        safeguarding_decision="", group_wording="", poster_wording=""
    )
    proposal.status = ProposalStatus.DONE
    proposal.save(update_fields=["status"])
    # The files go once the rows no longer point at them: if anything above fails and rolls
    # back, nothing is lost.
    transaction.on_commit(lambda: _remove_files(stored))
    return DisposalLog.objects.create(
        school=case.school,
        case_reference=case.reference,
        rule=proposal.rule,
        method=DisposalMethod.ANONYMISE,
        disposed_by=actor,
        files_removed=len(stored),
        records_cleared=cleared,
    )


# --------------------------------------------------------------------------------------------
# Breaches


def breach_record(
    *, school: School, summary: str, aware_at: datetime.datetime, details: str, actor: Any
) -> Breach:
    """Log a breach; the ICO clock runs 72 hours from awareness."""
    if not _text(summary):
        raise RecordsError("Say briefly what happened.")
    if aware_at > timezone.now():
        raise RecordsError("The time the school became aware cannot be in the future.")
    return Breach.objects.create(
        school=school,
        summary=_text(summary),
        aware_at=aware_at,
        details=details.strip(),
        recorded_by=actor,
    )


def breach_decide(
    breach: Breach,
    *,
    decision: str,
    reason: str,
    reported_at: datetime.datetime | None = None,
    ico_reference: str = "",
) -> None:
    """Record whether the breach is reported to the ICO, and why."""
    if decision not in (BreachDecision.REPORT, BreachDecision.NOT_REPORT):
        raise RecordsError("Choose whether to report the breach to the ICO.")
    if not _text(reason):
        raise RecordsError("Give the reason for the decision.")
    if decision == BreachDecision.REPORT and reported_at is None:
        raise RecordsError("Give the time it was reported to the ICO.")
    if reported_at is not None and reported_at < breach.aware_at:
        raise RecordsError("It cannot be reported before the school became aware of it.")
    breach.decision = decision
    breach.decision_reason = reason.strip()
    breach.decided_at = timezone.now()
    breach.reported_at = reported_at if decision == BreachDecision.REPORT else None
    breach.ico_reference = ico_reference.strip() if decision == BreachDecision.REPORT else ""
    breach.save(
        update_fields=["decision", "decision_reason", "decided_at", "reported_at", "ico_reference"]
    )


# --------------------------------------------------------------------------------------------
# The daily job


# The outbox kind of the SAR and breach reminders (templates emails/records_reminder*.txt),
# registered in RecordsConfig.ready.
REMINDER = "records_reminder"


def _remind(*, kind: str, target: SubjectAccessRequest | Breach, due_on: datetime.date) -> bool:
    """Queue one email per kind, object and due date (the outbox's dedupe key) to the school's
    head teachers; no content, only what is due and where."""
    queued = outbox.notification_queue(
        kind=REMINDER,
        target=target,
        dedupe_key=f"{REMINDER}:{kind}:{target.pk}:{due_on.isoformat()}",
        params={"what": kind, "due_on": due_on.isoformat()},
    )
    return queued is not None


def reminder_compose(notification: Notification) -> outbox.Email:
    """A SAR or breach reminder: to the school's head teachers, worked out when it is sent."""
    params = notification.params
    model = SubjectAccessRequest if params["what"] == "sar" else Breach
    target = model.objects.select_related("school").get(pk=notification.target_id)
    if params["what"] == "sar":
        text = f"Subject access request {target.pk} must be answered"
    else:
        text = f"Breach {target.pk}: decide whether to report it to the ICO (72 hours)"
    school = target.school
    to = sorted({u.email for u in school_head_teachers(school=school) if u.email})
    context = {
        "text": text,
        "school": school,
        "due_on": datetime.date.fromisoformat(params["due_on"]),
        "records_url": f"{settings.SITE_URL}/staff/records/",
    }
    return outbox.Email(to=to, context=context)


def reminders_send(*, today: datetime.date) -> int:
    """SARs due within five days or overdue; breaches whose ICO decision is still open."""
    sent = 0
    horizon = today + datetime.timedelta(days=REMIND_DAYS)
    sars = SubjectAccessRequest.objects.filter(status=SarStatus.OPEN).select_related("school")
    for sar in sars:
        due = sar.due_on
        if due is not None and due <= horizon:
            sent += _remind(kind="sar", target=sar, due_on=due)
    breaches = Breach.objects.filter(decision=BreachDecision.UNDECIDED).select_related("school")
    for breach in breaches:
        sent += _remind(
            kind="breach", target=breach, due_on=timezone.localtime(breach.ico_due_at).date()
        )
    return sent


def daily(today: datetime.date) -> int:
    """Run by the daily reminder job through the deadline engine's registry (the disposal
    proposals have their own nightly task, records.tasks.propose_disposals)."""
    return reminders_send(today=today)
