"""Production serving (issue 9): settings refuse unsafe starts, check --deploy is clean with the README's production
settings, /healthz and /readyz, rate limits shared by workers (Redis), and gunicorn serving the app for real."""

from __future__ import annotations

import json
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.test.utils import override_settings

from tests.conftest import ALL

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
REDIS_CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "t9"}}

#: README "Production": the settings a deployment sets (plus its own databases and hosts).
PRODUCTION_ENV = {
    "SECRET_KEY": "a-production-secret-key-of-more-than-fifty-characters-0123456789",
    "ALLOWED_HOSTS": "records.example.org",
    "HTTPS": "1",
    "CACHE_URL": REDIS_URL,
    "DATABASE_URL": "sqlite:///:memory:",
    "VBA_DATABASES": "demo=sqlite:///:memory:",
}


#: Variables of the test process that a production process would not have (the browser tests set the last one).
TEST_ONLY = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


needs_redis = pytest.mark.skipif(not redis_available(), reason=f"Redis is not reachable at {REDIS_URL}")


# -- settings --------------------------------------------------------------------------------------------------


def test_the_app_refuses_to_start_with_debug_off_and_no_secret_key() -> None:
    result = manage("check", DATABASE_URL="sqlite:///:memory:", VBA_DATABASES="demo=sqlite:///:memory:")
    assert result.returncode == 2
    assert result.stderr == (
        "Configuration error: SECRET_KEY is not set. Set it (50+ random characters) in production, or DEBUG=1 for "
        "development.\n"
    )


@pytest.mark.parametrize(
    ("databases", "message"),
    [
        ("nonsense", "VBA_DATABASES entry 'nonsense' is not name=url"),
        ("default=sqlite:///:memory:", "VBA_DATABASES may not use the name 'default'"),
    ],
)
def test_a_malformed_vba_databases_is_one_line_naming_it_not_a_traceback(databases: str, message: str) -> None:
    result = manage("check", DEBUG="1", DATABASE_URL="sqlite:///:memory:", VBA_DATABASES=databases)
    assert (result.returncode, result.stderr) == (2, f"Configuration error: {message}\n")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PA_EXPEDITED_HOURS", "-5", "PA_EXPEDITED_HOURS must be a whole number from 1 to 8784, not '-5'"),
        ("PA_STANDARD_DAYS", "0", "PA_STANDARD_DAYS must be a whole number from 1 to 366, not '0'"),
        ("PA_STANDARD_DAYS", "a week", "PA_STANDARD_DAYS must be a whole number from 1 to 366, not 'a week'"),
    ],
)
def test_a_decision_clock_window_that_is_not_a_window_is_one_line_naming_it(
    name: str, value: str, message: str
) -> None:
    result = manage("check", DEBUG="1", DATABASE_URL="sqlite:///:memory:", **{name: value})
    assert (result.returncode, result.stderr) == (2, f"Configuration error: {message}\n")


def unreachable_database_url() -> str:
    """A database that does not exist, on this pass's engine (PostgreSQL: the test server, SQLite: a missing dir)."""
    default = connections["default"].settings_dict
    if connections["default"].vendor == "postgresql":
        return f"postgres://{default['USER']}@{default['HOST']}:{default['PORT']}/vbapi_no_such_database"
    return "sqlite:////no-such-directory/demo.sqlite3"


@pytest.mark.django_db(databases=ALL)
def test_migrate_all_names_a_database_it_cannot_reach_in_one_line_and_migrates_nothing(tmp_path: Path) -> None:
    default = tmp_path / "default.sqlite3"
    databases = f"demo={unreachable_database_url()}"
    result = manage("migrate_all", DEBUG="1", DATABASE_URL=f"sqlite:///{default}", VBA_DATABASES=databases)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("CommandError: Database 'demo' cannot be reached (")
    assert line.endswith("); create it or correct VBA_DATABASES. Nothing was migrated.")
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not default.exists() or default.stat().st_size == 0


def test_check_deploy_is_clean_with_the_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert result.stderr == ""


def test_without_https_check_deploy_names_what_is_missing() -> None:
    result = manage("check", "--deploy", **{**PRODUCTION_ENV, "HTTPS": "0"})
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stdout + result.stderr


def test_debug_without_secret_key_uses_a_random_per_checkout_key() -> None:
    result = manage(
        "shell", "-c", "from django.conf import settings; print(len(settings.SECRET_KEY))", DEBUG="1",
        DATABASE_URL="sqlite:///:memory:", VBA_DATABASES="demo=sqlite:///:memory:",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) >= 60
    assert (ROOT / "data" / "dev-secret-key").read_text().strip() != "insecure-development-key-change-me"


# -- health ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(databases=ALL)
def test_healthz_and_readyz_answer_without_credentials() -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}
    ready = Client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "databases": {"default": "ok", "demo": "ok", "other": "ok"}}


@pytest.mark.django_db(databases=ALL)
def test_readyz_is_503_naming_the_unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["other"], "cursor", unreachable)
    ready = Client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "databases": {"default": "ok", "demo": "ok", "other": "unreachable"},
    }


# -- more than one worker --------------------------------------------------------------------------------------


class FakeServer:
    def __init__(self, workers: int) -> None:
        self.cfg = type("Cfg", (), {"workers": workers})()


def test_gunicorn_refuses_several_workers_on_a_per_process_cache() -> None:
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["on_starting"](FakeServer(1))  # one worker: fine
    with pytest.raises(SystemExit, match="Refusing to start 4 workers: the cache .*LocMemCache.* is per process"):
        hooks["on_starting"](FakeServer(4))
    with override_settings(CACHES=REDIS_CACHES):
        hooks["on_starting"](FakeServer(4))


TAKE_MANY = """
import django
django.setup()
from config.serving import ratelimit
print(sum(ratelimit.take("test-shared-bucket", 0.001, 50) is None for _ in range(40)))
"""


@needs_redis
def test_on_redis_four_processes_share_one_bucket() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).delete("t9:1:test-shared-bucket")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "CACHE_URL": f"{REDIS_URL}?key_prefix=t9"}
    workers = [
        subprocess.Popen([sys.executable, "-c", TAKE_MANY], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    admitted = [int(w.communicate(timeout=60)[0]) for w in workers]
    assert sum(admitted) == 50  # the burst, once, across all processes (not 4 x 40 = 160, nor 4 x 50)


# -- gunicorn for real -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def raw_request(port: int, data: bytes) -> tuple[int, bytes]:
    """Send ``data`` as is; the status and body of the answer (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"Transfer-Encoding: chunked" in head:
        body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]
    return int(head.split()[1]), body


def test_gunicorn_serves_the_app_static_files_and_envelopes(tmp_path: Path) -> None:
    """Two workers on Redis when it answers, else one worker on the per-process cache."""
    port = free_port()
    workers = "2" if redis_available() else "1"
    env = {
        **{k: v for k, v in os.environ.items() if k not in TEST_ONLY},
        **PRODUCTION_ENV,
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'default.sqlite3'}",
        "VBA_DATABASES": f"demo=sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REQUEST_LOG_LEVEL": "INFO",
        **({} if workers == "2" else {"CACHE_URL": "locmemcache://"}),
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", workers],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if fetch(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        assert fetch(f"{base}/healthz")[:2] == (200, b'{"status": "ok"}')
        status, body, headers = fetch(f"{base}/static/admin/css/base.css")
        assert status == 200 and b"body" in body
        status, body, _ = fetch(f"{base}/vbasoftware/auths/{'x' * 5000}")
        assert status == 414 and b'"status": 414' in body
        status, body, _ = fetch(f"{base}/vbasoftware/auths?patientName=Zelda")
        assert status == 401
        # what gunicorn refuses before the app sees it keeps the API's envelope too
        status, body, _ = fetch(f"{base}/vbasoftware/auths/{'x' * 10_000}?patientName=Zelda")
        assert status == 414 and json.loads(body)["error"]["detail"].startswith("The request line is too long (")
        status, body, _ = fetch(f"{base}/apis/soap-enrichment/v1/authorization/{'x' * 10_000}")
        assert status == 414 and json.loads(body)["code"] == 4014
        head = "GET /vbasoftware/auths HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-H: v\r\n" * 150 + "\r\n"
        status, body = raw_request(port, head.encode())
        assert status == 431 and json.loads(body)["error"]["status"] == 431
        status, body = raw_request(port, b"GET /apis/soap-enrichment/v1/authorization HTTP/1.1 extra\r\n\r\n")
        assert status == 400 and json.loads(body)["code"] == 4000
        # bodies: refused from the headers alone (the 200 MB are never sent), chunked ones refused
        form = "Content-Type: application/x-www-form-urlencoded\r\n"
        for path in ("/apis/soap-enrichment/v1/authorization", "/apis/v2/oauth/token", "/vbasoftware/auths"):
            head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{form}Content-Length: 209715200\r\n\r\n"
            status, body = raw_request(port, head.encode())
            assert status == 413 and b"Request body exceeds the limit of" in body
        chunked = f"POST /apis/v2/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n{form}Transfer-Encoding: chunked\r\n\r\n"
        status, body = raw_request(port, chunked.encode() + b"1d\r\ngrant_type=client_credentials\r\n0\r\n\r\n")
        assert status == 411 and json.loads(body)["code"] == 4011
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "GET /vbasoftware/auths 401 " in output
    assert "Zelda" not in output
