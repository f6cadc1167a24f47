from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Reports and cases"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from schoolconduct import outbox

        from . import deadlines, notifications, selectors  # noqa: F401 — selectors: its case page rows
        from .models import Case

        deadlines.register(deadlines.case_deadlines, labels=deadlines.CASE_LABELS)
        # The emails about cases and reports, and the deadline reminders, in the one outbox.
        for kind in notifications.Kind:
            outbox.register(kind, compose=notifications.compose)
        outbox.register(deadlines.REMINDER, compose=deadlines.reminder_compose)
        outbox.register(deadlines.TERM_DATES_NOTICE, compose=deadlines.term_dates_compose)
        # The dashboard's cached counts of a school's cases (incidents.case_counts, version
        # tokens in schools.versions).
        post_save.connect(_case_changed, sender=Case, dispatch_uid="case-counts-save")
        post_delete.connect(_case_changed, sender=Case, dispatch_uid="case-counts-delete")


def _case_changed(sender, instance, **kwargs) -> None:
    from . import case_counts

    case_counts.school_changed(instance.school_id)
