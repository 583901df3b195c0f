import io
import statistics
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from authorizations.vba.models import Auth
from config.records.commands import vba_database_option
from config.serving.tenancy import use_vba_database


class Command(BaseCommand):
    help = (
        "Measure export_auths in one process on one PostgreSQL VBA database: (a) PostgreSQL's own COPY … TO of the "
        "Auth table, (e) export_auths of the same rows as a JSON array; prints medians and e/a. Tops the table up "
        "to --records Auths with generate_auths (prefix BEXP) first; the rows are kept for the next run."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--records", type=int, default=100_000)
        parser.add_argument("--database", required=True)
        parser.add_argument("--repeat", type=int, default=3, help="runs of (a) and (e); the median is reported")

    def handle(self, *args: Any, records: int, database: str, repeat: int, **options: Any) -> None:
        vba_database_option(database)
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("bench_export compares with PostgreSQL's COPY: run it on a PostgreSQL database")
        with use_vba_database(database):
            missing = records - Auth.objects.count()
        if missing > 0:
            call_command("generate_auths", "--count", str(missing), "--database", database, "--prefix", "BEXP")
        with use_vba_database(database):
            rows = Auth.objects.count()
        table = connection.ops.quote_name(Auth._meta.db_table)
        key = connection.ops.quote_name(str(Auth._meta.pk.column))
        if not connection.in_atomic_block:
            # the batch benchmark before this one leaves dead rows behind, which a server without autovacuum (this
            # machine's) keeps: both paths read the table as autovacuum keeps it (VACUUM cannot run in a transaction)
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        self.stdout.write(f"bench_export: {rows} Auths, {database} (postgresql), JSON to memory, {repeat} runs")

        def copy() -> float:
            sink = io.BytesIO()
            start = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY (SELECT * FROM {table} ORDER BY {key}) TO STDOUT") as pipe,
            ):
                for block in pipe:
                    sink.write(block)
            return time.perf_counter() - start

        def export() -> float:
            start = time.perf_counter()
            call_command("export_auths", "--database", database, stdout=io.StringIO(), stderr=io.StringIO())
            return time.perf_counter() - start

        a, e = [], []
        for _ in range(repeat):  # interleaved, so that a busy moment of the machine hits both
            a.append(copy())
            e.append(export())
        ma, me = statistics.median(a), statistics.median(e)
        self.stdout.write(f"(a) PostgreSQL COPY … TO     median {ma * 1000:9.1f} ms")
        self.stdout.write(f"(e) export_auths (JSON)     median {me * 1000:9.1f} ms")
        self.stdout.write(f"e/a = {me / ma:.2f}")
