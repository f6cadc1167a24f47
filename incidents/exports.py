"""The case list as CSV: small lists inline, large ones built by a Celery task.

Rows come from the database as text tuples (no model objects) through a server-side cursor,
a chunk at a time, and each line is one f-string of cells worked out once per distinct value
(`export_chunks`), so 100,000 cases take under two seconds of a worker's time and flat
memory. No reporter identity is ever exported, and every cell is made safe for spreadsheets
(no formulas).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.files import File
from django.db import connections
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
from django.db.models.sql.constants import MULTI
from django.http import QueryDict
from django.utils import timezone

from .models import Case, CaseExport, CaseStatus, Conduct, Nature, Outcome, Report, Severity

logger = logging.getLogger(__name__)

# Up to this many rows the list streams straight back (well under a second of the web
# worker at ≥ 50,000 rows/s); above it a task builds the file. A head teacher's whole school
# (5,000 cases) stays inline; a trust's list goes to the task.
INLINE_MAX_ROWS = 5_000
PROGRESS_EVERY = 10_000
CHUNK_ROWS = PROGRESS_EVERY  # rows fetched, labelled and written at a time by the task
STREAM_CHUNK_ROWS = 500  # inline: the first bytes go out before the whole list is read

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


class TextList(Aggregate):
    """Every value of a text column (repeats included), comma-separated, in no particular
    order; NULL when there are no rows."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "string_agg(%(expressions)s, ',')"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "group_concat(%(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def conducts() -> Subquery:
    """How each of a case's reports says the conduct happened (a post, in person …), one
    entry per report: the export's only look at the reports, giving both their number and
    their kinds (never the place, which may name someone)."""
    kinds = (
        Report.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(kinds=TextList("conduct"))
        .values("kinds")
    )
    return Subquery(kinds, output_field=TextField())


def conduct_summary(kinds: str | None) -> tuple[str, str]:
    """(the number of reports, their kinds' labels once each in the ladder's order)."""
    if kinds is None:
        return "0", ""
    listed = kinds.split(",")
    labels = "; ".join(
        CONDUCT.get(k, k)
        for k in sorted(set(listed), key=lambda k: (CONDUCT_ORDER.get(k, 99), k))
        if k
    )
    return str(len(listed)), labels


class _Memo(dict):
    """A dict that fills itself: `memo[key]` is `make(key)`, worked out once per key."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _decided(actions: str) -> str:
    return "; ".join(OUTCOME[a] for a in json.loads(actions) or () if a in OUTCOME)


def _fetch(cases: QuerySet[Case], chunk_size: int, whole_list: bool) -> Iterator[list[tuple]]:
    """The rows as the driver's tuples, `chunk_size` at a time through a server-side cursor:
    (reference, school, status, severity, nature, lead, opened, report kinds, actions,
    outcome), all text from the database.

    Each case's report kinds are one list (`conducts`). For a short list a correlated
    subquery finds them; for a whole list (`whole_list`, the task) the reports are grouped
    once and joined, which takes the database half the time over 100,000 cases.
    """
    text: TextField = TextField()
    rows = cases.annotate(
        export_opened=MinuteText("opened_at"),
        export_lead=Concat(
            Coalesce("lead__first_name", Value("")),
            Value(" "),
            Coalesce("lead__last_name", Value("")),
            output_field=text,
        ),
        export_actions=Cast("actions", text),
    ).order_by("-opened_at", "-pk")
    columns = ["reference", "school__name", "status", "severity", "nature", "export_lead"]
    columns += ["export_opened"]
    connection = connections[rows.db]
    # As QuerySet.iterator(): no server-side cursor where the settings turn them off.
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    if not whole_list:
        query = rows.annotate(export_conducts=conducts()).values_list(
            *columns, "export_conducts", "export_actions", "outcome"
        )
        compiler = query.query.get_compiler(using=query.db)
        yield from compiler.execute_sql(MULTI, chunked_fetch=server_side, chunk_size=chunk_size)
        return
    try:
        inner_sql, params = (
            rows.values_list(*columns, "export_actions", "outcome", "pk", "opened_at")
            .query.get_compiler(using=rows.db)
            .as_sql()
        )
    except EmptyResultSet:  # no case at all (`.none()`: a user who no longer sees any)
        return
    listed = (
        "string_agg(conduct, ',')" if connection.vendor == "postgresql" else "group_concat(conduct)"
    )
    reports = connection.ops.quote_name(Report._meta.db_table)
    # Django's own SQL for the list (its values passed as parameters) and fixed names.
    sql = (
        "WITH listed (c1, c2, c3, c4, c5, c6, c7, c8, c9, pk, opened_at) AS ("  # noqa: S608
        f"{inner_sql}"
        ") SELECT c1, c2, c3, c4, c5, c6, c7, reports.kinds, c8, c9 FROM listed "
        f"LEFT JOIN (SELECT case_id, {listed} AS kinds FROM {reports} GROUP BY case_id) "
        "AS reports ON reports.case_id = listed.pk "
        "ORDER BY listed.opened_at DESC, listed.pk DESC"
    )
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            yield chunk


class _Echo:
    def write(self, value: str) -> str:
        return value


_QUOTER = csv.writer(_Echo())
# A field csv.writer quotes (QUOTE_MINIMAL, "\r\n" line ends) holds one of these.
_NEEDS_QUOTES = frozenset(',"\r\n')


def field(text: str) -> str:
    """One cell as csv.writer writes it (quoted when it must be), by csv.writer itself."""
    if not text:  # csv.writer quotes an empty field only when it is a row's only one
        return ""
    return _QUOTER.writerow([text])[:-2]


def export_chunks(
    cases: QuerySet[Case], chunk_size: int = CHUNK_ROWS, *, whole_list: bool = False
) -> Iterator[list[str]]:
    """The CSV for these cases as lines, a list of up to `chunk_size` at a time (the header
    is the first, alone).

    The database gives plain text (`_fetch`): no model objects and no field converters.
    Every label, formula guard and CSV quoting is worked out once per distinct value
    (`_Memo`), so a line costs a few dictionary lookups and one f-string; the fields unique
    to a row are the reference (quoted if it must be), the opening minute and the report
    count (digits and separators: never quoted) and the outcome, mostly empty.
    """
    status = _Memo(lambda value: field(STATUS.get(value, value)))
    severity = _Memo(lambda value: field(SEVERITY.get(value, value)))
    nature = _Memo(lambda value: field(NATURE.get(value, value)))
    school = _Memo(lambda name: field(cell(name)))
    lead = _Memo(lambda name: field(cell(name.strip())))
    reports = _Memo(lambda kinds: ",".join(map(field, conduct_summary(kinds))))
    decided = _Memo(_decided)
    formula = frozenset(FORMULA_STARTS)
    plain = _NEEDS_QUOTES.isdisjoint

    def reference_field(reference: str) -> str:
        return field(cell(reference))

    def outcome_field(actions: str | None, closed: str) -> str:
        done = decided[actions] if actions and actions != "[]" else ""
        return field(cell(f"{done} — {closed}" if done and closed else done or closed))

    yield [",".join(map(field, HEADER)) + "\r\n"]
    for chunk in _fetch(cases, chunk_size, whole_list):
        yield [
            (
                reference
                if reference[:1] not in formula and plain(reference)
                else reference_field(reference)
            )
            + f",{school[school_name]},{status[status_value]},{severity[severity_value]},"
            f"{nature[nature_value]},{lead[lead_name]},{opened},{reports[kinds]},"
            f"{outcome_field(actions, closed) if closed or actions != '[]' else ''}\r\n"
            for (
                reference,
                school_name,
                status_value,
                severity_value,
                nature_value,
                lead_name,
                opened,
                kinds,
                actions,
                closed,
            ) in chunk
        ]


def stream_csv(cases: QuerySet[Case]) -> Iterator[str]:
    """The CSV for a streaming response, a chunk of lines at a time."""
    for chunk in export_chunks(cases, chunk_size=STREAM_CHUNK_ROWS):
        yield "".join(chunk)


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
            done = -1  # the header is not a case
            for chunk in export_chunks(cases, whole_list=True):
                text.write("".join(chunk))
                done += len(chunk)
                if done and done % PROGRESS_EVERY == 0:
                    CaseExport.objects.filter(pk=export.pk).update(rows_done=done)
            text.flush()
            raw.seek(0)
            export.file.save(f"cases-{export.pk}.csv", File(raw), save=False)
            text.detach()
        export.rows_done = done
        export.rows_total = done
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
