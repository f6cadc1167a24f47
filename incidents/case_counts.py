"""Each school's number of cases by status, for the dashboard's cards and "By school" table,
kept in the cache so a trust's dashboard does not count 100,000 cases on every visit.

What is kept is per school and says nothing about who asks: the number of cases in each status,
and of those the safeguarding-flagged ones (all a DSL who is not SLT may see). Who sees which
school's figures is decided per request by `incidents.access.school_case_scope`, the same rule
as `cases_visible_to`.

Correct, not merely fresh: every school has a version token in the cache, and its figures are
kept under that token. Saving or deleting any case of a school replaces the token when the
transaction commits (`school_changed`, connected in IncidentsConfig.ready; also at once,
so the transaction itself reads its own change), so the next
dashboard counts that school again; figures stored under an old token are never read again,
even if a slow request stores them after the change (the race a plain delete would lose). A
new token is random, never reused, so a missing token (evicted, or the cache emptied) also means
counting again. As a last guard against a write that bypasses the model (a bulk `update()` of
status, which nothing does today), figures expire after `TIMEOUT` seconds.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count

from .models import Case, CaseStatus

logger = logging.getLogger(__name__)

TIMEOUT = 10 * 60
_VERSION = "case-counts:version:{}"
_FIGURES = "case-counts:{}:{}"

# Per school: status -> (all cases, safeguarding-flagged cases).
Figures = dict[str, tuple[int, int]]


def _bump(school_id: int) -> None:
    try:
        cache.set(_VERSION.format(school_id), uuid.uuid4().hex, None)
    except Exception:  # the cache is down: saving a case must not fail for it
        logger.exception("Could not mark school %s's case counts out of date.", school_id)


def school_changed(school_id: int) -> None:
    """A case of this school was added, changed or removed: count it again. The token is
    replaced at once (so this transaction's own later reads count again) and again when the
    transaction commits (a request that counted in between saw the data before the commit,
    and stored it under a token that is then already dead)."""
    _bump(school_id)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(school_id))


def _versions(school_ids: list[int]) -> dict[int, str]:
    keys = {school_id: _VERSION.format(school_id) for school_id in school_ids}
    found = cache.get_many(list(keys.values()))
    versions = {}
    for school_id, key in keys.items():
        if key not in found:
            # First visit since the cache was emptied: a token nobody can have used before.
            cache.add(key, uuid.uuid4().hex, None)
            found[key] = cache.get(key)
        versions[school_id] = found[key]
    return versions


def school_figures(school_ids: Iterable[int]) -> dict[int, Figures]:
    """Each school's figures: from the cache, and the schools not in it counted in one query
    (an index-only scan of their cases) and kept."""
    ids = sorted(set(school_ids))
    if not ids:
        return {}
    try:
        versions = _versions(ids)
        keys = {school_id: _FIGURES.format(school_id, versions[school_id]) for school_id in ids}
        kept = cache.get_many(list(keys.values()))
    except Exception:  # the cache is down: count them all, keep nothing
        logger.exception("Case counts not read from the cache.")
        keys, kept = {}, {}
    figures: dict[int, Figures] = {
        school_id: kept[key] for school_id, key in keys.items() if key in kept
    }
    missing = [school_id for school_id in ids if school_id not in figures]
    if missing:
        counted: dict[int, dict[str, list[int]]] = {
            school_id: {status: [0, 0] for status in CaseStatus.values} for school_id in missing
        }
        rows = (
            Case.objects.filter(school_id__in=missing)
            .order_by()
            .values_list("school_id", "status", "safeguarding_flag")
            .annotate(n=Count("pk"))
        )
        for school_id, status, flagged, n in rows:
            pair = counted[school_id].setdefault(status, [0, 0])
            pair[0] += n
            if flagged:
                pair[1] += n
        fresh = {
            school_id: {status: (a, b) for status, (a, b) in by_status.items()}
            for school_id, by_status in counted.items()
        }
        if keys:
            try:
                cache.set_many({keys[sid]: fresh[sid] for sid in missing}, TIMEOUT)
            except Exception:
                logger.exception("Case counts not kept in the cache.")
        figures.update(fresh)
    return figures
