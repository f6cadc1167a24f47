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

from incidents.models import (
    POSTED_CONDUCT,
    Case,
    Conduct,
    Meeting,
    Nature,
    Person,
    Report,
    Severity,
)
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


# The same, said of the parent, for an incident that was not a post.
_SPOKEN: dict[str, str] = {
    Nature.CRITICISM: "criticised the school",
    Nature.ABUSIVE: "made abusive or personal comments",
    Nature.THREATS: "used threatening or intimidating language",
    Nature.HARASSMENT: "acted in a way that formed part of a pattern of unwanted contact",
    Nature.DEFAMATION: "made serious claims about a person that we believe to be untrue",
    Nature.CONFIDENTIALITY: "shared information that was private",
}


def join_dates(dates: list[datetime.date]) -> str:
    """ "3 December 2026", or "3 December 2026 and 5 December 2026", or "1, 3 and 5 …"."""
    return _join([long_date(d) for d in sorted(set(dates))])


def _group_text(case: Case, report: Report) -> str:
    """The group or platform of a post, as letters name it: the school's own group, or the
    words staff confirmed for one the parent named (never the parent's own words: a letter is
    refused while they are unconfirmed, letters_blocked_reason)."""
    if report.group is not None:
        return f"{report.group.name} ({report.group.get_platform_display()})"
    if report.group_other and case.group_wording:
        return case.group_wording
    return ""


# Words that already start a place as a letter words it ("outside the school office").
_PLACE_WORDS = ("at ", "in ", "on ", "outside ", "near ", "by ", "during ", "inside ", "opposite ")


def _place(place: str) -> str:
    """ "the school gate" → "at the school gate"; "outside the office" stays as it is."""
    place = " ".join(place.split())
    return place if place.lower().startswith(_PLACE_WORDS) else f"at {place}"


def incident_phrase(conduct: str, where: str, dates: list[datetime.date]) -> str:
    """Where, when and how something happened, to follow "your conduct …" or "what happened
    …" in a sentence: "in a message posted in Year 3 parents (WhatsApp) on 3 December 2026",
    "on 30 November 2026 at the school gate", "in a phone call to the school office on …"."""
    when = join_dates(dates)
    several = len(set(dates)) > 1
    if conduct == Conduct.IN_PERSON:
        return f"on {when} {_place(where)}" if where else f"on {when}"
    if conduct in (Conduct.PHONE_CALL, Conduct.EMAIL):
        what = {
            Conduct.PHONE_CALL: ("a phone call", "phone calls"),
            Conduct.EMAIL: ("an email", "emails"),
        }[Conduct(conduct)][several]
        return f"in {what} to {where or 'the school'} on {when}"
    if conduct == Conduct.SOCIAL_MEDIA:
        return f"in {'posts' if several else 'a post'} on {where or 'social media'} on {when}"
    messages = "messages" if several else "a message"
    return (
        f"in {messages} posted in {where} on {when}" if where else f"in {messages} posted on {when}"
    )


def case_values(case: Case) -> dict[str, str]:
    """The facts: where, when and how each incident happened (a merged case has several),
    every date, the groups of the posts (as staff confirmed them), the rules."""
    reports = list(case.reports.select_related("group").order_by("posted_on", "received_at", "pk"))
    rules = list(case.rules.all()) or [rule for report in reports for rule in report.rules.all()]
    titles = list(dict.fromkeys(rule.title for rule in rules))
    # One phrase per place and way ("in messages posted in Year 3 on 3 and 5 December …").
    incidents: dict[tuple[str, str], list[datetime.date]] = {}
    groups = []
    for report in reports:
        where = _group_text(case, report) if report.is_post else report.conduct_place
        if report.is_post and where:
            groups.append(where)
        incidents.setdefault((report.conduct, where), []).append(report.posted_on)
    phrases = [
        incident_phrase(conduct, where, dates) for (conduct, where), dates in incidents.items()
    ]
    groups = list(dict.fromkeys(groups))
    return {
        "case_reference": case.reference,
        "incident": _join(phrases),
        "incident_date": join_dates([r.posted_on for r in reports if r.posted_on]),
        "group_name": " and ".join(groups),
        "rules_breached": "; ".join(titles),
    }


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def case_is_posts(case: Case) -> bool:
    """Every incident on the case is a post (in a group or on social media)."""
    return not case.reports.exclude(conduct__in=POSTED_CONDUCT).exists()


def derived_values(case: Case, kind: str, person: Person | None) -> dict[str, str]:
    """Sentences worked out from the case: the meeting held, the possible offences."""
    values = {"meeting_note": "", "legal_note": "", "remove_request": ""}
    if case_is_posts(case):
        several = case.reports.count() > 1
        values["remove_request"] = (
            f"Please remove the {'messages' if several else 'message'} if "
            f"{'they are' if several else 'it is'} still visible. Group chats and social media "
            "are not the place to resolve concerns: we cannot see or respond to them there."
        )
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
    values = {
        "response_deadline": (today + datetime.timedelta(days=14)).isoformat(),
        "outcome_summary": (
            "We have looked into your report and taken the action we consider appropriate."
        ),
    }
    if case_is_posts(case):
        posts = "messages" if several else "message"
        nature = _NATURE.get(case.nature, "was contrary to our code of conduct")
        values |= {
            "conduct_summary": f"The {posts} {nature}.",
            "impact": (
                f"The {posts} caused real upset to the people "
                f"{'they were' if several else 'it was'} about, and made the group a less "
                "welcoming place for other families."
            ),
            "change_required": (
                f"Please remove the {posts} if still visible, follow our code of conduct in "
                "future, and bring any concern about the school to us directly rather than to "
                "the group."
            ),
            "meeting_purpose": (
                f"To talk with you about the {posts} and how concerns can be raised with the "
                "school."
            ),
        }
    else:
        # At the gate, on the phone, by email: "On 30 November 2026 at the school gate, you …".
        incident = case_values(case)["incident"]
        spoken = _SPOKEN.get(case.nature, "acted in a way that was contrary to our code of conduct")
        values |= {
            "conduct_summary": f"{incident[:1].upper()}{incident[1:]}, you {spoken}.",
            "impact": (
                "This caused real upset to the people it was directed at, and to others who "
                "saw or heard it."
            ),
            "change_required": (
                "Please follow our code of conduct in future, and bring any concern about the "
                "school to us calmly and directly."
            ),
            "meeting_purpose": (
                "To talk with you about what happened and how concerns can be raised with the "
                "school."
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
