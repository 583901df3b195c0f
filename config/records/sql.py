"""VBA records rendered as JSON by PostgreSQL: the fast path of the JSON and NDJSON exports (``export_*`` and the
admin's Export).

The reference is the Python path (:meth:`~config.records.specs.RecordSpec.render_row` then
:class:`~config.records.files.RecordEncoder`), which SQLite, CSV and any record this module cannot render take.
Here PostgreSQL writes the same bytes, one line per record, with nothing built in Python per value:

- the JSON names in the model's field order, ``", "`` and ``": "`` between them (Python's separators);
- a string: ``to_json``, which escapes what Python's encoder escapes without ``ensure_ascii`` and nothing else
  (``"``, ``\\``, and each character below U+0020: ``\\b \\f \\n \\r \\t`` by letter, the others as ``\\u00xx``);
  in a row whose strings hold none of those (one check a row), each string is only put between quotes;
- a date-time: the second it falls in, ``YYYY-MM-DDTHH:MM:SS`` (``to_json`` of the UTC timestamp truncated to the
  second), when the server's time zone is UTC; in another zone PostgreSQL writes the UTC text behind a marker and
  Python converts each value with :func:`~config.records.dates.render_datetime` (the zone rules stay Python's);
- a number of a ``numeric(p, s)`` column with 1 <= s <= 4 and at most 15 digits before the point (every VBA amount):
  its digits without trailing zeros, and ``.0`` after a whole number. That is what the encoder writes: a whole
  number of at most 15 digits is exactly a float, written ``N.0``; any other number is written either as the float
  whose shortest digits are exactly the number's (in plain notation between 1e-4 and 1e15) or as its own digits;
- ``true``/``false``, an integer's digits, ``null``.

The rows are filtered and ordered by the queryset's own SQL in a subquery (so PostgreSQL renders only the rows it
sends, after any sort; a plain scan of a subquery keeps its order) and read with ``COPY (…) TO STDOUT``: streamed as
the server writes them, in constant memory, with no cursor to page through. In COPY's text format the only escaped
character of these lines is the backslash (JSON text holds no character below U+0020), which is written doubled.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from config.records.dates import render_datetime

BLOCK_BYTES = 256 * 1024  # COPY data gathered into one block of lines
_LOCAL_MARK = "\x01"  # before a date-time to render in the server's zone (JSON text holds no raw U+0001)
_LOCAL = re.compile(_LOCAL_MARK + r'"([^"]*)"')
_ALIAS = '"r"'
_ROWS = "<rows>"  # where the queryset's SQL goes in the statement
_ESCAPE = f'{_ALIAS}."_escape"'  # whether any string of the row has a character JSON escapes


def database_json_lines(spec: Any, queryset: QuerySet) -> Iterator[str] | None:
    """Blocks of NDJSON (whole lines, one record each, in the queryset's order) of the VBA records of ``queryset``
    (``spec``: the resource's ``RecordSpec``), rendered by PostgreSQL; None where this path does not apply (another
    database, or a field it cannot render exactly), for the caller to render the records in Python."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    tz = timezone.get_current_timezone()
    in_utc = tz is dt.UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC")
    expression = _record_sql(spec, in_utc)
    if expression is None:
        return None
    inner = queryset.values(**{f"_{i}": F(name) for i, name in enumerate(spec.attnames)})
    return _copy_lines(connection, inner, expression, None if in_utc else tz)


def _copy_lines(connection: Any, inner: QuerySet, expression: str, tz: dt.tzinfo | None) -> Iterator[str]:
    try:
        sql, params = inner.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # e.g. pk__in=[]: no query to run
        return
    # In a transaction (a savepoint inside one) of its own: a reader that stops early cancels the COPY, which then
    # rolls back that transaction only, whoever began the outer one.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        raw = cursor.cursor.connection
        statement = psycopg.ClientCursor(raw).mogrify(expression.replace(_ROWS, f"({sql})"), params)
        encoding = raw.info.encoding
        local = _local_renderer(tz) if tz is not None else None
        with cursor.cursor.copy(f"COPY ({statement}) TO STDOUT") as copy:
            pending: list[Any] = []
            size = 0
            for data in copy:
                pending.append(data)
                size += len(data)
                if size >= BLOCK_BYTES:
                    yield _block(pending, encoding, local)
                    pending, size = [], 0
            if pending:
                yield _block(pending, encoding, local)


def _block(pending: list[Any], encoding: str, local: Callable[[re.Match[str]], str] | None) -> str:
    text = b"".join(pending).decode(encoding)
    if "\\" in text:
        text = text.replace("\\\\", "\\")
    if local is not None:
        text = _LOCAL.sub(local, text)
    return text


def _local_renderer(tz: dt.tzinfo) -> Callable[[re.Match[str]], str]:
    @functools.lru_cache(maxsize=4096)  # bounded: an export of any size keeps constant memory
    def render(utc: str) -> str:
        return f'"{render_datetime(dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC), tz)}"'

    return lambda match: render(match[1])


_RECORD_SQL: dict[tuple[type[models.Model], bool], str | None] = {}


def _record_sql(spec: Any, in_utc: bool) -> str | None:
    """The statement that writes the records' JSON lines from the rows of the queryset (:data:`_ROWS`, its columns
    named ``_0``, ``_1``…); None if a field has no exact SQL rendering here. Built once per model and zone kind."""
    key = (spec.model, in_utc)
    if key not in _RECORD_SQL:
        _RECORD_SQL[key] = _build_record_sql(spec, in_utc)
    return _RECORD_SQL[key]


def _build_record_sql(spec: Any, in_utc: bool) -> str | None:
    parts, strings = [], []
    for i, f in enumerate(spec.concrete_fields):
        column = f'{_ALIAS}."_{i}"'
        value = _value_sql(f, column, in_utc)
        if value is None:
            return None
        lead = ("{" if i == 0 else ", ") + json.dumps(spec.json_names[f.attname]) + ": "
        if value == _STRING:
            strings.append(column)
            # Most rows hold no character that JSON escapes: their strings are only quoted (to_json costs twice that)
            value = f"""CASE WHEN {_ESCAPE} THEN {_literal(lead)} || to_json({column})::text
                ELSE {_literal(lead + '"')} || {column} || '"' END"""
        else:
            value = f"{_literal(lead)} || {value}"
        parts.append(f"coalesce({value}, {_literal(lead + 'null')})")  # a null value makes the whole piece null
    parts.append("'}'")
    escape = f"concat({', '.join(strings)}) ~ '[\\x01-\\x1f\"\\\\]'" if strings else "false"
    # OFFSET 0: a subquery PostgreSQL keeps, so that the check runs once a row (not once per string)
    rows = f'(SELECT *, {escape} AS "_escape" FROM {_ROWS} AS {_ALIAS} OFFSET 0)'
    return f"SELECT {_concatenated(parts)} FROM {rows} AS {_ALIAS}"


_STRING = "string"


def _value_sql(f: models.Field, column: str, in_utc: bool) -> str | None:
    """The JSON text of ``column`` (NULL for null), as the reference path writes the field's value; :data:`_STRING`
    for a string."""
    if isinstance(f, models.ForeignKey):
        f = f.target_field
    if isinstance(f, models.BooleanField):
        return f"{column}::text"  # true, false
    if isinstance(f, models.DecimalField):
        places = f.decimal_places or 0
        if not (1 <= places <= 4 and (f.max_digits or 0) - places <= 15):
            return None
        whole = f"trunc({column})"
        return f"CASE WHEN {column} = {whole} THEN {whole}::text || '.0' ELSE trim_scale({column})::text END"
    if isinstance(f, (models.IntegerField, models.AutoField)):
        return f"{column}::text"
    if isinstance(f, models.DateTimeField):
        utc = f"to_json(date_trunc('second', {column} AT TIME ZONE 'UTC'))::text"
        return utc if in_utc else f"{_literal(_LOCAL_MARK)} || {utc}"
    if isinstance(f, (models.CharField, models.TextField)):
        return _STRING
    return None


def _literal(text: str) -> str:
    """A SQL string literal of ``text`` (no backslash escapes: standard_conforming_strings, on since PostgreSQL
    9.1); a ``%`` doubled for the client-side parameter binding."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _concatenated(parts: list[str]) -> str:
    """``parts`` joined by ``||`` as a balanced tree (a chain would copy the growing text once per field)."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return f"({_concatenated(parts[:middle])} || {_concatenated(parts[middle:])})"
