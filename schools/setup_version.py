"""What changes the schools' set-up: the version name `"setup"` (`schools.versions`).

What a page builds from the set-up alone — schools, their rules and groups, the staff who hold
a role there and their names — may be kept in the cache under the `"setup"` token (the case
list's filter choices are). Any change to those rows gives it a new token (`versions.changed`:
at once, and again when the transaction commits). Bulk writes send no signals: a service that
writes the set-up in bulk calls `setup_changed`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from . import versions

NAME = "setup"
# A user's sign-in or new password changes nothing a set-up cache shows.
USER_FIELDS_IGNORED = frozenset({"last_login", "password"})


def setup_changed(**_signal) -> None:
    versions.changed(NAME)


def _user_saved(sender, instance, update_fields=None, **signal) -> None:
    if update_fields and set(update_fields) <= USER_FIELDS_IGNORED:
        return
    setup_changed()


def connect() -> None:
    """Called from SchoolsConfig.ready."""
    from .models import Group, Membership, Rule, School, TrustMembership

    for model in (School, Rule, Group, Membership, TrustMembership):
        post_save.connect(setup_changed, sender=model, dispatch_uid=f"setup-{model.__name__}")
        post_delete.connect(setup_changed, sender=model, dispatch_uid=f"setup-{model.__name__}")
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="setup-user")
    post_delete.connect(setup_changed, sender=user_model, dispatch_uid="setup-user")
