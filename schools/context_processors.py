"""Template context shared by every page."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def staff_roles(request: HttpRequest) -> dict:
    """The signed-in user's roles, loaded only if a template asks (the staff navigation)."""
    from .access import roles_for

    return {"staff_roles": SimpleLazyObject(lambda: roles_for(request.user))}
