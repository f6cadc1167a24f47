from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Reports and cases"

    def ready(self) -> None:
        from . import deadlines

        deadlines.register(deadlines.case_deadlines, labels=deadlines.CASE_LABELS)
