from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The infrastructure every app uses (see docs/architecture.md): the one notification
    outbox lives here so that no app above has to import another to send an email."""

    name = "schoolconduct"
    label = "schoolconduct"
    verbose_name = "Outbox and infrastructure"
    default_auto_field = "django.db.models.BigAutoField"
