"""PostgreSQL connections as the server keeps them (settings ``DB_CONN_MAX_AGE``, ``DB_CONNECT_TIMEOUT``): one per
worker and database, reused across requests, checked before reuse so that one a database restart broke is replaced
before a request sees it; a database that cannot take another connection, or never answers, fails at once or
within the connect timeout, as "unavailable" (503 with Retry-After), never a hang."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connections

from config.records.dbfaults import is_unavailable
from tests.conftest import ALL

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=ALL)]


def wrapper(**changes: Any) -> Any:
    from django.db.backends.postgresql.base import DatabaseWrapper

    settings_dict = {**connections["default"].settings_dict, "CONN_MAX_AGE": 300, "CONN_HEALTH_CHECKS": True}
    settings_dict.update(changes)
    return DatabaseWrapper(settings_dict, alias="connections-test")


@pytest.fixture
def kept() -> Iterator[Any]:
    """A worker's connection, as the server's settings keep it."""
    connection = wrapper()
    try:
        yield connection
    finally:
        connection.close()


def backend_pid(connection: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_the_servers_settings_keep_connections_checked_and_bounded() -> None:
    from django.conf import settings

    from config.settings import _database

    config = _database("postgres://postgres@127.0.0.1:5432/x")
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (settings.DB_CONN_MAX_AGE, True)
    assert config["OPTIONS"]["connect_timeout"] == settings.DB_CONNECT_TIMEOUT
    assert _database("postgres://postgres@127.0.0.1:5432/x?connect_timeout=2")["OPTIONS"]["connect_timeout"] == 2


def test_a_connection_is_kept_across_requests(kept: Any) -> None:
    first = backend_pid(kept)
    kept.close_if_unusable_or_obsolete()  # the request ends (Django's request_finished)
    kept.close_if_unusable_or_obsolete()  # the next one starts (request_started)
    assert backend_pid(kept) == first


def test_a_connection_the_server_dropped_is_replaced_before_a_request_uses_it(kept: Any) -> None:
    pid = backend_pid(kept)
    kept.close_if_unusable_or_obsolete()
    with connections["default"].cursor() as cursor:  # as a database restart would
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    kept.close_if_unusable_or_obsolete()  # the next request starts
    assert backend_pid(kept) != pid  # checked before use: no error reached the request


def test_a_database_that_takes_no_more_connections_is_unavailable() -> None:
    import psycopg

    params = connections["default"].get_connection_params()
    admin = psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True)  # roles outlive the test's transaction
    admin.execute("DROP ROLE IF EXISTS vbapi_full")
    admin.execute("CREATE ROLE vbapi_full LOGIN CONNECTION LIMIT 0")
    try:
        connection = wrapper(USER="vbapi_full")
        with pytest.raises(OperationalError) as raised:
            connection.ensure_connection()
        assert "too many connections" in str(raised.value)
        assert is_unavailable(raised.value)  # → 503 with Retry-After in the API's envelope
    finally:
        admin.execute("DROP ROLE vbapi_full")
        admin.close()


def test_a_database_that_never_answers_fails_within_the_connect_timeout() -> None:
    with socket.socket() as silent:  # accepts TCP connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        connection = wrapper(HOST="127.0.0.1", PORT=port, OPTIONS={"connect_timeout": 1})
        outcome: list[BaseException] = []

        def connect() -> None:
            try:
                connection.ensure_connection()
            except BaseException as exc:  # noqa: BLE001 - kept for the assertion below
                outcome.append(exc)

        attempt = threading.Thread(target=connect, daemon=True)
        attempt.start()
        attempt.join(60)  # a guard against a hang, not a measurement: without connect_timeout it never returns
        assert not attempt.is_alive(), "the connection attempt hung"
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError)
    assert is_unavailable(outcome[0])
