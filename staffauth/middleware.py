"""Two factors for every member of staff, before any staff or admin page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .services import has_second_factor, session_has_two_factors

# Where a signed-in user without a second factor may still go: setting one up, proving a
# password again before doing so, and signing out.
_ENROLMENT_PREFIXES = ("/staff/account/2fa/", "/staff/account/reauthenticate/")
_SIGN_OUT = ("/staff/sign-out/", "/staff/account/logout/")


class SecondFactorRequiredMiddleware:
    """With REQUIRE_TWO_FACTOR on, a signed-in user reaches `/staff/` and `/admin/` only if
    this session proved a second factor (or came through the school's own sign-in).

    - no authenticator yet (a new invitation, an administrator's reset): sent to set one up;
    - an authenticator, but this session skipped it (a session from before enrolment was
      enforced, or any path that bypassed allauth's step): signed out and sent to sign in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._check(request)
        return response if response is not None else self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        if not settings.REQUIRE_TWO_FACTOR or not request.user.is_authenticated:
            return None
        path = request.path
        if not path.startswith(("/staff/", "/admin/")) or path.startswith(_SIGN_OUT):
            return None
        if session_has_two_factors(request):
            return None
        if not has_second_factor(request.user):
            if path.startswith(_ENROLMENT_PREFIXES):
                return None
            return redirect(reverse("mfa_index"))
        logout(request)
        messages.info(request, "Please sign in again with your second factor.")
        return redirect(f"{reverse('staff:login')}?{urlencode({'next': path})}")
