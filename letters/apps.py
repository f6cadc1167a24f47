from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters and the print queue"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 — connects the worker warm-up signal
