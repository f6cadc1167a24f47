from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """Data protection: subject access requests, retention and disposal, the breach log.

    Sits at the top of the app order, because it reads every case record it may dispose of:
    records → oversight → letters → measures → incidents → schools → core. Nothing below imports it.
    """

    name = "records"
    verbose_name = "Data protection records"

    def ready(self) -> None:
        # The case page shows "due for review on …", the deadlines calendar SARs and
        # breaches, and the daily job reminds about them (through the one outbox) — all
        # registered here, so nothing below imports records.
        from incidents.deadlines import register, register_daily
        from incidents.selectors import case_page_part_register
        from schoolconduct import outbox

        from . import deadlines, services

        case_page_part_register(services.case_page_part)
        register(deadlines.register_deadlines, labels=deadlines.LABELS)
        register_daily(services.daily)
        outbox.register(services.REMINDER, compose=services.reminder_compose)
