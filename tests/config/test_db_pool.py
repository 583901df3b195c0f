"""The PostgreSQL connection pool (settings ``DB_POOL*``): an exhausted pool is "unavailable" (503, bounded by
``DB_POOL_TIMEOUT``), and a connection the server dropped (a restart) is replaced, not handed to a request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connections

from config.api.dbfaults import is_unavailable
from tests.conftest import ALL

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=ALL)]


@pytest.fixture
def pooled() -> Iterator[Any]:
    """Two connection wrappers (as two threads of a worker hold them) sharing one pool of one connection."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    settings_dict = {
        **connections["default"].settings_dict,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"pool": {"min_size": 1, "max_size": 1, "timeout": 0.5}},
    }
    first = DatabaseWrapper(settings_dict, alias="pool-test")
    second = DatabaseWrapper(settings_dict, alias="pool-test")
    try:
        yield first, second
    finally:
        for wrapper in (first, second):
            wrapper.close()
        first.close_pool()


def test_an_exhausted_pool_fails_within_its_timeout_as_unavailable(pooled: Any) -> None:
    first, second = pooled
    first.ensure_connection()
    with pytest.raises(OperationalError) as raised:
        second.ensure_connection()  # waits DB_POOL_TIMEOUT (0.5 s here), never forever
    assert type(raised.value.__cause__).__name__ == "PoolTimeout"
    assert is_unavailable(raised.value)  # → 503 with Retry-After in the API's envelope


def test_a_connection_the_server_dropped_is_replaced_before_a_request_gets_it(pooled: Any) -> None:
    first, _second = pooled
    with first.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    first.close()  # back to the pool
    with connections["default"].cursor() as cursor:  # as a server restart would
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    with first.cursor() as cursor:  # the pool checks the connection as it hands it out
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid
