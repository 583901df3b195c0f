"""``manage.py bench_reads``: runs on a small data set, prints a figure per request, fails on a table scan.

No test asserts a time. On a few hundred rows the planner rightly prefers sequential scans, so the PostgreSQL check
plans with ``--no-seqscan`` (``enable_seqscan = off``): a ``Seq Scan on "Auth"`` (or on a care table) then still
appears for any query that no index can answer, which is the property that matters at a million rows.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carecases.work_log_admin import ENTRIES_SHOWN
from config.bench.management.commands import bench_reads

pytestmark = pytest.mark.django_db(databases="__all__")

LABELS = [
    "GET /auths unfiltered (first page)",
    "GET /auths status=APPROVED, sortBy received_Date:desc",
    "GET /auths subscriber_ID + member_Seq",
    "GET /auths provider_ID + urgent=true",
    "admin changelist, unfiltered",
    "admin search: auth number",
    "admin filter: urgent=yes",
    "admin change form (one Auth: ",  # (N procedure lines, N diagnoses, N reviews: see the test of the change form)
    "admin history (one Auth)",
    "admin queue: overdue",
    "admin queue: due today",
    "admin queue: overdue, sorted by due time",
    "admin queue: assigned to me",
    "admin queue: statuses PENDED,REVIEW",
    "admin search: member ",
    "admin home page (counts by status, overdue, due today)",
    "admin first page (each database's counts)",
    "admin reviews of one Auth",
]
#: The care pages, measured when the database has care cases.
CARE_LABELS = [
    "care cases, unfiltered",
    "care cases of one plan",
    "care cases: search member ",
    "care cases sorted by work log (last contact, newest first)",
    "care case page (timeline of ",  # (N work log entries: the busiest of the first cases)
    "work log of one case",
    "care plan page (cases by status)",
]
REQUESTS = 27 + len(CARE_LABELS)


@pytest.fixture
def auths() -> None:
    call_command("generate_auths", "--count", "300", "--database", "demo", stdout=io.StringIO())


@pytest.fixture
def data(auths: None) -> None:
    """Auths and care cases (2 plans × 300 cases, one of them with more entries than a case's page shows)."""
    args = ("--plans", "2", "--cases-per-plan", "300", "--work-logs-per-case", "3", "--database", "demo")
    call_command("generate_care_cases", *args, stdout=io.StringIO())


def bench(*args: str) -> str:
    out = io.StringIO()
    call_command("bench_reads", "--database", "demo", "--repeat", "1", *args, stdout=out)
    return out.getvalue()


def test_prints_a_median_per_request(data: None) -> None:
    out = bench("--no-seqscan")  # on 300 rows the planner may rightly prefer a Seq Scan: not what this test is about
    for label in LABELS + CARE_LABELS:
        assert re.search(r"^\s+\d+\.\d ms  " + re.escape(label), out, re.MULTILINE), (label, out)
    assert f"{REQUESTS} requests" in out or "no EXPLAIN" in out
    assert "not measured" not in out


def test_without_care_cases_the_care_pages_are_skipped_with_a_line_saying_so(auths: None) -> None:
    out = bench("--no-seqscan")
    assert "bench_reads: demo holds no care cases: the care pages are not measured" in out
    assert not any(label in out for label in CARE_LABELS)
    assert "27 requests" in out or "no EXPLAIN" in out


def test_the_case_page_measured_is_a_case_with_more_entries_than_the_page_shows(data: None) -> None:
    out = bench("--no-seqscan")
    found = re.search(r"care case page \(timeline of (\d+) work log entries\)", out)
    assert found, out
    assert int(found.group(1)) > ENTRIES_SHOWN


@pytest.mark.postgres
def test_no_query_of_the_measured_requests_needs_a_table_scan(data: None) -> None:
    out = bench("--no-seqscan")
    assert re.search(rf"Seq Scan on a listed table \(.*\) in 0 of {REQUESTS} requests' plans", out), out
    assert "Index" in out


@pytest.mark.postgres
def test_a_table_scan_fails_the_command(data: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_reads, "explain", lambda *a, **k: 'Seq Scan on "Auth"  (cost=0.00..1.00 rows=1 width=8)')
    tables = "Auth, authorizations_historicalauth, AuthProcCodes, authorizations_historicalauthproccodes, "
    tables += "AuthDiagCodes, authorizations_historicalauthdiagcodes, AuthReview, authorizations_historicalauthreview, "
    tables += "CareCase, carecases_historicalcarecase, CareCaseWorkLog, carecases_historicalcarecaseworklog"
    with pytest.raises(CommandError, match=f"(?m)Seq Scan on {re.escape(tables)}$"):
        bench()


def test_the_change_form_measured_is_an_auth_with_lines_diagnoses_and_reviews(data: None) -> None:
    out = bench("--no-seqscan")  # (as above: on PostgreSQL a Seq Scan on 300 rows is not this test's subject)
    found = re.search(r"admin change form \(one Auth: (\d+) procedure lines, (\d+) diagnoses, (\d+) reviews\)", out)
    assert found, out
    assert all(int(n) > 0 for n in found.groups()), found.group(0)


def test_a_median_over_max_ms_fails_the_command(data: None) -> None:
    with pytest.raises(CommandError, match=r"ms > 0\.0001 ms"):
        bench("--max-ms", "0.0001")


def test_refuses_an_empty_or_unknown_database() -> None:
    with pytest.raises(CommandError, match="holds no Auths"):
        bench()
    with pytest.raises(CommandError, match="Unknown VBA database"):
        call_command("bench_reads", "--database", "nowhere", stdout=io.StringIO())
