"""The "stay signed in" button of the session warning."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .middleware import session_expires_at, session_touch


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """Count a click on "Stay signed in" as activity; say how long the session now has.

    Without JavaScript the button is an ordinary form: it comes back to the page it was on.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "remaining": 0}, status=401)
    session_touch(request.session)
    remaining = int(session_expires_at(request.session) - time.time())
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"signed_in": True, "remaining": remaining})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/staff/"
    return redirect(back)
