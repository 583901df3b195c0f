"""``export_care_case_work_logs``/``upsert_care_case_work_logs`` as an operator runs them (issue 24): a case's work log
out of one VBA database and into another, in each file format, byte for byte, audit columns included, with history
rows (the pattern and helpers of tests/authorizations/test_review_record_files.py)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from carecases.models import CareCaseWorkLog
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from carecases.transfer import AS_IN_FILE, CARE_CASE_WORK_LOG_FILE
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.authorizations.test_review_record_files import AUDIT_JSON, FORMATS, run
from tests.carecases.conftest import case_item, plan_item
from tests.config.test_export_commands import every_field
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

FULL_KEY = 2147483647


@pytest.fixture
def importer(db: Any) -> Any:
    return get_user_model().objects.create_superuser("nurse.with.a.long.name", password="pw")


@pytest.fixture
def work_logs(importer: Any) -> None:
    """Both databases hold care plan 1 with cases 1 and 2; demo holds an entry of case 1 with every field set (text
    that CSV must quote and JSON escape, extreme numbers and dates) and a sparse one of case 2 (an empty comment, no
    user or date: kept so, AS_IN_FILE)."""
    for database in ("demo", "other"):
        with use_vba_database(database):
            assert care_plan_batch_upsert(items=[plan_item(1)], user=importer).counts() == {201: 1}
            outcome = care_case_batch_upsert(items=[case_item(1), case_item(2)], user=importer, care_plan_key=1)
            assert outcome.counts() == {201: 2}
    items = [
        every_field(
            CARE_CASE_WORK_LOG_FILE,
            FULL_KEY,
            case_Key=1,
            member_Impact_Score=Decimal("-9999999999999.9999"),
            plan_Impact_Score=Decimal("0.0001"),
        ),
        {"careCaseWorkLog_Key": 5, "case_Key": 2, "workLog_Billable": False, "workLog_Comment": ""},
    ]
    with use_vba_database("demo"):
        outcome = batch_upsert(CARE_CASE_WORK_LOG_FILE, items, user=importer, context={AS_IN_FILE: True})
        assert [r.status for r in outcome.results] == [201, 201], outcome.as_json()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_upsert_keeping_audit_then_export_again_is_byte_identical(
    tmp_path: Path, work_logs: None, fmt: str, zone: str, settings: Any
) -> None:
    settings.TIME_ZONE = zone
    first, second = tmp_path / f"demo.{fmt}", tmp_path / f"other.{fmt}"
    _, err = run("export_care_case_work_logs", "--database", "demo", str(first))
    assert err == "2 CareCaseWorkLog record(s) exported\n"
    out, _ = run("upsert_care_case_work_logs", "--database", "other", "--keep-audit", str(first))
    assert out == "201: 2\n"
    run("export_care_case_work_logs", "--database", "other", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert b"nurse.with.a.long.na" in first.read_bytes()  # the audit user, cut to 20 characters, kept
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(first.read_text())))
        full = next(r for r in rows if r["careCaseWorkLog_Key"] == str(FULL_KEY))
        assert "" not in full.values()  # every field of the full entry is set, and went through
    else:
        text = first.read_text()
        rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        full = next(r for r in rows if r["careCaseWorkLog_Key"] == FULL_KEY)
        assert None not in full.values()
    assert set(AUDIT_JSON) <= set(full)
    with use_vba_database("other"):  # each entry written leaves its '+' history row, as every write path does
        history = CareCaseWorkLog.history.order_by("care_case_work_log_key")  # type: ignore[attr-defined]
        assert list(history.values_list("care_case_work_log_key", "history_type", "update_user")) == [
            (5, "+", "nurse.with.a.long.na"),
            (FULL_KEY, "+", "nurse.with.a.long.na"),
        ]
        sparse = CareCaseWorkLog.objects.get(pk=5)
        assert (sparse.work_log_user, sparse.work_log_date, sparse.work_log_comment) == (None, None, "")


def test_an_entry_keeps_a_null_user_and_date_with_keep_audit_and_gets_the_importer_without(
    tmp_path: Path, work_logs: None
) -> None:
    get_user_model().objects.create_superuser("operator", password="pw")
    path = tmp_path / "work-logs.ndjson"
    run("export_care_case_work_logs", "--database", "demo", "--filter", "caseKey=2", str(path))
    assert [(e["workLog_User"], e["workLog_Date"]) for e in map(json.loads, path.read_text().splitlines())] == [
        (None, None)
    ]
    run("upsert_care_case_work_logs", "--database", "other", "--keep-audit", str(path))
    with use_vba_database("other"):
        kept = CareCaseWorkLog.objects.get(pk=5)
        assert (kept.work_log_user, kept.work_log_date, kept.entry_user) == (None, None, "nurse.with.a.long.na")
        CareCaseWorkLog.objects.all().delete()
    run("upsert_care_case_work_logs", "--database", "other", "--user", "operator", str(path))
    with use_vba_database("other"):
        stamped = CareCaseWorkLog.objects.get(pk=5)
        assert (stamped.work_log_user, stamped.entry_user) == ("operator", "operator")
        assert stamped.work_log_date is not None


def test_an_entry_of_a_missing_case_or_of_another_case_fails_alone_and_a_zero_key_is_assigned(
    tmp_path: Path, work_logs: None, importer: Any
) -> None:
    with use_vba_database("other"):  # (demo's largest key is 2147483647: none is left to assign there)
        outcome = batch_upsert(
            CARE_CASE_WORK_LOG_FILE,
            [{"careCaseWorkLog_Key": 5, "case_Key": 2, "workLog_Billable": False}],
            user=importer,
        )
        assert outcome.counts() == {201: 1}
    path = tmp_path / "work-logs.csv"
    path.write_text(
        "careCaseWorkLog_Key,case_Key,workLog_Billable,workLog_Type,workLog_Minute\n"
        "0,1,true,CALL,15\n0,9,false,VISIT,60\n5,1,false,EMAIL,5\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^2 of 3 item\(s\) failed$"):
        call_command("upsert_care_case_work_logs", "--database", "other", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "201: 1, 400: 2",
        "FAILED careCaseWorkLog_Key=0 [400] case_Key: care case 9 does not exist",
        "FAILED careCaseWorkLog_Key=5 [400] CareCaseWorkLog 5 belongs to care case 2, not 1; a work log entry is "
        "never moved to another case",
    ]
    with use_vba_database("other"):
        added = CareCaseWorkLog.objects.get(work_log_type="CALL")
        assert (added.pk, added.care_case_id, added.work_log_minute, added.work_log_billable) == (6, 1, 15, True)
        assert added.work_log_user == "nurse.with.a.long.na"  # (no --user: the first superuser)
        assert CareCaseWorkLog.objects.get(pk=5).care_case_id == 2


def test_the_filter_keeps_one_cases_entries_and_a_bad_one_is_named(work_logs: None) -> None:
    out, _ = run("export_care_case_work_logs", "--database", "demo", "--format", "ndjson", "--filter", "caseKey=1")
    assert [json.loads(line)["careCaseWorkLog_Key"] for line in out.splitlines()] == [FULL_KEY]
    out, _ = run("export_care_case_work_logs", "--database", "demo", "--format", "ndjson", "--filter", "caseKey=3")
    assert out == ""
    with pytest.raises(CommandError, match=r"--filter 'case_Key': no such filter \(filters: caseKey\)"):
        run("export_care_case_work_logs", "--database", "demo", "--filter", "case_Key=1")
    with pytest.raises(CommandError, match=r"--filter caseKey='one'"):
        run("export_care_case_work_logs", "--database", "demo", "--filter", "caseKey=one")


def test_the_json_export_is_exactly_what_the_api_lists(work_logs: None, demo: Any) -> None:
    def data(path: str) -> Any:
        response = demo.call("GET", path)
        assert response.status_code == 200, response.json()
        return response.json()["data"]

    exported = json.loads(run("export_care_case_work_logs", "--database", "demo")[0])
    assert exported == data("cases/2/work-logs") + data("cases/1/work-logs")  # key order: 5, then 2147483647
    assert {r["entry_User"] for r in exported} == {"nurse.with.a.long.na"}
