from django.apps import AppConfig


class StaffauthConfig(AppConfig):
    """Staff sign-in: two factors, the school's own OpenID Connect sign-in, lost-device resets.

    Sits between `incidents` and `schools` in the app order: it imports `schools` (roles, trusts)
    and the infrastructure only; `incidents` routes its sign-in URLs to these views.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "staffauth"
    verbose_name = "Staff sign-in"
