"""Helpers of the synthetic-data generators (``generate_auths``, ``generate_care_cases``): rows written in bulk, in
the tables' column order, with their keys reserved from the API's key sequence and their '+' history rows.

PostgreSQL: ``COPY … FROM STDIN`` of rows as COPY's text (:func:`copy_text`, :func:`copy_rows`); SQLite:
``executemany`` of tuples (:func:`insert_rows`). A generator writes one chunk per transaction, then
:func:`vacuum_analyze` once at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.core.management.base import CommandError
from django.db import connections, models
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from config.records.batch import allocate_keys
from config.records.writers import History, TableSQL, table_sql


def copy_text(value: Any) -> str:
    """One value as ``COPY``'s text: ``\\N`` for None, ``t``/``f`` for booleans, else ``str()`` (generated text
    holds no tab, newline or backslash)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def copy_line(values: Iterable[Any]) -> str:
    """A row's values as one line of ``COPY``'s text."""
    return "\t".join(map(copy_text, values))


def copy_rows(cursor: Any, sql: TableSQL, lines: Iterable[str]) -> None:
    """``COPY … FROM STDIN`` of ``lines`` (rows as COPY's text, in the table's column order), 2,000 a write."""
    with cursor.cursor.copy(f"COPY {sql.table} ({sql.column_list}) FROM STDIN") as copy:
        buffer: list[str] = []
        for line in lines:
            buffer.append(line)
            if len(buffer) == 2000:
                copy.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            copy.write("\n".join(buffer) + "\n")


def insert_rows(cursor: Any, sql: TableSQL, rows: Iterable[Sequence[Any]]) -> None:
    """``executemany`` of ``rows`` (tuples in the table's column order)."""
    placeholders = ", ".join(["%s"] * len(sql.fields))
    cursor.executemany(f"INSERT INTO {sql.table} ({sql.column_list}) VALUES ({placeholders})", list(rows))


def reserve_keys(resource: Any, using: str, count: int) -> range:
    """``count`` keys reserved from the resource's key sequence (the API assigns after them), as a range."""
    if not count:
        return range(0)
    keys = allocate_keys(resource, count, using)
    if keys[-1] > resource.max_key:
        raise CommandError(f"No {resource.label} key above the largest one in use is left (at most {resource.max_key})")
    return range(keys[0], keys[-1] + 1)


def history_of_range(model: type[models.Model], using: str, keys: range, when: dt.datetime) -> None:
    """A '+' history row for each row of ``model`` whose key is in ``keys`` (a contiguous range): one
    ``INSERT … SELECT``, one range scan of the key index."""
    if not keys:
        return
    connection = connections[using]
    sql = table_sql(model, connection.vendor)
    insert, names = sql.history_insert  # (… WHERE s.<key>)
    params = History(None, when, None, ()).params(names, history_type="+")
    with connection.cursor() as cursor:
        cursor.execute(f"{insert} BETWEEN %s AND %s", [*params, keys[0], keys[-1]])


def vacuum_analyze(using: str, written: Iterable[type[models.Model]]) -> str:
    """PostgreSQL: ``VACUUM (ANALYZE)`` of the tables of ``written`` and their history tables; returns what ran.

    VACUUM sets the visibility map, so counts can be index-only scans right away (ANALYZE alone leaves that to
    autovacuum); it cannot run inside a transaction (tests), where ANALYZE does. Nothing on another database."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return ""
    maintenance = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in written:
            for table in (model, model.history.model):  # type: ignore[attr-defined]
                cursor.execute(f'{maintenance} "{table._meta.db_table}"')
    return maintenance


@contextlib.contextmanager
def progress(stdout: Any, label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar when ``stdout`` is a terminal; silent otherwise. Yields ``advance(n)``."""
    if not stdout.isatty():
        yield lambda n: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TimeRemainingColumn()) as bar:
        task = bar.add_task("rows", total=total)
        yield lambda n: bar.advance(task, n)
