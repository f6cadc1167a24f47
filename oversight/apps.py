from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Statistics for SLT and trust executives, and the governors' termly report.

    The top layer: it reads cases, bars and letters, and nothing below imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = "Oversight"

    def ready(self) -> None:
        from . import cache

        # Changes to what the statistics count give their school a new cache version.
        cache.connect()
