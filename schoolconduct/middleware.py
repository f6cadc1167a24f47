"""Project-wide middleware: request body caps, private caching and parents' session cookies.

Both decide from the path and settings only, so they run for every app without importing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

Handler = Callable[[HttpRequest], HttpResponse]


def body_limit_for(path: str) -> int:
    """The largest request body (bytes) this path accepts: its own cap, or the site's."""
    try:
        view_name = resolve(path).view_name
    except Resolver404:
        view_name = ""
    return settings.REQUEST_BODY_LIMITS.get(view_name, settings.REQUEST_BODY_MAX_BYTES)


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is over the cap, before anything reads it.

    Django's own DATA_UPLOAD_MAX_MEMORY_SIZE leaves out file parts, so a 60 MB POST to the
    report form used to be read and spooled to disk in full before the form said "too big".
    Here the Content-Length alone decides, so nothing is read. A body without a Content-Length
    (chunked) is never read by Django at all (its input stream is limited to the declared
    length, 0), and the production proxy caps those too (deploy/nginx.conf).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            limit = body_limit_for(request.path_info)
            if length > limit:
                logger.info(
                    "Refused a %d-byte body to %s (cap %d).", length, request.path_info, limit
                )
                # No "Connection: close" here: a WSGI application may not set hop-by-hop
                # headers (the development server refuses them). gunicorn's sync workers
                # close the connection after every response; nginx answers before us anyway.
                return render(
                    request,
                    "errors/413.html",
                    {"limit_mb": limit // (1024 * 1024), "limit_kb": limit // 1024},
                    status=413,
                )
        return self.get_response(request)


PRIVATE_NAMESPACES = {"staff", "calendar", "letters", "session", "oversight", "admin"}
PRIVATE_VIEWS = {
    "reports:receipt",
    "reports:follow-up",
    "reports:follow-up-add",
    "reports:follow-up-finish",
}
PRIVATE_PREFIXES = ("/staff/", "/admin/", "/accounts/", "/follow-up/")


def is_private(request: HttpRequest) -> bool:
    """Whether a response to this request may show anything personal (so no cache may keep it)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and (
        match.view_name in PRIVATE_VIEWS or set(match.namespaces) & PRIVATE_NAMESPACES
    ):
        return True
    if request.path_info.startswith(PRIVATE_PREFIXES):
        return True
    # Anything that read a non-empty session (a signed-in member of staff, a parent's
    # follow-up grant, a receipt waiting to be shown) depends on who is asking.
    session = getattr(request, "session", None)
    return bool(session is not None and session.accessed and not session.is_empty())


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every staff page and the parents' private pages.

    A shared computer's browser cache, or a proxy, must never keep a case page, a receipt with
    its follow-up code, or a reporter's messages.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_private(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


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

    def __init__(self, get_response: Handler) -> None:
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
