"""The values a letter is drafted with: from the school and the case, from the step the
procedure recorded (a bar's dates, its scope), and a neutral suggestion for each field the
head writes to the recipient.

What the recipient reads is never copied from the chronology's internal rationale (how the
representations were weighed, the notes of a review): those stay on the case.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from incidents.models import Case, Meeting, Nature, Person, Severity
from measures.models import ContactRestriction, SiteBan
from schoolconduct.formats import long_date, parse_date, parse_time, short_time

from .kinds import FIELDS, LetterKind

# Only these kinds, and only at these severities, mention possible offences (DOMAIN.md: offences
# only ever conditionally, and only where the kind and the severity call for them).
LEGAL_NOTE_SEVERITIES = {Severity.HIGH, Severity.CRITICAL}
LEGAL_NOTE = (
    "Depending on the circumstances, messages of this kind may amount to an offence under the "
    "Malicious Communications Act 1988 or the Communications Act 2003. I mention this so that "
    "you are aware of it, not to suggest that any decision has been made."
)

_NATURE: dict[str, str] = {
    Nature.CRITICISM: "criticised the school",
    Nature.ABUSIVE: "made abusive or personal comments",
    Nature.THREATS: "contained threatening or intimidating language",
    Nature.HARASSMENT: "formed part of a pattern of unwanted messages",
    Nature.DEFAMATION: "made serious claims about a person that we believe to be untrue",
    Nature.CONFIDENTIALITY: "shared information that was private",
}


def join_dates(dates: list[datetime.date]) -> str:
    """ "3 December 2026", or "3 December 2026 and 5 December 2026", or "1, 3 and 5 …"."""
    texts = [long_date(d) for d in sorted(set(dates))]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " and " + texts[-1]


def case_values(case: Case) -> dict[str, str]:
    """The facts: every post's date (a merged case has several), the groups (as staff
    confirmed them), the rules."""
    reports = list(case.reports.select_related("group").order_by("posted_on", "received_at"))
    rules = list(case.rules.all()) or [rule for report in reports for rule in report.rules.all()]
    titles = list(dict.fromkeys(rule.title for rule in rules))
    groups = []
    for report in reports:
        if report.group is not None:
            groups.append(f"{report.group.name} ({report.group.get_platform_display()})")
        elif report.group_other and case.group_wording:
            # Never the parent's own words: only what staff confirmed at triage (a letter is
            # refused while they are unconfirmed: letters_blocked_reason).
            groups.append(case.group_wording)
    groups = list(dict.fromkeys(groups))
    return {
        "case_reference": case.reference,
        "incident_date": join_dates([r.posted_on for r in reports if r.posted_on]),
        "group_name": " and ".join(groups),
        "rules_breached": "; ".join(titles),
    }


def derived_values(case: Case, kind: str, person: Person | None) -> dict[str, str]:
    """Sentences worked out from the case: the meeting held, the possible offences."""
    values = {"meeting_note": "", "legal_note": ""}
    meetings = Meeting.objects.filter(case=case)
    if person is not None:
        meetings = meetings.filter(Q(person=person) | Q(person__isnull=True))
    meeting = meetings.order_by("-held_at").first()
    if meeting is not None and kind in (LetterKind.WARNING, LetterKind.REMINDER):
        held = timezone.localtime(meeting.held_at).date()
        values["meeting_note"] = (
            f"Thank you for meeting us on {long_date(held)} to talk about this. As we said we "
            "would, this letter confirms where things stand."
        )
    if kind == LetterKind.WARNING and case.severity in LEGAL_NOTE_SEVERITIES:
        values["legal_note"] = LEGAL_NOTE
    return values


def procedure_values(case: Case) -> dict[str, str]:
    """What the recorded bar or restriction fixes: scope, dates, who decides. The dates here
    are not editable in the letter."""
    values: dict[str, str] = {}
    ban = (
        SiteBan.objects.filter(case=case)
        .select_related("decision_maker")
        .order_by("-created_at", "-pk")
        .first()
    )
    if ban:
        maker = ban.decision_maker
        values.update(
            {
                "proposed_scope": ban.scope,
                "duration": ban.duration,
                "representation_deadline": long_date(ban.representation_deadline),
                "decision_maker": maker.get_full_name() or maker.get_username(),
                "child_arrangements": ban.child_arrangements,
                "start_date": long_date(ban.starts_on) if ban.starts_on else "",
                "end_date": long_date(ban.ends_on) if ban.ends_on else "",
                "review_date": long_date(ban.review_on) if ban.review_on else "",
            }
        )
        review = ban.reviews.order_by("-reviewed_on", "-pk").first()
        if review and review.next_review_on:
            values["review_date"] = long_date(review.next_review_on)
    restriction = ContactRestriction.objects.filter(case=case).order_by("-starts_on", "-pk").first()
    if restriction:
        values["contact_point"] = restriction.contact_point
        if not ban:
            values["review_date"] = long_date(restriction.review_on)
    return values


def suggestions(case: Case, kind: str) -> dict[str, str]:
    """A neutral first wording for each field written to the recipient; the head edits it."""
    today = timezone.localdate()
    several = case.reports.count() > 1
    posts = "messages" if several else "message"
    nature = _NATURE.get(case.nature, "was contrary to our code of conduct")
    values = {
        "conduct_summary": f"The {posts} {nature}.",
        "impact": (
            f"The {posts} caused real upset to the people {'they were' if several else 'it was'} "
            "about, and made the group a less welcoming place for other families."
        ),
        "change_required": (
            f"Please remove the {posts} if still visible, follow our code of conduct in future, "
            "and bring any concern about the school to us directly rather than to the group."
        ),
        "response_deadline": (today + datetime.timedelta(days=14)).isoformat(),
        "meeting_purpose": (
            f"To talk with you about the {posts} and how concerns can be raised with the school."
        ),
        "outcome_summary": (
            "We have looked into your report and taken the action we consider appropriate."
        ),
    }
    ban = SiteBan.objects.filter(case=case).order_by("-created_at", "-pk").first()
    if ban is not None:
        values["reasons"] = ban.reasons
        if ban.immediate_risk_reason:
            values["why_immediate"] = ban.immediate_risk_reason
        if kind == LetterKind.BAR_DECISION:
            values["reasons"] = (
                "Having considered everything, including anything you told us, I have decided "
                "that the bar is needed because of the conduct described above and its effect "
                "on staff and families."
            )
            if ban.representations:
                received = (
                    f" of {long_date(ban.representations_on)}" if ban.representations_on else ""
                )
                values["representations_summary"] = (
                    f"Thank you for your representations{received}. I read them carefully and "
                    "took them into account before reaching this decision."
                )
            else:
                values["representations_summary"] = (
                    "We did not receive any representations from you by "
                    f"{long_date(ban.representation_deadline)}, the date given in our notice."
                )
        review = ban.reviews.order_by("-reviewed_on", "-pk").first()
        if review is not None:
            values["review_outcome"] = (
                f"The bar has been reviewed. Outcome: {review.get_outcome_display().lower()}."
            )
    restriction = ContactRestriction.objects.filter(case=case).order_by("-starts_on", "-pk").first()
    if restriction is not None:
        values.setdefault(
            "conditions", f"Please contact the school only through {restriction.channels}."
        )
    return values


def normalise_entered(name: str, value: object) -> str:
    """An entered value in the one printed form: dates "14 December 2026", times "3.30pm".
    Raises ValueError with a message when a date or time can't be read."""
    field = FIELDS[name]
    if isinstance(value, datetime.date):
        return long_date(value)
    if isinstance(value, datetime.time):
        return short_time(value)
    text = " ".join(str(value or "").split()) if not field.multiline else str(value or "").strip()
    if not text:
        return ""
    if field.type == "date":
        parsed = parse_date(text)
        if parsed is None:
            raise ValueError(f"{field.label}: choose a date (for example 14 December 2026).")
        return long_date(parsed)
    if field.type == "time":
        parsed_time = parse_time(text)
        if parsed_time is None:
            raise ValueError(f"{field.label}: give a time such as 3.30pm.")
        return short_time(parsed_time)
    return text
