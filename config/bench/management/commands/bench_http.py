"""``make bench-http``: requests/s and p50/p99 of a few endpoints against the production server, each as a ratio to
``GET /healthz`` measured in the same run (issue 20). Not a test: it prints figures.

It seeds ``--auths`` Auths into ``--database`` when it holds fewer (``generate_auths``), makes an API key, a user
granted the database and a Spry OAuth client (with spry.md's example authorization), starts the production server
on a free loopback port with this process's environment (rate limits raised out of the way) and drives each
endpoint with ``wrk -t2 -c8 -dNs --latency`` (``apt-get install wrk``):

* ``GET /healthz`` (before and after the others; the ratios use their mean),
* ``GET /vbasoftware/auths/{authNumber}`` (a random key of the seeded ones per request),
* ``GET /vbasoftware/auths?status=APPROVED&sortBy=received_Date:desc&pageSize=20``,
* ``PUT /vbasoftware/auths`` with 100 Auths (20 key ranges × 2 versions, so each request changes its records),
* ``GET /apis/soap-enrichment/v1/authorization/{authorizationId}`` (Spry).

The server is ``--server gunicorn`` (``gunicorn -c gunicorn.conf.py``, 4 workers unless ``WEB_CONCURRENCY``) or
``--server serve`` (``manage.py serve``: the production launcher ``make serve`` runs, when it is present).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from authorizations.vba.models import Auth
from config.api.models import APIClient, DatabaseGrant
from config.bench.auths import PREFIX, bench_auth
from config.bench.common import loopback_request
from config.serving.ratelimit import cache_is_shared
from config.serving.tenancy import use_vba_database
from config.vba.authentication import issue_tokens

ROOT = Path(__file__).resolve().parents[4]
BENCH_USER = "bench-http"
BATCH_RANGES, BATCH_VERSIONS = 20, 2
LIST_PATH = "/vbasoftware/auths?status=APPROVED&sortBy=received_Date:desc&pageSize=20"
#: The bars of issue 20, as ratios to /healthz's requests/s (and the single GET's p99).
BARS = {"single GET": 0.25, "list page": 0.10}
SINGLE_GET_P99_MS = 50.0
#: Rate limits far above anything loopback clients reach (the limiter still runs: its Redis round trip is counted).
UNLIMITED = {
    "VBA_RATE_LIMIT_PER_SECOND": "1000000",
    "VBA_RATE_LIMIT_BURST": "1000000",
    "SPRY_RATE_LIMIT": "1000000/second",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII text


def wrk_seconds(text: str) -> float:
    """``812.00us`` / ``2.31ms`` / ``1.02s`` / ``1.00m`` → seconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise CommandError(f"wrk printed a latency I cannot read: {text!r}")
    return float(match[1]) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[match[2]]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50 and p99 (ms), requests, non-2xx/3xx and socket errors from ``wrk --latency``'s output."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and p50 and p99 and total):
        raise CommandError(f"wrk's output could not be read:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    socket_errors = sum(int(n) for n in re.findall(r"\d+", errors[0])) if errors else 0
    return {
        "rps": float(rate[1]),
        "p50": wrk_seconds(p50[1]) * 1000,
        "p99": wrk_seconds(p99[1]) * 1000,
        "requests": float(total[1]),
        "bad": float(bad[1]) if bad else 0.0,
        "socket_errors": float(socket_errors),
    }


class Server:
    """The production server on a free loopback port, with this process's environment plus ``extra``."""

    def __init__(self, kind: str, extra: dict[str, str]) -> None:
        self.port = free_port()
        env = {**os.environ, **extra, "BIND": f"127.0.0.1:{self.port}"}
        if kind == "serve":  # nginx in front of gunicorn, its runtime files in a directory of its own
            self.run_dir = tempfile.mkdtemp(prefix="bench-http-run-")
            command = [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{self.port}"]
            command += ["--run-dir", self.run_dir]
        else:
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - read when the server fails, closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        for _ in range(600):
            if self.process.poll() is not None:
                break
            try:
                if self.request("GET", "/healthz", {})[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self._stop()
        self.log.seek(0)
        output = self.log.read().decode(errors="replace")[-3000:]
        self.log.close()
        raise CommandError(f"the server did not start:\n{output}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, bytes]:
        return loopback_request(self.port, method, path, headers, body)

    def stop(self) -> None:
        self._stop()
        self.log.close()

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default="demo", help="the VBA database (PostgreSQL) to read and write")
        parser.add_argument("--auths", type=int, default=100_000, help="seed the database up to this many Auths")
        parser.add_argument("--seconds", type=int, default=8, help="wrk's duration per endpoint")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--threads", type=int, default=2)
        parser.add_argument("--server", choices=("auto", "gunicorn", "serve"), default="auto")
        parser.add_argument("--only", default="", help="comma-separated endpoint names to run (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        if shutil.which("wrk") is None:
            raise CommandError("wrk is not installed: apt-get update && apt-get install -y wrk")
        self.database = options["database"]
        if settings.DATABASES[self.database]["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError(f"{self.database} is not a PostgreSQL database: set VBA_DATABASES (make bench-http)")
        if not cache_is_shared():
            raise CommandError("Set CACHE_URL=redis://... : several workers need a shared cache for the rate limits")
        self.options = options
        self.seed(options["auths"])
        headers = self.vba_headers()
        spry_id, spry_client = self.spry_fixture()
        kind = options["server"]
        if kind == "auto":
            kind = "serve" if (ROOT / "config/serving/management/commands/serve.py").exists() else "gunicorn"
        self.stdout.write(f"starting the server ({kind}) …")
        server = Server(kind, UNLIMITED)
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
        try:
            spry_headers = self.spry_token(server, spry_client)
            batch_bodies = self.batch_bodies()
            for body in batch_bodies[:BATCH_RANGES]:  # the records exist before the clock starts
                self.expect(server, "PUT", "/vbasoftware/auths", headers, body)
            self.vacuum()  # the batch runs leave dead rows that a server without autovacuum keeps
            keys = self.sample_keys()
            self.expect(server, "GET", f"/vbasoftware/auths/{keys[0]}", headers)
            self.expect(server, "GET", LIST_PATH, headers)
            self.expect(server, "GET", f"/apis/soap-enrichment/v1/authorization/{spry_id}", spry_headers)
            plan = [
                ("/healthz", self.script("GET", {}), "/healthz"),
                ("single GET", self.script("GET", headers, paths=[f"/vbasoftware/auths/{k}" for k in keys]), ""),
                ("list page", self.script("GET", headers), LIST_PATH),
                ("batch PUT 100", self.script("PUT", headers, bodies=batch_bodies), "/vbasoftware/auths"),
                ("Spry GET", self.script("GET", spry_headers), f"/apis/soap-enrichment/v1/authorization/{spry_id}"),
                ("/healthz again", self.script("GET", {}), "/healthz"),
            ]
            only = {name.strip() for name in options["only"].split(",") if name.strip()}
            results: list[tuple[str, str, dict[str, float]]] = []
            for name, script, path in plan:
                if only and name not in only and not name.startswith("/healthz"):
                    continue
                self.stdout.write(f"  wrk {name} …")
                results.append((name, path or "/vbasoftware/auths/{authNumber}", self.wrk(server, script, path)))
        finally:
            server.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.report(results, kind)

    # -- set-up ------------------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        with use_vba_database(self.database):
            present = Auth.objects.filter(auth_number__startswith="GEN").count()
        if present < count:
            self.stdout.write(f"seeding {count - present} Auths into {self.database} …")
            call_command("generate_auths", count=count - present, database=self.database, stdout=self.stdout)

    def vacuum(self) -> None:
        from django.db import connections

        with connections[self.database].cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {connections[self.database].ops.quote_name(Auth._meta.db_table)}")

    def sample_keys(self, count: int = 2000) -> list[str]:
        with use_vba_database(self.database):
            total = Auth.objects.filter(auth_number__startswith="GEN").count()
            step = max(1, total // count)
            return [f"GEN{n:09d}" for n in range(1, total + 1, step)][:count]

    def vba_headers(self) -> dict[str, str]:
        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_active": True})
        DatabaseGrant.objects.get_or_create(user=user, database=self.database)
        token = issue_tokens(user, self.database)["authenticationResult"]["idToken"]
        APIClient.objects.filter(name=BENCH_USER).update(revoked=True)
        _client, key = APIClient.objects.create_key(name=BENCH_USER, databases=[self.database])
        return {
            "x-api-key": key,
            "Authorization": f"Bearer {token}",
            "vbasoftware-database": self.database,
            "Content-Type": "application/json",
        }

    def spry_fixture(self) -> tuple[str, tuple[str, str]]:
        from authorizations.spry import demo as spry_demo

        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_active": True})
        printed = spry_demo.load(user=user)
        match = re.search(r"SPRY_CLIENT_ID='([^']*)' SPRY_CLIENT_SECRET='([^']*)'", printed)
        if match is None:
            raise CommandError("the Spry demo did not print its client")
        return spry_demo.EXAMPLE_ID, (match[1], match[2])

    def spry_token(self, server: Server, client: tuple[str, str]) -> dict[str, str]:
        body = urllib.parse.urlencode(
            {"grant_type": "client_credentials", "client_id": client[0], "client_secret": client[1], "scope": "read"}
        ).encode()
        status, content = server.request(
            "POST", "/apis/v2/oauth/token", {"Content-Type": "application/x-www-form-urlencoded"}, body
        )
        if status != 200:
            raise CommandError(f"the Spry token endpoint answered {status}: {content[:300]!r}")
        return {"Authorization": f"Bearer {json.loads(content)['access_token']}"}

    def batch_bodies(self) -> list[bytes]:
        """Body i: 100 Auths of key range i % 20 in version i // 20; cycling through them changes every record."""
        return [
            json.dumps(
                [bench_auth(f"{PREFIX}{n:012d}", version) for n in range(r * 100, r * 100 + 100)],
                separators=(",", ":"),
            ).encode()
            for version in range(BATCH_VERSIONS)
            for r in range(BATCH_RANGES)
        ]

    def expect(
        self, server: Server, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> None:
        status, content = server.request(method, path, headers, body)
        if status >= 300:
            raise CommandError(f"{method} {path.split('?')[0]} answered {status}: {content[:300]!r}")

    # -- wrk ---------------------------------------------------------------------------------------------------
    def script(
        self, method: str, headers: dict[str, str], *, paths: list[str] | None = None, bodies: list[bytes] | None = None
    ) -> Path:
        """A wrk Lua script: the method and headers; a path per request from ``paths`` (at random) or a body per
        request from ``bodies`` (in turn, each wrk thread from its own offset)."""
        lines = [f"wrk.method = {lua_string(method)}"]
        lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
        if paths:
            lines.append("local paths = {" + ",".join(lua_string(p) for p in paths) + "}")
            lines.append("function request() return wrk.format(nil, paths[math.random(#paths)]) end")
        if bodies:
            files = []
            for i, body in enumerate(bodies):
                file = self.tmp / f"body-{i}.json"
                file.write_bytes(body)
                files.append(lua_string(str(file)))
            lines += [
                "local bodies = {}",
                "for i, name in ipairs({" + ",".join(files) + "}) do",
                "  local f = io.open(name, 'rb'); bodies[i] = f:read('*a'); f:close()",
                "end",
                "local threads, offset, n = 0, 0, 0",
                "function setup(thread) thread:set('offset', threads * 7); threads = threads + 1 end",
                "function request()",
                "  n = n + 1; return wrk.format(nil, nil, nil, bodies[(offset + n) % #bodies + 1])",
                "end",
            ]
        script = self.tmp / f"script-{len(list(self.tmp.glob('script-*')))}.lua"
        script.write_text("\n".join(lines) + "\n")
        return script

    def wrk(self, server: Server, script: Path, path: str) -> dict[str, float]:
        o = self.options
        command = [
            "wrk",
            f"-t{o['threads']}",
            f"-c{o['connections']}",
            f"-d{o['seconds']}s",
            "--latency",
            "--timeout",
            "30s",
            "-s",
            str(script),
            server.url + (path or "/"),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=o["seconds"] + 120, check=False)
        if done.returncode != 0:
            raise CommandError(f"wrk failed: {done.stderr or done.stdout}")
        return parse_wrk(done.stdout)

    # -- report ------------------------------------------------------------------------------------------------
    def report(self, results: list[tuple[str, str, dict[str, float]]], kind: str) -> None:
        write = self.stdout.write
        healthz = [r["rps"] for name, _, r in results if name.startswith("/healthz")]
        base = sum(healthz) / len(healthz)
        workers = os.environ.get("WEB_CONCURRENCY", "4")
        o = self.options
        write(
            f"\nserver {kind} ({workers} workers), PostgreSQL, cache {settings.CACHES['default']['BACKEND']}; "
            f"wrk -t{o['threads']} -c{o['connections']} -d{o['seconds']}s; load average "
            f"{os.getloadavg()[0]:.2f}\n"
        )
        write(f"{'endpoint':<15} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'/healthz':>8} | non-2xx\n")
        for name, _path, r in results:
            write(
                f"{name:<15} | {r['rps']:>8.1f} | {r['p50']:>7.2f} | {r['p99']:>7.2f} | {r['rps'] / base:>8.3f} | "
                f"{int(r['bad'] + r['socket_errors'])}\n"
            )
        for name, _path, r in results:
            bar = BARS.get(name)
            if bar is not None:
                verdict = "meets" if r["rps"] / base >= bar else "MISSES"
                extra = ""
                if name == "single GET":
                    extra = f"; p99 {r['p99']:.1f} ms {'<' if r['p99'] < SINGLE_GET_P99_MS else '>='} 50 ms"
                write(f"{name}: {r['rps'] / base:.1%} of /healthz ({verdict} the bar of {bar:.0%}){extra}\n")
        if any(r["bad"] or r["socket_errors"] for _, _, r in results):
            raise CommandError("some requests failed (non-2xx/3xx answers or socket errors): see the table")
