from typing import Any

from django.apps import AppConfig


def case_page_part(case: Any, user: Any) -> dict[str, Any]:
    """The case's letters, listed on the case page."""
    return {"letters": list(case.letters.order_by("-created_at"))}


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters and the print queue"

    def ready(self) -> None:
        from incidents.selectors import case_page_part_register

        from . import tasks  # noqa: F401 — connects the worker warm-up signal

        case_page_part_register(case_page_part)
