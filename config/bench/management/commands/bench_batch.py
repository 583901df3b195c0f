from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from config.bench.common import BatchBench, BenchTarget, bench_headers, no_rate_limit
from config.records.commands import vba_database_option
from config.serving.tenancy import use_vba_database


def targets() -> dict[str, BenchTarget]:
    """The resources a batch can be measured on (``--resource``): each bench module's ``BENCHES``."""
    from config.bench import auths, care_cases

    return {**auths.BENCHES, **care_cases.BENCHES}


class Command(BaseCommand):
    help = (
        "Measure batch throughput in one process on one VBA database: (a) a plain raw-SQL upsert (the database's "
        "own limit), (b) the full HTTP path of the batch endpoint, (c) the naive one-serializer-one-save-per-item "
        "path, (d) the resource's upsert_* command reading an NDJSON file; prints medians and the ratios b/a, c/b "
        "and d/a. Records are full, half new and half existing. The rows "
        "it writes are removed at the end."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--resource", required=True, choices=sorted(targets()))
        parser.add_argument("--records", type=int, default=1000)
        parser.add_argument("--database", required=True)
        parser.add_argument("--repeat", type=int, default=5, help="runs of (a) and (b); the median is reported")
        parser.add_argument("--naive-repeat", type=int, default=1, help="runs of the slow path (c); 0 skips it")

    def handle(self, *args: Any, resource: str, records: int, database: str, **options: Any) -> None:
        vba_database_option(database)
        user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_active": True})
        headers, forget = bench_headers(user, database)
        bench = BatchBench(targets()[resource], database, records, options["repeat"], options["naive_repeat"])
        vendor = __import__("django.db", fromlist=["connections"]).connections[database].vendor
        self.stdout.write(f"bench_batch: {resource}, {records} records (half new), {database} ({vendor})")
        try:
            with no_rate_limit, use_vba_database(database):
                result = bench.run(headers, user, self.stdout.write)
        finally:
            forget()
        m = result.medians
        self.stdout.write(f"(a) raw SQL upsert          median {m['a'] * 1000:9.1f} ms")
        self.stdout.write(f"(b) HTTP batch endpoint     median {m['b'] * 1000:9.1f} ms")
        if "c" in m:
            self.stdout.write(f"(c) naive per-item path     median {m['c'] * 1000:9.1f} ms")
        if "d" in m:
            self.stdout.write(f"(d) upsert command, NDJSON  median {m['d'] * 1000:9.1f} ms   ({bench.target.command})")
        ratios = [f"b/a = {m['b'] / m['a']:.2f}"]
        if "c" in m:
            ratios.append(f"c/b = {m['c'] / m['b']:.1f}")
        if "d" in m:
            ratios.append(f"d/a = {m['d'] / m['a']:.2f}")
        self.stdout.write("   ".join(ratios))
        self.stdout.write(
            f"(b) memory: the process grew by {result.rss_growth_mb:.1f} MB at its peak during one request"
        )
