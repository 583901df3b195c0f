"""How validated rows reach the database: raw-SQL bulk upserts and their history rows, per backend.

- PostgreSQL: ``COPY`` into a session temp table, then one statement: ``WITH up AS (INSERT … SELECT … ORDER BY key
  ON CONFLICT DO UPDATE … WHERE <values changed> RETURNING t.*, xmax = 0), h AS (INSERT INTO history … SELECT …
  FROM up) SELECT key, inserted FROM up`` (the history rows are written from the rows the upsert returns: no second
  pass). A row the statement inserted has no ``xmax`` yet; one it updated has the lock it took on the row.
- SQLite: multi-row ``INSERT … VALUES … ON CONFLICT DO UPDATE … WHERE <values changed> RETURNING key``, then one
  ``INSERT … SELECT`` per history type from the table itself.

Only rows whose values changed (audit columns aside) are updated and returned, and only they leave a history row, so
a record sent again unchanged costs no write and no history row.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import connections, models

AUDIT_COLUMNS_KEPT_ON_UPDATE = ("entry_date", "entry_user")
AUDIT_COLUMNS_NOT_COMPARED = ("entry_date", "entry_user", "update_date", "update_user")
SQLITE_MAX_VARIABLES = 32766
#: The column of PostgreSQL's upsert that says whether it inserted the row (no table has it).
INSERTED = "vbapi_inserted"
#: History columns whose value is a parameter of the statement that writes the history rows.
HISTORY_PARAMS = ("history_date", "history_type", "history_user_id", "activity_id")


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
        return f"ON CONFLICT ({self.pk_column}) DO UPDATE SET {assignments} WHERE ({left}) {different} ({right})"

    @cached_property
    def datetime_positions(self) -> list[int]:
        return [i for i, f in enumerate(self.fields) if isinstance(f, models.DateTimeField)]

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
    def history_columns(self) -> list[tuple[str, str | None]]:
        """The history table's columns but ``history_id``: ``(quoted column, tracked column it copies)``; a column
        that copies none takes a parameter (:data:`HISTORY_PARAMS`) or NULL."""
        tracked = {f.attname for f in self.history_model.tracked_fields}  # type: ignore[attr-defined]
        return [
            (self.q(str(f.column)), str(f.column) if f.attname in tracked else None)
            for f in self.history_model._meta.concrete_fields
            if f.attname != "history_id"
        ]

    def history_select(self, source: str, history_type: str = "%s") -> tuple[str, list[str]]:
        """``INSERT INTO history (…) SELECT … FROM <source>`` and the names of the parameters it takes, in order
        (``history_type`` may be an SQL expression, without parameters, instead of a parameter)."""
        by_column = {str(f.column): f.attname for f in self.history_model._meta.concrete_fields}
        columns, selects, params = [], [], []
        for column, copied in self.history_columns:
            columns.append(column)
            attname = by_column[column[1:-1].replace('""', '"')]
            if copied is not None:
                selects.append(f"s.{self.q(copied)}")
            elif attname == "history_type" and history_type != "%s":
                selects.append(history_type)
            elif attname in HISTORY_PARAMS:
                selects.append("%s")
                params.append(attname)
            else:
                selects.append("NULL")
        sql = (
            f"INSERT INTO {self.q(self.history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(selects)} FROM {source} s"
        )
        return sql, params

    @cached_property
    def history_insert(self) -> tuple[str, list[str]]:
        """``INSERT INTO history (…) SELECT … FROM table`` up to the key filter, and its parameters' names."""
        sql, params = self.history_select(self.table)
        return f"{sql} WHERE s.{self.pk_column}", params

    @cached_property
    def upsert_with_history(self) -> tuple[str, list[str]]:
        """PostgreSQL: the upsert from the temp table ``{temp}`` and its history rows in one statement (a
        data-modifying CTE): ``'+'`` for the rows it inserted, ``'~'`` for the others; it returns each inserted or
        changed row's key and whether it was inserted. Returns the statement and its parameters' names."""
        history, params = self.history_select("up", f"CASE WHEN s.{INSERTED} THEN '+' ELSE '~' END")
        sql = (
            f"WITH up AS (INSERT INTO {self.table} AS t ({self.column_list}) SELECT {self.column_list} "
            f"FROM {{temp}} ORDER BY {self.pk_column} {self.conflict_clause} RETURNING t.*, t.xmax = 0 AS {INSERTED}"
            f"), h AS ({history}) SELECT {self.pk_column}, {INSERTED} FROM up"
        )
        return sql, params


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


@dataclass(frozen=True)
class History:
    """The history rows a write leaves: who, when, under which request. ``existing``: the keys that existed
    before the write, where it was read before (SQLite); None where the write says which rows it inserted
    (PostgreSQL, :func:`reports_inserts`)."""

    user_id: Any
    when: dt.datetime
    activity_id: str | None
    existing: Collection[Any] | None

    def params(self, names: Iterable[str], **values: Any) -> list[Any]:
        known = {"history_date": self.when, "history_user_id": self.user_id, "activity_id": self.activity_id}
        known.update(values)
        return [known[name] for name in names]


def reports_inserts(using: str) -> bool:
    """Whether :func:`upsert_rows` on ``using`` tells inserted rows from updated ones by itself (PostgreSQL), so
    that nothing need be read, nor locked, before it."""
    return connections[using].vendor == "postgresql"


def upsert_rows(
    model: type[models.Model],
    using: str,
    rows: Sequence[dict[str, Any]],
    *,
    keep_audit: bool = False,
    history: History,
) -> dict[Any, bool]:
    """Insert or update ``rows`` (attname → value, every concrete field, sorted by key); return ``{key: inserted}``
    of the rows inserted or actually changed, each of which leaves its history row (on PostgreSQL in the same
    statement). SQLite tells inserts from updates by ``history.existing``."""
    if not rows:
        return {}
    connection = connections[using]
    sql = table_sql(model, connection.vendor, keep_audit)
    if connection.vendor == "postgresql":
        return _upsert_postgresql(connection, sql, rows, history)
    existing = set(history.existing or ())
    written = {key: key not in existing for key in _upsert_sqlite(connection, sql, rows)}
    insert_history(
        model,
        using,
        [
            ("+", sorted(key for key, new in written.items() if new)),
            ("~", sorted(k for k, n in written.items() if not n)),
        ],
        user_id=history.user_id,
        when=history.when,
        activity_id=history.activity_id,
    )
    return written


def _upsert_postgresql(
    connection: Any, sql: TableSQL, rows: Sequence[dict[str, Any]], history: History
) -> dict[Any, bool]:
    temp = sql.q(f"batch_{sql.model._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} (LIKE {sql.table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {temp}")
        # (psycopg's own COPY raises psycopg's errors: as Django's, as its cursors do, the engine can tell them apart)
        with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {temp} ({sql.column_list}) FROM STDIN") as copy:
            # each distinct datetime as COPY's text (with its offset)
            for line in _column_values(sql, rows, sql.datetime_positions, dt.datetime.isoformat):
                copy.write_row(line)
        statement, names = sql.upsert_with_history
        cursor.execute(statement.replace("{temp}", temp), history.params(names))
        return dict(cursor.fetchall())


def existing_keys(model: type[models.Model], using: str, keys: Sequence[Any]) -> set[Any]:
    """Which of ``keys`` are in the table (raw SQL: the ORM prepares each of a thousand keys as a lookup value)."""
    connection = connections[using]
    sql = table_sql(model, connection.vendor)
    found: set[Any] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 30000):
            chunk = list(keys[start : start + 30000])
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT {sql.pk_column} FROM {sql.table} WHERE {sql.pk_column} IN ({placeholders})", chunk)
            found.update(row[0] for row in cursor.fetchall())
    return found


def _column_values(
    sql: TableSQL, rows: Iterable[dict[str, Any]], datetimes: Sequence[int], convert: Callable[[Any], Any]
) -> Iterator[list[Any]]:
    """Each row's values in column order, the datetimes at positions ``datetimes`` converted by ``convert``. A
    batch's datetimes repeat (the audit stamps, an item's from/thru dates), and the datetime objects are shared where
    the texts were (the date parser reads each distinct text once): each distinct datetime is converted once."""
    values_of = operator.itemgetter(*sql.attnames)
    converted: dict[Any, Any] = {None: None}
    for row in rows:
        values = list(values_of(row))
        for i in datetimes:
            value = values[i]
            text = converted.get(value, converted)
            if text is converted:
                text = converted[value] = convert(value)
            values[i] = text
        yield values


def _sqlite_params(sql: TableSQL, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Any]:
    """The rows' values in column order, as SQLite stores them (each distinct datetime converted once)."""
    converters = sql.sqlite_converters(connection.ops)
    datetimes = [i for i, c in enumerate(converters) if c is _sqlite_datetime]
    others = [(i, c) for i, c in enumerate(converters) if c is not None and c is not _sqlite_datetime]
    params: list[Any] = []
    for values in _column_values(sql, rows, datetimes, _sqlite_datetime):
        for i, convert in others:
            values[i] = convert(values[i])
        params.extend(values)
    return params


def _upsert_sqlite(connection: Any, sql: TableSQL, rows: Sequence[dict[str, Any]]) -> set[Any]:
    width = len(sql.fields)
    per_statement = max(1, SQLITE_MAX_VARIABLES // width)
    placeholder = "(" + ", ".join(["?"] * width) + ")"
    written: set[Any] = set()
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        # (the raw cursor raises sqlite3's errors: as Django's, as its own cursors do, the engine can tell them apart)
        with connection.wrap_database_errors:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                params = _sqlite_params(sql, connection, chunk)
                raw.execute(
                    f"INSERT INTO {sql.table} AS t ({sql.column_list}) VALUES "
                    f"{', '.join([placeholder] * len(chunk))} {sql.conflict_clause} RETURNING {sql.pk_column}",
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
        params = History(user_id, when, activity_id, ()).params(param_names, history_type=history_type)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"{insert} = ANY(%s)", [*params, list(keys)])
            else:
                for start in range(0, len(keys), 30000):
                    chunk = list(keys[start : start + 30000])
                    cursor.execute(f"{insert} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])
