from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Reports and cases"

    def ready(self) -> None:
        from schoolconduct import outbox

        from . import bar_deadlines, deadlines, notifications

        for kind in notifications.Kind:
            outbox.register(kind, compose=notifications.compose)
        outbox.register(deadlines.REMINDER, compose=deadlines.reminder_compose)
        deadlines.register(deadlines.case_deadlines, labels=deadlines.CASE_LABELS)
        # Until the bars have their own app (issue 9), their deadlines register from here.
        deadlines.register(bar_deadlines.bar_deadlines, labels=bar_deadlines.LABELS)
        deadlines.register_daily(bar_deadlines.bars_expire_daily)
