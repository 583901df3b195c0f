"""Record files: what the ``export_*`` commands write and the ``upsert_*`` commands read, streamed one record at a
time so that a file of any size takes constant memory.

Three formats, one record shape (the API's JSON names and values):

- ``json``: a JSON array, one record per line (what the API's lists hold in ``data``);
- ``ndjson``: one JSON record per line;
- ``csv``: a header of JSON names, then one row per record. An empty cell is ``null``; an empty string is written
  as ``""`` (two double quotes in the cell); ``true``/``false`` for booleans; numbers as their exact digits; a list
  or an object (Spry's ICD and CPT lists, the payer) as its JSON text.

Numbers are written exactly (``Decimal`` digits, never a binary float), so export → import → export is
byte-identical.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Protocol

from django.db import models

from config.records.parsers import CheckedArray, loads, may_hold_unstorable_text
from config.records.sql import database_json_lines

FORMATS = ("json", "ndjson", "csv")
EMPTY_STRING_CELL = '""'
_INTEGER = re.compile(r"^[+-]?\d+$")


def file_format(path: str | None, given: str | None) -> str:
    """``given``, else the file's extension (``.ndjson``/``.jsonl``, ``.csv``), else ``json``."""
    if given:
        return given
    suffix = Path(path).suffix.lower() if path else ""
    return {".ndjson": "ndjson", ".jsonl": "ndjson", ".csv": "csv"}.get(suffix, "json")


# -- writing ----------------------------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


_TOKEN = secrets.token_hex(8)  # marks a placeholder no stored text can hold by chance
_EXACT_PLACEHOLDER = re.compile(rf'"\\u0000{_TOKEN}(\d+)\\u0000"')


class RecordEncoder:
    """Compact JSON of records, one C-encoder pass each. A ``Decimal`` is written as the API writes it (a float)
    when that float is exactly the same number, else with its own digits (19-digit amounts): never rounded."""

    def __init__(self) -> None:
        self._exact: list[str] = []
        self._encode = json.JSONEncoder(ensure_ascii=False, default=self._number).encode

    def _number(self, o: Any) -> Any:
        if not isinstance(o, Decimal):
            raise TypeError(f"{type(o).__name__} is not JSON")
        as_float = float(o)
        if Decimal(repr(as_float)) == o:
            return as_float
        self._exact.append(_number(o))
        return f"\x00{_TOKEN}{len(self._exact) - 1}\x00"

    def dumps(self, value: Any) -> str:
        self._exact = []
        text = self._encode(value)
        if self._exact:
            exact = self._exact
            text = _EXACT_PLACEHOLDER.sub(lambda m: exact[int(m[1])], text)
        return text


def dumps(value: Any) -> str:
    return RecordEncoder().dumps(value)


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value or EMPTY_STRING_CELL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, (dict, list)):
        return dumps(value)
    return str(value)


class TextSink(Protocol):
    def write(self, text: str, /) -> int: ...


class RecordText:
    """A records file's text in ``fmt``, in pieces as the records are read (a header or opening, the records, a
    closing): what a file writer or a streamed download consumes. ``count``: the records given so far.

    Made from the records as the API renders them (:meth:`of_records`) or, for ``json`` and ``ndjson``, from their
    JSON lines as the database rendered them (:meth:`of_json_lines`); both give the same bytes."""

    def __init__(self, pieces: Callable[[RecordText], Iterator[str]]) -> None:
        self.count = 0
        self._pieces = pieces

    def __iter__(self) -> Iterator[str]:
        return self._pieces(self)

    @classmethod
    def of_records(cls, records: Iterable[dict[str, Any]], fmt: str, columns: list[str]) -> RecordText:
        def pieces(text: RecordText) -> Iterator[str]:
            def counted() -> Iterator[dict[str, Any]]:
                for record in records:
                    text.count += 1
                    yield record

            return record_text(counted(), fmt, columns)

        return cls(pieces)

    @classmethod
    def of_json_lines(cls, blocks: Iterable[str], fmt: str) -> RecordText:
        """``blocks``: text of whole lines, each line one record's JSON as :class:`RecordEncoder` writes it."""
        if fmt not in ("json", "ndjson"):
            raise ValueError(f"JSON lines make a json or ndjson file, not {fmt}")

        def pieces(text: RecordText) -> Iterator[str]:
            for block in blocks:
                lines = block.count("\n")
                if not lines:
                    continue
                first = not text.count
                text.count += lines
                if fmt == "ndjson":
                    yield block
                else:
                    yield ("[\n" if first else ",\n") + block[:-1].replace("\n", ",\n")
            if fmt == "json":
                yield "\n]\n" if text.count else "[]\n"

        return cls(pieces)


def write_records(out: TextSink, records: Iterable[dict[str, Any]], fmt: str, columns: list[str]) -> int:
    """Write ``records`` to ``out`` in ``fmt``; return how many were written."""
    text = RecordText.of_records(records, fmt, columns)
    for piece in text:
        out.write(piece)
    return text.count


class _Echo:
    """A file for ``csv.writer`` whose ``write`` hands the formatted row back."""

    def write(self, text: str) -> str:
        return text


def record_text(records: Iterable[dict[str, Any]], fmt: str, columns: list[str]) -> Iterator[str]:
    """The file of ``records`` in ``fmt`` as pieces of text (a header or opening, then one piece per record, then a
    closing), produced as the records are read."""
    if fmt == "csv":
        writer = csv.writer(_Echo(), lineterminator="\n")
        yield writer.writerow(columns)
        for record in records:
            yield writer.writerow([csv_cell(record[c]) for c in columns])
        return
    encode = RecordEncoder().dumps
    if fmt == "ndjson":
        for record in records:
            yield encode(record) + "\n"
        return
    count = 0
    yield "["
    for record in records:
        yield (",\n" if count else "\n") + encode(record)
        count += 1
    yield "\n]\n" if count else "]\n"


def vba_records(spec: Any, queryset: Any, chunk_size: int) -> Iterator[dict[str, Any]]:
    """The records of a VBA ``queryset`` as the API renders them (``spec``: the resource's ``RecordSpec``), read
    from a server-side cursor ``chunk_size`` rows at a time, without building model instances."""
    for row in queryset.values_list(*spec.attnames).iterator(chunk_size=chunk_size):
        yield spec.render_row(row)


def vba_text(spec: Any, queryset: Any, fmt: str, chunk_size: int) -> RecordText:
    """The file of a VBA ``queryset``'s records in ``fmt``: JSON and NDJSON rendered by PostgreSQL where it can
    (:mod:`config.records.sql`), else the records rendered here, read ``chunk_size`` rows at a time."""
    lines = database_json_lines(spec, queryset) if fmt in ("json", "ndjson") else None
    if lines is not None:
        return RecordText.of_json_lines(lines, fmt)
    return RecordText.of_records(vba_records(spec, queryset, chunk_size), fmt, list(spec.json_names.values()))


# -- reading ----------------------------------------------------------------------------------------------------


class RecordFileError(ValueError):
    """The file as a whole cannot be read (a ``json`` file that is not an array): nothing of it is written."""


class BadRecord:
    """A line or row of a file that could not be read as a record: it fails alone, like a bad batch item."""

    def __init__(self, where: str, reason: str) -> None:
        self.message = f"{where}: {reason}"


# How a CSV cell becomes a JSON value: a cell that does not parse stays a string, so that the validator names the
# field and says what it must be.


def boolean(cell: str) -> Any:
    return {"true": True, "false": False}.get(cell, cell)


def whole_number(cell: str) -> Any:
    return int(cell) if _INTEGER.match(cell) else cell


def exact_number(cell: str) -> Any:
    try:
        number = Decimal(cell)
    except InvalidOperation:
        return cell
    return number if number.is_finite() else cell


def json_cell(cell: str) -> Any:
    try:
        return loads(cell)
    except ValueError:
        return cell


def csv_types(model: type[models.Model], json_names: dict[str, str]) -> dict[str, Callable[[str], Any]]:
    """How each CSV column of a VBA record becomes its JSON value."""
    out: dict[str, Callable[[str], Any]] = {}
    for f in model._meta.concrete_fields:
        if isinstance(f, models.BooleanField):
            out[json_names[f.attname]] = boolean
        elif isinstance(f, models.DecimalField):
            out[json_names[f.attname]] = exact_number
        elif isinstance(f, (models.IntegerField, models.ForeignKey)):
            out[json_names[f.attname]] = whole_number
    return out


def read_chunks(
    stream: IO[bytes], fmt: str, size: int, types: dict[str, Callable[[str], Any]] | None = None
) -> Iterator[list[Any | BadRecord]]:
    """The records of a file in lists of ``size`` (the last may be shorter; a ``json`` array is read whole,
    ``ndjson`` and ``csv`` stream). A list whose records were all read from JSON text without an escape that could
    break the text rule is a :class:`~config.records.parsers.CheckedArray`, as a request body's is: the batch engine
    need not check its strings one by one."""
    chunk: list[Any | BadRecord] = []
    checked = True
    for record, storable in _records(stream, fmt, types):
        chunk.append(record)
        checked = checked and storable
        if len(chunk) == size:
            yield CheckedArray(chunk) if checked else chunk
            chunk, checked = [], True
    if chunk:
        yield CheckedArray(chunk) if checked else chunk


def _records(
    stream: IO[bytes], fmt: str, types: dict[str, Callable[[str], Any]] | None
) -> Iterator[tuple[Any | BadRecord, bool]]:
    """Each record of the file, and whether its text shows that all its strings keep the text rule."""
    if fmt == "json":
        try:
            data = loads(stream.read())
        except ValueError as exc:
            raise RecordFileError(f"is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise RecordFileError("must hold a JSON array of records")
        storable = isinstance(data, CheckedArray)
        for record in data:
            yield record, storable
    elif fmt == "ndjson":
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield loads(line), not may_hold_unstorable_text(line)
            except ValueError as exc:
                yield BadRecord(f"line {number}", f"not valid JSON: {exc}"), True
    else:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return
        convert = types or {}
        for row in reader:
            if len(row) != len(header):
                yield BadRecord(f"line {reader.line_num}", f"has {len(row)} cells; the header has {len(header)}"), True
                continue
            yield {name: _csv_value(cell, convert.get(name)) for name, cell in zip(header, row, strict=True)}, False


def _csv_value(cell: str, convert: Callable[[str], Any] | None) -> Any:
    if cell == "":
        return None
    if cell == EMPTY_STRING_CELL:
        return ""
    return convert(cell) if convert else cell
