"""How many rows a list has, at any table size: exact up to :data:`EXACT_UP_TO`, estimated beyond.

An exact ``COUNT(*)`` reads every matching index entry: at 10 million Auths it takes 0.3 s for a filter matching half
of them and 0.7 s for the whole table, on every page of the list. So a list is counted through at most
``EXACT_UP_TO + 1`` rows (``SELECT count(*) FROM (… LIMIT n)``); a list that has more is, on PostgreSQL, given the
planner's estimate (the table's size for an unfiltered list, the query plan's row estimate otherwise), never less
than ``EXACT_UP_TO + 1``, and said to be an estimate. Other backends (SQLite, the embedded default) count exactly.

The API's ``x-pagination`` header and the admin's changelists count with :func:`count_rows`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

#: Lists of at most this many rows are counted exactly everywhere.
EXACT_UP_TO = 100_000


@dataclass(frozen=True)
class RowCount:
    value: int
    exact: bool


def count_rows(queryset: QuerySet) -> RowCount:
    exact_up_to = EXACT_UP_TO
    counted = queryset.order_by()[: exact_up_to + 1].count()
    if counted <= exact_up_to or connections[queryset.db].vendor != "postgresql":
        return RowCount(counted if counted <= exact_up_to else queryset.count(), True)
    estimate = table_estimate(queryset) if is_unfiltered(queryset) else plan_estimate(queryset)
    return RowCount(max(estimate or 0, exact_up_to + 1), False)


def is_unfiltered(queryset: QuerySet) -> bool:
    query = queryset.query
    return (
        not query.where
        and not query.distinct
        and not query.combinator
        and query.low_mark == 0
        and query.high_mark is None
        and not query.extra
    )


def table_estimate(queryset: QuerySet) -> int | None:
    """Rows in the queryset's table by the PostgreSQL planner's estimate (``pg_class.reltuples`` scaled to the
    table's current size, as the planner does); None if unknown or not PostgreSQL."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN c.reltuples < 0 OR c.relpages = 0 THEN NULL ELSE (c.reltuples / c.relpages * "
            "(pg_relation_size(c.oid) / current_setting('block_size')::int))::bigint END "
            "FROM pg_class c WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def plan_estimate(queryset: QuerySet) -> int | None:
    """The rows PostgreSQL's planner expects the queryset to return (``EXPLAIN``, which runs nothing)."""
    connection = connections[queryset.db]
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])
