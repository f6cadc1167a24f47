"""Staff pages for statistics and governors' reports: SLT and trust executives only."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from incidents.access import case_schools
from incidents.staff_forms import leads_for_schools
from incidents.staff_views import case_staff_required
from schools.access import managed_schools, staff_required
from schools.models import School

from . import cache as stats_cache
from . import charts, deadlines, governors, stats
from .forms import DeadlinesForm, GovernorsReportForm, StatisticsForm
from .models import GovernorsReport

# Counts over time read left to right; the other breakdowns are labelled bars.
OVER_TIME = {"cases_over_time"}


def _schools(request: HttpRequest) -> list:
    schools = list(managed_schools(request.user).select_related("trust"))
    if not schools:
        raise Http404("Statistics are for senior leaders and trust executives.")
    return schools


# Where the figures go in the page: spliced in as bytes, so a trust's megabyte of charts is
# not copied by every template block it would pass through.
FIGURES_MARK = "<!--statistics-figures-->"


def _figures_html(figures: stats.Figures, today) -> bytes:
    """The figures, their tables and charts as UTF-8 HTML, with `NONCE_PLACEHOLDER` for the
    request's CSP nonce (this HTML is cached and shared by everyone who may see it)."""
    nonce = stats_cache.NONCE_PLACEHOLDER
    series = [s.name for s in figures.schools]
    over_time = charts.bar_chart(figures.over_time, series, nonce=nonce, horizontal=False)
    sections = [
        (b, charts.bar_chart(b, series, nonce=nonce, horizontal=b.key not in OVER_TIME))
        for b in figures.breakdowns
    ]
    return render_to_string(
        "oversight/_statistics_figures.html",
        {
            "figures": figures,
            "over_time_chart": over_time,
            "sections": sections,
            "today": today,
        },
    ).encode()


@staff_required
@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    today = timezone.localdate()
    form = StatisticsForm(request.GET or None, schools=schools, today=today)
    chosen = form.chosen_schools()
    period, group, bucket = form.chosen_period(), form.chosen_group(), form.chosen_bucket()
    # The schools come from managed_schools: a key only ever names schools the user runs.
    key = stats_cache.key(chosen, period, group.pk if group else None, bucket, today.isoformat())
    cached = stats_cache.get(key)
    if cached is None:
        figures = stats.figures(
            schools=chosen, period=period, group=group, bucket=bucket, groups=form.groups
        )
        html = _figures_html(figures, today)
        stats_cache.put(key, (figures, html))
    else:
        figures, html = cached
    response = render(
        request,
        "oversight/statistics.html",
        {
            "form": form,
            "figures": figures,
            "figures_mark": mark_safe(FIGURES_MARK),  # noqa: S308 (our own constant)
            "today": today,
        },
    )
    nonce = str(getattr(request, "csp_nonce", ""))
    before, after = response.content.split(FIGURES_MARK.encode(), 1)
    response.content = b"".join(
        [
            before,
            html.replace(
                f'<style nonce="{stats_cache.NONCE_PLACEHOLDER}"'.encode(),
                f'<style nonce="{nonce}"'.encode(),
            ),
            after,
        ]
    )
    return response


def _visible_reports(schools: list):
    """Filed reports whose every school is one of the user's (in the database, not by loading
    every report and checking it in Python)."""
    ids = [s.pk for s in schools]
    return (
        GovernorsReport.objects.filter(schools__in=ids)
        .exclude(schools__in=School.objects.exclude(pk__in=ids))
        .select_related("made_by")
        .distinct()
    )


@staff_required
@require_http_methods(["GET", "POST"])
def governors_reports(request: HttpRequest) -> HttpResponse:
    schools = _schools(request)
    today = timezone.localdate()
    form = GovernorsReportForm(request.POST or None, schools=schools, today=today)
    if request.method == "POST" and form.is_valid():
        chosen, term = form.chosen()
        report = governors.governors_report_request(schools=chosen, term=term, actor=request.user)
        messages.success(
            request,
            f"“{report.title}” is being made. It is listed below, with its progress, and can "
            "be downloaded here once it is ready.",
        )
        return redirect("oversight:governors")
    reports = list(_visible_reports(schools)[:50])
    return render(
        request,
        "oversight/governors.html",
        {
            "form": form,
            "reports": reports,
            "in_progress": any(r.in_progress for r in reports),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_safe
def governors_download(request: HttpRequest, pk: int) -> FileResponse:
    schools = _schools(request)
    report = get_object_or_404(GovernorsReport.objects.prefetch_related("schools"), pk=pk)
    if not {s.pk for s in report.schools.all()} <= {s.pk for s in schools}:
        raise Http404("No such report.")
    if report.status != GovernorsReport.Status.DONE or not report.pdf:
        raise Http404("No such report.")
    name = f"governors-report-{report.term_start:%Y-%m-%d}.pdf"
    return FileResponse(
        report.pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


FEED_SESSION_KEY = "oversight_new_feed_token"


@case_staff_required
@require_safe
def deadline_calendar(request: HttpRequest) -> HttpResponse:
    """Every upcoming deadline on the cases this user may open, by week and day."""
    today = timezone.localdate()
    schools = list(case_schools(request.user))
    form = DeadlinesForm(request.GET or None, schools=schools, leads=leads_for_schools(schools))
    school_id, lead_id = form.chosen()
    items = deadlines.deadlines_for(request.user, today=today, school_id=school_id, lead_id=lead_id)
    overdue, weeks = deadlines.by_week(items, today)
    token = request.session.pop(FEED_SESSION_KEY, None)
    feed_url = (
        request.build_absolute_uri(reverse("oversight:deadline-feed", args=[token]))
        if token
        else None
    )
    return render(
        request,
        "oversight/deadlines.html",
        {
            "form": form,
            "overdue": overdue,
            "weeks": weeks,
            "today": today,
            "weeks_ahead": deadlines.WEEKS_AHEAD,
            "feed_url": feed_url,
            "has_feed": request.user.calendar_feeds.filter(revoked_at__isnull=True).exists(),
            "many_schools": len(schools) > 1,
        },
    )


@case_staff_required
@require_POST
def deadline_feed_manage(request: HttpRequest) -> HttpResponse:
    if request.POST.get("do") == "revoke":
        deadlines.feed_revoke(user=request.user)
        messages.success(
            request, "Your calendar feed is switched off: its address no longer works."
        )
    else:
        request.session[FEED_SESSION_KEY] = deadlines.feed_create(user=request.user)
        messages.success(
            request,
            "Here is your new calendar feed address. Copy it now: it is shown only once, and "
            "any older address has stopped working.",
        )
    return redirect("oversight:deadlines")


@csrf_exempt
@require_safe
def deadline_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed, for calendar apps that cannot sign in: the secret address is the
    key. Unknown and revoked addresses get the same 404."""
    user = deadlines.feed_user(token)
    if user is None:
        raise Http404("No such feed.")
    body = deadlines.feed_ical(user, today=timezone.localdate())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="schoolconduct-deadlines.ics"'
    return response
