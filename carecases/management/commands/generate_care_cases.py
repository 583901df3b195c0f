"""``manage.py generate_care_cases --plans N --cases-per-plan N --work-logs-per-case N --database DB``: fill a VBA
database with realistic synthetic care plans, care cases and work log entries, fast.

PostgreSQL: ``COPY … FROM STDIN`` in chunks of cases (one transaction each: the cases, their work log entries and
the '+' history rows of both), then ``VACUUM (ANALYZE)``; SQLite: ``executemany`` in chunks. The helpers are
generate_auths' (:mod:`config.records.generating`). Every key is reserved from the key sequence the API assigns from
(after the largest key in use), so the API never hands out one of them.

The data: each plan a care program (a care type, a weight); cases are spread over the plans in turn, started over
six years in key order, about half of them closed (with an end date and a close reason), the others active, open,
pending or on hold; each names a member (a subscriber, the same numbers as generate_auths' Auths, and a member
sequence: members have one to a few cases) and a provider. A case has 0 to 2 × ``--work-logs-per-case`` entries
(``--work-logs-per-case`` on average), the first its initial assessment, dated within the case's period; one case
in :data:`BUSY_EVERY` is a long-running one with :data:`BUSY_ENTRIES` entries (more than a case's page shows).
Comments are the demo's phrases about the work (:data:`carecases.demo.WORK`): they never name a person.

A database that already holds generated care plans is refused (a second run would double the data silently).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from carecases.demo import INITIAL, WORK
from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from carecases.services import CARE_CASE, CARE_CASE_WORK_LOG, CARE_PLAN
from carecases.work_log_admin import ENTRIES_SHOWN
from config.records.commands import vba_database_option
from config.records.counting import tables_written
from config.records.generating import (
    copy_line,
    copy_rows,
    history_of_range,
    insert_rows,
    progress,
    reserve_keys,
    vacuum_analyze,
)
from config.records.writers import table_sql
from config.serving.tenancy import use_vba_database

GENERATOR_USER = "generate_care_cases"
FIRST_DAY = dt.date(2020, 1, 1)
SPAN_DAYS = (dt.date(2026, 3, 31) - FIRST_DAY).days  # the last day of the data (as generate_auths)
DAYS = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(SPAN_DAYS + 1)]
MODELS = (CarePlan, CareCase, CareCaseWorkLog)
#: One case in BUSY_EVERY has BUSY_ENTRIES entries: its page shows the newest ENTRIES_SHOWN only.
BUSY_EVERY = 500
BUSY_ENTRIES = ENTRIES_SHOWN * 3 // 2

#: Care programs: (care type, weight, description).
PROGRAMS = (
    ("DIABETES", "1.50", "Diabetes management"),
    ("CARDIAC", "2.00", "Cardiac rehabilitation"),
    ("MATERNITY", "1.00", "High-risk maternity"),
    ("BEHAVIORAL", "1.25", "Behavioral health follow-up"),
    ("COPD", "1.75", "COPD self-management"),
    ("CHF", "2.25", "Heart failure transitions"),
    ("ONCOLOGY", "2.50", "Oncology navigation"),
    ("ASTHMA", "1.00", "Pediatric asthma"),
    ("CKD", "2.00", "Chronic kidney disease"),
    ("TRANSITIONS", "1.25", "Hospital discharge transitions"),
)


def _weighted(pairs: tuple[tuple[Any, int], ...]) -> list[Any]:
    return [value for value, weight in pairs for _ in range(weight)]


STATUS_POOL = _weighted((("CLOSED", 45), ("ACTIVE", 30), ("OPEN", 12), ("PENDING", 8), ("ON_HOLD", 5)))
PRIORITY_POOL = _weighted(((1, 5), (2, 15), (3, 40), (4, 25), (5, 15)))
REASON_POOL = _weighted(
    (("REFERRAL", 30), ("HIGH_RISK", 25), ("READMIT", 15), ("DISCHARGE", 15), ("SELF", 5), ("CLAIMS", 10))
)
CLOSE_REASON_POOL = _weighted(
    (("GOALS_MET", 50), ("DISENROLLED", 15), ("DECLINED", 10), ("UNREACHABLE", 15), ("TRANSFERRED", 10))
)
KIND_POOL = _weighted((("CALL", 50), ("VISIT", 10), ("EMAIL", 15), ("COORDINATION", 15), ("ASSESSMENT", 10)))
#: Comments on eligibility: about the check, never a person.
ELIGIBILITY_COMMENTS = ("Eligibility confirmed with the plan", "Coverage verified for the case period")


def _stamp(day: int, minute: int) -> str:
    """A datetime as naive UTC text (what both backends accept for a UTC session / Django's SQLite storage)."""
    return f"{DAYS[min(day, SPAN_DAYS)]} {minute // 60 % 24:02d}:{minute % 60:02d}:00"


class CareGenerator:
    """The rows of one run: ``total`` cases over ``plan_keys`` (in turn), ~``per_case`` entries each."""

    def __init__(self, plan_keys: range, total: int, per_case: int, seed: int) -> None:
        self.plan_keys, self.total, self.per_case = plan_keys, total, per_case
        self.rng = random.Random(seed)
        self.subscribers = max(1, total // 2)  # a member has one to a few cases
        self.providers = max(5, total // 200)
        self.managers = max(5, total // 2000)
        self.case_columns = table_sql(CareCase, "postgresql").attnames
        self.log_columns = table_sql(CareCaseWorkLog, "postgresql").attnames

    def plans(self, keys: range) -> Iterator[tuple[Any, ...]]:
        columns = table_sql(CarePlan, "postgresql").attnames
        for i, key in enumerate(keys):
            care_type, weight, text = PROGRAMS[i % len(PROGRAMS)]
            round_ = i // len(PROGRAMS)
            stamp = _stamp(i % 30, 480 + i % 60)
            values = {
                "care_plan_key": key,
                "care_type": care_type,
                "care_weight": weight,
                "description": f"{text} program" + (f" (region {round_ + 1})" if round_ else ""),
                "entry_date": stamp,
                "entry_user": GENERATOR_USER,
                "update_date": stamp,
                "update_user": GENERATOR_USER,
            }
            yield tuple(values[c] for c in columns)

    def case(self, index: int, key: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Case number ``index`` of the run (key ``key``) and its work log entries (without their keys)."""
        r = self.rng.random
        start = min(SPAN_DAYS - 1, index * SPAN_DAYS // max(1, self.total) + int(r() * 20))
        status = STATUS_POOL[int(r() * len(STATUS_POOL))]
        end = start + 30 + int(r() * 330)
        if status == "CLOSED" and end > SPAN_DAYS:
            status = "ACTIVE"  # not over yet
        closed = status == "CLOSED"
        last = end if closed else min(SPAN_DAYS, start + 30 + int(r() * 400))
        minute = 480 + int(r() * 540)  # 08:00–17:00
        subscriber = int(r() * self.subscribers)
        seq = r()
        member_seq = "01" if seq < 0.6 else "02" if seq < 0.85 else f"{3 + int(r() * 4):02d}"
        manager = f"cm{int(r() * self.managers):03d}"
        busy = index % BUSY_EVERY == BUSY_EVERY // 2
        count = BUSY_ENTRIES if busy else int(r() * (2 * self.per_case + 1)) if self.per_case else 0
        entries = self._entries(key, count, start, last, manager)
        updated = max([start, *(e["day"] for e in entries)]) if not closed else max(end, start)
        case = {
            "case_key": key,
            "appointment_date": _stamp(start + 7 + int(r() * 21), minute) if not closed and r() < 0.5 else None,
            "assessment_date": _stamp(start + int(r() * 7), minute) if r() < 0.85 else None,
            "care_plan_id": self.plan_keys[index % len(self.plan_keys)],
            "case_assign_type": "USER" if r() < 0.8 else "TEAM",
            "case_end_date": _stamp(end, 1020) if closed else None,
            "case_id": f"CM-{key:08d}",
            "case_priority": PRIORITY_POOL[int(r() * len(PRIORITY_POOL))],
            "case_reason": REASON_POOL[int(r() * len(REASON_POOL))],
            "case_score": f"{int(r() * 100)}.{int(r() * 100):02d}",
            "case_start_date": _stamp(start, minute),
            "case_status": status,
            "division_id": f"DIV{subscriber % 7:02d}",
            "do_not_contact": r() < 0.03,
            "eligibility_verified": _stamp(start, minute + 30) if r() < 0.7 else None,
            "eligibility_verified_comment": ELIGIBILITY_COMMENTS[int(r() * 2)] if r() < 0.3 else None,
            "case_close_reason": CLOSE_REASON_POOL[int(r() * len(CLOSE_REASON_POOL))] if closed else None,
            "entry_date": _stamp(start, minute),
            "entry_user": GENERATOR_USER,
            "group_id": f"GRP{subscriber % 40:03d}",
            "member_seq": member_seq,
            "provider_id": f"PRV{int(r() ** 1.5 * self.providers):06d}",
            "subscriber_id": f"{(subscriber * 7919 + 12345) % 900_000_000 + 100_000_000:09d}",
            "update_date": _stamp(updated, minute + 60),
            "update_user": manager,
        }
        return case, entries

    def _entries(self, case_key: int, count: int, start: int, last: int, manager: str) -> list[dict[str, Any]]:
        """``count`` entries dated from ``start`` to ``last``, oldest first, the first the initial assessment; most
        logged by the case's manager."""
        r = self.rng.random
        moments = sorted((start + int(r() * (last - start + 1)), 480 + int(r() * 560)) for _ in range(count))
        entries = []
        for n, (day, minute) in enumerate(moments):
            kind = "ASSESSMENT" if n == 0 else KIND_POOL[int(r() * len(KIND_POOL))]
            (low, high), choices = WORK[kind]
            secondary, comment, billable = INITIAL if n == 0 else choices[int(r() * len(choices))]
            minutes = low + int(r() * (high - low + 1))
            when = _stamp(day, minute)
            assessment = kind == "ASSESSMENT"
            entries.append(
                {
                    "day": day,
                    "care_case_id": case_key,
                    "member_impact_score": f"{1 + int(r() * 9)}.00" if assessment else None,
                    "plan_impact_score": f"{1 + int(r() * 9)}.00" if assessment else None,
                    "work_log_billable": billable,
                    "work_log_comment": comment,
                    "work_log_date": when,
                    "work_log_hour": minutes // 60,
                    "work_log_minute": minutes % 60,
                    "work_log_secondary_type": secondary,
                    "work_log_secondary_type2": None,
                    "work_log_secondary_type3": None,
                    "work_log_secondary_type4": None,
                    "work_log_secondary_type5": None,
                    "work_log_type": kind,
                    "work_log_units": (minutes + 14) // 15,
                    "work_log_user": manager if r() < 0.85 else f"cm{int(r() * self.managers):03d}",
                    "entry_date": when,
                    "entry_user": GENERATOR_USER,
                    "update_date": when,
                    "update_user": GENERATOR_USER,
                }
            )
        return entries

    def chunk(self, first_index: int, keys: range) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
        """The cases of ``keys`` (run indexes from ``first_index``) as tuples, and their entries."""
        cases, entries = [], []
        for offset, key in enumerate(keys):
            case, its = self.case(first_index + offset, key)
            cases.append(tuple(case[c] for c in self.case_columns))
            entries.extend(its)
        return cases, entries

    def entry_rows(self, entries: list[dict[str, Any]], keys: range) -> Iterator[tuple[Any, ...]]:
        columns = self.log_columns[1:]  # (the key first)
        for key, entry in zip(keys, entries, strict=True):
            yield (key, *(entry[c] for c in columns))


def write(using: str, model: Any, rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]], keys: range) -> None:
    """``rows`` of ``model`` (keys ``keys``) and their '+' history rows, in the current transaction."""
    connection = connections[using]
    sql = table_sql(model, connection.vendor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit = off")
            copy_rows(cursor, sql, (copy_line(row) for row in rows))
        else:
            insert_rows(cursor, sql, rows)
    history_of_range(model, using, keys, dt.datetime.now(dt.UTC))


class Command(BaseCommand):
    help = (
        "Fill a VBA database with realistic synthetic care plans, care cases (members, providers, statuses including "
        "closed ones) and work log entries, with their '+' history rows; keys reserved from the API's key sequence; "
        "COPY on PostgreSQL (then VACUUM (ANALYZE)), executemany on SQLite. Refuses a database that already holds "
        "generated care plans."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--plans", type=int, required=True, help="how many care plans to add")
        parser.add_argument("--cases-per-plan", type=int, required=True, help="care cases of each plan")
        parser.add_argument(
            "--work-logs-per-case",
            type=int,
            required=True,
            help=f"work log entries of a case on average (0 to 2N; one case in {BUSY_EVERY} has {BUSY_ENTRIES})",
        )
        parser.add_argument("--database", required=True, help="the VBA database to fill")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
        parser.add_argument(
            "--chunk-size", type=int, default=None, help="cases per transaction (20000 PG, 2000 SQLite)"
        )

    def handle(self, *args: Any, plans: int, cases_per_plan: int, work_logs_per_case: int, **options: Any) -> None:
        database, seed = options["database"], options["seed"]
        vba_database_option(database)
        if min(plans, cases_per_plan, work_logs_per_case) < 0:
            raise CommandError("--plans, --cases-per-plan and --work-logs-per-case must be at least 0")
        if options["chunk_size"] is not None and options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        vendor = connections[database].vendor
        chunk_size = options["chunk_size"] or (20_000 if vendor == "postgresql" else 2_000)
        total = plans * cases_per_plan
        with use_vba_database(database):
            self._generate(database, plans, total, work_logs_per_case, seed, chunk_size)

    def _generate(self, database: str, plans: int, total: int, per_case: int, seed: int, chunk_size: int) -> None:
        vendor = connections[database].vendor
        earlier = CarePlan.objects.using(database).filter(entry_user=GENERATOR_USER).count()
        if earlier:
            raise CommandError(
                f"{database} already holds {earlier} care plans written by {GENERATOR_USER}: a second run would add "
                "as many again; generate into a fresh database"
            )
        started = time.perf_counter()
        entries = 0
        with transaction.atomic(using=database):
            plan_keys = reserve_keys(CARE_PLAN, database, plans)
            generator = CareGenerator(plan_keys, total, per_case, seed)
            write(database, CarePlan, generator.plans(plan_keys), plan_keys)
        case_keys = range(0)
        with progress(self.stdout, "generate_care_cases", total) as advance:
            for first in range(0, total, chunk_size):
                size = min(chunk_size, total - first)
                with transaction.atomic(using=database):
                    keys = reserve_keys(CARE_CASE, database, size)
                    case_keys = range(case_keys.start if first else keys.start, keys.stop)
                    cases, its = generator.chunk(first, keys)
                    write(database, CareCase, cases, keys)
                    log_keys = reserve_keys(CARE_CASE_WORK_LOG, database, len(its))
                    write(database, CareCaseWorkLog, generator.entry_rows(its, log_keys), log_keys)
                    entries += len(its)
                advance(size)
        written = time.perf_counter() - started
        tables_written(database, *MODELS)  # the lists' counts reused from before are stale now
        maintenance = vacuum_analyze(database, MODELS)
        finished = time.perf_counter() - started
        span = lambda keys: f"{keys[0]} … {keys[-1]}" if keys else "none"  # noqa: E731
        self.stdout.write(
            f"generate_care_cases: {plans} care plans (keys {span(plan_keys)}), {total} care cases (keys "
            f"{span(case_keys)}) and {entries} work log entries into {database} ({vendor}), with history, in "
            f"{written:.1f} s" + (f"; {maintenance} {finished - written:.1f} s" if maintenance else "")
        )
