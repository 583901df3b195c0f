"""``manage.py generate_auths --count N --database DB``: fill a VBA database with realistic synthetic Auths, fast.

PostgreSQL: ``COPY … FROM STDIN`` in chunks (one transaction each), then ``VACUUM (ANALYZE)``. SQLite: ``executemany``
in chunks. Every NOT NULL column and many nullable ones are set; values are varied and skewed the way real data is
(a few statuses dominate, providers are Zipf-like, subscribers have a few auths each over several years).

Keys are ``<prefix><9 digits>``, numbered after the highest key of that form already present, so a second run adds
rows instead of colliding. By default each chunk also gets its history rows ('+', one per Auth, written by one
``INSERT … SELECT`` from the rows just copied, as every other write path of the project leaves them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from authorizations.vba.models import Auth
from config.records.commands import vba_database_option
from config.records.counting import tables_written
from config.records.writers import insert_history, table_sql
from config.serving.tenancy import use_vba_database

KEY_DIGITS = 9
GENERATOR_USER = "generate_auths"
FIRST_DAY = dt.date(2020, 1, 1)
SPAN_DAYS = (dt.date(2026, 3, 31) - FIRST_DAY).days
DAYS = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(SPAN_DAYS + 400)]

STATUSES = (("APPROVED", 55), ("PENDED", 12), ("DENIED", 10), ("REVIEW", 8), ("EXPIRED", 10), ("VOID", 5))
AUTH_TYPES = (("OUTPT", 45), ("INPT", 20), ("RX", 12), ("DME", 10), ("HH", 8), ("SNF", 5))
SERVICES = (("PT", "THERAPY", "PT"), ("OT", "THERAPY", "OT"), ("MRI", "IMAGING", "DX"), ("SURG", "SURGERY", "OP"))
LOCATIONS = ("OFFC", "HOSP", "HOME", "SNF", "ASC")
FREQUENCIES = ("WEEKLY", "DAILY", "MONTHLY", "ONCE")
UNIT_TYPES = ("VISITS", "DAYS", "UNITS")
PLANS = ("PLAN-A", "PLAN-B", "PLAN-C", "PLAN-D", "PLAN-E", "PLAN-F")
APPROVED_LIKE = {"APPROVED", "EXPIRED"}


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


STATUS_POOL, TYPE_POOL = _weighted(STATUSES), _weighted(AUTH_TYPES)

#: Columns every generated row gets the same value for (keeps generation cheap; the varied ones are below).
CONSTANTS: dict[str, Any] = {
    "actual_location": None,
    "additional_visits": None,
    "audit_flag": "N",
    "auto_accident": "N",
    "body_code_id": None,
    "case_index_actual": None,
    "case_index_denied": None,
    "city_code_id": None,
    "drg_category": None,
    "drg_code": None,
    "daily_living": None,
    "discharge_date": None,
    "federal_id": None,
    "ivr_flag": "N",
    "injury_date": None,
    "monthly_amount": None,
    "narrative": None,
    "other_coverage_primary": "N",
    "other_insurance": "N",
    "previous_auth": None,
    "prior_auth": None,
    "radiating_pain": None,
    "range_of_motion": None,
    "referred_by_name": None,
    "reins_notification_date": None,
    "total_actual": None,
    "total_approved": None,
    "total_requested": None,
    "total_unit_type": None,
    "type_of_service": None,
    "tplan_downloaded_date": None,
    "tplan_downloaded_user": None,
    "work_related": "N",
    "entry_user": GENERATOR_USER,
}


def _stamp(day: int, minute: int) -> str:
    """A datetime as naive UTC text (what both backends accept for a UTC session / Django's SQLite storage)."""
    return f"{DAYS[day]} {minute // 60 % 24:02d}:{minute % 60:02d}:00"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class AuthGenerator:
    """Rows of one run; the data's shape scales with ``count`` (subscribers ≈ count/4, providers ≈ count/200)."""

    def __init__(self, prefix: str, count: int, seed: int) -> None:
        self.prefix, self.rng = prefix, random.Random(seed)
        self.subscribers = max(1, count // 4)
        self.providers = max(5, count // 200)
        self.attnames = table_sql(Auth, "postgresql").attnames
        self.varied = [a for a in self.attnames if a not in CONSTANTS]
        unknown = set(CONSTANTS) - set(self.attnames)
        assert not unknown, unknown

    def key(self, n: int) -> str:
        return f"{self.prefix}{n:0{KEY_DIGITS}d}"

    def varied_values(self, n: int) -> dict[str, Any]:
        r = self.rng.random
        status = STATUS_POOL[int(r() * len(STATUS_POOL))]
        approved = status in APPROVED_LIKE
        received = int(r() * SPAN_DAYS)
        minute = 420 + int(r() * 660)  # 07:00–18:00
        requested_from = received + 1 + int(r() * 30)
        requested_thru = requested_from + 30 + int(r() * 150)
        decided = received + int(r() * 14)
        updated = decided + int(r() * 60)
        subscriber = int(r() * self.subscribers)
        provider = int(r() ** 1.5 * self.providers)  # a few providers ask for most auths
        service_code, service_type, treatment = SERVICES[int(r() * len(SERVICES))]
        units = 4 + int(r() * 40)
        cents = 10000 + int(r() * 900000)
        seq = r()
        member_seq = "01" if seq < 0.6 else "02" if seq < 0.85 else f"{3 + int(r() * 4):02d}"
        closed = received < SPAN_DAYS - 365 and r() < 0.8
        has_case = r() < 0.3
        decided_stamp = _stamp(decided, minute + 90) if status != "PENDED" else None
        return {
            "auth_number": self.key(n),
            "actual_from": _stamp(requested_from, 540) if closed else None,
            "actual_thru": _stamp(requested_thru, 540) if closed else None,
            "amount_actual": _money(cents // 2) if closed else None,
            "amount_approved": _money(cents) if approved else None,
            "amount_denied": _money(cents) if status == "DENIED" else None,
            "amount_requested": _money(cents),
            "approved_by": f"reviewer{int(r() * 40)}" if approved else None,
            "approved_date": decided_stamp if approved else None,
            "approved_frequency": FREQUENCIES[units % 4] if approved else None,
            "approved_from": _stamp(requested_from, 0) if approved else None,
            "approved_location": LOCATIONS[units % 5] if approved else None,
            "approved_thru": _stamp(requested_thru, 0) if approved else None,
            "assigned_user": f"nurse{int(r() * 25)}",
            "auth_code": f"C{int(r() ** 2 * 40):02d}",
            "auth_type": TYPE_POOL[int(r() * len(TYPE_POOL))],
            "care_manager_key": 1 + int(r() * 300),
            "case_index_approved": "1" if approved else None,
            "case_index_requested": "1",
            "case_number": f"CS{n // 3:09d}" if has_case else None,
            "closed": closed,
            "denied_from": _stamp(requested_from, 0) if status == "DENIED" else None,
            "denied_thru": _stamp(requested_thru, 0) if status == "DENIED" else None,
            "entry_date": _stamp(received, minute + 5),
            "member_seq": member_seq,
            "new_or_extended": r() < 0.7,
            "notes": f"Auth for {service_type.lower()}, {units} {UNIT_TYPES[units % 3].lower()}"
            if r() < 0.25
            else None,
            "ordered_by_id": f"PRV{provider:06d}",
            "ordered_by_name": f"Dr. Provider {provider}",
            "payee_id": f"PAY{provider % 2000:05d}",
            "plan_id": PLANS[subscriber % len(PLANS)],
            "previous_treatment": r() < 0.2,
            "provider_id": f"PRV{provider:06d}",
            "received_date": _stamp(received, minute),
            "referred_by_id": f"PRV{int(r() * self.providers):06d}" if r() < 0.4 else None,
            "region": "NSEW"[subscriber % 4],
            "requested_frequency": FREQUENCIES[units % 4],
            "requested_from": _stamp(requested_from, 0),
            "requested_location": LOCATIONS[units % 5],
            "requested_thru": _stamp(requested_thru, 0),
            "service_code": service_code,
            "service_type": service_type,
            "status": status,
            "subscriber_id": f"{(subscriber * 7919 + 12345) % 900_000_000 + 100_000_000:09d}",
            "tplan_downloaded": r() < 0.1,
            "tplan_printed": "Y" if r() < 0.3 else "N",
            "tplan_printed_date": decided_stamp if approved and units % 3 == 0 else None,
            "treatment_type": treatment,
            "unit_type": UNIT_TYPES[units % 3],
            "units_actual": str(units // 2) if closed else None,
            "units_approved": str(units) if approved else None,
            "units_denied": str(units) if status == "DENIED" else None,
            "units_requested": str(units),
            "update_date": _stamp(updated, minute + 200),
            "update_user": f"nurse{int(r() * 25)}",
            "urgent": r() < 0.08,
            "visits_actual": str(units // 2) if closed else None,
            "visits_approved": str(units) if approved else None,
            "visits_requested": str(units),
            "visits_to_date": str(units // 2) if closed else None,
        }

    def rows(self, start: int, count: int) -> Iterator[tuple[Any, ...]]:
        """Rows ``start`` … ``start + count - 1`` as tuples in the table's column order."""
        columns = self.attnames
        for n in range(start, start + count):
            values = self.varied_values(n)
            yield tuple(values[a] if a in values else CONSTANTS[a] for a in columns)


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)  # generated text holds no tab, newline or backslash


def next_number(using: str, prefix: str) -> int:
    """One past the highest ``<prefix><9 digits>`` key already in the table (1 if none)."""
    sql = table_sql(Auth, connections[using].vendor)
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "_" * KEY_DIGITS
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT {sql.pk_column} FROM {sql.table} WHERE {sql.pk_column} LIKE %s ESCAPE '\\' "
            f"ORDER BY {sql.pk_column} DESC",
            [like],
        )
        for (key,) in cursor:
            digits = key[len(prefix) :]
            if digits.isdigit() and len(digits) == KEY_DIGITS:
                return int(digits) + 1
    return 1


def write_chunk(using: str, generator: AuthGenerator, start: int, count: int, *, history: bool) -> None:
    connection = connections[using]
    sql = table_sql(Auth, connection.vendor)
    rows = generator.rows(start, count)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit = off")
            with cursor.cursor.copy(f"COPY {sql.table} ({sql.column_list}) FROM STDIN") as copy:
                buffer: list[str] = []
                for row in rows:
                    buffer.append("\t".join(map(_copy_text, row)))
                    if len(buffer) == 2000:
                        copy.write("\n".join(buffer) + "\n")
                        buffer.clear()
                if buffer:
                    copy.write("\n".join(buffer) + "\n")
        else:
            placeholders = ", ".join(["%s"] * len(sql.fields))
            cursor.executemany(f"INSERT INTO {sql.table} ({sql.column_list}) VALUES ({placeholders})", list(rows))
        if history:
            keys = [generator.key(n) for n in range(start, start + count)]
            now = dt.datetime.now(dt.UTC)
            insert_history(Auth, using, [("+", keys)], user_id=None, when=now, activity_id=None)


class Command(BaseCommand):
    help = (
        "Fill a VBA database with realistic synthetic Auths (COPY on PostgreSQL, executemany on SQLite), keys "
        "<prefix><9 digits> after the highest existing one, with a '+' history row per Auth unless --no-history; "
        "VACUUM (ANALYZE) at the end on PostgreSQL (ANALYZE inside a transaction)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, required=True, help="how many Auths to add")
        parser.add_argument("--database", required=True, help="the VBA database to fill")
        parser.add_argument("--prefix", default="GEN", help="key prefix (default GEN): keys are GEN000000001, …")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
        parser.add_argument("--chunk-size", type=int, default=None, help="rows per transaction (50000 PG, 5000 SQLite)")
        parser.add_argument(
            "--history",
            action="store_true",
            default=True,
            help="write one '+' history row per Auth, as every write path does (default)",
        )
        parser.add_argument("--no-history", dest="history", action="store_false", help="write no history rows")

    def handle(self, *args: Any, count: int, database: str, prefix: str, seed: int, **options: Any) -> None:
        vba_database_option(database)
        if count < 0:
            raise CommandError("--count must be at least 0")
        width = Auth._meta.get_field("auth_number").max_length or 20
        if not prefix or len(prefix) + KEY_DIGITS > width or any(c in prefix for c in "\t\n\\"):
            raise CommandError(f"--prefix must be 1 to {width - KEY_DIGITS} plain characters")
        vendor = connections[database].vendor
        chunk_size = options["chunk_size"] or (50_000 if vendor == "postgresql" else 5_000)
        history = options["history"]
        started = time.perf_counter()
        maintenance = ""
        with use_vba_database(database):
            first = next_number(database, prefix)
            if first + count - 1 >= 10**KEY_DIGITS:
                raise CommandError(f"--prefix {prefix!r} has no room for {count} more keys; pick another prefix")
            generator = AuthGenerator(prefix, count, seed)
            with self._progress(count) as advance:
                for start in range(first, first + count, chunk_size):
                    size = min(chunk_size, first + count - start)
                    write_chunk(database, generator, start, size, history=history)
                    advance(size)
            written = time.perf_counter() - started
            tables_written(database, Auth)  # the lists' counts reused from before are stale now
            if vendor == "postgresql":
                # VACUUM sets the visibility map, so counts can be index-only scans right away (ANALYZE alone
                # leaves that to autovacuum); it cannot run inside a transaction (tests), where ANALYZE does.
                maintenance = "ANALYZE" if connections[database].in_atomic_block else "VACUUM (ANALYZE)"
                with connections[database].cursor() as cursor:
                    for model in (Auth, Auth.history.model):  # type: ignore[attr-defined]
                        cursor.execute(f'{maintenance} "{model._meta.db_table}"')
        total = time.perf_counter() - started
        keys = f"{generator.key(first)} … {generator.key(first + count - 1)}" if count else "none"
        self.stdout.write(
            f"generate_auths: {count} Auths ({keys}) into {database} ({vendor}), "
            f"{'with' if history else 'without'} history, in {written:.1f} s"
            + (f"; {maintenance} {total - written:.1f} s" if vendor == "postgresql" else "")
        )

    @contextlib.contextmanager
    def _progress(self, total: int) -> Iterator[Callable[[int], None]]:
        """A rich progress bar when writing to a terminal; silent otherwise."""
        if not self.stdout.isatty():
            yield lambda n: None
            return
        columns = (TextColumn("generate_auths"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, TimeRemainingColumn()) as progress:
            task = progress.add_task("rows", total=total)
            yield lambda n: progress.advance(task, n)
