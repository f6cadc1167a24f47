"""The termly report for governors and trustees.

The figures of the term beside the previous term and the same term last year, with small
numbers suppressed (1–4 become "fewer than 5", with secondary suppression) so that no parent
can be identified; no names, no case text, no references. Asked for on a page or by the daily job
once a term has ended, built by a Celery task (`oversight.tasks.build_report`) through the
project's PDF engine, and filed privately.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from schoolconduct.pdf import file_asset, html_to_pdf
from schoolconduct.tasks import enqueue, enqueue_on_commit
from schools.models import School

from . import charts, periods, stats, suppression
from .models import GovernorsReport

logger = logging.getLogger(__name__)

CHARTED = ("Cases by nature of the conduct", "Cases by outcome decided")


@dataclass
class Column:
    heading: str
    figures: stats.Figures | None


def _suppressed_rows(breakdown: stats.Breakdown, column_figures: list[stats.Figures | None]):
    """Rows of a breakdown across the three periods (trust-wide totals), suppressed."""
    by_period = []
    for fig in column_figures:
        if fig is None:
            by_period.append({})
            continue
        match = next((b for b in fig.breakdowns if b.key == breakdown.key), None)
        by_period.append({r.label: r.total for r in (match.rows if match else [])})
    labels = [r.label for r in breakdown.rows]
    for values in by_period:
        labels += [label for label in values if label not in labels]
    columns = []
    for fig, values in zip(column_figures, by_period, strict=True):
        counts = [values.get(label, 0) for label in labels]
        columns.append(
            suppression.suppress_breakdown(counts, sum(counts))
            if fig is not None
            else ["–"] * len(labels)
        )
    return [(label, [col[i] for col in columns]) for i, label in enumerate(labels)]


def scope_key(schools: list[School]) -> str:
    return ",".join(str(pk) for pk in sorted(s.pk for s in schools))


def report_context(schools: list[School], term: periods.Period) -> dict:
    """Everything the report shows, already suppressed: nothing in it can name anyone."""
    all_terms = periods.terms([s.pk for s in schools], term.end)
    previous = periods.previous_term(all_terms, term)
    last_year = periods.same_term_last_year(all_terms, term)
    current = stats.figures(schools=schools, period=term, bucket="half_term")
    compared = [
        stats.figures(schools=schools, period=p, bucket="term") if p else None
        for p in (previous, last_year)
    ]
    columns = [
        Column(f"{term.name}", current),
        Column(previous.name if previous else "Previous term (no data)", compared[0]),
        Column(last_year.name if last_year else "Same term last year (no data)", compared[1]),
    ]
    figs = [c.figures for c in columns]

    def totals(attr: str) -> list[str]:
        return [suppression.shown(sum(getattr(f, attr))) if f is not None else "–" for f in figs]

    summary = [
        ("Reports received", totals("reports")),
        ("Cases opened", totals("cases")),
        ("People with more than one case (up to the end of the term)", totals("repeat_people")),
        ("Site bars in force at the end of the term", totals("bars_in_force")),
        ("Contact restrictions in force at the end of the term", totals("restrictions_in_force")),
    ]
    clocks = []
    for index, title in enumerate(
        ("Triaged within the school's target", "Decided within the school's target")
    ):
        cells = []
        for f in figs:
            if f is None:
                cells.append("–")
                continue
            clock = f.clocks[index]
            cells.append(suppression.shown_percent(sum(clock.within_target), sum(clock.counted)))
        clocks.append((title, cells))
    sections = [
        (b.title, _suppressed_rows(b, figs))
        for b in current.breakdowns
        if b.key in ("nature", "severity", "outcome", "channel", "rule")
    ]
    # The charts draw exactly what the tables show: a bar for a hidden figure would give the
    # number away, so it is drawn at zero and the table says "fewer than 5".
    chart_rows = []
    for title, rows in sections:
        if title not in CHARTED:
            continue
        bars = [stats.Row(label, [int(c[0]) if c[0].isdigit() else 0]) for label, c in rows]
        chart_rows.append(
            (title, charts.bar_chart(stats.Breakdown(title, title, bars), [term.name], width=640))
        )
    return {
        "schools": schools,
        "term": term,
        "columns": columns,
        "summary": summary,
        "clocks": clocks,
        "sections": sections,
        "charts": chart_rows,
        "estimated": term.estimated
        or any(c.figures and c.figures.estimated_terms for c in columns),
        "made_at": timezone.now(),
    }


def report_title(schools: list[School], term: periods.Period) -> str:
    who = (
        schools[0].name
        if len(schools) == 1
        else (schools[0].trust.name if schools[0].trust else f"{len(schools)} schools")
    )
    return f"Parental conduct: report to governors — {who}, {term.name}"


@transaction.atomic
def governors_report_request(
    *,
    schools: list[School],
    term: periods.Period,
    actor=None,
    trigger: str = GovernorsReport.Trigger.ON_DEMAND,
) -> GovernorsReport:
    """File a request for the termly report (a new row each time it is asked for on demand)
    and queue the task that builds it once this transaction commits. The page shows its
    progress; the PDF is never made inside a request."""
    report = GovernorsReport.objects.create(
        scope_key=scope_key(schools),
        title=report_title(schools, term),
        term_name=term.name,
        term_start=term.start,
        term_end=term.end,
        term_estimated=term.estimated,
        trigger=trigger,
        made_by=actor,
        status=GovernorsReport.Status.QUEUED,
    )
    report.schools.set(schools)
    from .tasks import build_report

    enqueue_on_commit(build_report, report.pk, fallback="the daily job will queue it again.")
    return report


def _step(report: GovernorsReport, status: str, **fields) -> None:
    GovernorsReport.objects.filter(pk=report.pk).update(status=status, **fields)


def governors_report_build(report_id: int) -> bool:
    """Build a requested report (the Celery task's body): claim it, count the figures, draw
    the PDF, file it. Safe to run twice — only a queued report is claimed. A failure is
    written on the row for the page to say, and the report can be asked for again. True if
    this call filed it."""
    Status = GovernorsReport.Status
    claimed = GovernorsReport.objects.filter(pk=report_id, status=Status.QUEUED).update(
        status=Status.FIGURES, error=""
    )
    if not claimed:
        return False
    try:
        return _build(report_id)
    except OperationalError:
        # A locked or briefly unreachable database (SQLite under load, a lock timeout) is
        # transient: give the report back to the queue and let the task retry it. If even
        # this fails, the daily job finds the report stuck and queues it again.
        with contextlib.suppress(OperationalError):
            GovernorsReport.objects.filter(pk=report_id).update(status=Status.QUEUED, error="")
        raise


def _build(report_id: int) -> bool:
    Status = GovernorsReport.Status
    report = GovernorsReport.objects.get(pk=report_id)
    try:
        schools = list(report.schools.select_related("trust").order_by("name"))
        term = periods.Period(
            report.term_name, report.term_start, report.term_end, report.term_estimated
        )
        context = report_context(schools, term)
        context["title"] = report.title
        _step(report, Status.RENDERING)
        assets = {}
        logo = file_asset("logo", schools[0].logo) if len(schools) == 1 else None
        if logo:
            assets[logo[0]] = logo[1]
            context["logo_url"] = logo[0]
        html = render_to_string("oversight/governors_pdf.html", context)
        pdf = html_to_pdf(html, assets=assets)
        name = f"{hashlib.sha256(f'{report.pk}{pdf.sha256}'.encode()).hexdigest()[:24]}.pdf"
        report.pdf.save(name, ContentFile(pdf.data), save=False)
    except OperationalError:
        raise
    except Exception as exc:
        logger.exception("Governors' report %s could not be made", report_id)
        _step(
            report, Status.FAILED, error=f"{type(exc).__name__}"[:300], finished_at=timezone.now()
        )
        return False
    _step(
        report,
        Status.DONE,
        pdf=report.pdf.name,
        pdf_sha256=pdf.sha256,
        pages=pdf.pages,
        finished_at=timezone.now(),
    )
    return True


# A report still waiting this long was never picked up (the broker was down): the daily job
# queues it again.
STUCK_AFTER = datetime.timedelta(minutes=30)
# A build still running this long after it was asked for was interrupted (the task's hard
# time limit is eleven minutes).
INTERRUPTED_AFTER = datetime.timedelta(hours=1)


def governors_reports_due(today: datetime.date | None = None) -> int:
    """The daily job: for every active school whose latest term ended within the last week
    and has no end-of-term report filed, ask for one — built by the same task as a report
    asked for on a page. One school's failure never stops the others; running twice files
    nothing twice. Reports left waiting (the broker was down) are queued again. Returns how
    many were asked for."""
    today = today or timezone.localdate()
    from .tasks import build_report

    Status = GovernorsReport.Status
    stuck = GovernorsReport.objects.filter(
        status=Status.QUEUED, made_at__lt=timezone.now() - STUCK_AFTER
    )
    for pk in stuck.values_list("pk", flat=True):
        enqueue(build_report, pk, fallback="tomorrow's daily job will try again.")
    # A build the worker never finished (it was killed past its time limit): say so, so the
    # page stops showing it as in progress and offers to ask again.
    GovernorsReport.objects.filter(
        status__in=[Status.FIGURES, Status.RENDERING],
        made_at__lt=timezone.now() - INTERRUPTED_AFTER,
    ).update(status=Status.FAILED, error="Interrupted", finished_at=timezone.now())
    made = 0
    for school in School.objects.filter(is_active=True).select_related("trust"):
        try:
            all_terms = periods.terms([school.pk], today)
            term = periods.latest_ended_term(all_terms, today)
            if term is None or term.estimated or (today - term.end).days > 7:
                continue
            exists = GovernorsReport.objects.filter(
                scope_key=scope_key([school]),
                term_start=term.start,
                trigger=GovernorsReport.Trigger.END_OF_TERM,
            ).exists()
            if exists:
                continue
            governors_report_request(
                schools=[school], term=term, trigger=GovernorsReport.Trigger.END_OF_TERM
            )
            made += 1
        except Exception:
            logger.exception("Governors' report for school %s failed", school.pk)
    return made
