"""``manage.py bench_reads --database DB``: how fast Auths and care cases are read at scale, and whether any read
scans a table.

In one process, through Django's test client, it times (median of ``--repeat`` runs after a warm-up) filtered and
sorted pages of ``GET /vbasoftware/auths`` and the admin changelist (unfiltered, searched, filtered), and, when the
database has care cases, the care pages (the case list unfiltered, of one plan, searched by member, sorted by the
work log column; a case's page with its timeline; the work log of one case; a care plan's page); prints each figure
in ms and, on PostgreSQL, ``EXPLAIN``\\s every query those requests sent to the VBA database and reports any
``Seq Scan`` on the tables of :data:`MODELS` or their history tables. Filter values are taken from the data (a real
subscriber, provider, auth number, month, plan, member).

Exits non-zero when a plan scans one of those tables, or (with ``--max-ms``) when a median exceeds the limit.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.db.models import Count, Subquery
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from authorizations.vba.models import Auth, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.review_admin import review_list_url
from carecases.admin import CareCaseAdmin
from carecases.models import CareCase, CareCaseWorkLog
from carecases.work_log_admin import work_log_list_url
from config.admin.sites import member_of, site_name, vba_sites
from config.bench.common import bench_headers, no_rate_limit
from config.records.commands import vba_database_option
from config.serving.tenancy import use_vba_database

BENCH_USER = "bench_reads"
TABLE = f'"{Auth._meta.db_table}"'
CARE_TABLE = f'"{CareCase._meta.db_table}"'
#: The Auth and the records shown on its page, the care case and its work log; none may be read by a full scan (nor
#: their history tables).
MODELS = (Auth, AuthProcCodes, AuthDiagCodes, AuthReview, CareCase, CareCaseWorkLog)
TABLES = tuple(t for m in MODELS for t in (m._meta.db_table, m.history.model._meta.db_table))  # type: ignore[attr-defined]
SEQ_SCAN = re.compile(r'Seq Scan on "?(?:' + "|".join(map(re.escape, TABLES)) + r')"?(\s|$)')
PLAN_NODE = re.compile(r"^\s*(?:->\s*)?([A-Z][A-Za-z ]*?)(?: using (\S+))?(?: on (\S+)(?: \w+)?)?\s+\(cost=")


@dataclass
class Case:
    kind: str  # "api" or "admin"
    label: str
    path: str
    timings: list[float] = field(default_factory=list)
    plans: list[tuple[str, str]] = field(default_factory=list)  # (sql, plan)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings) * 1000

    @property
    def seq_scans(self) -> list[str]:
        return [sql for sql, plan in self.plans if SEQ_SCAN.search(plan)]


def is_read(sql: str) -> bool:
    return sql.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def sample_cases(database: str) -> list[Case]:
    """Realistic requests built from rows that exist (read through the primary key, cheaply)."""
    auths = Auth.objects.using(database).order_by("pk")
    sample = auths.filter(received_date__isnull=False, subscriber_id__isnull=False).first()
    if sample is None:
        raise CommandError(f"{database} has no Auth with a received date and a subscriber; run generate_auths first")
    urgent = auths.filter(urgent=True, provider_id__isnull=False).first() or sample
    received = sample.received_date
    assert received is not None
    month = {"received_Date_from": _iso(received - dt.timedelta(days=15)), "received_Date_to": _iso(received)}
    api = "/vbasoftware/auths?"
    admin = reverse("admin:authorizations_auth_changelist", current_app=site_name(database))
    prefix = (sample.subscriber_id or "")[:5]
    home = reverse("admin:index", current_app=site_name(database))
    reviewed = _reviewed_auth(database) or sample.pk
    lines = AuthProcCodes.objects.using(database).filter(auth_number=reviewed).count()
    diagnoses = AuthDiagCodes.objects.using(database).filter(auth_number=reviewed).count()
    reviews = AuthReview.objects.using(database).filter(auth_number=reviewed).count()
    return [
        Case("api", "GET /auths unfiltered (first page)", api.rstrip("?")),
        Case(
            "api",
            "GET /auths status=APPROVED, sortBy received_Date:desc",
            api + "status=APPROVED&sortBy=received_Date:desc",
        ),
        Case(
            "api",
            "GET /auths subscriber_ID + member_Seq",
            api + urlencode({"subscriber_ID": sample.subscriber_id, "member_Seq": sample.member_seq or "01"}),
        ),
        Case(
            "api",
            "GET /auths received_Date range (1 month), sortBy received_Date:asc",
            api + urlencode({**month, "sortBy": "received_Date:asc"}),
        ),
        Case(
            "api",
            "GET /auths provider_ID + urgent=true",
            api + urlencode({"provider_ID": urgent.provider_id, "urgent": "true"}),
        ),
        Case(
            "api",
            "GET /auths auth_Type=INPT&closed=false, sortBy update_Date:desc",
            api + "auth_Type=INPT&closed=false&sortBy=update_Date:desc",
        ),
        Case(
            "api",
            "GET /auths updated_Since (last 30 days of data), sortBy update_Date:asc",
            api
            + urlencode(
                {"updated_Since": _iso(_latest_update(database) - dt.timedelta(days=30)), "sortBy": "update_Date:asc"}
            ),
        ),
        Case("admin", "admin changelist, unfiltered", admin),
        Case("admin", "admin search: auth number", admin + "?" + urlencode({"q": sample.auth_number})),
        Case("admin", f"admin search: subscriber prefix {prefix!r}", admin + "?" + urlencode({"q": prefix})),
        Case("admin", "admin search: provider ID", admin + "?" + urlencode({"q": urgent.provider_id})),
        Case("admin", "admin filter: status=APPROVED", admin + "?status=APPROVED"),
        Case("admin", "admin filter: urgent=yes", admin + "?urgent__exact=1"),
        Case("admin", "admin filter: closed=no, auth_type=INPT", admin + "?closed__exact=0&auth_type__exact=INPT"),
        Case(
            "admin",
            f"admin change form (one Auth: {lines} procedure lines, {diagnoses} diagnoses, {reviews} reviews)",
            reverse("admin:authorizations_auth_change", args=[quote(reviewed)], current_app=site_name(database)),
        ),
        Case(  # the Auth with lines, diagnoses and reviews: its page lists their history rows too
            "admin",
            "admin history (one Auth)",
            reverse("admin:authorizations_auth_history", args=[quote(reviewed)], current_app=site_name(database)),
        ),
        # The reviewer's queue (issue 23): the decision clock's lists, several statuses, an assignee, a member, and
        # the home page's counts.
        Case("admin", "admin queue: overdue", admin + "?clock=overdue"),
        Case("admin", "admin queue: due today", admin + "?clock=today"),
        Case("admin", "admin queue: overdue, sorted by due time", admin + "?clock=overdue&o=6"),
        Case("admin", "admin queue: assigned to me", admin + "?assigned=me"),
        Case(
            "admin",
            f"admin queue: assignee {sample.assigned_user!r}, sorted by received date",
            admin + "?" + urlencode({"assigned_user__exact": sample.assigned_user or "", "o": "-5"}),
        ),
        Case("admin", "admin queue: statuses PENDED,REVIEW", admin + "?status__in=PENDED,REVIEW"),
        Case(
            "admin",
            "admin queue: statuses PENDED,DENIED, sorted by received date (newest first)",
            admin + "?status__in=PENDED,DENIED&o=-5",
        ),
        Case(
            "admin",
            f"admin search: member {member_of(sample)!r}",
            admin + "?" + urlencode({"q": member_of(sample)}),
        ),
        Case("admin", "admin home page (counts by status, overdue, due today)", home),
        Case("admin", "admin first page (each database's counts)", reverse("admin:index")),
        Case("admin", "admin reviews of one Auth", review_list_url(vba_sites[database], reviewed)),
    ]


def care_cases(database: str) -> list[Case]:
    """The care pages, built from rows that exist; none when the database has no care case."""
    sample = CareCase.objects.using(database).order_by("pk").filter(subscriber_id__isnull=False).first()
    if sample is None:
        return []
    app = site_name(database)
    cases = reverse("admin:carecases_carecase_changelist", current_app=app)
    busy = _busy_case(database) or sample.pk
    entries = CareCaseWorkLog.objects.using(database).filter(care_case_id=busy).count()
    # the changelist's ``o`` counts the action checkbox first
    work_log_column = ("action_checkbox", *CareCaseAdmin.list_display).index("work_logged")
    return [
        Case("admin", "care cases, unfiltered", cases),
        Case("admin", "care cases of one plan", cases + f"?care_plan__care_plan_key__exact={sample.care_plan_id}"),
        Case(
            "admin",
            f"care cases: search member {member_of(sample)!r}",
            cases + "?" + urlencode({"q": member_of(sample)}),
        ),
        Case("admin", "care cases sorted by work log (last contact, newest first)", cases + f"?o=-{work_log_column}"),
        Case(
            "admin",
            f"care case page (timeline of {entries} work log entries)",
            reverse("admin:carecases_carecase_change", args=[quote(busy)], current_app=app),
        ),
        Case("admin", "work log of one case", work_log_list_url(vba_sites[database], busy)),
        Case(
            "admin",
            "care plan page (cases by status)",
            reverse("admin:carecases_careplan_change", args=[quote(sample.care_plan_id)], current_app=app),
        ),
    ]


def _busy_case(database: str) -> int | None:
    """Among the first 1,000 cases (by key), the one with the most work log entries (its timeline at its fullest)."""
    first = CareCase.objects.using(database).order_by("pk").values("pk")[:1000]
    busiest = (
        CareCaseWorkLog.objects.using(database)
        .filter(care_case_id__in=Subquery(first))
        .values("care_case_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "care_case_id")
        .values_list("care_case_id", flat=True)
        .first()
    )
    return busiest


def _reviewed_auth(database: str) -> str | None:
    """An Auth that has procedure lines, diagnoses and reviews (the reviewer's page at its fullest), if any: the
    first reviewed Auth (by review key) that has a line and a diagnosis; else the first that has a line."""
    numbers = list(AuthReview.objects.using(database).order_by("pk").values_list("auth_number", flat=True)[:50])
    with_lines = [n for n in numbers if AuthProcCodes.objects.using(database).filter(auth_number=n).exists()]
    for number in with_lines:
        if AuthDiagCodes.objects.using(database).filter(auth_number=number).exists():
            return number
    return with_lines[0] if with_lines else None


def _latest_update(database: str) -> dt.datetime:
    latest = Auth.objects.using(database).order_by("-update_date").values_list("update_date", flat=True).first()
    return latest or dt.datetime.now(dt.UTC)


def explain(database: str, sql: str, *, analyze: bool, no_seqscan: bool) -> str:
    connection = connections[database]
    with transaction.atomic(using=database), connection.cursor() as cursor:
        if no_seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan_summary(plan: str) -> str:
    """The plan's nodes, outermost first, e.g. ``Limit > Index Scan(Auth_pkey)``."""
    nodes = []
    for line in plan.splitlines():
        match = PLAN_NODE.match(line)
        if match:
            name, index, table = match.groups()
            nodes.append(name + (f"({index})" if index else f"({table})" if table else ""))
    return " > ".join(nodes)


class Command(BaseCommand):
    help = (
        "Time filtered/sorted GET /auths pages, the Auth admin changelist (unfiltered, searched, filtered) and, when "
        "there are care cases, the care pages on one VBA database; print medians in ms and, on PostgreSQL, whether "
        "any query's plan scans a whole Auth or care case table. Exits non-zero on a Seq Scan on Auth, its lines, "
        "diagnoses or reviews, CareCase or CareCaseWorkLog (or their history), or when a median exceeds --max-ms."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", required=True)
        parser.add_argument("--repeat", type=int, default=5, help="timed runs per request (after one warm-up)")
        parser.add_argument("--max-ms", type=float, default=None, help="fail if any median exceeds this")
        parser.add_argument("--analyze", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS): runs the queries")
        parser.add_argument(
            "--no-seqscan",
            action="store_true",
            help="plan with enable_seqscan=off: on a small table a Seq Scan then means no usable index exists",
        )

    def handle(self, *args: Any, database: str, repeat: int, **options: Any) -> None:
        vba_database_option(database)
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        vendor = connections[database].vendor
        with use_vba_database(database):
            total = Auth.objects.using(database).order_by().values("pk")[:1].exists()
            cases = sample_cases(database) if total else []
            if not cases:
                raise CommandError(f"{database} holds no Auths; run generate_auths first")
            care = care_cases(database)
        if not care:
            self.stdout.write(f"bench_reads: {database} holds no care cases: the care pages are not measured")
        cases += care
        user = self._user()
        headers, forget = bench_headers(user, database)
        try:
            with no_rate_limit:
                self._run(cases, database, repeat, headers, user)
        finally:
            forget()
        self._report(cases, database, vendor, repeat, options)

    def _user(self) -> Any:
        """A superuser without a usable password (kept, like bench_batch's user: history rows may name it)."""
        users = get_user_model().objects
        user = users.filter(username=BENCH_USER).first()
        if user is None:
            user = users.create_user(BENCH_USER, password=None, is_staff=True, is_superuser=True)
        elif not (user.is_active and user.is_staff and user.is_superuser):
            raise CommandError(f"User {BENCH_USER!r} exists but is not an active superuser; remove it or fix it")
        return user

    def _run(self, cases: list[Case], database: str, repeat: int, headers: dict[str, str], user: Any) -> None:
        api, admin = Client(), Client()
        admin.force_login(user)
        for case in cases:
            client, extra = (api, headers) if case.kind == "api" else (admin, {})
            with CaptureQueriesContext(connections[database]) as captured:
                self._get(client, case, extra)  # warm-up; its queries are the ones explained
            case.plans = [(q["sql"], "") for q in captured.captured_queries if is_read(q["sql"])]
            for _ in range(repeat):
                started = time.perf_counter()
                self._get(client, case, extra)
                case.timings.append(time.perf_counter() - started)

    def _get(self, client: Client, case: Case, extra: dict[str, str]) -> None:
        response = client.get(case.path, **extra)  # type: ignore[arg-type]
        if response.status_code != 200:
            raise CommandError(f"{case.label}: {case.path} answered {response.status_code}: {response.content[:300]!r}")

    def _report(self, cases: list[Case], database: str, vendor: str, repeat: int, options: dict[str, Any]) -> None:
        on_postgres = vendor == "postgresql"
        with connections[database].cursor() as cursor:
            if on_postgres:  # the planner's estimate: counting a million rows is what this command avoids
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [TABLE])
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
            rows = cursor.fetchone()[0]
            if on_postgres:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [CARE_TABLE])
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {CARE_TABLE}")
            care_rows = cursor.fetchone()[0]
        self.stdout.write(
            f"bench_reads: {database} ({vendor}), ~{rows} Auths, ~{care_rows} care cases, median of {repeat} run(s) "
            "after a warm-up, through the test client"
        )
        failures: list[str] = []
        limit = options["max_ms"]
        for case in cases:
            if on_postgres:
                case.plans = [
                    (sql, explain(database, sql, analyze=options["analyze"], no_seqscan=options["no_seqscan"]))
                    for sql, _ in case.plans
                ]
            flag = ""
            if case.seq_scans:
                flag = "  SEQ SCAN"
                failures.append(f"{case.label}: Seq Scan on {', '.join(TABLES)}")
            if limit is not None and case.median_ms > limit:
                flag += f"  OVER {limit:g} ms"
                failures.append(f"{case.label}: {case.median_ms:.1f} ms > {limit:g} ms")
            self.stdout.write(f"{case.median_ms:8.1f} ms  {case.label}  [{len(case.plans)} queries]{flag}")
            if on_postgres:
                for sql, plan in case.plans:
                    self.stdout.write(f"             {plan_summary(plan)}")
                    if options["verbosity"] >= 2:
                        self.stdout.write(
                            f"             SQL: {sql}\n" + "\n".join(f"               {p}" for p in plan.splitlines())
                        )
        if on_postgres:
            scanned = sum(1 for c in cases if c.seq_scans)
            self.stdout.write(
                f"Seq Scan on a listed table ({', '.join(TABLES)}) in {scanned} of {len(cases)} requests' plans"
            )
        else:
            self.stdout.write("(not PostgreSQL: no EXPLAIN check)")
        if failures:
            raise CommandError("bench_reads failed:\n  " + "\n  ".join(failures))
