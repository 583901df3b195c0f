"""Only an item's own value makes an item fail (issue 19): when the database refuses one item's value, that item is
a 400 naming the field and the others are written; when the database goes away in the middle of a batch (even in
the item-by-item retry), the whole request is a 503 and nothing is written; the ``upsert_*`` commands stop with a
clear error and leave nothing half-written."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from authorizations.models import Auth
from authorizations.vba.services import AUTH
from config.records.batch import Writer
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

TABLE = Auth._meta.db_table


def vendor() -> str:
    return str(connections["demo"].vendor)


def execute(sql: str, alias: str = "demo") -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)


def notes_not_null() -> None:
    """Schema drift: the demo database's ``Notes`` column is NOT NULL, though the model (and so the validation)
    allows null. Within the test's transaction (undone with it)."""
    if vendor() == "postgresql":
        execute(f'DROP TABLE IF EXISTS pg_temp."batch_{TABLE}"')  # a session's copy of the table's shape
        execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN "Notes" SET NOT NULL')
        return
    with connections["demo"].cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [TABLE])
        (ddl,) = cursor.fetchone()
        assert '"Notes" text NULL' in ddl
        cursor.execute(ddl.replace(f'"{TABLE}"', '"drift"', 1).replace('"Notes" text NULL', '"Notes" text NOT NULL'))
        cursor.execute(f'INSERT INTO "drift" SELECT * FROM "{TABLE}"')
        cursor.execute(f'DROP TABLE "{TABLE}"')
        cursor.execute(f'ALTER TABLE "drift" RENAME TO "{TABLE}"')


def unavailable_error() -> Exception:
    """What the driver raises when the database goes away (PostgreSQL: a shutdown; SQLite: the lock timed out)."""
    if vendor() == "postgresql":
        return psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    return sqlite3.OperationalError("database is locked")


class FailingWriter(Writer):
    """The engine's writer, whose ``fail_on``-th call fails as the database does when it goes away (after
    ``before()``, if given, e.g. killing the connection for real)."""

    def __init__(self, fail_on: int, *, inject: bool = True, before: Any = None) -> None:
        self.calls: list[int] = []
        self.fail_on, self.inject, self.before = fail_on, inject, before

    def write(self, resource: Any, using: str, rows: list[dict[str, Any]], **kwargs: Any) -> dict[Any, bool]:
        self.calls.append(len(rows))
        if len(self.calls) == self.fail_on:
            if self.before is not None:
                self.before(using)
            if self.inject:
                with connections[using].wrap_database_errors:
                    raise unavailable_error()
        return super().write(resource, using, rows, **kwargs)


@pytest.fixture
def failing_writer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def install(writer: FailingWriter) -> FailingWriter:
        monkeypatch.setattr(AUTH, "writer", writer)
        return writer

    yield install


def stored(alias: str = "demo") -> tuple[list[str], int]:
    with use_vba_database(alias):
        return sorted(Auth.objects.values_list("pk", flat=True)), Auth.history.count()


# -- a value the database refuses --------------------------------------------------------------------------------


@pytest.mark.django_db(databases=ALL)
def test_a_value_the_database_refuses_fails_its_item_alone_naming_the_field(vba: VBAClient) -> None:
    notes_not_null()
    response = vba.call("PUT", "auths", [auth_item("N1", notes="one"), auth_item("N2"), auth_item("N3", notes="three")])
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [201, 400, 201]
    assert results[1]["body"].startswith("notes: the database refused the value (")
    assert results[1]["id"] == [{"key": "auth_Number", "value": "N2"}]
    assert stored() == (["N1", "N3"], 2)


@pytest.mark.django_db(databases=ALL)
def test_an_all_or_none_batch_whose_write_the_database_refuses_for_one_item_writes_nothing(vba: VBAClient) -> None:
    """The bulk write fails, the item-by-item retry writes N1 and N3 and is refused N2: all of it is rolled back."""
    notes_not_null()
    items = [auth_item("N1", notes="one"), auth_item("N2"), auth_item("N3", notes="three")]
    response = vba.call("PUT", "auths?allOrNone=true", items)
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [424, 400, 424]
    assert results[1]["body"].startswith("notes: the database refused the value (")
    assert {results[0]["body"], results[2]["body"]} == {"Not applied: another item of this all-or-none batch failed"}
    assert stored() == ([], 0)


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL)
def test_a_number_the_database_column_cannot_hold_is_a_400_naming_the_field(vba: VBAClient) -> None:
    execute(f'DROP TABLE IF EXISTS pg_temp."batch_{TABLE}"')
    execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN "Amount_Approved" TYPE numeric(8, 2)')  # narrower than the model
    items = [auth_item("M1", amount_Approved=12.5), auth_item("M2", amount_Approved=1234567.5), auth_item("M3")]
    response = vba.call("PUT", "auths", items)
    results = response.json()["data"]
    assert [r["status"] for r in results] == [201, 400, 201]
    assert results[1]["body"] == "amount_Approved: the database refused the value (numeric field overflow)"
    assert stored() == (["M1", "M3"], 2)
    single = vba.call("POST", "auths", auth_item("M4", amount_Approved=1234567.5))
    assert_problem(single, 400, "amount_Approved: the database refused the value (numeric field overflow)")


# -- the database away in the middle of a batch -------------------------------------------------------------------


@pytest.mark.django_db(databases=ALL)
def test_the_database_away_in_the_item_by_item_retry_is_a_503_and_writes_nothing(
    vba: VBAClient, failing_writer: Any
) -> None:
    notes_not_null()
    # call 1: the bulk write (refused: N2's null), 2: N1 alone (written in its savepoint), 3: N2 alone: away
    writer = failing_writer(FailingWriter(fail_on=3))
    items = [auth_item("N1", notes="one"), auth_item("N2"), auth_item("N3", notes="three")]
    response = vba.call("PUT", "auths", items)
    assert writer.calls == [3, 1, 1]
    assert_problem(response, 503, "The database is temporarily unavailable")
    assert response["Retry-After"] == "5"
    assert stored() == ([], 0)  # not even N1, written in a savepoint before


@pytest.mark.django_db(databases=ALL)
def test_the_database_away_in_the_bulk_write_is_a_503_and_writes_nothing(vba: VBAClient, failing_writer: Any) -> None:
    failing_writer(FailingWriter(fail_on=1))
    response = vba.call("PUT", "auths", [auth_item("B1"), auth_item("B2")])
    assert_problem(response, 503)
    assert stored() == ([], 0)
    assert vba.call("POST", "auths", auth_item("B3")).status_code == 200  # the writer's next call goes through
    assert stored() == (["B3"], 1)


def terminate_backend(using: str) -> None:
    """Kill this process's connection to ``using`` from another connection (as an administrator, or a failover)."""
    pid = connections[using].connection.info.backend_pid
    settings = connections[using].settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/postgres"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_connection_killed_in_the_item_by_item_retry_is_a_503_writes_nothing_and_the_next_request_succeeds(
    vba: VBAClient, failing_writer: Any
) -> None:
    execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN "Notes" SET NOT NULL')
    try:
        execute(f'DROP TABLE IF EXISTS pg_temp."batch_{TABLE}"')
        writer = failing_writer(FailingWriter(fail_on=3, inject=False, before=terminate_backend))
        items = [auth_item("K1", notes="one"), auth_item("K2"), auth_item("K3", notes="three")]
        response = vba.call("PUT", "auths", items)
        assert writer.calls == [3, 1, 1]
        assert_problem(response, 503, "The database is temporarily unavailable")
        assert response["Retry-After"]
        assert stored() == ([], 0)
        # the connection that died was discarded: the next request connects afresh
        again = vba.call("PUT", "auths", [auth_item("K1", notes="one"), auth_item("K3", notes="three")])
        assert [r["status"] for r in again.json()["data"]] == [201, 201]
        assert stored() == (["K1", "K3"], 2)
    finally:
        execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN "Notes" DROP NOT NULL')


# -- the upsert_* commands -----------------------------------------------------------------------------------------


@pytest.fixture
def importer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("importer", password="pw")


def upsert(tmp_path: Path, items: list[Any], *args: str) -> str:
    path = tmp_path / "auths.json"
    path.write_text(json.dumps(items))
    out = io.StringIO()
    call_command("upsert_auths", str(path), "--database", "demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(databases=ALL)
def test_upsert_stops_with_a_clear_error_when_the_database_goes_away_keeping_whole_chunks(
    tmp_path: Path, importer: Any, failing_writer: Any
) -> None:
    items = [auth_item(f"U{n}") for n in range(1, 5)]
    failing_writer(FailingWriter(fail_on=2))  # the second chunk's write
    with pytest.raises(CommandError) as raised:
        upsert(tmp_path, items, "--chunk-size", "2")
    message = str(raised.value)
    assert message.startswith("The database is unavailable (OperationalError")
    assert message.endswith("; the chunk being written was not written; the chunks before it were (201: 2).")
    assert stored() == (["U1", "U2"], 2)  # the first chunk (its own transaction), nothing of the second


@pytest.mark.django_db(databases=ALL)
def test_upsert_all_or_none_writes_nothing_when_the_database_goes_away(
    tmp_path: Path, importer: Any, failing_writer: Any
) -> None:
    items = [auth_item(f"U{n}") for n in range(1, 5)]
    failing_writer(FailingWriter(fail_on=2))
    with pytest.raises(CommandError, match=r"--all-or-none: nothing was written\.$"):
        upsert(tmp_path, items, "--chunk-size", "2", "--all-or-none")
    assert stored() == ([], 0)
