"""Small related lists read inside another query, as one JSON array each.

The case page shows a handful of short lists (meetings, referrals, the access log, bars,
restrictions, letters, tasks). Read one query each, they cost more in Django's query building
and round trips than in the database. `JSONRows(queryset, related=…)` turns a queryset
correlated with `OuterRef` into one column of the outer query — a JSON array of its rows, in
its order — and `rows_from_json` makes the model instances back from it, each field converted
as the database would have returned it. It works the same on SQLite and PostgreSQL.

    case = Case.objects.annotate(
        meeting_rows=JSONRows(Meeting.objects.filter(case=OuterRef("pk")), related=["person"])
    ).get(pk=…)
    meetings = rows_from_json(Meeting, case.meeting_rows, related=["person"])
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Expression, F, Subquery, TextField, Window
from django.db.models.functions import RowNumber
from django.utils import dateparse, timezone

# The key of a row's place in its queryset's order (sorted by in Python: an aggregate's input
# order is not something either database promises).
ORDER_KEY = "_n"


def _fields(model: type[models.Model], only: Sequence[str] | None) -> list[models.Field]:
    concrete = model._meta.concrete_fields
    if only is None:
        return list(concrete)
    wanted = set(only) | {model._meta.pk.attname}
    return [f for f in concrete if f.attname in wanted or f.name in wanted]


class RowObject(Expression):
    """A JSON object of a row's fields — the model's own (`path` "") or a related model's
    through the foreign key `path` — with `nested` objects under their names.

    Django's `JSONObject(name=F(...), ...)` would resolve each field on its own (a lookup
    and join search per field, tens of them per list); this resolves the join once and
    reads every column from its table alias."""

    output_field = models.JSONField()

    def __init__(
        self,
        model: type[models.Model],
        fields: list[models.Field],
        path: str = "",
        nested: dict[str, RowObject] | None = None,
    ):
        super().__init__()
        self.model, self.fields, self.path = model, fields, path
        self.nested = nested or {}
        self.cols: list[Any] = []

    def get_source_expressions(self) -> list[Any]:
        return [*self.cols, *self.nested.values()]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.cols = list(exprs[: len(self.cols)])
        self.nested = dict(zip(self.nested, exprs[len(self.cols) :], strict=True))

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        if self.cols:  # already resolved (an outer query resolving its subquery's OuterRefs)
            return super().resolve_expression(query, allow_joins, reuse, summarize, for_save)
        clone = self.copy()
        if self.path:
            # A field other than the key, so the join is made (not trimmed to the key).
            probe = next(f for f in self.fields if not f.primary_key)
            alias = query.resolve_ref(f"{self.path}__{probe.name}", allow_joins, reuse).alias
        else:
            alias = query.get_initial_alias()
        clone.cols = [f.get_col(alias) for f in self.fields]
        clone.nested = {
            name: obj.resolve_expression(query, allow_joins, reuse, summarize, for_save)
            for name, obj in self.nested.items()
        }
        return clone

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        names = [f.attname for f in self.fields] + list(self.nested)
        for name, expression in zip(names, self.get_source_expressions(), strict=True):
            if not SAFE_KEY.fullmatch(name):
                raise ValueError(f"Unexpected field name {name!r}")
            sql, more = compiler.compile(expression)
            parts.append(f"'{name}', {sql}")
            params.extend(more)
        function = "JSONB_BUILD_OBJECT" if connection.vendor == "postgresql" else "JSON_OBJECT"
        return f"{function}({', '.join(parts)})", params


SAFE_KEY = re.compile(r"[a-z_][a-z0-9_]*")


class JSONRows(Subquery):
    """One JSON array (as text) of the rows of `queryset`, which filters on `OuterRef`s.

    `related` names foreign keys whose objects come along (like `select_related`), with
    `fields` limiting the fields read: {"": [...]} for the model itself, {name: [...]} for a
    related model (None: all concrete fields)."""

    output_field = TextField()

    def __init__(
        self,
        queryset: models.QuerySet,
        *,
        related: Sequence[str] = (),
        fields: dict[str, Sequence[str] | None] | None = None,
    ):
        fields = fields or {}
        model = queryset.model
        row = RowObject(
            model,
            _fields(model, fields.get("")),
            nested={
                name: RowObject(
                    model._meta.get_field(name).related_model,
                    _fields(model._meta.get_field(name).related_model, fields.get(name)),
                    path=name,
                )
                for name in related
            },
        )
        order = [
            F(o[1:]).desc() if o.startswith("-") else F(o).asc()
            for o in (queryset.query.order_by or model._meta.ordering or ["pk"])
            if isinstance(o, str)
        ]
        # A slice (the last 50) applies after the annotations: taken off, put back.
        low, high = queryset.query.low_mark, queryset.query.high_mark
        query = queryset.query.chain()
        query.clear_limits()
        inner = (
            queryset.model._default_manager.all()
            .__class__(model=model, query=query)
            .annotate(_row=row, **{ORDER_KEY: Window(RowNumber(), order_by=order)})
            .values("_row", ORDER_KEY)
        )
        inner.query.set_limits(low, high)
        super().__init__(inner)

    def as_sql(self, compiler, connection, template=None, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        n = connection.ops.quote_name(ORDER_KEY)
        if connection.vendor == "postgresql":
            row = f"JSONB_SET(_r._row, '{{{ORDER_KEY}}}', TO_JSONB(_r.{n}))"
            agg = f"COALESCE(JSON_AGG({row})::text, '[]')"
        else:
            agg = f"COALESCE(JSON_GROUP_ARRAY(JSON_SET(_r._row, '$.{ORDER_KEY}', _r.{n})), '[]')"
        # Only constants and the compiled subquery (its values are parameters).
        return f"(SELECT {agg} FROM {sql} _r)", params  # noqa: S608


def _value(field: models.Field, value: Any) -> Any:
    """A JSON value as the database driver would have returned it for `field`."""
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        parsed = dateparse.parse_datetime(value)
        if parsed is not None and settings.USE_TZ and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, datetime.UTC)  # SQLite keeps UTC, naive
        return parsed
    if isinstance(field, models.DateField):
        return dateparse.parse_date(value)
    if isinstance(field, models.TimeField):
        return dateparse.parse_time(value)
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.JSONField):
        # SQLite's JSON_OBJECT embeds a JSON column's text as a string; PostgreSQL nests it.
        return json.loads(value) if isinstance(value, str) and _sqlite_json(value) else value
    if isinstance(field, (models.DecimalField, models.UUIDField, models.DurationField)):
        return field.to_python(value)
    if isinstance(field, models.FloatField):
        return float(value)
    return value


def _sqlite_json(value: str) -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def _instance(model: type[models.Model], data: dict[str, Any], only: Sequence[str] | None):
    fields = _fields(model, only)
    return model.from_db(
        None, [f.attname for f in fields], [_value(f, data.get(f.attname)) for f in fields]
    )


def rows_from_json(
    model: type[models.Model],
    text: str | None,
    *,
    related: Sequence[str] = (),
    fields: dict[str, Sequence[str] | None] | None = None,
) -> list:
    """The instances `JSONRows(…, related=…, fields=…)` read, in the queryset's order."""
    fields = fields or {}
    rows = json.loads(text or "[]", parse_float=decimal.Decimal)
    rows.sort(key=lambda r: r[ORDER_KEY])
    instances = []
    for data in rows:
        instance = _instance(model, data, fields.get(""))
        for name in related:
            field = model._meta.get_field(name)
            target = field.related_model
            nested = data.get(name) or {}
            pk_name = target._meta.pk.attname  # type: ignore[union-attr]
            value = (
                _instance(target, nested, fields.get(name))  # type: ignore[arg-type]
                if nested.get(pk_name) is not None
                else None
            )
            field.set_cached_value(instance, value)  # type: ignore[union-attr]
        instances.append(instance)
    return instances


# --- lists read with a case ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRows:
    """A list the case page reads inside the case's own query (see `get_case_for_user`).

    `rows(user)` is the queryset of one case's rows, filtered on `OuterRef("pk")` (the case)
    and by what `user` may see, or None when they may see none; `related` and `fields` as for
    `JSONRows`. It may depend on the user and their roles only: the page's query is built
    once per user and roles (`access._page_cases`)."""

    name: str
    model: type[models.Model]
    rows: Callable[[Any], models.QuerySet | None]
    related: tuple[str, ...] = ()
    fields: dict[str, Sequence[str] | None] | None = None


CASE_ROWS: dict[str, CaseRows] = {}


def case_rows_register(spec: CaseRows) -> None:
    """Add a list to those read with the case on its page (from an app's `AppConfig.ready`)."""
    CASE_ROWS[spec.name] = spec


def case_rows_annotations(user) -> dict[str, JSONRows]:
    annotations = {}
    for spec in CASE_ROWS.values():
        queryset = spec.rows(user)
        if queryset is not None:
            annotations[f"_rows_{spec.name}"] = JSONRows(
                queryset, related=spec.related, fields=spec.fields
            )
    return annotations


def case_rows_load(case: models.Model) -> None:
    """Turn the case's JSON columns into its `page_rows` (name → instances)."""
    loaded: dict[str, list] = {}
    for spec in CASE_ROWS.values():
        key = f"_rows_{spec.name}"
        if key in case.__dict__:
            text = case.__dict__.pop(key)
            loaded[spec.name] = rows_from_json(
                spec.model, text, related=spec.related, fields=spec.fields
            )
        else:
            loaded[spec.name] = []  # the user may see none of them
    case.page_rows = loaded  # type: ignore[attr-defined]


def case_rows(case: Any, name: str, read: Callable[[], Iterable[Any]]) -> list:
    """The case's `name` rows as read with it for its page, else `read()` (one query)."""
    preloaded = getattr(case, "page_rows", None)
    if preloaded is not None and name in preloaded:
        return preloaded[name]
    return list(read())
