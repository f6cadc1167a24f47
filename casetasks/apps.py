from django.apps import AppConfig


class CaseTasksConfig(AppConfig):
    """Tasks on a case for a named colleague ("phone the parent", "collect statements").

    Sits just above incidents (letters → measures → casetasks → incidents → …): it adds its
    actions to the case workflow, its part of the case page, its panel of the dashboard, its
    deadlines and its reminder email through incidents' and the core's registries, so nothing
    below imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "casetasks"
    verbose_name = "Case tasks"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
