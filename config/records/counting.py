"""How many rows a list has, at any table size: exact up to :data:`EXACT_UP_TO`, estimated beyond.

An exact ``COUNT(*)`` reads every matching index entry: at 10 million Auths it takes 0.3 s for a filter matching half
of them and 0.7 s for the whole table, on every page of the list. So a list is counted through at most
``EXACT_UP_TO + 1`` rows (``SELECT count(*) FROM (… LIMIT n)``); a list that has more is, on PostgreSQL, given the
planner's estimate (the table's size for an unfiltered list, the query plan's row estimate otherwise), never less
than ``EXACT_UP_TO + 1``, and said to be an estimate. Other backends (SQLite, the embedded default) count exactly.

The API's ``x-pagination`` header and the admin's changelists count with :func:`count_rows`. The API reuses a list's
count for its next pages (:func:`count_rows_reused`): paging through 50,000 matching Auths 20 at a time would
otherwise count them on each of 2,500 pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

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


# -- counts reused across pages ---------------------------------------------------------------------------------


def _version_key(alias: str, table: str) -> str:
    return f"vba-count-version:{alias}:{table}"


def count_rows_reused(queryset: QuerySet) -> RowCount:
    """:func:`count_rows`, reused for ``VBA_COUNT_CACHE_SECONDS`` by every request listing the same rows (same
    database, same filters; any page, size or order) through the shared cache.

    Each table has a version in the cache, changed by every write of the batch engine (the API, the ``upsert_*``
    commands) and every ORM save or delete (the admin's) in that database (:func:`tables_changed`); a count is
    reused only under the version it was made at, so those writes show in the next page's count. A change made
    otherwise (another program writing the database) shows within ``VBA_COUNT_CACHE_SECONDS``.
    If the cache fails, the list is counted."""
    ttl = settings.VBA_COUNT_CACHE_SECONDS
    if ttl <= 0:
        return count_rows(queryset)
    alias = queryset.db
    sql, params = queryset.order_by().values_list("pk").query.sql_with_params()  # the rows' identity, cheaply
    text = f"{alias}\0{sql}\0{params!r}".encode("utf-8", "surrogatepass")
    count_key = "vba-count:" + hashlib.sha256(text).hexdigest()
    version_key = _version_key(alias, queryset.model._meta.db_table)
    try:
        found = cache.get_many([version_key, count_key])
    except Exception:  # the cache is away: count (the rate limiter reports the cache's state)
        return count_rows(queryset)
    version = found.get(version_key, "")
    entry = found.get(count_key)
    if isinstance(entry, tuple) and len(entry) == 3 and entry[0] == version:
        return RowCount(int(entry[1]), bool(entry[2]))
    total = count_rows(queryset)
    with contextlib.suppress(Exception):  # not kept: the next page counts again
        cache.set(count_key, (version, total.value, total.exact), ttl)
    return total


def tables_changed(alias: str, *models: type[Model]) -> None:
    """Rows of ``models``' tables in database ``alias`` were (or may have been) written: their lists are counted
    again. Called after the write has committed (or within the transaction, and again on its commit)."""
    keys = [_version_key(alias, model._meta.db_table) for model in models]
    with contextlib.suppress(Exception):  # the cache is away: the rate limiter's breaker reports it once per outage,
        cache.set_many(dict.fromkeys(keys, uuid.uuid4().hex), None)  # and counts kept before it expire in their TTL


def tables_written(alias: str, *models: type[Model]) -> None:
    """:func:`tables_changed` now and, inside a transaction, again once it commits (a count made meanwhile saw the
    rows before the commit)."""
    tables_changed(alias, *models)
    if connections[alias].in_atomic_block:
        transaction.on_commit(lambda: tables_changed(alias, *models), using=alias)


def _model_written(sender: type[Model], using: str, **kwargs: Any) -> None:
    from config.records.databases import is_vba_database

    if is_vba_database(using):
        tables_written(using, sender)


post_save.connect(_model_written, dispatch_uid="counting-model-saved")
post_delete.connect(_model_written, dispatch_uid="counting-model-deleted")
