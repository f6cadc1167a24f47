"""The statistics page's figures, kept in Django's cache until something they count changes.

Counting a term of a trust's 100,000 cases twelve ways and drawing eight charts takes a
second; the figures only change when the data does. So the page keeps what it drew (the
figures and their HTML, charts included) in Django's cache (Redis in production, memory in
development) under a key made of:

- the schools shown and each one's version token `f"stats:{school_id}"` (`schools.versions`,
  one cache read). The schools are those the user may run (`managed_schools`), so a
  member of staff of school A can only ever ask for a key holding A's figures;
- the period, the group, the bucket and today's date (bars "in force" and the period's
  wording depend on the day);
- `KEY_VERSION`, changed when the cached shape changes.

Every change to something the statistics read gives the school a new token (`changed`, from
the signals below; `schools.signals.school_data_changed` for the bulk writes that send no model
signals): at once and again when the transaction commits, so a reader that took the old token
before the commit stores its figures under a key nobody asks for again, and a page is never
staler than the last commit. Without a cache shared by every process nothing is kept (the
figures are counted on every view), and a cache that loses its keys only costs a recount.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from schools import versions

log = logging.getLogger(__name__)

KEY_VERSION = 2
# The key holds today's date, so an entry is never read the next day; a day bounds the rest.
TIMEOUT = 24 * 60 * 60
# What the charts carry instead of the request's CSP nonce while cached (the nonce is per
# request): replaced in `<style nonce="…">` only, which escaped text can never contain.
NONCE_PLACEHOLDER = "stats-nonce-placeholder"


def version_name(school_id: int) -> str:
    return f"stats:{school_id}"


def key(schools: list, *parts: Any) -> str | None:
    """The cache key of the figures of `schools` for `parts`; None if the cache is not to be
    used (`schools.versions.tokens`)."""
    tokens = versions.tokens(version_name(s.pk) for s in schools)
    if tokens is None:
        return None
    pairs = [(s.pk, tokens[version_name(s.pk)]) for s in schools]
    text = repr((KEY_VERSION, pairs, parts))
    return "oversight:stats:" + hashlib.sha256(text.encode()).hexdigest()


def get(cache_key: str | None) -> Any:
    if cache_key is None:
        return None
    try:
        return cache.get(cache_key)
    except Exception:  # a cache that is down or an entry that no longer unpickles: recount
        log.warning("Statistics cache unavailable; counting again", exc_info=True)
        return None


def put(cache_key: str | None, value: Any) -> None:
    if cache_key is None:
        return
    try:
        cache.set(cache_key, value, TIMEOUT)
    except Exception:
        log.warning("Statistics cache unavailable; figures not kept", exc_info=True)


def changed(*school_ids: int | None) -> None:
    """Something the statistics of these schools count has changed: count them again."""
    versions.changed(*(version_name(pk) for pk in {pk for pk in school_ids if pk is not None}))


# --- what the statistics read ------------------------------------------------------------------


def _on_load(sender, instance, **kwargs) -> None:
    # The school a row was read with: a row moved to another school changes both.
    instance._stats_school_id = instance.__dict__.get("school_id")


def _on_row(sender, instance, **kwargs) -> None:
    changed(getattr(instance, "school_id", None), getattr(instance, "_stats_school_id", None))


def _on_school(sender, instance, **kwargs) -> None:
    changed(instance.pk)


def _on_links(sender, instance, action: str, **kwargs) -> None:
    # A case's rules or people (either side of the link carries the school).
    if action in ("post_add", "post_remove", "post_clear"):
        changed(getattr(instance, "school_id", None))


def _on_bulk(sender, school_ids: Iterable[int], **kwargs) -> None:
    changed(*school_ids)


def connect() -> None:
    """Called from `OversightConfig.ready`."""
    from incidents.models import Case, Person, Report
    from measures.models import ContactRestriction, SiteBan
    from schools.models import Group, InsetDay, Rule, School, TermDate
    from schools.signals import school_data_changed

    uid = "oversight.stats"
    for model in (
        Case,
        Report,
        Person,
        SiteBan,
        ContactRestriction,
        Group,
        Rule,
        TermDate,
        InsetDay,
    ):
        post_init.connect(_on_load, sender=model, dispatch_uid=f"{uid}.init.{model.__name__}")
        post_save.connect(_on_row, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
        post_delete.connect(_on_row, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")
    post_save.connect(_on_school, sender=School, dispatch_uid=f"{uid}.save.School")
    for through in (Case.rules.through, Case.persons.through):
        m2m_changed.connect(_on_links, sender=through, dispatch_uid=f"{uid}.m2m.{through.__name__}")
    school_data_changed.connect(_on_bulk, dispatch_uid=f"{uid}.bulk")
