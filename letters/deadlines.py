"""Letters approved but not sent: a provider registered with the deadline engine."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from incidents.deadlines import Due, Window
from schools.access import roles_for
from schools.calendar import add_working_days

from .models import Letter, LetterStatus

# Working days an approved letter may wait before the lead is reminded.
SEND_WITHIN_WORKING_DAYS = 3
LABELS = {"letter_not_sent": "Approved letter not yet sent"}
# What the deadline reads of a letter itself: its case (loaded whole), kind and approval. The
# rest (its body, its context) is not read from the database: a trust's dashboard lists dozens.
_LETTER_FIELDS = {"id", "case", "kind", "approved_at"}
_UNREAD = [f.name for f in Letter._meta.concrete_fields if f.name not in _LETTER_FIELDS]
# On one person's dashboard (a window with a key), only what its rows and `_who_sends` use
# of the case and its lead: making a trust's dozens of whole cases, schools and leads cost
# more than the rest of the deadline panel. (Anything else of the case is read if asked for.)
_DASHBOARD_FIELDS = [
    *_LETTER_FIELDS,
    "case__reference",
    "case__school_id",
    "case__lead_id",
    "case__lead__is_active",
]


def _who_sends(letter: Letter) -> tuple[str, ...]:
    """The case lead — unless the letter is to the reporter and the lead may not see the
    reporter (a trust executive): then the head teacher, who can open it."""
    lead = letter.case.lead
    if (
        letter.to_reporter
        and lead is not None
        and letter.case.school_id not in roles_for(lead).reporter_schools  # `sees_reporter`
    ):
        return ("head",)
    return ("lead",)


def letters_due(window: Window) -> Iterable[Due]:
    """Approved letters of these cases still not sent SEND_WITHIN_WORKING_DAYS after approval
    (due from that day on, not before: "due soon" does not nag about a letter just approved)."""

    def build() -> QuerySet[Letter]:
        letters = Letter.objects.filter(
            case__in=window.cases,
            status__in=[LetterStatus.READY, LetterStatus.BATCHED, LetterStatus.PRINTED],
            approved_at__isnull=False,
        )
        if window.key is not None:
            return letters.select_related("case__lead").only(*_DASHBOARD_FIELDS)
        return letters.select_related("case__school", "case__lead").defer(*_UNREAD)

    letters = window.rows("letters:not_sent", build)
    # One instance per lead, so their roles (asked for letters to the reporter) are looked up
    # once per lead, not once per letter.
    leads: dict[int, Any] = {}
    for letter in letters:
        if letter.case.lead_id is not None:
            letter.case.lead = leads.setdefault(letter.case.lead_id, letter.case.lead)
        approved = timezone.localtime(letter.approved_at).date()
        due = add_working_days(approved, SEND_WITHIN_WORKING_DAYS)
        if due <= window.today:
            yield Due(
                "letter_not_sent",
                LABELS["letter_not_sent"],
                letter.case,
                due,
                f"letter:{letter.pk}",
                _who_sends(letter),
            )
