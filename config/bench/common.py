"""Batch throughput benchmark (``manage.py bench_batch``): three ways to write the same records, in one process.

(a) the database's own limit: a plain raw-SQL upsert of rows already in Python (PostgreSQL: COPY into a temp table
    and one ``INSERT … SELECT … ON CONFLICT DO UPDATE``; SQLite: ``executemany`` of an upsert), no history;
(b) the full HTTP path of the batch endpoint through Django's test client: credentials, JSON parsing, validation,
    write, history, the 207 body;
(c) the naive path: one DRF ModelSerializer and one ``save()`` per item (history by simple-history's signal);
(d) the command path: the same records through the resource's ``upsert_*`` command, from an NDJSON file the bench
    writes beforehand (the command streams it), held to the same bar as (b).

Each run writes the same number of records, half new and half existing, every field set, values differing from run
to run (so that updates really change rows). Apps declare what to benchmark in a ``bench.py`` module.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import resource as rlimit
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.db import connections, models, transaction
from django.test.client import ClientHandler
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework import serializers

from config.records.batch import BatchResource
from config.records.writers import table_sql


@dataclass
class BenchTarget:
    resource: BatchResource
    path: str  # the batch endpoint, under /vbasoftware/
    make_item: Callable[[Any, int], dict[str, Any]]  # (key, run number) → a full record as a client sends it
    new_key: Callable[[int], Any]  # n → a key that does not exist yet (n grows across runs)
    setup: Callable[[str], None] = lambda using: None
    cleanup: Callable[[str], None] = lambda using: None
    key_filter: dict[str, Any] = field(default_factory=dict)  # lookup that selects every benchmark row
    command: str | None = None  # the upsert_* command of path (d)


def plain_upsert(model: type[models.Model], using: str, rows: list[dict[str, Any]]) -> None:
    """Baseline (a): the plainest bulk upsert the database offers, written independently of the engine's writer."""
    connection = connections[using]
    sql = table_sql(model, connection.vendor)
    pk = model._meta.pk.attname
    updates = ", ".join(
        f"{sql.q(str(f.column))} = excluded.{sql.q(str(f.column))}" for f in sql.fields if f.attname != pk
    )
    conflict = f"ON CONFLICT ({sql.pk_column}) DO UPDATE SET {updates}"
    tuples = [tuple(row[a] for a in sql.attnames) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS bench_tmp (LIKE {sql.table}) ON COMMIT DELETE ROWS")
            with cursor.cursor.copy(f"COPY bench_tmp ({sql.column_list}) FROM STDIN") as copy:
                for row in tuples:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {sql.table} ({sql.column_list}) SELECT {sql.column_list} FROM bench_tmp "
                f"ORDER BY {sql.pk_column} {conflict}"
            )
        else:
            converters = [(i, c) for i, c in enumerate(sql.sqlite_converters(connection.ops)) if c is not None]
            converted = []
            for row in tuples:
                values = list(row)
                for i, convert in converters:
                    values[i] = convert(values[i])
                converted.append(values)
            placeholders = ", ".join(["?"] * len(sql.fields))
            cursor.cursor.executemany(
                f"INSERT INTO {sql.table} ({sql.column_list}) VALUES ({placeholders}) {conflict}", converted
            )


def _current_rss_kb() -> int:
    """Resident memory now (Linux), in the unit of ``ru_maxrss`` (kB)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)


def naive_serializer(model: type[models.Model]) -> type[serializers.ModelSerializer]:
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    return type(f"Naive{model.__name__}Serializer", (serializers.ModelSerializer,), {"Meta": meta})


@dataclass
class BenchResult:
    medians: dict[str, float]
    rss_growth_mb: float


class BatchBench:
    def __init__(self, target: BenchTarget, using: str, records: int, repeat: int, naive_repeat: int) -> None:
        self.target, self.using, self.records = target, using, records
        self.repeat, self.naive_repeat = repeat, naive_repeat
        self.spec = target.resource.spec
        self.counter = 0
        self.existing: list[Any] = []

    # -- data ------------------------------------------------------------------------------------------------
    def _fresh_keys(self, n: int) -> list[Any]:
        keys = [self.target.new_key(self.counter + i) for i in range(n)]
        self.counter += n
        return keys

    def items(self, run: int) -> list[dict[str, Any]]:
        """Half existing, half new; every field set; values differ from earlier runs."""
        half = self.records // 2
        keys = self.existing[:half] + self._fresh_keys(self.records - half)
        self.existing = keys  # the next run updates some of these and creates others
        return [self.target.make_item(key, run) for key in keys]

    def rows(self, items: list[dict[str, Any]], user_name: str) -> list[dict[str, Any]]:
        now = timezone.now()
        out = []
        for item in items:
            attrs, error = self.spec.validate(item)
            assert attrs is not None, error
            attrs.update(entry_date=now, entry_user=user_name, update_date=now, update_user=user_name)
            out.append(attrs)
        return sorted(out, key=lambda r: r[self.target.resource.key])

    # -- the three paths -------------------------------------------------------------------------------------
    def run_raw(self, run: int) -> float:
        rows = self.rows(self.items(run), "bench")
        started = time.perf_counter()
        with transaction.atomic(using=self.using):
            plain_upsert(self.spec.model, self.using, rows)
        return time.perf_counter() - started

    def run_http(self, run: int, headers: dict[str, Any]) -> float:
        return self.run_http_body(json.dumps(self.items(run)).encode(), headers)

    def run_http_body(self, body: bytes, headers: dict[str, Any]) -> float:
        started = time.perf_counter()
        response = serve_wsgi("PUT", self.target.path, body, headers)
        elapsed = time.perf_counter() - started
        assert response.status_code == 207, response.content[:500]
        statuses = {r["status"] for r in json.loads(response.content)["data"]}
        assert statuses <= {200, 201}, statuses
        return elapsed

    def run_command(self, run: int, user: Any, directory: str) -> float:
        """(d): ``manage.py <command> <file.ndjson> --database … --user …``, the file written before the clock."""
        assert self.target.command is not None
        path = os.path.join(directory, f"run-{run}.ndjson")
        with open(path, "w", encoding="utf-8") as out:
            for item in self.items(run):
                out.write(json.dumps(item) + "\n")
        output = io.StringIO()
        started = time.perf_counter()
        call_command(self.target.command, path, database=self.using, user=user.get_username(), stdout=output)
        elapsed = time.perf_counter() - started
        os.remove(path)
        assert "FAILED" not in output.getvalue(), output.getvalue()[:500]  # (a failure also raises CommandError)
        return elapsed

    def run_naive(self, run: int, user: Any) -> float:
        items = self.items(run)
        serializer_class = naive_serializer(self.spec.model)
        manager = self.spec.model._default_manager.using(self.using)
        started = time.perf_counter()
        now = timezone.now()
        for item in items:
            data = {
                self.spec.model._meta.get_field(self.spec.attname_by_json[k]).name: v
                for k, v in item.items()
                if k in self.spec.attname_by_json
            }
            data.update(entry_date=now, update_date=now, entry_user=user.username, update_user=user.username)
            instance = manager.filter(pk=item[self.target.resource.key_json]).first()
            serializer = serializer_class(instance=instance, data=data)
            serializer.is_valid(raise_exception=True)
            with transaction.atomic(using=self.using):
                serializer.save()
        return time.perf_counter() - started

    def run(self, headers: dict[str, str], user: Any, log: Callable[[str], None]) -> BenchResult:
        self.target.setup(self.using)
        times: dict[str, list[float]] = {"a": [], "b": [], "c": [], "d": []}
        try:
            self.run_raw(0)  # warm-up: creates the first "existing" half and warms caches
            body = json.dumps(self.items(0)).encode()
            rss_before = _current_rss_kb()  # the HTTP path's own growth: from now to the peak of its first run
            self.run_http_body(body, headers)
            rss_growth_kb = rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss - rss_before
            del body
            with tempfile.TemporaryDirectory(prefix="bench-batch-") as directory:
                for run in range(1, self.repeat + 1):
                    times["a"].append(self.run_raw(run))
                    times["b"].append(self.run_http(run, headers))
                    line = f"  run {run}: a {times['a'][-1] * 1000:.0f} ms, b {times['b'][-1] * 1000:.0f} ms"
                    if self.target.command:
                        times["d"].append(self.run_command(run, user, directory))
                        line += f", d {times['d'][-1] * 1000:.0f} ms"
                    log(line)
            for run in range(self.naive_repeat):
                times["c"].append(self.run_naive(100 + run, user))
                log(f"  naive run {run + 1}: c {times['c'][-1] * 1000:.0f} ms")
        finally:
            self.target.cleanup(self.using)
        medians = {k: statistics.median(v) for k, v in times.items() if v}
        return BenchResult(medians, max(0, rss_growth_kb) / 1024)


def serve_wsgi(method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
    """One request through Django's WSGI handler, its body read from a stream as a WSGI server hands it over from
    its socket. (Django's test client also keeps two encoded copies of the body of its own, which a server would
    not hold: they would count in the memory measured.) The database connection stays open, as with the test
    client."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),  # (shares the bytes until read)
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **headers,
    }
    return ClientHandler(enforce_csrf_checks=False)(environ)


def bench_headers(user: Any, database: str) -> tuple[dict[str, str], Callable[[], None]]:
    """Credentials for the HTTP path: a throwaway API client, a grant, a token. Returns headers and a cleanup."""
    from config.api.models import APIClient, DatabaseGrant
    from config.vba.authentication import issue_tokens

    client, key = APIClient.objects.create_key(name=f"bench-{uuid.uuid4().hex[:8]}", databases=[database])
    grant, _ = DatabaseGrant.objects.get_or_create(user=user, database=database)
    token = issue_tokens(user, database)["authenticationResult"]["idToken"]
    headers = {"HTTP_X_API_KEY": key, "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_VBASOFTWARE_DATABASE": database}

    def cleanup() -> None:
        client.delete()

    return headers, cleanup


no_rate_limit = override_settings(VBA_RATE_LIMIT_PER_SECOND=0, VBA_BATCH_MAX_ITEMS=10**9, VBA_MAX_BODY_BYTES=2**40)


def loopback_request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int, bytes]:
    """One request to a server of this machine on ``port``: the status and the body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
