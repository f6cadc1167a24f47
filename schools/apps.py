from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "schools"
    verbose_name = "Schools and codes of conduct"

    def ready(self) -> None:
        from .setup_version import connect

        connect()
