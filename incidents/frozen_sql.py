"""A model query compiled to SQL once and run many times with one parameter changed.

The case page's query (`access.get_case_for_user(page=True)`) reads the case with a dozen
short lists as JSON columns (`rows.JSONRows`). Django compiles a queryset to SQL on every
run, and for that query compiling costs about as much as the database takes to answer it.
Its SQL depends only on the user and their roles (already a cache key) and on the case's
reference, so it is compiled once with a marker in the reference's place; each run swaps
the marker's parameter for the reference and lets Django's own iterable build the objects
(select_related, annotations, converters) from the compiler the first compile filled in.

On PostgreSQL the statement is also PREPAREd, once per database connection (connections are
kept, CONN_MAX_AGE), and run with EXECUTE: planning its dozen correlated subqueries took
longer than running them. The prepared text is the SQL exactly as the driver would send it
(psycopg binds parameters client-side) with the marker's literal as `$1`. Prepared
statements outlive a rolled-back transaction and end with the connection; the name is a
hash of the text, so users whose queries are the same share one. At most `PREPARED_MAX` are
kept on a connection (then the least recently run is DEALLOCATEd), and none where the database
settings say a transaction-mode pooler sits between (`DISABLE_SERVER_SIDE_CURSORS`, as for
pgbouncer: a prepared statement would live on a server connection the next request may not
get). A deploy that changes the tables restarts the web processes, which closes their
connections and the statements with them.

    frozen = FrozenQuery(cases.filter(reference=FrozenQuery.MARKER)[:1])
    case = frozen.first(reference)
"""

from __future__ import annotations

import copy
import hashlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Per driver connection: the names of the statements prepared on it, least recently run first.
_PREPARED: weakref.WeakKeyDictionary[Any, dict[str, None]] = weakref.WeakKeyDictionary()
PREPARED_MAX = 100


class FrozenQuery:
    MARKER = "frozen-sql-parameter:5f0c2a91d3"

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, …
        params = tuple(params)
        if params.count(self.MARKER) != 1:
            raise ValueError("The queryset must hold the marker exactly once.")
        self.compiler, self.sql, self.params = compiler, sql, params
        self.index = params.index(self.MARKER)
        self.prepare = ""
        connection = connections[queryset.db]
        if _may_prepare(connection):
            ops: Any = connection.ops
            text = ops.compose_sql(sql, params)
            literal = ops.compose_sql("%s", [self.MARKER])
            if text.count(literal) == 1:
                text = text.replace(literal, "$1")
                self.name = "frozen_" + hashlib.sha256(text.encode()).hexdigest()[:24]
                self.prepare = f"PREPARE {self.name} (text) AS {text}"

    def first(self, value: Any) -> Any:
        """The first object the query gives with `value` in the marker's place, or None."""
        params = list(self.params)
        params[self.index] = value
        compiler = copy.copy(self.compiler)
        # This thread's connection (the first compile may have been made on another's).
        connection = compiler.connection = connections[self.queryset.db]
        sql = self.sql
        if self.prepare:
            sql, params = self._prepared(connection), [value]
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        queryset = self.queryset.all()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return next(iter(queryset), None)

    def _prepared(self, connection: Any) -> str:
        """EXECUTE of the statement, PREPAREd first on this connection if it is not yet."""
        _prepare_once(connection, self.name, self.prepare)
        return f"EXECUTE {self.name}(%s)"


def _prepare_once(connection: Any, name: str, prepare: str) -> None:
    """Run `prepare` (PREPARE name …) on this connection unless it has been already; with
    `PREPARED_MAX` statements on it, the least recently run one is DEALLOCATEd first (one at
    a time: a page's statements prepared on one visit are all there on the next)."""
    connection.ensure_connection()
    names = _PREPARED.setdefault(connection.connection, {})
    if name in names:
        names[name] = names.pop(name)  # the most recently run now
        return
    with connection.cursor() as cursor:
        while len(names) >= PREPARED_MAX:
            oldest = next(iter(names))
            cursor.execute(f"DEALLOCATE {oldest}")
            del names[oldest]
        cursor.execute(prepare)
    names[name] = None


def _may_prepare(connection: Any) -> bool:
    """PostgreSQL, and no transaction-mode pooler in between (`DISABLE_SERVER_SIDE_CURSORS`:
    a statement would be prepared on a server connection the next request may not get)."""
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    )


class Statement:
    """SQL and parameters fixed for good (a caller's key names everything they are made of),
    run again and again. On PostgreSQL the parameters are bound into the text once — as
    psycopg, which binds client-side, would on every run, after parsing the placeholders of
    any statement longer than 4 kB again each time — and the statement is PREPAREd once per
    connection (as `FrozenQuery`'s, by a hash of its text), so PostgreSQL does not plan it
    again either: for the dashboard's queries planning took longer than running them."""

    def __init__(self, using: str, sql: str, params: Any):
        self.using, self.sql = using, sql
        self.params: tuple | None = tuple(params)
        self.name = self.prepare = ""
        connection = connections[using]
        if connection.vendor == "postgresql":
            ops: Any = connection.ops
            self.sql, self.params = ops.compose_sql(sql, self.params), None
            if _may_prepare(connection):
                self.name = "compiled_" + hashlib.sha256(self.sql.encode()).hexdigest()[:24]
                self.prepare = f"PREPARE {self.name} AS {self.sql}"

    def to_run(self) -> tuple[str, tuple | None]:
        """The SQL and parameters to execute on this thread's connection now."""
        if not self.prepare:
            return self.sql, self.params
        _prepare_once(connections[self.using], self.name, self.prepare)
        return f"EXECUTE {self.name}", None


class CompiledQuery:
    """A queryset compiled to SQL once, for a caller that knows everything its SQL and
    parameters are made of (a key): each run sends the same `Statement` and lets Django's
    own iterable build the objects (select_related, annotations, converters) from the
    compiler the first compile filled in."""

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.statement: Statement | None
        try:
            sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, …
        except EmptyResultSet:  # nothing can match (an empty `__in`): no query at all
            self.statement = None
            return
        self.compiler = compiler
        self.statement = Statement(queryset.db, sql, params)

    def all(self) -> list:
        """The query's objects, as `list(queryset)` gives them."""
        if self.statement is None:
            return []
        sql, params = self.statement.to_run()
        compiler = copy.copy(self.compiler)
        # This thread's connection (the first compile may have been made on another's).
        compiler.connection = connections[self.queryset.db]
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        queryset = self.queryset.all()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return list(queryset)


class KeptPerThread:
    """Values made once per key in each process and thread (a compiled query holds a
    compiler, which is not for sharing between threads), at most `limit` of them: past that
    all are dropped and made again as they are asked for (a new day is a new key anyway)."""

    def __init__(self, limit: int = 500):
        self.limit = limit
        self._values: dict[tuple, Any] = {}

    def get(self, using: str, key: tuple, make: Callable[[], Any]) -> Any:
        key = (using, threading.get_ident(), *key)
        try:
            return self._values[key]
        except KeyError:
            pass
        value = make()
        if len(self._values) >= self.limit:
            self._values.clear()
        self._values[key] = value
        return value


# Compiled queries by their callers' keys (`compiled_rows`).
_COMPILED = KeptPerThread()


def compiled_rows(key: tuple, using: str, build: Callable[[], QuerySet]) -> list:
    """`list(build())` on the database `using`: the queryset built and compiled once per
    `key` (which must name everything its SQL and parameters are made of) in each process
    and thread, then only run."""
    return _COMPILED.get(using, key, lambda: CompiledQuery(build().using(using))).all()
