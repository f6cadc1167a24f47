from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    """Site bars, their reviews and contact restrictions: the DfE procedure (DOMAIN §Site ban).

    Sits between letters and incidents: letters → measures → incidents → schools → core.
    """

    name = "measures"
    verbose_name = "Site bars and contact restrictions"

    def ready(self) -> None:
        # The bar and restriction actions join the case workflow's table, their forms the
        # case action page, and their deadlines the deadline engine — all registered here, so
        # incidents never imports measures.
        from . import hooks

        hooks.register()
