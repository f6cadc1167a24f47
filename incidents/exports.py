"""The case list as CSV: small lists inline, large ones built by a Celery task.

Rows come from `values_list` (tuples, no model objects) through a server-side cursor, so
100,000 cases take about a second of a worker's time and flat memory. No reporter identity
is ever exported, and every cell is made safe for spreadsheets (no formulas).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import tempfile
from collections.abc import Iterator
from types import SimpleNamespace

from django.core.files import File
from django.db.models import (
    Aggregate,
    CharField,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import QueryDict
from django.utils import timezone

from .models import Case, CaseExport, CaseStatus, Conduct, Nature, Outcome, Report, Severity
from .selectors import report_count

logger = logging.getLogger(__name__)

# Up to this many rows the list streams straight back (well under a second of the web
# worker at ≥ 50,000 rows/s); above it a task builds the file. A head teacher's whole school
# (5,000 cases) stays inline; a trust's list goes to the task.
INLINE_MAX_ROWS = 5_000
PROGRESS_EVERY = 10_000

HEADER = [
    "Reference",
    "School",
    "Status",
    "Severity",
    "Nature",
    "Lead",
    "Opened",
    "Reports",
    "Where it happened",
    "Outcome",
]
STATUS = dict(CaseStatus.choices)
SEVERITY = dict(Severity.choices)
NATURE = dict(Nature.choices)
OUTCOME = dict(Outcome.choices)
CONDUCT_ORDER = {value: n for n, value in enumerate(Conduct.values)}
CONDUCT = dict(Conduct.choices)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS:
        text = "'" + text
    return text


def outcome(actions, closed: str) -> str:
    """What was decided (the ladder's labels), then how the case closed."""
    decided = "; ".join(OUTCOME[a] for a in actions or () if a in OUTCOME)
    return " — ".join(part for part in (decided, closed) if part)


class MinuteText(Func):
    """A timestamp as 'YYYY-MM-DD HH:MM' (UTC) text, made by the database: parsing 100,000
    datetimes into Python objects only to format them again took a third of the export."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # "%%%%" → "%%" in the SQL (the template is %-formatted once), which the SQLite
        # backend turns into "%" like any literal percent sign.
        return self.as_sql(
            compiler,
            connection,
            template="strftime('%%%%Y-%%%%m-%%%%d %%%%H:%%%%M', %(expressions)s)",
            **extra_context,
        )


class DistinctList(Aggregate):
    """The distinct values of a text column, comma-separated, in no particular order."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "string_agg(DISTINCT %(expressions)s, ',')"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "group_concat(DISTINCT %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def conducts() -> Subquery:
    """How each case's conduct happened (a post, in person …), as the database's list: the
    kinds only, never the place, which may name someone."""
    kinds = (
        Report.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(kinds=DistinctList("conduct"))
        .values("kinds")
    )
    return Subquery(kinds, output_field=TextField())


def conduct_labels(kinds: str | None) -> str:
    return "; ".join(
        CONDUCT.get(k, k)
        for k in sorted((kinds or "").split(","), key=lambda k: CONDUCT_ORDER.get(k, 99))
        if k
    )


def export_rows(cases: QuerySet[Case]) -> Iterator[list[str]]:
    """The CSV rows (header first) for these cases: plain text from the database (the lead's
    name joined and the decided actions as JSON text there, so no row goes through a field's
    converter), labels looked up here."""
    text: TextField = TextField()
    rows = (
        cases.annotate(
            export_reports=Cast(report_count(), text),
            export_opened=MinuteText("opened_at"),
            export_lead=Concat(
                Coalesce("lead__first_name", Value("")),
                Value(" "),
                Coalesce("lead__last_name", Value("")),
                output_field=text,
            ),
            export_actions=Cast("actions", text),
            export_conducts=conducts(),
        )
        .order_by("-opened_at", "-pk")
        .values_list(
            "reference",
            "school__name",
            "status",
            "severity",
            "nature",
            "export_lead",
            "export_opened",
            "export_reports",
            "export_conducts",
            "export_actions",
            "outcome",
        )
    )
    yield HEADER
    for (
        reference,
        school,
        status,
        severity,
        nature,
        lead,
        opened,
        n,
        kinds,
        actions,
        closed,
    ) in rows.iterator(chunk_size=10_000):
        yield [
            cell(reference),
            cell(school),
            STATUS.get(status, status),
            SEVERITY.get(severity, severity),
            NATURE.get(nature, nature),
            cell(lead.strip()),
            opened,
            n,
            conduct_labels(kinds),
            # Most cases have no decision yet: parse the JSON only when there is one.
            cell(outcome(json.loads(actions), closed) if actions and actions != "[]" else closed),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(cases: QuerySet[Case]) -> Iterator[str]:
    """The CSV, one line at a time, for a streaming response."""
    writer = csv.writer(_Echo())
    for row in export_rows(cases):
        yield writer.writerow(row)


def export_build(*, export_id: int) -> bool:
    """Build a queued export's file (the task). The cases are the requesting user's, through
    the same access rule and filters as the list; safe to run twice."""
    from .access import case_schools
    from .filters import CaseFilter, filter_options
    from .selectors import case_list

    claimed = CaseExport.objects.filter(
        pk=export_id, status__in=[CaseExport.Status.QUEUED, CaseExport.Status.FAILED]
    ).update(status=CaseExport.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return False
    export = CaseExport.objects.select_related("user").get(pk=export_id)
    try:
        user = export.user
        case_filter = CaseFilter(
            QueryDict(export.query) or None,
            queryset=case_list(user=user),
            options=filter_options(case_schools(user)),
            # The search's reporter rule asks who is searching, as on the page.
            request=SimpleNamespace(user=user),
        )
        cases = case_filter.qs
        total = cases.count()
        export.school_ids = [pk for pk, _name in case_filter.options.schools]
        CaseExport.objects.filter(pk=export.pk).update(
            rows_total=total, school_ids=export.school_ids
        )
        with tempfile.TemporaryFile() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text)
            done = 0
            for row in export_rows(cases):
                writer.writerow(row)
                done += 1
                if done % PROGRESS_EVERY == 0:
                    CaseExport.objects.filter(pk=export.pk).update(rows_done=done - 1)
            text.flush()
            raw.seek(0)
            export.file.save(f"cases-{export.pk}.csv", File(raw), save=False)
            text.detach()
        export.rows_done = done - 1
        export.rows_total = done - 1
        export.status = CaseExport.Status.READY
        export.finished_at = timezone.now()
        export.save(
            update_fields=["file", "rows_done", "rows_total", "status", "finished_at", "school_ids"]
        )
    except Exception as error:
        logger.exception("Export %s failed", export_id)
        CaseExport.objects.filter(pk=export_id).update(
            status=CaseExport.Status.FAILED, error=str(error)[:300]
        )
        raise
    return True


def export_request(*, user, query: str) -> CaseExport:
    """Record a large export and queue its task (after the row commits)."""
    from schoolconduct.tasks import enqueue_on_commit

    from .tasks import build_case_export

    export = CaseExport.objects.create(user=user, query=query[:2000])
    enqueue_on_commit(
        build_case_export, export.pk, fallback="the export page queues it again after a minute"
    )
    return export


# A queued export whose task never started (the broker was down) is queued again when its
# page is looked at after this long; the task claims the row, so a double start is harmless.
REQUEUE_AFTER = 60


def export_nudge(*, export: CaseExport) -> None:
    """Queue a stuck export's task again."""
    from schoolconduct.tasks import enqueue

    from .tasks import build_case_export

    waited = (timezone.now() - export.created_at).total_seconds()
    if export.status == CaseExport.Status.QUEUED and waited > REQUEUE_AFTER:
        enqueue(build_case_export, export.pk, fallback="the page will try again")


# A built CSV is a copy of the case list: it is kept only long enough to be downloaded.
KEEP_HOURS = 24


def exports_sweep(now: datetime.datetime | None = None) -> int:
    """Delete exports (their files and rows) made more than `KEEP_HOURS` ago."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=KEEP_HOURS)
    removed = 0
    for export in CaseExport.objects.filter(created_at__lt=cutoff).only("pk", "file"):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        removed += 1
    return removed
