"""Letters approved but not sent: a provider registered with the deadline engine."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.deadlines import Due, Window
from incidents.models import Case
from schools.access import roles_for, roles_for_many
from schools.calendar import add_working_days

from .kinds import TO_REPORTER
from .models import Letter, LetterStatus

# Working days an approved letter may wait before the lead is reminded.
SEND_WITHIN_WORKING_DAYS = 3
LABELS = {"letter_not_sent": "Approved letter not yet sent"}
# What the deadline reads of a letter itself: its case (loaded whole), kind and approval. The
# rest (its body, its context) is not read from the database: a trust's dashboard lists dozens.
_LETTER_FIELDS = {"id", "case", "kind", "approved_at"}
_UNREAD = [f.name for f in Letter._meta.concrete_fields if f.name not in _LETTER_FIELDS]
# On one person's dashboard (a window with a key), only what its rows and `_who_sends` use,
# as plain values: the case's reference, school and lead (one instance per lead). Making a
# trust's dozens of letters, whole cases, schools and leads cost more than the rest of the
# deadline panel. (Anything else of the case is read if asked for.)
_DASHBOARD_VALUES = (
    "id",
    "kind",
    "approved_at",
    "case_id",
    "case__reference",
    "case__school_id",
    "case__lead_id",
    "case__lead__is_active",
)
# The case and the lead as made from them (the rest of each is read only if asked for), the
# values in the order of the model's fields, as `Model.from_db` takes them.
_CASE_VALUES = [
    f.attname
    for f in Case._meta.concrete_fields
    if f.attname in {"id", "reference", "school_id", "lead_id"}
]
_LEAD_VALUES = ["id", "is_active"]


def _who_sends(case: Case, to_reporter: bool) -> tuple[str, ...]:
    """The case lead — unless the letter is to the reporter and the lead may not see the
    reporter (a trust executive): then the head teacher, who can open it."""
    lead = case.lead
    if (
        to_reporter
        and lead is not None
        and case.school_id not in roles_for(lead).reporter_schools  # `sees_reporter`
    ):
        return ("head",)
    return ("lead",)


def _letters(window: Window) -> Iterator[tuple[int, datetime.datetime, Case, bool]]:
    """(letter, approved at, its case, whether to the reporter) of the window's approved
    letters not yet sent, each case's lead one instance per lead (so their roles, asked for
    letters to the reporter, are looked up once per lead, not once per letter)."""
    letters = Letter.objects.filter(
        case__in=window.cases,
        status__in=[LetterStatus.READY, LetterStatus.BATCHED, LetterStatus.PRINTED],
        approved_at__isnull=False,
    )
    leads: dict[int, Any] = {}
    found: list[tuple[int, datetime.datetime, Case, bool]] = []
    if window.key is None:
        for letter in window.rows(
            "letters:not_sent",
            lambda: letters.select_related("case__school", "case__lead").defer(*_UNREAD),
        ):
            if letter.case.lead_id is not None:
                letter.case.lead = leads.setdefault(letter.case.lead_id, letter.case.lead)
            found.append((letter.pk, letter.approved_at, letter.case, letter.to_reporter))
    else:
        db, user_model = window.cases.db, get_user_model()
        rows = window.rows(
            "letters:not_sent:values", lambda: letters.values_list(*_DASHBOARD_VALUES)
        )
        for pk, kind, approved_at, case_id, reference, school_id, lead_id, lead_active in rows:
            values = {
                "id": case_id,
                "reference": reference,
                "school_id": school_id,
                "lead_id": lead_id,
            }
            case = Case.from_db(db, _CASE_VALUES, [values[name] for name in _CASE_VALUES])
            if lead_id is not None:
                if lead_id not in leads:
                    leads[lead_id] = user_model.from_db(db, _LEAD_VALUES, (lead_id, lead_active))
                case.lead = leads[lead_id]
            found.append((pk, approved_at, case, kind in TO_REPORTER))
    # Who sends a letter to the reporter depends on its lead's roles: every such lead's in one
    # query, however many leads there are.
    roles_for_many({id(c.lead): c.lead for _, _, c, to in found if to and c.lead}.values())
    yield from found


def letters_due(window: Window) -> Iterable[Due]:
    """Approved letters of these cases still not sent SEND_WITHIN_WORKING_DAYS after approval
    (due from that day on, not before: "due soon" does not nag about a letter just approved)."""
    for pk, approved_at, case, to_reporter in _letters(window):
        approved = timezone.localtime(approved_at).date()
        due = add_working_days(approved, SEND_WITHIN_WORKING_DAYS)
        if due <= window.today:
            yield Due(
                "letter_not_sent",
                LABELS["letter_not_sent"],
                case,
                due,
                f"letter:{pk}",
                _who_sends(case, to_reporter),
            )
