"""The page a locked-out member of staff sees: what happened and when to try again."""

from __future__ import annotations

import datetime

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from schoolconduct.ratelimit import client_ip


def retry_at(*, username: str, ip_address: str) -> datetime.datetime | None:
    """When signing in as `username` from `ip_address` is allowed again (None: unknown)."""
    cool_off = get_cool_off()
    attempt = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .first()
    )
    if cool_off is None or attempt is None:
        return None
    return attempt.attempt_time + cool_off


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """django-axes' AXES_LOCKOUT_CALLABLE: a 429 page naming the time to try again."""
    username = get_client_username(request, credentials) or ""
    address = client_ip(request)
    until = retry_at(username=username, ip_address=address)
    minutes = None
    if until is not None:
        minutes = max(1, -(-int((until - timezone.now()).total_seconds()) // 60))
    context = {
        "username": username,
        "ip_address": address,
        "retry_at": until,
        "minutes": minutes,
        "failure_limit": get_failure_limit(request, credentials),
    }
    return render(request, "staff/locked_out.html", context, status=429)
