"""Staff pages for statistics and governors' reports: SLT and trust executives only."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from incidents.staff_views import staff_required
from schools.access import managed_schools

from . import charts, governors, stats
from .forms import GovernorsReportForm, StatisticsForm
from .models import GovernorsReport

# Counts over time read left to right; the other breakdowns are labelled bars.
OVER_TIME = {"cases_over_time"}


def _schools(request: HttpRequest) -> list:
    schools = list(managed_schools(request.user).select_related("trust"))
    if not schools:
        raise Http404("Statistics are for senior leaders and trust executives.")
    return schools


@staff_required
@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    form = StatisticsForm(request.GET or None, schools=schools, today=timezone.localdate())
    chosen = form.chosen_schools()
    figures = stats.figures(
        schools=chosen,
        period=form.chosen_period(),
        group=form.chosen_group(),
        bucket=form.chosen_bucket(),
    )
    nonce = getattr(request, "csp_nonce", None)
    series = [s.name for s in chosen]
    over_time = charts.bar_chart(figures.over_time, series, nonce=str(nonce), horizontal=False)
    sections = [
        (b, charts.bar_chart(b, series, nonce=str(nonce), horizontal=b.key not in OVER_TIME))
        for b in figures.breakdowns
    ]
    return render(
        request,
        "oversight/statistics.html",
        {
            "form": form,
            "figures": figures,
            "over_time_chart": over_time,
            "sections": sections,
            "today": timezone.localdate(),
        },
    )


def _visible_reports(schools: list):
    ids = {s.pk for s in schools}
    reports = GovernorsReport.objects.prefetch_related("schools").select_related("made_by")
    return [r for r in reports if {s.pk for s in r.schools.all()} <= ids]


@staff_required
@require_http_methods(["GET", "POST"])
def governors_reports(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    today = timezone.localdate()
    form = GovernorsReportForm(request.POST or None, schools=schools, today=today)
    if request.method == "POST" and form.is_valid():
        chosen, term = form.chosen()
        report = governors.governors_report_make(schools=chosen, term=term, actor=request.user)
        messages.success(request, f"“{report.title}” is ready to download.")
        return redirect("oversight:governors")
    return render(
        request,
        "oversight/governors.html",
        {"form": form, "reports": _visible_reports(schools)[:50]},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_safe
def governors_download(request: HttpRequest, pk: int) -> FileResponse:
    schools = _schools(request)
    report = get_object_or_404(GovernorsReport.objects.prefetch_related("schools"), pk=pk)
    if not {s.pk for s in report.schools.all()} <= {s.pk for s in schools} or not report.pdf:
        raise Http404("No such report.")
    name = f"governors-report-{report.term_start:%Y-%m-%d}.pdf"
    return FileResponse(
        report.pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
