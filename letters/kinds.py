"""Letter kinds, the merge fields letters may use, and what each kind must contain.

This is the one table behind docs/letters.md: a template is refused on save if it leaves out
a required field of its kind, and a letter can't be drafted while one of them has no value.
The reporter's identity is never a field of a letter to anyone but the reporter, and no field
holds other children's names.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import models


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement to the reporter"
    REMINDER = "reminder", "Reminder of the code of conduct"
    MEETING_INVITATION = "meeting_invitation", "Invitation to a meeting"
    WARNING = "warning", "Formal warning"
    INTENTION_TO_BAR = "intention_to_bar", "Notice of intention to bar"
    TEMPORARY_BAR = "temporary_bar", "Temporary bar with immediate effect"
    BAR_DECISION = "bar_decision", "Bar decision"
    BAR_REVIEW = "bar_review", "Bar review or lifting"
    CONTACT_RESTRICTION = "contact_restriction", "Contact restriction"
    OUTCOME_TO_REPORTER = "outcome_to_reporter", "Outcome to the reporter"


TO_REPORTER = frozenset({LetterKind.ACKNOWLEDGEMENT, LetterKind.OUTCOME_TO_REPORTER})


@dataclass(frozen=True)
class Field:
    label: str
    help: str = ""
    # Entered by staff when drafting (True), or taken from the school, case and recipient.
    entered: bool = False
    multiline: bool = False
    # Only letters to the reporter may use it.
    reporter_only: bool = False
    # "text", "date" (chosen with a date input, printed "14 December 2026") or "time".
    type: str = "text"
    # Owned by the procedure: taken from the recorded step (the bar, the restriction) and not
    # editable in the letter.
    procedure: bool = False
    # Worked out from the case (a meeting held, the severity); a paragraph holding only this
    # field is left out of the letter when it is empty.
    derived: bool = False


FIELDS: dict[str, Field] = {
    # From the school, the case and the letter itself.
    "school_name": Field("School name"),
    "school_phone": Field("School phone"),
    "school_email": Field("School email"),
    "school_address": Field("School address"),
    "trust_name": Field("Trust name"),
    "letter_date": Field("Date of the letter"),
    "case_reference": Field("Case reference"),
    "recipient_name": Field("Recipient's full name"),
    "salutation": Field("Greeting name (e.g. Mr Johnson)"),
    "delivery_method": Field("How the letter is delivered"),
    "incident": Field(
        "Where, when and how it happened",
        "From the reports: “in a message posted in Year 3 parents (WhatsApp) on 3 December "
        "2026”, “on 30 November 2026 at the school gate”, “in a phone call to the school "
        "office on …”.",
    ),
    "incident_date": Field("Date of the incident (every one on the case)"),
    "group_name": Field("Group or platform (posts only)"),
    "rules_breached": Field("Code of conduct rules breached"),
    "signatory_name": Field("Signatory's name"),
    "signatory_title": Field("Signatory's job title"),
    "reporter_name": Field("Reporter's name", reporter_only=True),
    "meeting_note": Field("The meeting we held with you (when one is recorded)", derived=True),
    "remove_request": Field(
        "Asking for a post to be removed (only when the incident was a post)", derived=True
    ),
    "legal_note": Field("Possible offences (only where the severity calls for it)", derived=True),
    # Entered when drafting, written to the recipient.
    "conduct_summary": Field(
        "What happened, in summary (written to the parent)",
        "The facts, calmly and briefly. Don't name the person who reported it or any child.",
        entered=True,
        multiline=True,
    ),
    "impact": Field(
        "The impact of the conduct (written to the parent)", entered=True, multiline=True
    ),
    "change_required": Field("What we ask of you", entered=True, multiline=True),
    "response_deadline": Field("Reply by", entered=True, type="date"),
    "meeting_date": Field("Meeting date", entered=True, type="date"),
    "meeting_time": Field("Meeting time", entered=True, type="time"),
    "meeting_place": Field("Meeting place", entered=True),
    "meeting_attendees": Field("Who will attend", entered=True),
    "meeting_purpose": Field("Purpose of the meeting", entered=True, multiline=True),
    "reasons": Field(
        "Our reasons (written to the parent)",
        "Written to the parent, in the first person. The internal rationale on the case's "
        "chronology is never copied here.",
        entered=True,
        multiline=True,
    ),
    "proposed_scope": Field("Scope (site areas, times, events)", entered=True, multiline=True),
    "duration": Field("Duration", entered=True),
    "representation_deadline": Field(
        "Representations by",
        "From the recorded notice: at least 5 school days away (the school's default is 10 — "
        "a school choice, not law).",
        entered=True,
        type="date",
        procedure=True,
    ),
    "decision_maker": Field("Who decides", entered=True),
    "child_arrangements": Field(
        "Arrangements for the child's drop-off and collection", entered=True, multiline=True
    ),
    "start_date": Field("Start date", entered=True, type="date", procedure=True),
    "end_date": Field("End date", entered=True, type="date", procedure=True),
    "why_immediate": Field("Why the bar takes effect immediately", entered=True, multiline=True),
    "representations_summary": Field(
        "What you told us, and how we considered it (written to the parent)",
        "Written to the parent. The internal note on how the representations were weighed "
        "stays on the case.",
        entered=True,
        multiline=True,
    ),
    "review_date": Field("Review date", entered=True, type="date", procedure=True),
    "review_outcome": Field("Outcome of the review", entered=True, multiline=True),
    "conditions": Field("Conditions", entered=True, multiline=True),
    "contact_point": Field("Single point of contact", entered=True),
    "outcome_summary": Field(
        "Outcome in general terms",
        "Don't tell the reporter what happened to the other parent.",
        entered=True,
        multiline=True,
    ),
}

# Every letter: letterhead, date, reference, addressee, delivery method, the facts and the rule,
# and an authorised signatory (docs/letters.md). The letterhead and address block come from
# the PDF layout; the rest are fields.
COMMON = ["letter_date", "case_reference", "recipient_name", "delivery_method", "signatory_name"]
FACTS = ["incident", "conduct_summary", "rules_breached"]

REQUIRED: dict[str, list[str]] = {
    LetterKind.ACKNOWLEDGEMENT: [*COMMON, "incident"],
    LetterKind.REMINDER: [*COMMON, *FACTS],
    LetterKind.MEETING_INVITATION: [
        *COMMON,
        *FACTS,
        "meeting_date",
        "meeting_time",
        "meeting_place",
        "meeting_attendees",
        "meeting_purpose",
    ],
    LetterKind.WARNING: [*COMMON, *FACTS, "impact", "change_required", "response_deadline"],
    LetterKind.INTENTION_TO_BAR: [
        *COMMON,
        *FACTS,
        "reasons",
        "proposed_scope",
        "duration",
        "representation_deadline",
        "decision_maker",
        "child_arrangements",
    ],
    LetterKind.TEMPORARY_BAR: [
        *COMMON,
        *FACTS,
        "reasons",
        "proposed_scope",
        "duration",
        "representation_deadline",
        "decision_maker",
        "child_arrangements",
        "start_date",
        "why_immediate",
    ],
    LetterKind.BAR_DECISION: [
        *COMMON,
        *FACTS,
        "representations_summary",
        "reasons",
        "proposed_scope",
        "start_date",
        "end_date",
        "review_date",
        "child_arrangements",
    ],
    LetterKind.BAR_REVIEW: [*COMMON, "review_outcome", "conditions", "review_date"],
    LetterKind.CONTACT_RESTRICTION: [*COMMON, *FACTS, "contact_point", "review_date"],
    LetterKind.OUTCOME_TO_REPORTER: [*COMMON, "outcome_summary"],
}


def allowed_fields(kind: str) -> set[str]:
    """The merge fields a template of this kind may use."""
    return {name for name, f in FIELDS.items() if kind in TO_REPORTER or not f.reporter_only}


def entered_fields(kind: str) -> list[str]:
    """Fields staff fill in when drafting this kind, required ones first."""
    required = [n for n in REQUIRED[kind] if FIELDS[n].entered]
    return required


def is_layout(name: str) -> bool:
    """Printed by the letter's layout (letterhead, address block, reference, signature)."""
    return name in LAYOUT_FIELDS


# Printed by the letter's layout (letterhead, address block, reference line, signature),
# so a template body need not repeat them; they still need values.
LAYOUT_FIELDS = frozenset(
    {
        "letter_date",
        "case_reference",
        "recipient_name",
        "delivery_method",
        "signatory_name",
        "signatory_title",
        "school_name",
        "school_address",
        "school_phone",
        "school_email",
    }
)


def _plain(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


# A template written before letters said where an incident happened names the group and the
# date instead of [[incident]]: that still states the facts of a post, never of an incident at
# the gate, on the phone or by email (no group to name).
OLDER_INCIDENT = ("group_name", "incident_date")


def states_incident_the_older_way(body: str, values: dict[str, str]) -> bool:
    """The text names the group and the date of a post instead of using [[incident]]."""
    return all(f"[[{n}]]" in body and (values.get(n) or "").strip() for n in OLDER_INCIDENT)


def checklist(kind: str, body: str, values: dict[str, str]) -> list[tuple[str, str, bool, bool]]:
    """The kind's required elements for the editor's checklist: (field, label, present,
    printed by the layout). An element is present when it has a value and the text uses its
    field — or already states the value itself (a draft written before drafts kept their
    fields, or a value typed out in full)."""
    items = []
    plain = _plain(body)
    for name in REQUIRED[kind]:
        value = " ".join((values.get(name) or "").split())
        layout = is_layout(name)
        present = bool(value) and (layout or f"[[{name}]]" in body or value in plain)
        if name == "incident" and not present:
            present = states_incident_the_older_way(body, values)
        items.append((name, FIELDS[name].label, present, layout))
    return items
