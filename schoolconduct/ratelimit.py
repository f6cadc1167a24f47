"""Fixed-window rate limits on Django's cache, failing open.

We don't use django-ratelimit: its last release predates Django's own Redis cache, its system
check refuses the local-memory cache of the single-process development server, and with Redis
down it raises instead of letting a parent's report through. A fixed window per key is all
the public pages need: `cache.add` starts the window, `cache.incr` counts within it.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT says."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def hit(*, scope: str, key: str, limit: tuple[int, int]) -> bool:
    """Count one request for `key` in `scope`; True if it is within the limit.

    Fails open: if the cache cannot be reached the request is allowed and a warning logged.
    """
    allowed, window = limit
    bucket = int(time.time() // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no raw address in the cache
    cache_key = f"rl:{scope}:{digest}:{bucket}"
    try:
        count = 1 if cache.add(cache_key, 1, timeout=window + 5) else cache.incr(cache_key)
    except ValueError:  # the key expired between add() and incr()
        return True
    except Exception:  # the cache server is down: never block a parent because of it
        logger.warning("Rate-limit cache unavailable; allowing the request.", exc_info=True)
        return True
    return count <= allowed
