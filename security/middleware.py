"""Session time limits, and django-auditlog's middleware with the app's client address."""

from __future__ import annotations

import time
from collections.abc import Callable

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from schoolconduct.ratelimit import client_ip

Handler = Callable[[HttpRequest], HttpResponse]


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """Records the actor of each configuration change, and their real address.

    auditlog's own middleware takes the *first* X-Forwarded-For entry, which any client can
    write; we trust the header only as far as TRUSTED_PROXY_COUNT says (as the rate limiter and
    the sign-in lockout do).
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_ip(request) or None


SESSION_STARTED_KEY = "_signed_in_at"
SESSION_ACTIVITY_KEY = "_last_activity"
# Writing the session on every request would cost a database write per page; within this
# many seconds of the last recorded activity we skip it (the warning uses the stored time).
ACTIVITY_WRITE_EVERY = 60


def session_expires_at(session) -> float:
    """When this signed-in session ends (epoch seconds): idle timeout or absolute limit."""
    now = time.time()
    started = session.get(SESSION_STARTED_KEY, now)
    last = session.get(SESSION_ACTIVITY_KEY, now)
    return min(last + settings.SESSION_IDLE_TIMEOUT, started + settings.SESSION_ABSOLUTE_TIMEOUT)


def session_touch(session) -> None:
    """Record activity now (the user did something, or asked to stay signed in)."""
    now = time.time()
    session.setdefault(SESSION_STARTED_KEY, now)
    session[SESSION_ACTIVITY_KEY] = now


class SessionTimeoutMiddleware:
    """Signs a member of staff out after SESSION_IDLE_TIMEOUT without a request, and after
    SESSION_ABSOLUTE_TIMEOUT whatever they do.

    Django's SESSION_COOKIE_AGE alone is neither: the cookie's age restarts whenever the
    session is saved. After the sign-out the request carries on anonymously, so the view's
    sign-in check sends the user to the sign-in page with `next` (a form's draft waits in the
    browser tab: static/js/session-timeout.js).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = time.time()
            if now >= session_expires_at(session):
                idle = now - session.get(SESSION_ACTIVITY_KEY, now) >= settings.SESSION_IDLE_TIMEOUT
                logout(request)
                messages.info(
                    request,
                    "You were signed out after "
                    + (
                        f"{settings.SESSION_IDLE_TIMEOUT // 60} minutes without activity"
                        if idle
                        else f"{settings.SESSION_ABSOLUTE_TIMEOUT // 3600} hours"
                    )
                    + ". Sign in again to carry on; what you were typing is kept in this tab.",
                )
            else:
                if now - session.get(SESSION_ACTIVITY_KEY, 0) >= ACTIVITY_WRITE_EVERY:
                    session_touch(session)
                # For the warning on the page (templates/staff/base.html).
                ends = session_expires_at(session)
                started = session.get(SESSION_STARTED_KEY, now)
                request.session_timeout = {  # type: ignore[attr-defined]
                    "expires_in": int(ends - now),
                    "warn": settings.SESSION_WARNING_SECONDS,
                    # At the absolute limit "stay signed in" cannot help: the page says so.
                    "final": ends >= started + settings.SESSION_ABSOLUTE_TIMEOUT,
                    "hours": settings.SESSION_ABSOLUTE_TIMEOUT // 3600,
                }
        return self.get_response(request)


def session_signed_in(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """On every sign-in (password, two-factor, single sign-on): start both clocks."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_ACTIVITY_KEY] = now
