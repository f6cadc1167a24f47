from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.urls import reverse

# The letter each case action is followed by (drafted with the step's details merged in).
LETTER_AFTER = {
    "ban_notice": "intention_to_bar",
    "ban_temporary": "temporary_bar",
    "ban_decide": "bar_decision",
    "ban_review": "bar_review",
    "restriction_start": "contact_restriction",
}


# Letters a chat message or a screenshot's text can be quoted into, from the case page.
QUOTE_INTO = [
    "warning",
    "reminder",
    "meeting_invitation",
    "intention_to_bar",
    "contact_restriction",
]


def case_page_part(case: Any, user: Any) -> dict[str, Any]:
    """The case's letters the user may see, listed on the case page (a letter to the reporter
    only for those who may see the reporter), with who printed and sent them."""
    from incidents.rows import case_rows

    from .access import letters_visible_to

    return {
        "letters": case_rows(
            case,
            "letters",
            lambda: (
                letters_visible_to(user)
                .filter(case=case)
                .select_related("printed_by", "sent_by")
                .order_by("-created_at", "-pk")
            ),
        )
    }


USER_FIELDS = ["username", "first_name", "last_name", "email", "is_active"]
# What the case page's list shows of a letter (and the next step: which kinds exist).
LETTER_FIELDS = [
    "kind",
    "status",
    "recipient_name",
    "printed_at",
    "printed_by",
    "sent_method",
    "sent_on",
    "sent_at",
    "sent_by",
    "pdf",
    "created_at",
    "case",
]


def case_rows() -> list[Any]:
    """The case page's letters (those the user may see) and the kinds of all the case's
    letters (for the next step), read with the case itself (incidents.rows)."""
    from django.db.models import OuterRef

    from incidents.rows import CaseRows

    from .access import letters_visible_to
    from .models import Letter

    return [
        CaseRows(
            "letters",
            Letter,
            lambda user: (
                letters_visible_to(user).filter(case=OuterRef("pk")).order_by("-created_at", "-pk")
            ),
            related=("printed_by", "sent_by"),
            fields={"": LETTER_FIELDS, "printed_by": USER_FIELDS, "sent_by": USER_FIELDS},
        ),
        CaseRows(
            "letter_kinds",
            Letter,
            lambda user: Letter.objects.filter(case=OuterRef("pk")),
            fields={"": ["kind", "case"]},
        ),
    ]


def _draft_url(kind: str) -> Callable[[Any], str]:
    def url(case: Any) -> str:
        return reverse("letters:new", kwargs={"reference": case.reference, "kind": kind})

    return url


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters and the print queue"

    def ready(self) -> None:
        from incidents import deadlines as engine
        from incidents.next_step import next_step_register
        from incidents.rows import case_rows_register
        from incidents.selectors import case_page_part_register
        from incidents.staff_forms import FOLLOW_UPS, QUOTE_LETTERS
        from schoolconduct import outbox

        from . import deadlines, lifecycle, services, tasks  # noqa: F401 — tasks: the worker warm-up

        case_page_part_register(case_page_part)
        for rows in case_rows():
            case_rows_register(rows)
        next_step_register(lifecycle.next_letter_steps)
        for action, kind in LETTER_AFTER.items():
            FOLLOW_UPS[action] = ("Now draft the letter for this step.", _draft_url(kind))
        outbox.register(
            services.LETTER_EMAIL,
            compose=services.letter_email_compose,
            on_sent=services.letter_emailed,
        )
        engine.register(deadlines.letters_due, labels=deadlines.LABELS)

        from .kinds import REQUIRED, LetterKind

        QUOTE_LETTERS[:] = [
            (LetterKind(kind).label, _draft_url(kind))
            for kind in QUOTE_INTO
            if "conduct_summary" in REQUIRED[kind]
        ]
