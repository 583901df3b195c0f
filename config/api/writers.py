"""How validated rows reach the database: raw-SQL bulk upserts and one-statement history, per backend.

- PostgreSQL: ``COPY`` into a session temp table, then one ``INSERT … SELECT … ORDER BY key ON CONFLICT DO UPDATE …
  WHERE <values changed> RETURNING key``.
- SQLite: multi-row ``INSERT … VALUES … ON CONFLICT DO UPDATE … WHERE <values changed> RETURNING key``.

Only rows whose values changed (audit columns aside) are updated and returned; their history rows are then written by
one ``INSERT … SELECT`` from the table itself, so a record sent again unchanged costs no write and no history row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import connections, models

AUDIT_COLUMNS_KEPT_ON_UPDATE = ("entry_date", "entry_user")
AUDIT_COLUMNS_NOT_COMPARED = ("entry_date", "entry_user", "update_date", "update_user")
SQLITE_MAX_VARIABLES = 32766


@dataclass
class TableSQL:
    """The statements of one model on one backend, built once."""

    model: type[models.Model]
    vendor: str
    keep_audit: bool = False  # a staff import: every audit column is written and compared

    @cached_property
    def fields(self) -> list[models.Field]:
        return list(self.model._meta.concrete_fields)

    @cached_property
    def attnames(self) -> list[str]:
        return [f.attname for f in self.fields]

    def q(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    @cached_property
    def table(self) -> str:
        return self.q(self.model._meta.db_table)

    @cached_property
    def pk_column(self) -> str:
        return self.q(str(self.model._meta.pk.column))

    @cached_property
    def column_list(self) -> str:
        return ", ".join(self.q(str(f.column)) for f in self.fields)

    @cached_property
    def conflict_clause(self) -> str:
        pk = self.model._meta.pk.attname
        kept, not_compared = ((), ()) if self.keep_audit else (AUDIT_COLUMNS_KEPT_ON_UPDATE, AUDIT_COLUMNS_NOT_COMPARED)
        updated = [f for f in self.fields if f.attname != pk and f.attname not in kept]
        compared = [f for f in updated if f.attname not in not_compared]
        assignments = ", ".join(f"{self.q(str(f.column))} = excluded.{self.q(str(f.column))}" for f in updated)
        left = ", ".join(f"t.{self.q(str(f.column))}" for f in compared)
        right = ", ".join(f"excluded.{self.q(str(f.column))}" for f in compared)
        different = "IS DISTINCT FROM" if self.vendor == "postgresql" else "IS NOT"
        return (
            f"ON CONFLICT ({self.pk_column}) DO UPDATE SET {assignments} "
            f"WHERE ({left}) {different} ({right}) RETURNING {self.pk_column}"
        )

    def sqlite_converters(self, ops: Any) -> list[Callable[[Any], Any] | None]:
        """SQLite stores datetimes and decimals the way Django's backend adapts them."""
        out: list[Callable[[Any], Any] | None] = []
        for f in self.fields:
            if isinstance(f, models.DateTimeField):
                out.append(_sqlite_datetime)
            elif isinstance(f, models.DecimalField):
                out.append(lambda v: None if v is None else str(v))
            else:
                out.append(None)
        return out

    # history -----------------------------------------------------------------------------------------------
    @cached_property
    def history_model(self) -> type[models.Model]:
        return self.model.history.model  # type: ignore[attr-defined,no-any-return]

    @cached_property
    def history_insert(self) -> tuple[str, str]:
        """``INSERT INTO history (…) SELECT …`` up to the key filter, and the names of the parameters it takes."""
        tracked = {f.attname for f in self.history_model.tracked_fields}  # type: ignore[attr-defined]
        columns, selects = [], []
        for f in self.history_model._meta.concrete_fields:
            if f.attname == "history_id":
                continue
            columns.append(self.q(str(f.column)))
            if f.attname in tracked:
                selects.append(f"t.{self.q(str(f.column))}")
            elif f.attname in ("history_date", "history_type", "history_user_id", "activity_id"):
                selects.append("%s")
            else:
                selects.append("NULL")
        params = [
            f.attname
            for f in self.history_model._meta.concrete_fields
            if f.attname in ("history_date", "history_type", "history_user_id", "activity_id")
        ]
        sql = (
            f"INSERT INTO {self.q(self.history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(selects)} FROM {self.table} t WHERE t.{self.pk_column}"
        )
        return sql, ",".join(params)


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django's SQLite backend stores for an aware datetime (with USE_TZ): naive UTC, ``str()``-formatted."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


_SQL: dict[tuple[type[models.Model], str, bool], TableSQL] = {}


def table_sql(model: type[models.Model], vendor: str, keep_audit: bool = False) -> TableSQL:
    key = (model, vendor, keep_audit)
    if key not in _SQL:
        _SQL[key] = TableSQL(model, vendor, keep_audit)
    return _SQL[key]


def upsert_rows(
    model: type[models.Model], using: str, rows: Sequence[dict[str, Any]], *, keep_audit: bool = False
) -> set[Any]:
    """Insert or update ``rows`` (attname → value, every concrete field, sorted by key); return the keys of the rows
    inserted or actually changed."""
    if not rows:
        return set()
    connection = connections[using]
    sql = table_sql(model, connection.vendor, keep_audit)
    if connection.vendor == "postgresql":
        return _upsert_postgresql(connection, sql, rows)
    return _upsert_sqlite(connection, sql, rows)


def _upsert_postgresql(connection: Any, sql: TableSQL, rows: Sequence[dict[str, Any]]) -> set[Any]:
    temp = sql.q(f"batch_{sql.model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {sql.table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {temp}")
        with cursor.cursor.copy(f"COPY {temp} ({sql.column_list}) FROM STDIN") as copy:
            attnames = sql.attnames
            for row in rows:
                copy.write_row([row[a] for a in attnames])
        cursor.execute(
            f"INSERT INTO {sql.table} AS t ({sql.column_list}) SELECT {sql.column_list} FROM {temp} "
            f"ORDER BY {sql.pk_column} {sql.conflict_clause}"
        )
        return {row[0] for row in cursor.fetchall()}


def _upsert_sqlite(connection: Any, sql: TableSQL, rows: Sequence[dict[str, Any]]) -> set[Any]:
    converters = [(i, c) for i, c in enumerate(sql.sqlite_converters(connection.ops)) if c is not None]
    width = len(sql.fields)
    per_statement = max(1, SQLITE_MAX_VARIABLES // width)
    placeholder = "(" + ", ".join(["?"] * width) + ")"
    written: set[Any] = set()
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        attnames = sql.attnames
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for row in chunk:
                values = [row[a] for a in attnames]
                for i, convert in converters:
                    values[i] = convert(values[i])
                params.extend(values)
            raw.execute(
                f"INSERT INTO {sql.table} AS t ({sql.column_list}) VALUES "
                f"{', '.join([placeholder] * len(chunk))} {sql.conflict_clause}",
                params,
            )
            written.update(row[0] for row in raw.fetchall())
    finally:
        raw.close()
    return written


def insert_history(
    model: type[models.Model],
    using: str,
    keys_by_type: Iterable[tuple[str, Sequence[Any]]],
    *,
    user_id: Any,
    when: dt.datetime,
    activity_id: str | None,
) -> None:
    """One ``INSERT … SELECT`` per history type ('+', '~') copying the rows of ``keys`` from the table."""
    connection = connections[using]
    sql = table_sql(model, connection.vendor)
    insert, param_names = sql.history_insert
    for history_type, keys in keys_by_type:
        if not keys:
            continue
        values = {
            "history_date": when,
            "history_type": history_type,
            "history_user_id": user_id,
            "activity_id": activity_id,
        }
        params = [values[name] for name in param_names.split(",")]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"{insert} = ANY(%s)", [*params, list(keys)])
            else:
                for start in range(0, len(keys), 30000):
                    chunk = list(keys[start : start + 30000])
                    cursor.execute(f"{insert} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])
