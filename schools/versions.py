"""Version tokens: one mechanism for "kept in the cache until the data changes".

A page cache keeps what it computed under the tokens of the names its content depends on:
`"setup"` (schools, rules, groups, roles, staff names: the case list's filter choices),
`f"cases:{school_id}"` (the dashboard's counts), `f"stats:{school_id}"` (the statistics page).
Each token is a random value in Django's cache, never reused.

- `changed(*names)`: something those names cover has changed. Their tokens are replaced at
  once (so the rest of the transaction reads its own change) and, inside a transaction, again
  when it commits (a request that computed between the two stored its entry under a token
  that is then already dead). The names of a transaction are collected per connection and
  written in one go on commit. A rollback leaves them replaced-at-once: harmless, a recount.
- `tokens(names)`: the current tokens, in one cache read (a name with none gets a new one).
  None when the cache must not be used: it is unreachable, or it is not shared by every
  process (`settings.CACHE_SHARED` is false: a token in one gunicorn worker's memory knows
  nothing of a change made by another worker or by Celery). Callers then compute afresh and
  keep nothing.

Neither ever raises because of the cache: a change is saved even if the cache is down.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PREFIX = "version:"
# The connection attribute holding the names changed since its last commit.
_PENDING = "_schools_versions_pending"


def _key(name: str) -> str:
    return PREFIX + name


def _replace(names: Iterable[str]) -> None:
    try:
        cache.set_many({_key(name): uuid.uuid4().hex for name in names}, None)
    except Exception:  # a cache that cannot be reached keeps nothing to go stale either
        logger.warning("Could not replace the version tokens of %s", sorted(names), exc_info=True)


def _flush() -> None:
    """On commit: replace every name changed since the last flush. One of these is registered
    per change; the first does the work, the others find nothing."""
    connection = transaction.get_connection()
    pending = getattr(connection, _PENDING, None)
    if pending:
        setattr(connection, _PENDING, set())
        _replace(pending)


def changed(*names: str) -> None:
    """The data behind these names has changed: new tokens now and, inside a transaction,
    again once when it commits."""
    fresh = {name for name in names if name}
    if not fresh:
        return
    _replace(fresh)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, _PENDING, pending)
    pending |= fresh
    # A callback per change (a savepoint rolled back drops its own callbacks, so "registered
    # once" could be lost); robust: the change has committed, a failed flush is only logged.
    transaction.on_commit(_flush, robust=True)


def tokens(names: Iterable[str]) -> dict[str, str] | None:
    """Each name's current token, or None: do not use the cache (not shared by every process,
    or unreachable)."""
    return tokens_and(names)[0]


def tokens_and(
    names: Iterable[str], entries: Iterable[str] = ()
) -> tuple[dict[str, str] | None, dict[str, Any]]:
    """`tokens(names)`, and what the cache holds under the keys `entries` (those it has), read
    in the same round trip: a page that keeps its content under a key it knows beforehand
    needs one cache read, not two. (None, {}) when the cache must not be used."""
    if not getattr(settings, "CACHE_SHARED", False):
        return None, {}
    wanted = list(dict.fromkeys(names))
    extra = [key for key in dict.fromkeys(entries) if key]
    keys = {name: _key(name) for name in wanted}
    try:
        found = cache.get_many([*keys.values(), *extra])
        missing = [keys[name] for name in wanted if not found.get(keys[name])]
        if missing:
            # First use since the cache was emptied: a token nobody can have used before
            # (`add`, so two processes starting at once agree on one).
            for key in missing:
                cache.add(key, uuid.uuid4().hex, None)
            found.update(cache.get_many(missing))
    except Exception:
        logger.warning("Version tokens unavailable; computing without the cache", exc_info=True)
        return None, {}
    result = {name: found.get(key) for name, key in keys.items()}
    if not all(result.values()):  # evicted again at once: do not cache this time
        return None, {}
    return result, {key: found[key] for key in extra if key in found}  # type: ignore[return-value]
