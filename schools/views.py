"""Public pages of a school: its code of conduct and how to raise a concern."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from .models import School


def get_public_school(slug: str) -> School:
    """The active school with this slug, or a 404."""
    return get_object_or_404(School.objects.active().select_related("trust"), slug=slug)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    schools = list(School.objects.active().only("name", "slug", "postcode"))
    if len(schools) == 1:
        return redirect(schools[0])
    return render(request, "public/home.html", {"schools": schools})


@require_safe
def school_detail(request: HttpRequest, school: str) -> HttpResponse:
    school_obj = get_public_school(school)
    rules = school_obj.rules.active()
    return render(request, "public/school.html", {"school": school_obj, "rules": rules})


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "public/privacy.html")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "public/accessibility.html")
