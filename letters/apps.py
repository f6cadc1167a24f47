from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"
    verbose_name = "Letters and the print queue"

    def ready(self) -> None:
        from incidents import deadlines as engine
        from schoolconduct import outbox

        from . import deadlines, services, tasks  # noqa: F401 — tasks: the worker warm-up

        outbox.register(
            services.LETTER_EMAIL,
            compose=services.letter_email_compose,
            on_sent=services.letter_emailed,
        )
        engine.register(deadlines.letters_due, labels=deadlines.LABELS)
