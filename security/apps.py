from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Account protection: session time limits, sign-in lockout pages and recorded unlocks,
    configuration history wiring, deployment checks.

    It sits at the bottom of the app layers, beside the `schoolconduct` package: it imports
    only Django, django-axes, django-auditlog and `schoolconduct`, and no app of ours imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the system checks)
        from .middleware import session_signed_in

        user_logged_in.connect(session_signed_in, dispatch_uid="security.session_signed_in")
