"""Redis or a database away (issue 19): requests keep being served while Redis is away (per-process limits, one
warning per outage, /readyz "degraded", shared limits back when it returns), and a database away answers 503 with
Retry-After in each API's envelope, a plain 503 page elsewhere, /readyz 503, and recovers without a restart.

Redis runs privately (``redis-server`` on a free port) and is stopped by the test; the database is made to fail by
a patched driver call (both passes) and, on PostgreSQL, by stopping a private PostgreSQL cluster for real."""

from __future__ import annotations

import base64
import contextlib
import glob
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import Error, InterfaceError, OperationalError, ProgrammingError, connections
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.test.utils import override_settings
from rest_framework.test import APIClient as HttpClient

from authorizations.spry.services import spry_client_create
from config.api.models import APIClient, DatabaseGrant
from config.records.dbfaults import is_unavailable
from config.serving import ratelimit
from config.vba.authentication import issue_tokens
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import BASE as SPRY_BASE
from tests.authorizations.spry_fixtures import TOKEN_URL, make_token
from tests.conftest import ALL, VBAClient, assert_problem

DEPENDENCIES = "vbapi.dependencies"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """caplog sees ``vbapi.dependencies`` (which does not propagate to the root logger)."""
    logger = logging.getLogger(DEPENDENCIES)
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(caplog.handler)


def dependency_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DEPENDENCIES and r.levelno == level]


# -- Redis away --------------------------------------------------------------------------------------------------

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


class PrivateRedis:
    """A redis-server of this test only, on a free port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        for _ in range(100):
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)


@pytest.fixture
def private_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    caches = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "h3",
            # as config.settings makes them for a redis:// CACHE_URL
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "CLIENT_CLASS": "config.serving.ratelimit.BreakerRedisClient",
            },
        }
    }
    # this test's Redis, breaker and fallback buckets (the script object is bound to a client of the old cache)
    monkeypatch.setattr(ratelimit, "_script", None)
    monkeypatch.setattr(ratelimit, "breaker", ratelimit.RedisBreaker())
    monkeypatch.setattr(ratelimit, "_memory", {})
    try:
        with override_settings(CACHES=caches):
            yield server
    finally:
        server.stop()


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def exhaust_in_redis(server: PrivateRedis, key: str) -> None:
    """What another worker taking every token of bucket ``key`` leaves in Redis."""
    script = server.client().register_script(ratelimit._GCRA_SCRIPT)
    for _ in range(20):
        script(keys=[cache.make_key(key)], args=[repr(1.0), repr(2.0), 60_000])


@needs_redis_server
@pytest.mark.django_db(databases=ALL)
@override_settings(VBA_RATE_LIMIT_PER_SECOND=1, VBA_RATE_LIMIT_BURST=3, LOGIN_RATE_LIMIT="3/minute")
def test_redis_away_requests_are_served_on_per_process_limits_one_warning_and_shared_limits_come_back(
    private_redis: PrivateRedis, user: Any, api_key: str, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = VBAClient(api_key, token)
    bucket = f"vba-throttle:{APIClient.objects.get_from_key(api_key).pk}"
    with captured(caplog):
        # Redis up: the bucket lives in Redis
        assert [client.call("GET", "auths").status_code for _ in range(3)] == [200, 200, 200]
        assert_problem(client.call("GET", "auths"), 429)
        assert private_redis.client().exists(cache.make_key(bucket))
        ready = Client().get("/readyz")
        assert (ready.status_code, ready.json()["status"], ready.json()["cache"]) == (200, "ok", "ok")

        private_redis.stop()
        attempts = []
        real_redis_take = ratelimit._redis_take

        def counted(*args: Any) -> Any:
            attempts.append(time.monotonic())
            return real_redis_take(*args)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ratelimit, "_redis_take", counted)
            started = time.monotonic()
            # served, on this process's own bucket: the burst again, then 429 over the limit
            statuses = [client.call("GET", "auths").status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            write = client.call("PUT", "auths", [auth_item("R1")])
            assert write.status_code == 429  # still over the per-process limit
            # the login answers (and its throttle falls back too)
            login = HttpClient()
            headers: dict[str, Any] = {"HTTP_X_API_KEY": api_key, "HTTP_VBASOFTWARE_DATABASE": "demo"}
            answers = [
                login.post("/vbasoftware/user-authentication", HTTP_AUTHORIZATION=basic("alice", "alice-password"),
                           **headers).status_code
                for _ in range(4)
            ]  # fmt: skip
            assert answers == [200, 200, 200, 429]
            elapsed = time.monotonic() - started
        # while Redis is away it is tried at most once per RETRY_INTERVAL, not once per request (10 requests here)
        assert 1 <= len(attempts) <= 2 + elapsed / ratelimit.RETRY_INTERVAL
        assert len(attempts) < 10
        ready = Client().get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "degraded",
            "databases": {"default": "ok", "demo": "ok", "other": "ok"},
            "cache": "unreachable",
        }
        warnings = dependency_records(caplog, logging.WARNING)
        assert len(warnings) == 1, warnings  # once per outage, not per request
        assert "Redis (the shared cache) is unreachable" in warnings[0]

        private_redis.start()
        time.sleep(ratelimit.RETRY_INTERVAL + 0.1)
        ratelimit._memory.clear()  # whatever follows is decided by Redis' buckets
        assert client.call("GET", "auths").status_code == 200
        assert private_redis.client().exists(cache.make_key(bucket))  # the shared bucket is used again
        exhaust_in_redis(private_redis, bucket)  # another worker spends the shared bucket...
        assert_problem(client.call("GET", "auths"), 429)  # ...and this one sees it: the limits are shared again
        infos = dependency_records(caplog, logging.INFO)
        assert len(infos) == 1 and "answers again" in infos[0]
        assert len(dependency_records(caplog, logging.WARNING)) == 1
        ready = Client().get("/readyz")
        assert (ready.status_code, ready.json()["status"], ready.json()["cache"]) == (200, "ok", "ok")

        # a second outage is warned about once more
        private_redis.stop()
        assert client.call("GET", "auths").status_code in (200, 429)
        assert len(dependency_records(caplog, logging.WARNING)) == 2


@needs_redis_server
@pytest.mark.django_db(databases=ALL)
def test_redis_away_the_spry_token_endpoint_answers(private_redis: PrivateRedis) -> None:
    application, secret = spry_client_create(name="clinic app", organisation_id=638, clinic_ids=[44])
    private_redis.stop()
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.content
    assert response.json()["access_token"]
    token = make_token(application)
    listing = HttpClient().get(f"{SPRY_BASE}/search", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert (listing.status_code, listing.json()["code"]) == (200, 2000)


@needs_redis_server
@pytest.mark.django_db(databases=ALL)
def test_a_hung_redis_costs_a_request_at_most_its_socket_timeout(
    private_redis: PrivateRedis, api_key: str, token: str
) -> None:
    client = VBAClient(api_key, token)
    assert client.call("GET", "auths").status_code == 200  # a pooled connection to Redis exists
    assert private_redis.process is not None
    private_redis.process.send_signal(signal.SIGSTOP)  # Redis hangs: connections stay open, nothing answers
    # (without socket timeouts the request would wait for Redis: a watchdog resumes it after 10 s)
    watchdog = threading.Timer(10, private_redis.process.send_signal, args=(signal.SIGCONT,))
    watchdog.start()
    try:
        started = time.monotonic()
        answer = client.call("GET", "auths")
        elapsed = time.monotonic() - started
    finally:
        watchdog.cancel()
        private_redis.process.send_signal(signal.SIGCONT)
    assert answer.status_code == 200
    assert elapsed < 3, f"a request took {elapsed:.1f}s on a hung Redis"
    # while the breaker is open, the next requests do not wait for Redis at all
    private_redis.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert [client.call("GET", "auths").status_code for _ in range(3)] == [200, 200, 200]
        with pytest.raises(Exception, match="Redis is unreachable"):
            cache.get("anything")  # whatever else uses the cache is refused at once too
        assert time.monotonic() - started < ratelimit.RETRY_INTERVAL
    finally:
        private_redis.process.send_signal(signal.SIGCONT)


def test_redis_settings_have_short_socket_timeouts_overridable_in_cache_url() -> None:
    script = (
        "from django.conf import settings; o = settings.CACHES['default']['OPTIONS']; "
        "print(o['SOCKET_CONNECT_TIMEOUT'], o['SOCKET_TIMEOUT'], o['CLIENT_CLASS'])"
    )
    root = Path(__file__).resolve().parents[2]

    def options(url: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=root,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "CACHE_URL": url, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    client = "config.serving.ratelimit.BreakerRedisClient"
    assert options("redis://127.0.0.1:6379/0") == f"0.5 0.5 {client}"
    assert options("redis://127.0.0.1:6379/0?socket_connect_timeout=2&socket_timeout=3") == f"2 3 {client}"
    env = {"REDIS_CONNECT_TIMEOUT": "1.5", "REDIS_SOCKET_TIMEOUT": "0.25"}
    assert options("redis://127.0.0.1:6379/0", **env) == f"1.5 0.25 {client}"


# -- which errors mean "the database is unavailable" ---------------------------------------------------------------


def wrapped(driver_error: BaseException, django_class: type[Error] = OperationalError) -> Error:
    """``driver_error`` as Django raises it: its own class, raised from the driver's."""
    try:
        try:
            raise driver_error
        except Exception as exc:
            raise django_class(str(exc)) from exc
    except Error as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),  # 57P01
        psycopg.errors.CrashShutdown("crash shutdown"),  # 57P02
        psycopg.errors.CannotConnectNow("the database system is starting up"),  # 57P03
        psycopg.errors.ConnectionFailure("connection failure"),  # 08006
        psycopg.errors.SqlclientUnableToEstablishSqlconnection("cannot connect"),  # 08001
        psycopg.errors.TooManyConnections("sorry, too many clients already"),  # 53300
        psycopg.errors.SerializationFailure("could not serialize access"),  # 40001
        psycopg.errors.DeadlockDetected("deadlock detected"),  # 40P01
        psycopg.OperationalError("connection failed: Connection refused"),  # libpq: no SQLSTATE
        psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
        psycopg.InterfaceError("the connection is closed"),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database table is locked"),
    ],
    ids=repr,
)
def test_connection_and_availability_errors_are_unavailable(error: Exception) -> None:
    django_class = InterfaceError if isinstance(error, psycopg.InterfaceError) else OperationalError
    assert is_unavailable(wrapped(error, django_class))
    assert is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.UndefinedTable('relation "x" does not exist'),
        psycopg.errors.NumericValueOutOfRange("numeric field overflow"),
        psycopg.errors.NotNullViolation("null value in column"),
        psycopg.errors.UniqueViolation("duplicate key value"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg.errors.SyntaxError("syntax error"),
        psycopg.ProgrammingError("the query has no results"),
        sqlite3.OperationalError("no such table: x"),
        sqlite3.IntegrityError("NOT NULL constraint failed: t.c"),
    ],
    ids=repr,
)
def test_programming_errors_and_refused_values_are_not(error: Exception) -> None:
    assert not is_unavailable(wrapped(error, ProgrammingError))
    assert not is_unavailable(error)
    assert not is_unavailable(ValueError("connection refused"))
    assert not is_unavailable(ProgrammingError("connection"))


# -- the database away (a driver call that fails) ----------------------------------------------------------------


def unavailable_error() -> Exception:
    """What the driver of this pass raises when its database is away."""
    if connections["default"].vendor == "postgresql":
        return psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    return sqlite3.OperationalError("database is locked")


@contextlib.contextmanager
def database_away() -> Iterator[None]:
    """Every query fails as the driver fails when its database is away (Django wraps the driver's error)."""

    def fail(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
        with self.db.wrap_database_errors:
            raise unavailable_error()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "_execute", fail)
        patch.setattr(CursorWrapper, "_executemany", fail)
        yield


class Callers:
    """A VBA client, a Spry client and a staff member's admin session, made while the database is up."""

    def __init__(self) -> None:
        user = get_user_model().objects.create_user("alice", password="alice-password", is_staff=True,
                                                    is_superuser=True)  # fmt: skip
        DatabaseGrant.objects.create(user=user, database="demo")
        _client, self.api_key = APIClient.objects.create_key(name="test client", databases=["demo"])
        token = issue_tokens(user, "demo")["authenticationResult"]["idToken"]
        self.vba = VBAClient(self.api_key, token)
        self.vba.raise_request_exception = False
        self.application, self.secret = spry_client_create(name="clinic app", organisation_id=638, clinic_ids=[44])
        self.spry_token = make_token(self.application)
        self.admin = Client(raise_request_exception=False)
        self.admin.force_login(user)

    def vba_list(self) -> Any:
        return self.vba.call("GET", "auths")

    def vba_batch(self) -> Any:
        return self.vba.call("PUT", "auths", [auth_item("D1"), auth_item("D2")])

    def vba_login(self) -> Any:
        return HttpClient(raise_request_exception=False).post(
            "/vbasoftware/user-authentication",
            HTTP_AUTHORIZATION=basic("alice", "alice-password"),
            HTTP_X_API_KEY=self.api_key,
            HTTP_VBASOFTWARE_DATABASE="demo",
        )

    def spry_list(self) -> Any:
        return HttpClient(raise_request_exception=False).get(
            f"{SPRY_BASE}/search", HTTP_AUTHORIZATION=f"Bearer {self.spry_token}"
        )

    def spry_create(self) -> Any:
        return HttpClient(raise_request_exception=False).post(
            SPRY_BASE, {"spry_case_id": "C1"}, format="json", HTTP_AUTHORIZATION=f"Bearer {self.spry_token}"
        )

    def spry_token_request(self) -> Any:
        return Client(raise_request_exception=False).post(
            TOKEN_URL,
            {"grant_type": "client_credentials", "client_id": self.application.client_id, "client_secret": self.secret},
        )

    def admin_page(self) -> Any:
        return self.admin.get("/admin/")

    def readyz(self) -> Any:
        return Client(raise_request_exception=False).get("/readyz")


def assert_all_unavailable(callers: Callers) -> None:
    for call in (callers.vba_list, callers.vba_batch, callers.vba_login):
        response = call()
        problem = assert_problem(response, 503, "The database is temporarily unavailable")
        assert response["Retry-After"] == "7", call.__name__
        assert problem["title"] == "Service Unavailable"
    for call in (callers.spry_list, callers.spry_create, callers.spry_token_request):
        response = call()
        assert response.status_code == 503, (call.__name__, response.content)
        body = response.json()
        assert body["code"] == 5003 and body["data"] is None, call.__name__
        assert "temporarily unavailable" in body["message"]
        assert response["Retry-After"] == "7", call.__name__
    page = callers.admin_page()
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert b"Service temporarily unavailable" in page.content and page["Retry-After"] == "7"
    ready = callers.readyz()
    assert ready.status_code == 503
    assert set(ready.json()["databases"].values()) == {"unreachable"}


def assert_all_served(callers: Callers) -> None:
    assert callers.vba_list().status_code == 200
    batch = callers.vba_batch()
    assert batch.status_code == 207 and {r["status"] for r in batch.json()["data"]} <= {200, 201}
    assert callers.vba_login().status_code == 200
    assert callers.spry_list().json()["code"] == 2000
    assert callers.spry_token_request().status_code == 200
    assert callers.admin_page().status_code == 200
    assert callers.readyz().status_code == 200


@pytest.mark.django_db(databases=ALL)
@override_settings(RETRY_AFTER_SECONDS=7)
def test_a_database_away_is_503_with_retry_after_in_each_envelope_and_the_admin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    callers = Callers()
    assert_all_served(callers)
    with captured(caplog), database_away():
        assert_all_unavailable(callers)
    warnings = dependency_records(caplog, logging.WARNING)
    assert warnings and all(w.startswith("Database unavailable (OperationalError") for w in warnings)
    assert_all_served(callers)  # and back, without a restart


@pytest.mark.django_db(databases=ALL)
def test_a_programming_error_stays_a_500() -> None:
    def broken(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
        with self.db.wrap_database_errors:
            if connections["default"].vendor == "postgresql":
                raise psycopg.errors.UndefinedTable('relation "nowhere" does not exist')
            raise sqlite3.OperationalError("no such table: nowhere")

    callers = Callers()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "_execute", broken)
        response = callers.vba_list()
        spry = callers.spry_token_request()
        page = callers.admin_page()
    assert_problem(response, 500)
    assert "Retry-After" not in response
    assert spry.status_code == 500 and spry.json()["code"] == 5000 and "Retry-After" not in spry
    assert page.status_code == 500 and "Retry-After" not in page


# -- PostgreSQL stopped for real: a private cluster ----------------------------------------------------------------


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.skip(f"{name} is not installed (apt-get install postgresql)")
    return found[-1]


class PrivatePostgres:
    """A PostgreSQL cluster of this test only (initdb, run as the postgres OS user on a free port, in a temporary
    directory), holding copies of the test databases."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="vbapi-h3-pg-")
        self.data = os.path.join(self.directory, "data")
        shutil.chown(self.directory, "postgres", "postgres")
        self.port = free_port()
        self._run(_pg_bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def _run(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-o", options, "-l", f"{self.directory}/log", "-w", "start")

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")

    def copy_database(self, host: str, port: int | str, user: str, name: str) -> None:
        dump = subprocess.run(
            [_pg_bin("pg_dump"), "-h", host, "-p", str(port), "-U", user, "--no-owner", name],
            check=True,
            capture_output=True,
            timeout=120,
        ).stdout
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        subprocess.run(
            [_pg_bin("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "postgres", "-d", name],
            input=dump, check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def databases_on_private_postgres() -> Iterator[PrivatePostgres]:
    """Every database alias moved to a private cluster holding copies of the test databases; moved back after."""
    cluster = PrivatePostgres()
    saved = {alias: dict(connections[alias].settings_dict) for alias in connections}
    try:
        cluster.start()
        for alias in connections:
            s = connections[alias].settings_dict
            cluster.copy_database(s["HOST"] or "127.0.0.1", s["PORT"] or 5432, s["USER"] or "postgres", s["NAME"])
        for alias in connections:
            close_with_pool(alias)
            connections[alias].settings_dict.update(HOST="127.0.0.1", PORT=str(cluster.port), USER="postgres")
            options = connections[alias].settings_dict["OPTIONS"] = dict(saved[alias].get("OPTIONS") or {})
            if isinstance(options.get("pool"), dict):  # DB_POOL: a request waits 1 s for a connection, not 5
                options["pool"] = {**options["pool"], "timeout": 1.0}
        yield cluster
    finally:
        for alias in connections:
            close_with_pool(alias)
            connections[alias].settings_dict.clear()
            connections[alias].settings_dict.update(saved[alias])
        cluster.remove()


def close_with_pool(alias: str) -> None:
    """Close ``alias``' connection, and its connection pool if it has one (a pool keeps its server's address)."""
    connection = connections[alias]
    with contextlib.suppress(Error):
        connection.close()
    connection.connection = None
    if alias in getattr(connection, "_connection_pools", {}):
        connection.close_pool()  # type: ignore[attr-defined]


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL, transaction=True)
@override_settings(RETRY_AFTER_SECONDS=7)
def test_postgresql_stopped_is_503_everywhere_and_served_again_once_it_is_back(
    databases_on_private_postgres: PrivatePostgres,
) -> None:
    cluster = databases_on_private_postgres
    callers = Callers()
    assert_all_served(callers)  # connections to the cluster are open now
    cluster.stop()
    assert_all_unavailable(callers)  # open connections lost (57P01 / closed), then new ones refused
    assert_all_unavailable(callers)
    cluster.start()
    assert_all_served(callers)  # the next request after the database is back succeeds: no restart


# -- one client's database away: the admin's first page serves the others --------------------------------------


def first_page_staff() -> Client:
    """A superuser granted both VBA databases, logged in while they are up."""
    user = get_user_model().objects.create_superuser("carol", password="carol-password")
    for database in ("demo", "other"):
        DatabaseGrant.objects.create(user=user, database=database)
    admin = Client(raise_request_exception=False)
    admin.force_login(user)
    return admin


def assert_first_page_without_other(admin: Client) -> None:
    page = admin.get("/admin/")
    assert page.status_code == 200, page.status_code
    text = page.content.decode()
    assert 'id="home-counts-demo-auths"' in text  # the database that answers keeps its counts
    assert "Counts unavailable: database other is not answering." in text
    assert 'id="home-counts-other-auths"' not in text
    assert admin.get("/admin/db/other/").status_code == 503  # its own pages say it is away


@contextlib.contextmanager
def one_database_away(alias: str) -> Iterator[None]:
    """Every query of ``alias`` fails as its driver fails when the database is away; the others answer."""
    original = CursorWrapper._execute  # type: ignore[attr-defined]

    def fail(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
        if self.db.alias != alias:
            return original(self, *args, **kwargs)
        with self.db.wrap_database_errors:
            raise unavailable_error()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CursorWrapper, "_execute", fail)
        yield


@pytest.mark.django_db(databases=ALL)
@override_settings(VBA_COUNT_CACHE_SECONDS=0)
def test_one_client_database_away_leaves_the_first_page_with_the_others_counts() -> None:
    admin = first_page_staff()
    assert 'id="home-counts-other-auths"' in admin.get("/admin/").content.decode()
    with one_database_away("other"):
        assert_first_page_without_other(admin)
    assert 'id="home-counts-other-auths"' in admin.get("/admin/").content.decode()  # back


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL, transaction=True)
@override_settings(VBA_COUNT_CACHE_SECONDS=0)
def test_one_client_database_stopped_for_real_leaves_the_first_page_served() -> None:
    """Database ``other`` moved to a private cluster, which is then stopped: the first page still answers, with
    demo's counts and a line saying other is not answering; once the cluster is back, other's counts are back."""
    cluster = PrivatePostgres()
    saved = dict(connections["other"].settings_dict)
    try:
        cluster.start()
        cluster.copy_database(saved["HOST"] or "127.0.0.1", saved["PORT"] or 5432, saved["USER"] or "postgres",
                              saved["NAME"])  # fmt: skip
        close_with_pool("other")
        connections["other"].settings_dict.update(HOST="127.0.0.1", PORT=str(cluster.port), USER="postgres")
        options = connections["other"].settings_dict["OPTIONS"] = dict(saved.get("OPTIONS") or {})
        if isinstance(options.get("pool"), dict):
            options["pool"] = {**options["pool"], "timeout": 1.0}
        admin = first_page_staff()
        assert 'id="home-counts-other-auths"' in admin.get("/admin/").content.decode()
        cluster.stop()
        assert_first_page_without_other(admin)
        cluster.start()
        assert 'id="home-counts-other-auths"' in admin.get("/admin/").content.decode()
    finally:
        close_with_pool("other")
        connections["other"].settings_dict.clear()
        connections["other"].settings_dict.update(saved)
        cluster.remove()
