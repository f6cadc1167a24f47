"""Middleware of our own (kept small; everything else is Django's or a library's)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Django's marker for "ends when the browser closes" in a session's data.
EXPIRY_KEY = "_session_expiry"


class VisitorSessionMiddleware:
    """A visitor who is not signed in — a parent reporting or following up, often on a shared
    family phone — gets a session cookie without an expiry: it ends when the browser closes.
    Staff keep the configured session age (`SESSION_COOKIE_AGE`), including a member of staff
    who reported as a parent in the same browser before signing in.

    Listed after AuthenticationMiddleware: it needs `request.user`, and its response step runs
    before SessionMiddleware writes the cookie.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.modified:
            return response  # no cookie is written for this response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if session.get(EXPIRY_KEY) == 0:
                session.set_expiry(None)  # back to the staff default
        elif not session.is_empty():
            session.set_expiry(0)
        return response
