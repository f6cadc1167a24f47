from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Reports and cases"

    def ready(self) -> None:
        from schoolconduct import outbox

        from . import deadlines, notifications, selectors  # noqa: F401 — selectors: its case page rows

        deadlines.register(deadlines.case_deadlines, labels=deadlines.CASE_LABELS)
        # The emails about cases and reports, and the deadline reminders, in the one outbox.
        for kind in notifications.Kind:
            outbox.register(kind, compose=notifications.compose)
        outbox.register(deadlines.REMINDER, compose=deadlines.reminder_compose)
        outbox.register(deadlines.TERM_DATES_NOTICE, compose=deadlines.term_dates_compose)
