from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Account protection: sign-in lockout pages and recorded unlocks, deployment checks.

    It sits at the bottom of the app layers, beside the `schoolconduct` package: it imports
    only Django, django-axes and django-auditlog, and no app of ours imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
