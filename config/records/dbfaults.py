"""Which database errors mean "the database is not available now" (answered 503 with ``Retry-After``, never blamed on
a request or an item), and what a database says when it refuses one item's value (that item's 400 naming the field).

:func:`is_unavailable` is the one classification every layer uses: the API envelopes' exception handlers, Django's
``handler500`` (errors raised in middleware, e.g. the admin's session and user lookup), ``/readyz``, the batch engine
and the ``upsert_*`` commands. Unavailable means a connection-level or availability error:

- PostgreSQL (psycopg): a connection refused, timed out (``DB_CONNECT_TIMEOUT``) or lost (``OperationalError`` /
  ``InterfaceError`` without an SQLSTATE: libpq's own failures), class 08 (connection exception), 57P01/57P02/57P03
  (server shutting down, crash, not yet accepting connections), 53300 (too many connections), 40001 (serialization
  failure) and 40P01 (deadlock): all worth retrying as they are.
- SQLite: "database is locked" / "database table is locked" (another writer held the lock past the timeout).

Everything else (a programming error, a value the database refuses, a constraint) is not: it stays a 500, or the
item's own 4xx.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, Error, connections
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError

logger = logging.getLogger("vbapi.dependencies")

UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "40001", "40P01"})
SQLITE_BUSY = ("database is locked", "database table is locked")

#: What a client is told (no internals).
UNAVAILABLE_MESSAGE = "The database is temporarily unavailable; retry after the number of seconds in Retry-After."


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or during (Django wraps the driver's error in its own)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _psycopg_errors() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    return psycopg


def sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE the driver reported anywhere in ``exc``'s chain (PostgreSQL), or None."""
    for error in _chain(exc):
        code = getattr(error, "sqlstate", None)
        if isinstance(code, str) and code:
            return code
    return None


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database is unavailable (see the module docstring), not that a request is wrong."""
    if exc is None:
        return False
    psycopg = _psycopg_errors()
    for error in _chain(exc):
        if psycopg is not None and isinstance(error, psycopg.Error):
            code = error.sqlstate
            if code:
                return code.startswith("08") or code in UNAVAILABLE_SQLSTATES
            # no SQLSTATE: libpq's own failure (refused, lost, closed connection) or psycopg's "connection is closed"
            return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))
        if isinstance(error, sqlite3.OperationalError):
            return str(error).startswith(SQLITE_BUSY)
    # Django's own error without a driver error under it (SQLite's message is kept as Django's own)
    if isinstance(exc, (DjangoOperationalError, DjangoInterfaceError)) and exc.__cause__ is None:
        return str(exc).startswith(SQLITE_BUSY)
    return False


def retry_after() -> str:
    """The ``Retry-After`` of a 503 (``RETRY_AFTER_SECONDS``)."""
    return str(max(1, int(getattr(settings, "RETRY_AFTER_SECONDS", 5))))


def describe(exc: BaseException) -> str:
    """For the log: the error's class and SQLSTATE, and the first line of its message cut short. Connection errors
    say which server could not be reached; no value of a record is in them (never the driver's detail)."""
    code = sqlstate(exc)
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}{f' SQLSTATE {code}' if code else ''}: {first}"


def discard_broken_connections() -> None:
    """Close the connections an error left unusable (outside a transaction), so that the next request opens a fresh
    one: without this a worker whose connection died would keep answering 503 after the database is back. (Django
    does the same at the start and end of each request; this also covers code that keeps a connection across
    requests.)"""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue
        try:
            usable = connection.is_usable()
        except Exception:
            usable = False
        if not usable:
            try:
                connection.close()
            except Error:
                connection.connection = None


def log_unavailable(exc: BaseException, activity_id: str | None) -> None:
    logger.warning("Database unavailable (%s); answered 503 activityID=%s", describe(exc), activity_id)


# -- a value the database refuses for one item ------------------------------------------------------------------

#: COPY's context line names the column being read: ``COPY t, line 1, column "Amount_Approved": "..."``.
_COPY_COLUMN = re.compile(r'^COPY \S+, line \d+, column (?:"((?:[^"]|"")+)"|([^:\s]+)):', re.MULTILINE)
_SQLITE_NOT_NULL = re.compile(r"^NOT NULL constraint failed: (?:\S+\.)?(\S+)$")
_SQLITE_CHECK = re.compile(r"^CHECK constraint failed: (.+)$")

#: SQLSTATEs of a refusal that is about other rows, not the item's value: 409.
CONFLICT_SQLSTATES = frozenset({"23505", "23503", "23P01"})


@dataclass(frozen=True)
class Refusal:
    """What the database said when it refused one row: whether it conflicts with other rows (409) or refuses a value
    (400), the column it named (if any) and its primary message (PostgreSQL's ``message_primary``, never the detail,
    which may quote a whole row)."""

    conflict: bool
    column: str | None
    message: str


def refusal(exc: DatabaseError) -> Refusal:
    """Read what ``exc`` (raised while writing one row) says about that row."""
    psycopg = _psycopg_errors()
    for error in _chain(exc):
        if psycopg is not None and isinstance(error, psycopg.Error):
            diag = error.diag
            column = diag.column_name
            if column is None and diag.context:
                match = _COPY_COLUMN.search(diag.context)
                if match:
                    column = (match.group(1) or "").replace('""', '"') or match.group(2)
            primary = diag.message_primary or type(error).__name__
            if diag.constraint_name and diag.constraint_name not in primary:
                primary = f"{primary} ({diag.constraint_name})"
            return Refusal(error.sqlstate in CONFLICT_SQLSTATES, column, primary)
        if isinstance(error, sqlite3.Error):
            text = str(error).strip()
            if match := _SQLITE_NOT_NULL.match(text):
                return Refusal(False, match.group(1), "may not be null")
            if _SQLITE_CHECK.match(text):
                return Refusal(False, None, text)
            conflict = text.startswith(("UNIQUE constraint failed", "FOREIGN KEY constraint failed"))
            return Refusal(conflict, None, text)
    return Refusal(False, None, type(exc).__name__)
