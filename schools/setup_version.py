"""A version of the schools' set-up, shared by every web process through the cache.

What a page builds from the set-up alone — schools, their rules and groups, the staff who hold
a role there and their names — may be kept in the cache under this version (the case list's
filter choices are). Any change to those rows moves the version on: at once, and again when
the transaction commits, so a page that read the old rows between the two cannot keep its copy.
Bulk writes send no signals: a service that writes the set-up in bulk calls `setup_changed`.
"""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

KEY = "schools:setup-version"
# A user's sign-in or new password changes nothing a set-up cache shows.
USER_FIELDS_IGNORED = frozenset({"last_login", "password"})


def _bump() -> None:
    try:
        cache.set(KEY, uuid.uuid4().hex, None)
    except Exception:  # a cache that cannot be reached keeps nothing to go stale either
        logger.warning("Could not move the set-up version on", exc_info=True)


def setup_changed(**_signal) -> None:
    _bump()
    transaction.on_commit(_bump)


def _user_saved(sender, instance, update_fields=None, **signal) -> None:
    if update_fields and set(update_fields) <= USER_FIELDS_IGNORED:
        return
    setup_changed()


def setup_version_current(found: str | None) -> str:
    """The version (`found` when the caller read it along with its own entry); a new one is
    started if the cache has none."""
    if found:
        return found
    cache.add(KEY, uuid.uuid4().hex, None)
    return cache.get(KEY) or ""


def connect() -> None:
    """Called from SchoolsConfig.ready."""
    from .models import Group, Membership, Rule, School, TrustMembership

    for model in (School, Rule, Group, Membership, TrustMembership):
        post_save.connect(setup_changed, sender=model, dispatch_uid=f"setup-{model.__name__}")
        post_delete.connect(setup_changed, sender=model, dispatch_uid=f"setup-{model.__name__}")
    user_model = get_user_model()
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="setup-user")
    post_delete.connect(setup_changed, sender=user_model, dispatch_uid="setup-user")
