"""Staff pages. Every view: sign-in required → access function → form → one service call."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from schools.access import schools_for_user

from .models import Case, CaseStatus


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    schools = schools_for_user(request.user)
    new_cases = (
        Case.objects.filter(school__in=schools, status=CaseStatus.NEW)
        .select_related("school")
        .order_by("opened_at")[:50]
    )
    return render(
        request, "staff/dashboard.html", {"new_cases": new_cases, "schools": list(schools)}
    )
