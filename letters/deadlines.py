"""Letters approved but not sent: reminded through the incidents deadline engine."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from incidents.deadlines import Due, reminder_send
from schools.access import sees_reporter
from schools.calendar import add_working_days

from .models import Letter, LetterStatus

logger = logging.getLogger(__name__)

LABELS = {"letter_not_sent": "Approved letter not yet sent"}
# Working days an approved letter may wait before the lead is reminded.
SEND_WITHIN_WORKING_DAYS = 3


def _who_sends(letter: Letter) -> tuple[str, ...]:
    """The case lead — unless the letter is to the reporter and the lead may not see the
    reporter (a trust executive): then the head teacher, who can open it."""
    lead = letter.case.lead
    if letter.to_reporter and lead is not None and not sees_reporter(lead, letter.case.school):
        return ("head",)
    return ("lead",)


def letters_due(*, today: datetime.date) -> list[Due]:
    letters = Letter.objects.filter(
        status__in=[LetterStatus.READY, LetterStatus.PRINTED], approved_at__isnull=False
    ).select_related("case__school", "case__lead")
    items = []
    for letter in letters:
        due = add_working_days(
            timezone.localtime(letter.approved_at).date(), SEND_WITHIN_WORKING_DAYS
        )
        if due <= today:
            items.append(
                Due(
                    "letter_not_sent",
                    LABELS["letter_not_sent"],
                    letter.case,
                    due,
                    f"letter:{letter.pk}",
                    _who_sends(letter),
                )
            )
    return items


def letter_reminders_send(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    sent = 0
    for due in letters_due(today=today):
        try:
            sent += reminder_send(due)
        except Exception:
            logger.exception("Letter reminder for %s failed.", due.key)
    return sent
