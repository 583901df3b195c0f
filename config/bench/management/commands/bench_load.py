"""``make bench-load``: gunicorn (4 workers, then 1) on this command's databases and Redis, a bounded loopback mix.

Not a timed test: it prints figures. For each worker count it starts gunicorn (gunicorn.conf.py) on a free loopback
port with this process's environment, then

* the **mix**: ``--clients`` threads for ``--seconds`` seconds, each request one of a batch PUT of ``--batch`` Auths,
  a single GET, or a filtered list (``auth_Type`` and ``pageSize=20``); each thread has its own API keys so that the
  rate limit does not bound the figures. Prints requests/s, p50/p99 per kind and the 5xx count (must be 0).
* the **limiter**: all threads hammer one API key for ``--limiter-seconds``; prints how many requests were admitted
  against the limiter's promise (``VBA_RATE_LIMIT_BURST + VBA_RATE_LIMIT_PER_SECOND x elapsed``).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.api.models import APIClient, DatabaseGrant
from config.bench.auths import PREFIX, bench_auth
from config.bench.common import loopback_request
from config.serving.ratelimit import cache_is_shared
from config.vba.authentication import issue_tokens

ROOT = Path(__file__).resolve().parents[4]
KEYS_PER_CLIENT = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Server:
    def __init__(self, workers: int) -> None:
        self.port = free_port()
        env = {**os.environ, "REQUEST_LOG_LEVEL": "WARNING", "WEB_CONCURRENCY": str(workers)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                if self.request("GET", "/healthz", {})[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise CommandError("gunicorn did not start (run it by hand to see why: make serve)")

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, bytes]:
        return loopback_request(self.port, method, path, headers, body)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--workers", default="4,1", help="comma-separated worker counts, run in turn")
        parser.add_argument("--clients", type=int, default=8)
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--limiter-seconds", type=float, default=3.0)
        parser.add_argument("--batch", type=int, default=50)
        parser.add_argument("--database", default="demo")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = [int(w) for w in options["workers"].split(",")]
        if max(counts) > 1 and not cache_is_shared():
            raise CommandError("Set CACHE_URL=redis://... : several workers need a shared cache for the rate limits")
        self.database = options["database"]
        self.clients = options["clients"]
        headers = self.credentials(self.clients * KEYS_PER_CLIENT + 1)
        self.limiter_headers, self.mix_headers = headers[0], headers[1:]
        rows = []
        for workers in counts:
            server = Server(workers)
            try:
                self.request_all(server, "PUT", "/vbasoftware/auths", self.mix_headers[0], self.batch_body(0, 0))
                mix = self.mix(server, options["seconds"], options["batch"])
                limiter = self.limiter(server, options["limiter_seconds"])
            finally:
                server.stop()
            rows.append((workers, mix, limiter))
        self.report(rows)

    # -- set-up ----------------------------------------------------------------------------------------------
    def credentials(self, count: int) -> list[dict[str, str]]:
        user, _ = get_user_model().objects.get_or_create(username="bench-load", defaults={"is_active": True})
        DatabaseGrant.objects.get_or_create(user=user, database=self.database)
        token = issue_tokens(user, self.database)["authenticationResult"]["idToken"]
        APIClient.objects.filter(name__startswith="bench-load").update(revoked=True)
        out = []
        for n in range(count):
            _client, key = APIClient.objects.create_key(name=f"bench-load {n}", databases=[self.database])
            out.append(
                {
                    "x-api-key": key,
                    "Authorization": f"Bearer {token}",
                    "vbasoftware-database": self.database,
                    "Content-Type": "application/json",
                }
            )
        return out

    def batch_body(self, first: int, run: int, size: int = 50) -> bytes:
        return json.dumps([bench_auth(f"{PREFIX}{n:012d}", run) for n in range(first, first + size)]).encode()

    def request_all(self, server: Server, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        status, content = server.request(method, path, headers, body)
        if status >= 400:
            raise CommandError(f"{method} {path} answered {status}: {content[:300]!r}")

    # -- the mix ---------------------------------------------------------------------------------------------
    def mix(self, server: Server, seconds: float, batch: int) -> dict[str, Any]:
        latencies: dict[str, list[float]] = defaultdict(list)
        statuses: dict[int, int] = defaultdict(int)
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client(index: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                headers = self.mix_headers[index * KEYS_PER_CLIENT + n % KEYS_PER_CLIENT]
                kind = ("batch PUT", "single GET", "single GET", "filtered list")[n % 4]
                if kind == "batch PUT":
                    first = (index * 1000 + n * batch) % 5000
                    method, path, body = "PUT", "/vbasoftware/auths", self.batch_body(first, n, batch)
                elif kind == "single GET":
                    method, path, body = "GET", f"/vbasoftware/auths/{PREFIX}{n % 50:012d}", None
                else:
                    auth_type = ("INPT", "OUTPT", "DME")[n % 3]
                    method, path, body = "GET", f"/vbasoftware/auths?auth_Type={auth_type}&pageSize=20", None
                started = time.perf_counter()
                status, _ = server.request(method, path, headers, body)
                elapsed = time.perf_counter() - started
                with lock:
                    statuses[status] += 1
                    if status < 400:
                        latencies[kind].append(elapsed)
                n += 1

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        return {"elapsed": elapsed, "latencies": dict(latencies), "statuses": dict(statuses)}

    # -- the limiter -----------------------------------------------------------------------------------------
    def limiter(self, server: Server, seconds: float) -> dict[str, Any]:
        statuses: dict[int, int] = defaultdict(int)
        lock = threading.Lock()
        path = f"/vbasoftware/auths/{PREFIX}{0:012d}"
        time.sleep(settings.VBA_RATE_LIMIT_BURST / max(settings.VBA_RATE_LIMIT_PER_SECOND, 0.001) + 0.5)
        started = time.monotonic()
        deadline = started + seconds

        def client() -> None:
            while time.monotonic() < deadline:
                status, _ = server.request("GET", path, self.limiter_headers)
                with lock:
                    statuses[status] += 1

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        promise = settings.VBA_RATE_LIMIT_BURST + settings.VBA_RATE_LIMIT_PER_SECOND * elapsed
        return {"admitted": statuses.get(200, 0), "refused": statuses.get(429, 0), "promise": promise, "all": statuses}

    # -- report ----------------------------------------------------------------------------------------------
    def report(self, rows: list[tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
        write = self.stdout.write
        engine = settings.DATABASES[self.database]["ENGINE"].rsplit(".", 1)[-1]
        cache = settings.CACHES["default"]["BACKEND"].split(".", 1)[0]
        rate, burst = settings.VBA_RATE_LIMIT_PER_SECOND, settings.VBA_RATE_LIMIT_BURST
        write(f"database {engine}, cache {cache}, {self.clients} clients, limit {rate}/s burst {burst} per key\n")
        write(f"{'workers':>7} | {'req/s':>7} | {'kind':<13} | {'n':>5} | {'p50 ms':>7} | {'p99 ms':>7}\n")
        for workers, mix, _limiter in rows:
            total = sum(mix["statuses"].values())
            for kind, values in sorted(mix["latencies"].items()):
                write(
                    f"{workers:>7} | {total / mix['elapsed']:>7.1f} | {kind:<13} | {len(values):>5} | "
                    f"{statistics.median(values) * 1000:>7.1f} | {percentile(values, 0.99) * 1000:>7.1f}\n"
                )
        for workers, mix, limiter in rows:
            server_errors = sum(n for status, n in mix["statuses"].items() if status >= 500)
            server_errors += sum(n for status, n in limiter["all"].items() if status >= 500)
            write(
                f"{workers} worker(s): statuses {dict(sorted(mix['statuses'].items()))}, 5xx: {server_errors}; "
                f"limiter admitted {limiter['admitted']} (promise at most {limiter['promise']:.0f}), "
                f"refused {limiter['refused']} with 429\n"
            )
