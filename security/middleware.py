"""django-auditlog's middleware, with the client address taken the way the rest of the app does."""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.http import HttpRequest

from schoolconduct.ratelimit import client_ip


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """Records the actor of each configuration change, and their real address.

    auditlog's own middleware takes the *first* X-Forwarded-For entry, which any client can
    write; we trust the header only as far as TRUSTED_PROXY_COUNT says (as the rate limiter and
    the sign-in lockout do).
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request) or None
