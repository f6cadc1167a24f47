"""The restrictions register page and its front-desk PDF (/staff/bans/)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from incidents.access import register_schools
from incidents.staff_views import staff_required
from schoolconduct.pdf import html_to_pdf

from . import selectors


@staff_required
@require_safe
def register(request: HttpRequest) -> HttpResponse:
    """The restrictions register: who is barred or restricted today (no case content)."""
    schools = list(register_schools(request.user))
    now = timezone.localtime()
    entries = selectors.register_entries(schools=schools, today=now.date())
    context = {"entries": entries, "schools": schools, "now": now, "many_schools": len(schools) > 1}
    if request.GET.get("format") == "pdf":
        html = render_to_string("staff/register_pdf.html", context)
        pdf = html_to_pdf(html)
        response = HttpResponse(pdf.data, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="restrictions-register-{now:%Y-%m-%d-%H%M}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "staff/register.html", context)
