"""Fixtures of the fault-injection suite (issue 19): the production stack as ``make serve`` runs it (``manage.py
serve``: nginx in front of gunicorn), on a private PostgreSQL cluster and a private Redis that tests may stop, kill
and restart without touching the machine's shared ones.

* ``private_postgres`` (session): a cluster made with ``initdb`` / ``pg_ctl`` (as the ``postgres`` OS user when the
  tests run as root) on a free port, trust authentication on 127.0.0.1, data in a temporary directory:
  ``.port``, ``.url(dbname)``, ``.connect(dbname)`` (psycopg, autocommit), ``.create_database(name)``, ``.stop()``
  (fast shutdown), ``.start()``, ``.restart()``, ``.is_running()``.
* ``private_redis`` (session): ``redis-server`` on a free port, nothing saved: ``.url``, ``.port``, ``.stop()``,
  ``.start()`` (same port), ``.is_running()``.
* ``production_server`` (function): a factory ``production_server(env=None, workers=4)`` starting the stack as
  ``make serve`` does (migrate_all and collectstatic once per set of database settings, then ``manage.py serve``)
  with ``DATABASE_URL`` = the private ``vbapi``, ``VBA_DATABASES`` = ``demo`` = the private ``vbapi_demo``,
  ``CACHE_URL`` = the private Redis, ``DEBUG`` off (``env`` overrides any of it). It restarts the private cluster or
  Redis if a test before left them stopped. The object: ``.base_url`` (nginx), ``.port``, ``.gunicorn_url`` (None:
  gunicorn is on ``.gunicorn_socket``, a unix socket), ``.master_pid``, ``.worker_pids()``, ``.launcher`` (the
  Popen of ``manage.py serve``), ``.log()``, ``.request(method, path, headers, body, timeout)`` → ``(status,
  headers, body)``, ``.manage(*args)``, ``.vba_headers()``, ``.create_auths(n)``, ``.stop()``. Every stack it
  started is stopped at teardown (even when the test failed) and its files removed.

Every test of this package is PostgreSQL-only (``@pytest.mark.postgres``): it runs in the PostgreSQL pass of
``make test``, where no test may be skipped.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Variables of the test process that a production process would not have (as tests/config/test_serving.py).
TEST_ONLY = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")
SECRET_KEY = "fault-injection-suite-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH"
AS_ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {timeout} s")
        time.sleep(0.1)


def private_tempdir(prefix: str) -> Path:
    """A temporary directory others may traverse (nginx's workers and the postgres user reach into it as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


# -- PostgreSQL ------------------------------------------------------------------------------------------------


class PrivatePostgres:
    """A PostgreSQL cluster of this test session only."""

    def __init__(self, directory: Path) -> None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if not candidates:
            raise RuntimeError("initdb not found under /usr/lib/postgresql/*/bin: install PostgreSQL's server")
        self.bin = Path(candidates[-1]).parent
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if AS_ROOT else []
        if AS_ROOT:
            shutil.chown(directory, "postgres", "postgres")
        self.run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )
        self.start()

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*self.as_user, str(self.bin / program), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.directory)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> None:
        with self.connect() as connection:
            if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                connection.execute(f'CREATE DATABASE "{name}"')

    def start(self) -> None:
        log = str(self.directory / "postgres.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def is_running(self) -> bool:
        return self.run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def destroy(self) -> None:
        if self.is_running():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    directory = private_tempdir("vbapi-pg-")
    try:
        cluster = PrivatePostgres(directory)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    try:
        yield cluster
    finally:
        cluster.destroy()


# -- Redis -----------------------------------------------------------------------------------------------------


class PrivateRedis:
    """A Redis of this test session only (nothing saved to disk)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        if self.is_running():
            return
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.directory), "--daemonize", "no"]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.directory)
        log.close()
        wait_until(self.answers, 30, f"redis-server did not answer on port {self.port}")

    def answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited ({self.process.returncode}): {self.directory / 'redis.log'}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    directory = private_tempdir("vbapi-redis-")
    server = None
    try:
        server = PrivateRedis(directory)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# -- the production stack --------------------------------------------------------------------------------------

CREDENTIALS = """
import json, secrets
from django.contrib.auth import get_user_model
from config.vba.authentication import issue_tokens
from config.api.models import APIClient, DatabaseGrant
name = "fault-" + secrets.token_hex(6)
user = get_user_model().objects.create_user(name, password=secrets.token_urlsafe(24))
DatabaseGrant.objects.create(user=user, database="demo")
_client, key = APIClient.objects.create_key(name=name, databases=["demo"])
token = issue_tokens(user, "demo")["authenticationResult"]["idToken"]
print("CREDENTIALS " + json.dumps({"key": key, "token": token}))
"""


def auth_item(number: str) -> dict[str, Any]:
    """A valid Auth for the VBA API (README's example)."""
    return {
        "auth_Number": number, "status": "APPROVED", "closed": False, "new_Or_Extended": False,
        "previous_Treatment": False, "tPlan_DownLoaded": False, "urgent": False, "tPlan_Printed": "N",
    }  # fmt: skip


class ProductionServer:
    """One production stack (``manage.py serve``) of a test: nginx on ``base_url``, gunicorn on a unix socket."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.env = env
        self.directory = directory
        self.run_dir = directory / "run"
        self.port = int(env["BIND"].rsplit(":", 1)[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.gunicorn_url: str | None = None  # gunicorn listens on a unix socket: gunicorn_socket
        self.gunicorn_socket = self.run_dir / "gunicorn.sock"
        self.log_path = directory / "serve.log"
        self.master_pid = 0
        self._vba_headers: dict[str, str] | None = None
        with self.log_path.open("ab") as log:
            self.launcher = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--run-dir", str(self.run_dir)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self.healthy, 90, "the production stack did not answer /healthz")
            self.master_pid = int((self.run_dir / "gunicorn.pid").read_text())
        except BaseException as error:
            self.stop()
            raise RuntimeError(f"{error}\n--- manage.py serve said ---\n{self.log()}") from None

    def healthy(self) -> bool:
        if self.launcher.poll() is not None:
            raise RuntimeError(f"manage.py serve exited with status {self.launcher.returncode}")
        try:
            return self.request("GET", "/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def worker_pids(self) -> list[int]:
        """gunicorn's workers now (children of its master)."""
        return children(self.master_pid)

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], bytes]:
        """``(status, headers, body)`` of one request through nginx; a dict or list body is sent as JSON."""
        headers = dict(headers or {})
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``manage.py`` with this server's settings."""
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )

    def vba_headers(self) -> dict[str, str]:
        """Headers of an authenticated VBA call on ``demo``: a new user granted it, a new API key, an idToken."""
        result = self.manage("shell", "-c", CREDENTIALS)
        lines = [line for line in result.stdout.splitlines() if line.startswith("CREDENTIALS ")]
        if result.returncode != 0 or not lines:
            raise RuntimeError(f"could not make credentials: {result.stdout}{result.stderr}")
        made = json.loads(lines[-1].removeprefix("CREDENTIALS "))
        return {
            "x-api-key": made["key"],
            "Authorization": f"Bearer {made['token']}",
            "vbasoftware-database": "demo",
        }

    def create_auths(self, n: int, prefix: str | None = None, headers: dict[str, str] | None = None) -> list[str]:
        """``n`` Auths created through the API (batches of at most 1,000, with ``headers`` or credentials of its
        own); their authNumbers (``prefix`` and a number; by default a random prefix)."""
        if headers is not None:
            self._vba_headers = headers
        if self._vba_headers is None:
            self._vba_headers = self.vba_headers()
        prefix = prefix or f"P{os.urandom(4).hex()}-"
        numbers = [f"{prefix}{i}" for i in range(n)]
        for start in range(0, n, 1000):
            chunk = numbers[start : start + 1000]
            status, _, body = self.request(
                "PUT", "/vbasoftware/auths", self._vba_headers, [auth_item(x) for x in chunk]
            )
            if status != 207:
                raise RuntimeError(f"PUT /vbasoftware/auths answered {status}: {body[:500]!r}")
            results = json.loads(body)["data"]
            if any(item["status"] not in (200, 201) for item in results):
                raise RuntimeError(f"some Auths were not created: {body[:500]!r}")
        return numbers

    def stop(self) -> None:
        """SIGTERM to the launcher (it stops nginx, then gunicorn); whatever is left is killed; files removed."""
        if self.launcher.poll() is None:
            self.launcher.send_signal(signal.SIGTERM)
            try:
                self.launcher.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.launcher.kill()
                self.launcher.wait()
        for name in ("nginx.pid", "gunicorn.pid"):  # a stack whose launcher was killed: its children's groups
            with contextlib.suppress(OSError, ValueError):
                os.killpg(int((self.run_dir / name).read_text()), signal.SIGKILL)
        for pid in [self.master_pid, *children(self.master_pid)] if self.master_pid else []:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = Path(stat).read_text()
            if int(text.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.split("/")[2]))
    return found


class ProductionDatabases:
    """The private databases the stacks use, migrated and with static files collected once per session."""

    def __init__(self, postgres: PrivatePostgres, redis: PrivateRedis, directory: Path) -> None:
        self.postgres = postgres
        self.redis = redis
        self.directory = directory
        for name in ("vbapi", "vbapi_demo"):
            postgres.create_database(name)
        self.prepared: set[tuple[str, ...]] = set()

    def environment(self, overrides: dict[str, str], workers: int, port: int) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if k not in TEST_ONLY and not k.startswith("PYTEST_")}
        return {
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.postgres.url("vbapi"),
            "VBA_DATABASES": f"demo={self.postgres.url('vbapi_demo')}",
            "CACHE_URL": self.redis.url,
            "STATIC_ROOT": str(self.directory / "static"),
            "REQUEST_LOG_LEVEL": "INFO",
            "WEB_CONCURRENCY": str(workers),
            "BIND": f"127.0.0.1:{port}",
            **overrides,
        }

    def prepare(self, env: dict[str, str]) -> None:
        """``make serve``'s steps before the launcher: migrate_all and collectstatic, once per set of settings."""
        key = (env["DATABASE_URL"], env["VBA_DATABASES"], env["STATIC_ROOT"])
        if key in self.prepared:
            return
        for args in (["migrate_all", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            result = subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            if result.returncode != 0:
                raise RuntimeError(f"manage.py {' '.join(args)} failed: {result.stdout}{result.stderr}")
        self.prepared.add(key)


@pytest.fixture(scope="session")
def production_databases(private_postgres: PrivatePostgres, private_redis: PrivateRedis) -> Iterator[Any]:
    directory = private_tempdir("vbapi-static-")
    try:
        yield ProductionDatabases(private_postgres, private_redis, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def production_server(production_databases: ProductionDatabases) -> Iterator[Callable[..., ProductionServer]]:
    """``production_server(env=None, workers=4)``: the production stack, started as ``make serve`` starts it."""
    servers: list[ProductionServer] = []
    directories: list[Path] = []

    def start(env: dict[str, str] | None = None, workers: int = 4) -> ProductionServer:
        # a test before may have stopped them
        if not production_databases.postgres.is_running():
            production_databases.postgres.start()
        production_databases.redis.start()
        settings = production_databases.environment(env or {}, workers, free_port())
        production_databases.prepare(settings)
        directory = private_tempdir("vbapi-serve-")
        directories.append(directory)
        server = ProductionServer(settings, directory)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
        for directory in directories:
            shutil.rmtree(directory, ignore_errors=True)
