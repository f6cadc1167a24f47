"""A model query compiled to SQL once and run many times with one parameter changed.

The case page's query (`access.get_case_for_user(page=True)`) reads the case with a dozen
short lists as JSON columns (`rows.JSONRows`). Django compiles a queryset to SQL on every
run, and for that query compiling costs about as much as the database takes to answer it.
Its SQL depends only on the user and their roles (already a cache key) and on the case's
reference, so it is compiled once with a marker in the reference's place; each run swaps
the marker's parameter for the reference and lets Django's own iterable build the objects
(select_related, annotations, converters) from the compiler the first compile filled in.

    frozen = FrozenQuery(cases.filter(reference=FrozenQuery.MARKER)[:1])
    case = frozen.first(reference)
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import connections
from django.db.models import QuerySet


class FrozenQuery:
    MARKER = "\x00frozen-sql-parameter\x00"

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, …
        params = tuple(params)
        if params.count(self.MARKER) != 1:
            raise ValueError("The queryset must hold the marker exactly once.")
        self.compiler, self.sql, self.params = compiler, sql, params
        self.index = params.index(self.MARKER)

    def first(self, value: Any) -> Any:
        """The first object the query gives with `value` in the marker's place, or None."""
        params = list(self.params)
        params[self.index] = value
        compiler = copy.copy(self.compiler)
        # This thread's connection (the first compile may have been made on another's).
        compiler.connection = connections[self.queryset.db]
        sql = self.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        queryset = self.queryset.all()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return next(iter(queryset), None)
