"""Each school's number of cases by status, for the dashboard's cards and "By school" table,
kept in the cache so a trust's dashboard does not count 100,000 cases on every visit.

What is kept is per school and says nothing about who asks: the number of cases in each status,
and of those the safeguarding-flagged ones (all a DSL who is not SLT may see). Who sees which
school's figures is decided per request by `incidents.access.school_case_scope`, the same rule
as `cases_visible_to`.

Correct, not merely fresh: the figures are kept under the school's version token
`f"cases:{school_id}"` (`schools.versions`), which saving or deleting any of its cases replaces
(`school_changed`, connected in IncidentsConfig.ready), so the next dashboard counts that school
again; figures stored under an old token are never read again, even if a slow request stores
them after the change. Without a shared cache nothing is kept. As a last guard against a write
that bypasses the model (a bulk `update()` of status, which nothing does today), figures expire
after `TIMEOUT` seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Count

from schools import versions

from .models import Case, CaseStatus

logger = logging.getLogger(__name__)

TIMEOUT = 10 * 60
_FIGURES = "case-counts:{}:{}"

# Per school: status -> (all cases, safeguarding-flagged cases).
Figures = dict[str, tuple[int, int]]


def version_name(school_id: int) -> str:
    return f"cases:{school_id}"


def school_changed(school_id: int) -> None:
    """A case of this school was added, changed or removed: count it again."""
    versions.changed(version_name(school_id))


def school_figures(school_ids: Iterable[int]) -> dict[int, Figures]:
    """Each school's figures: from the cache, and the schools not in it counted in one query
    (an index-only scan of their cases) and kept."""
    ids = sorted(set(school_ids))
    if not ids:
        return {}
    tokens = versions.tokens(version_name(school_id) for school_id in ids)
    keys: dict[int, str] = {}
    kept: dict[str, Figures] = {}
    if tokens is not None:
        keys = {sid: _FIGURES.format(sid, tokens[version_name(sid)]) for sid in ids}
        try:
            kept = cache.get_many(list(keys.values()))
        except Exception:  # the cache is down: count them all, keep nothing
            logger.warning("Case counts not read from the cache.", exc_info=True)
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
