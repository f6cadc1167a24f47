"""Baselines the bench compares real pages with: what plain Django does for the same work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from incidents.access import cases_visible_to


@login_required
def bare_list(request: HttpRequest) -> HttpResponse:
    """The plainest Django list of the same role's cases: 50 rows, newest first, a count,
    the same base template, middleware and sign-in as the staff pages."""
    cases = (
        cases_visible_to(request.user)
        .select_related("school", "lead")
        .order_by("-opened_at", "-pk")
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    return render(request, "bench/bare_list.html", {"page": page})


@csrf_exempt
def bare_upload(request: HttpRequest) -> HttpResponse:
    """A bare multipart POST: Django parses the same files and does nothing else."""
    total = sum(f.size for f in request.FILES.getlist("screenshots"))
    return HttpResponse(f"{len(request.POST)} fields, {total} bytes")
