"""``export_*`` and ``upsert_*`` as an operator runs them: records out of one VBA database and into another, in each
file format, byte for byte (issue 12)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import models

from authorizations.models import Auth, Authorization
from authorizations.spry.services import authorization_delete
from authorizations.vba.services import AUTH
from carecases.models import CareCase, CarePlan
from carecases.services import CARE_CASE, CARE_PLAN
from config.records.batch import BatchResource, batch_upsert
from config.records.commands import ExportCommand
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import NOT_NULL
from tests.authorizations.spry_fixtures import make_authorization
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

FORMATS = ["json", "ndjson", "csv"]


def run(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def every_field(resource: BatchResource, key: int | str, **fixed: Any) -> dict[str, Any]:
    """A record with every input field set, each to a value of its own (a field read into another's place would
    show) that uses its whole type: text that CSV must quote and JSON must escape, 15-digit amounts, dates with
    fractions of a second and before the year 1000."""
    item: dict[str, Any] = {}
    for i, f in enumerate(resource.spec.input_fields):
        name = resource.spec.json_names[f.attname]
        if isinstance(f, models.BooleanField):
            item[name] = i % 2 == 0
        elif isinstance(f, models.DecimalField):
            item[name] = Decimal(f"-{i % 9 + 1}{i:02d}345678901234.{i + 1:04d}") if i % 3 else Decimal(f"{i}.5")
        elif isinstance(f, (models.IntegerField, models.ForeignKey)):
            item[name] = -2147483648 + i
        elif isinstance(f, models.DateTimeField):
            day = f"2026-01-{i % 28 + 1:02d}T03:04:{i % 60:02d}.123456"
            item[name] = "0999-06-15T12:00:00.7" if i % 4 == 0 else day
        elif f.max_length == 1:
            item[name] = "YN"[i % 2]
        else:
            text = f'{i} é, "q"\nx\t\\ \x01' + "z" * 600
            item[name] = text[: f.max_length] if f.max_length else text
    return {**item, resource.key_json: key, **fixed}


@pytest.fixture
def nurse(db: Any) -> Any:
    return get_user_model().objects.create_superuser("nurse.with.a.long.name", password="pw")


@pytest.fixture
def demo_records(nurse: Any) -> None:
    """Demo holds a full record and a sparse one of each VBA type (nulls, an empty string); other holds nothing."""
    with use_vba_database("demo"):
        for resource, items in [
            (CARE_PLAN, [every_field(CARE_PLAN, 7), {"carePlan_Key": 8, "description": ""}]),
            (AUTH, [every_field(AUTH, "A-1"), {"auth_Number": "A-2", "notes": "", "auth_Type": "OUTPT"} | NOT_NULL]),
            (
                CARE_CASE,
                [
                    every_field(CARE_CASE, 70, carePlan_Key=7),
                    {"case_Key": 71, "carePlan_Key": 8, "do_Not_Contact": False, "case_Status": ""},
                ],
            ),
        ]:
            outcome = batch_upsert(resource, items, user=nurse)
            assert [r.status for r in outcome.results] == [201, 201], outcome.as_json()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])  # the server's zone: dates are written in it
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("export", "upsert"),
    [("export_care_plans", "upsert_care_plans"), ("export_auths", "upsert_auths"), ("export_care_cases", None)],
)
def test_export_then_upsert_keeping_audit_then_export_again_is_byte_identical(
    tmp_path: Path, demo_records: None, fmt: str, export: str, upsert: str | None, zone: str, settings: Any
) -> None:
    settings.TIME_ZONE = zone
    if upsert is None:  # cases need their plans in the target first
        run("export_care_plans", "--database", "demo", str(tmp_path / "plans.json"))
        run("upsert_care_plans", "--database", "other", "--keep-audit", str(tmp_path / "plans.json"))
        upsert = "upsert_care_cases"
    first, second = tmp_path / f"demo.{fmt}", tmp_path / f"other.{fmt}"
    _, err = run(export, "--database", "demo", str(first))
    assert re.fullmatch(r"2 (CarePlan|Auth|CareCase) record\(s\) exported\n", err)
    out, _ = run(upsert, "--database", "other", "--keep-audit", str(first))
    assert out == "201: 2\n"
    run(export, "--database", "other", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert b"nurse.with.a.long.na" in first.read_bytes()  # the audit user, cut to 20 characters, kept
    if fmt == "csv":
        full = next(csv.DictReader(io.StringIO(first.read_text())))
        assert "" not in full.values()  # every field of the full record is set, and went through
    else:
        text = first.read_text()
        full = json.loads(text)[0] if fmt == "json" else json.loads(text.splitlines()[0])
        assert None not in full.values()


def test_without_keep_audit_the_importing_user_and_time_are_stamped(tmp_path: Path, demo_records: None) -> None:
    get_user_model().objects.create_superuser("operator", password="pw")
    path = tmp_path / "auths.ndjson"
    run("export_auths", "--database", "demo", str(path))
    run("upsert_auths", "--database", "other", "--user", "operator", str(path))
    with use_vba_database("other"):
        copied = Auth.objects.get(pk="A-1")
    assert (copied.entry_user, copied.update_user) == ("operator", "operator")
    assert copied.entry_date > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)


def test_the_json_export_is_what_the_api_list_holds(demo_records: None, vba: Any) -> None:
    out, _ = run("export_auths", "--database", "demo")
    exported = json.loads(out)
    listed = vba.call("GET", "auths").json()["data"]
    assert [r["auth_Number"] for r in exported] == ["A-1", "A-2"]
    assert set(exported[0]) == set(listed[0])
    assert exported[1] == listed[1]  # a record without 19-digit amounts reads the same both ways


def test_csv_has_one_column_per_json_name_and_marks_empty_strings(demo_records: None) -> None:
    out, _ = run("export_care_cases", "--database", "demo", "--format", "csv", "--care-plan", "8")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(CARE_CASE.spec.json_names.values())
    assert len(rows) == 1
    assert (rows[0]["case_Key"], rows[0]["case_Status"], rows[0]["case_ID"]) == ("71", '""', "")


def test_filters_are_the_api_lists_and_a_bad_value_is_named(demo_records: None) -> None:
    out, _ = run("export_auths", "--database", "demo", "--format", "ndjson", "--filter", "auth_Type=OUTPT")
    assert [json.loads(line)["auth_Number"] for line in out.splitlines()] == ["A-2"]
    with pytest.raises(CommandError, match=r"--filter 'nope': no such filter \(filters: status, auth_Type"):
        run("export_auths", "--database", "demo", "--filter", "nope=1")
    with pytest.raises(
        CommandError, match=r"^--filter updated_Since='yesterday': 'yesterday' is not a valid date; use YYYY-MM-DD "
    ):
        run("export_auths", "--database", "demo", "--filter", "updated_Since=yesterday")
    with pytest.raises(CommandError, match=r"^--filter 'status': expected NAME=VALUE$"):
        run("export_auths", "--database", "demo", "--filter", "status")
    out, _ = run("export_auths", "--database", "demo", "--format", "ndjson", "--filter", "auth_Type=nothing")
    assert out == ""


def test_an_unknown_database_or_care_plan_is_refused(demo_records: None) -> None:
    with pytest.raises(CommandError, match=r"^Unknown VBA database 'nowhere' \(configured: demo, other\)$"):
        run("export_auths", "--database", "nowhere")
    with pytest.raises(CommandError, match=r"^Care plan 99 does not exist in the VBA database 'demo'$"):
        run("export_care_cases", "--database", "demo", "--care-plan", "99")


def test_bad_lines_of_an_ndjson_or_csv_file_fail_alone(tmp_path: Path, nurse: Any) -> None:
    ndjson = tmp_path / "plans.ndjson"
    ndjson.write_text('{"carePlan_Key": 1}\n{not json\n\n{"carePlan_Key": 2, "care_Weight": "heavy"}\n')
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^2 of 3 item\(s\) failed$"):
        call_command("upsert_care_plans", "--database", "other", str(ndjson), stdout=out)
    assert out.getvalue().splitlines() == [
        "201: 1, 400: 2",
        "FAILED carePlan_Key=None [400] line 2: not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        "FAILED carePlan_Key=2 [400] care_Weight: must be a JSON number",
    ]
    bad_csv = tmp_path / "plans.csv"
    bad_csv.write_text('carePlan_Key,care_Weight\n3,1.5\n4,1,2\n5,""\n')
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 of 3 item\(s\) failed$"):
        call_command("upsert_care_plans", "--database", "other", str(bad_csv), stdout=out)
    assert "FAILED carePlan_Key=None [400] line 3: has 3 cells; the header has 2" in out.getvalue()
    with use_vba_database("other"):
        assert list(CarePlan.objects.order_by("pk").values_list("pk", "care_weight")) == [
            (1, None),
            (3, Decimal("1.5")),
            (5, None),
        ]


def test_a_failed_export_leaves_no_partial_file(tmp_path: Path, demo_records: None) -> None:
    target = tmp_path / "missing-folder" / "auths.json"
    with pytest.raises(CommandError, match=r"^Cannot write .*auths\.json: No such file or directory$"):
        run("export_auths", "--database", "demo", str(target))
    assert not target.exists()


def test_spry_authorizations_export_as_the_api_renders_them(db: Any) -> None:
    first = make_authorization(patient_name="Ann Example")
    make_authorization(patient_name="Bob Example", organisation_id=777)
    out, err = run("export_authorizations", "--organisation", "638", "--format", "ndjson")
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["authorization_id"] for r in records] == [first.pk]
    assert records[0]["icd_codes"] == [
        {"id": 9676, "code": "M72.1", "description": "Knuckle pads", "revision": "ICD10"}
    ]
    assert err == "1 Spry authorization record(s) exported\n"
    out, _ = run("export_authorizations", "--filter", "patientName=bob", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["patient_name"] for r in rows] == ["Bob Example"]
    assert json.loads(rows[0]["insurance_payer"])["payer_reg_id"] == 2207
    with use_vba_database("demo"):
        assert CareCase.objects.count() == 0  # nothing of the VBA databases is touched


@pytest.fixture
def spry_records(nurse: Any) -> None:
    """Two organisations' authorizations: one with every field and both lists set, one sparse (nulls, no lists)."""
    make_authorization(
        authorization_id="auth_" + "a1" * 12,
        patient_name='Ann "Quoted", Example',
        comments="line one\nline two, é",
        cpt_code_authorization_details=[
            {"cpt_code": "97110", "description": "Therapeutic exercise", "units_requested": 12, "units_approved": 8}
        ],
        created_at="2026-04-01T12:00:00",
    )
    make_authorization(
        authorization_id="auth_" + "b2" * 12,
        organisation_id=777,
        insurance_payer=None,
        icd_codes=[],
        plan_start_date=None,
        plan_end_date=None,
        phone_number=None,
        fax_number=None,
        comments="",
        patient_name=None,
        case_title=None,
        authorized_visit_count=None,
        created_at="2026-05-01T08:30:00",
    )


def _move_spry_records_away() -> None:
    """What a second installation (the target of a copy) looks like: none of these authorizations."""
    for authorization in Authorization.objects.all():
        authorization_delete(authorization=authorization)


@pytest.mark.parametrize("fmt", FORMATS)
def test_spry_export_then_upsert_keeping_audit_then_export_again_is_byte_identical(
    tmp_path: Path, spry_records: None, fmt: str
) -> None:
    first, second = tmp_path / f"first.{fmt}", tmp_path / f"second.{fmt}"
    run("export_authorizations", str(first))
    _move_spry_records_away()
    out, _ = run("upsert_authorizations", "--keep-audit", str(first))
    assert out == "201: 2\n"
    run("export_authorizations", str(second))
    assert first.read_bytes() == second.read_bytes()
    out, _ = run("upsert_authorizations", "--keep-audit", str(first))  # again: the same records, replaced
    assert out == "200: 2\n"
    run("export_authorizations", str(second))
    assert first.read_bytes() == second.read_bytes()


def test_spry_upsert_validates_each_record_as_a_create_and_keeps_organisations_apart(
    tmp_path: Path, spry_records: None
) -> None:
    path = tmp_path / "auths.ndjson"
    run("export_authorizations", str(path))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    lines[0]["current_visit_count"] = -1
    lines[1]["organisation_id"] = 638  # the record exists under organisation 777
    lines.append({**lines[1], "authorization_id": "bad id!", "organisation_id": 777})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^3 of 3 item\(s\) failed$"):
        call_command("upsert_authorizations", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "400: 3",
        f"FAILED authorization_id='auth_{'a1' * 12}' [400] current_visit_count: must be 0 or more",
        f"FAILED authorization_id='auth_{'b2' * 12}' [400] organisation_id: auth_{'b2' * 12} belongs to another "
        "organisation",
        "FAILED authorization_id='bad id!' [400] authorization_id: must be 1 to 64 letters, digits or underscores",
    ]
    assert Authorization.objects.get(pk="auth_" + "a1" * 12).current_visit_count == 5


def _export_peak(path: Path) -> int:
    tracemalloc.start()
    try:
        run("export_auths", "--database", "demo", "--format", "json", str(path))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_export_streams_three_times_the_rows_in_about_the_same_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ExportCommand, "chunk_size", 500)  # the rows read at a time: what the memory is made of
    call_command("generate_auths", "--count", "2000", "--database", "demo", "--no-history", stdout=io.StringIO())
    small = _export_peak(tmp_path / "small.json")
    call_command("generate_auths", "--count", "4000", "--database", "demo", "--no-history", stdout=io.StringIO())
    large = _export_peak(tmp_path / "large.json")
    assert len(json.loads((tmp_path / "large.json").read_text())) == 6000
    print(f"peak Python allocations: 2,000 rows {small / 2**20:.1f} MB, 6,000 rows {large / 2**20:.1f} MB")
    assert large < small * 1.3, (small, large)  # holding the rows would take three times as much


@pytest.mark.parametrize("size", ["0", "-5", "ten"])
def test_a_chunk_size_that_would_write_nothing_is_refused(tmp_path: Path, nurse: Any, size: str) -> None:
    path = tmp_path / "plans.ndjson"
    path.write_text('{"carePlan_Key": 1}\n')
    with pytest.raises(CommandError, match=r"^Error: argument --chunk-size: (must be at least 1|'ten' is not a whole)"):
        run("upsert_care_plans", "--database", "other", "--chunk-size", size, str(path))
    with use_vba_database("other"):
        assert not CarePlan.objects.exists()


def test_spry_upsert_stops_when_the_database_is_unavailable_and_blames_no_record(
    tmp_path: Path, spry_records: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    path = tmp_path / "auths.ndjson"
    run("export_authorizations", str(path))
    _move_spry_records_away()

    def unavailable(**kwargs: Any) -> Any:
        raise OperationalError("database is locked")  # SQLite's "another writer held the lock": retry later

    monkeypatch.setattr("authorizations.management.commands.upsert_authorizations.authorization_import", unavailable)
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^The database is unavailable \(OperationalError: database is locked\)"):
        call_command("upsert_authorizations", str(path), stdout=out)
    assert "FAILED" not in out.getvalue()
    assert Authorization.objects.count() == 0


def test_a_list_counted_before_an_import_counts_the_imported_records(
    tmp_path: Path, demo_records: None, vba: Any, settings: Any
) -> None:
    settings.VBA_COUNT_CACHE_SECONDS = 600  # a count reused for long: only the import's own signal makes it stale

    def total() -> int:
        response = vba.call("GET", "auths?pageSize=1")
        return int(json.loads(response["x-pagination"])["TotalCount"])

    assert total() == 2
    path = tmp_path / "more.ndjson"
    path.write_text("".join(json.dumps({"auth_Number": f"NEW-{n}"} | NOT_NULL) + "\n" for n in range(3)))
    run("upsert_auths", "--database", "demo", str(path))
    assert total() == 5
    run("generate_auths", "--count", "4", "--database", "demo")
    assert total() == 9
