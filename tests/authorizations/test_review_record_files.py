"""``export_auth_codes``/``upsert_auth_codes``, ``export_auth_procedure_codes``/``upsert_auth_procedure_codes``,
``export_auth_diagnostic_codes``/``upsert_auth_diagnostic_codes`` and ``export_auth_reviews``/``upsert_auth_reviews``
as an operator runs them (issue 22, point 5): records out of one VBA
database and into another, in each file format, byte for byte, audit columns included, with history rows."""

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

from authorizations.vba.models import AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.services import AUTH
from authorizations.vba.transfer import (
    AS_IN_FILE,
    AUTH_CODE_FILE,
    AUTH_DIAG_CODES_FILE,
    AUTH_PROC_CODES_FILE,
    AUTH_REVIEW_FILE,
)
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import NOT_NULL
from tests.config.test_export_commands import every_field
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

FORMATS = ["json", "ndjson", "csv"]
#: a diagnosis code that CSV must quote and JSON escape (a comma, a quote, a newline, non-ASCII)
ODD_CODE = 'Q,"é\n9'
FULL_KEYS = ("DNMN", "2147483647", ODD_CODE)  # the records with every field set
AUDIT_JSON = ["entry_Date", "entry_User", "update_Date", "update_User"]
COMMANDS = [
    ("export_auth_codes", "upsert_auth_codes", AuthCode),
    ("export_auth_procedure_codes", "upsert_auth_procedure_codes", AuthProcCodes),
    ("export_auth_diagnostic_codes", "upsert_auth_diagnostic_codes", AuthDiagCodes),
    ("export_auth_reviews", "upsert_auth_reviews", AuthReview),
]


def run(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def nurse(db: Any) -> Any:
    return get_user_model().objects.create_superuser("nurse.with.a.long.name", password="pw")


@pytest.fixture
def review_records(nurse: Any) -> None:
    """Demo holds, of each record, one with every field set (text CSV must quote and JSON escape, extreme numbers
    and dates) and a sparse one (nulls, an empty string; a review without user or date, kept so: AS_IN_FILE);
    both databases hold the Auths A-1 and A-2."""
    auths = [{"auth_Number": n, "auth_Type": "OUTPT"} | NOT_NULL for n in ("A-1", "A-2")]
    for database in ("demo", "other"):
        with use_vba_database(database):
            assert batch_upsert(AUTH, auths, user=nurse).counts() == {201: 2}
    with use_vba_database("demo"):
        for resource, items in [
            (
                AUTH_CODE_FILE,
                [
                    every_field(AUTH_CODE_FILE, "DNMN", auth_Action="D"),
                    {"auth_Code": "NOACT", "description": ""},
                ],
            ),
            (
                AUTH_PROC_CODES_FILE,
                [
                    every_field(
                        AUTH_PROC_CODES_FILE,
                        2147483647,
                        auth_Number="A-1",
                        units_Requested=Decimal("9999999.99"),
                        units_Approved=Decimal("0.01"),
                        units_Actual=Decimal("-1234567.5"),
                    ),
                    {"authProcCodes_Key": 5, "auth_Number": "A-2", "exclude_Modifier_Match": False, "modifier1": ""},
                ],
            ),
            (
                AUTH_DIAG_CODES_FILE,  # (its type, from every_field: a quote, a newline, a tab, a backslash)
                [
                    every_field(AUTH_DIAG_CODES_FILE, ODD_CODE, auth_Number="A-1"),
                    {
                        "auth_Number": "A-2",
                        "diagnostic_Code": "R51.9",
                        "diagnostic_Code_Type": "ICD10",
                        "disable_Provider_Match": False,
                        "primary_Diag": "",
                    },
                ],
            ),
            (
                AUTH_REVIEW_FILE,
                [
                    every_field(AUTH_REVIEW_FILE, 2147483647, auth_Number="A-1"),
                    {"authReview_Key": 5, "auth_Number": "A-2", "review_Comment": ""},
                ],
            ),
        ]:
            outcome = batch_upsert(resource, items, user=nurse, context={AS_IN_FILE: True})
            assert [r.status for r in outcome.results] == [201, 201], outcome.as_json()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("export", "upsert", "model"), COMMANDS)
def test_export_then_upsert_keeping_audit_then_export_again_is_byte_identical(
    tmp_path: Path, review_records: None, fmt: str, export: str, upsert: str, model: Any, zone: str, settings: Any
) -> None:
    settings.TIME_ZONE = zone
    key_json = {
        AuthCode: "auth_Code",
        AuthProcCodes: "authProcCodes_Key",
        AuthDiagCodes: "diagnostic_Code",
        AuthReview: "authReview_Key",
    }[model]
    first, second = tmp_path / f"demo.{fmt}", tmp_path / f"other.{fmt}"
    _, err = run(export, "--database", "demo", str(first))
    assert err == f"2 {model.__name__} record(s) exported\n"
    out, _ = run(upsert, "--database", "other", "--keep-audit", str(first))
    assert out == "201: 2\n"
    run(export, "--database", "other", str(second))
    assert first.read_bytes() == second.read_bytes()
    assert b"nurse.with.a.long.na" in first.read_bytes()  # the audit user, cut to 20 characters, kept
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(first.read_text())))
        full = next(r for r in rows if r[key_json] in FULL_KEYS)
        assert "" not in full.values()  # every field of the full record is set, and went through
    else:
        text = first.read_text()
        rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        full = next(r for r in rows if str(r[key_json]) in FULL_KEYS)
        assert None not in full.values()
    assert set(AUDIT_JSON) <= set(full)
    with use_vba_database("other"):  # each record written leaves its '+' history row, as every write path does
        key = model._meta.pk.attname
        history = model.history.order_by(key)
        records = model.objects.values_list("pk", flat=True)
        assert list(history.values_list(key, "history_type")) == [(pk, "+") for pk in records]
        assert list(history.values_list("update_user", flat=True)) == ["nurse.with.a.long.na"] * 2


def test_a_review_keeps_a_null_user_and_date_with_keep_audit_and_gets_the_importer_without(
    tmp_path: Path, review_records: None
) -> None:
    get_user_model().objects.create_superuser("operator", password="pw")
    path = tmp_path / "reviews.ndjson"
    run("export_auth_reviews", "--database", "demo", "--filter", "authNumber=A-2", str(path))
    assert [json.loads(line)["review_User"] for line in path.read_text().splitlines()] == [None]
    run("upsert_auth_reviews", "--database", "other", "--keep-audit", str(path))
    with use_vba_database("other"):
        kept = AuthReview.objects.get(pk=5)
        assert (kept.review_user, kept.review_date, kept.entry_user) == (None, None, "nurse.with.a.long.na")
        AuthReview.objects.all().delete()
    run("upsert_auth_reviews", "--database", "other", "--user", "operator", str(path))
    with use_vba_database("other"):
        stamped = AuthReview.objects.get(pk=5)
        assert (stamped.review_user, stamped.entry_user) == ("operator", "operator")
        assert stamped.review_date is not None


def test_a_line_or_review_of_a_missing_auth_fails_alone_and_a_zero_key_is_assigned(tmp_path: Path, nurse: Any) -> None:
    with use_vba_database("other"):
        assert batch_upsert(AUTH, [{"auth_Number": "A-1"} | NOT_NULL], user=nurse).counts() == {201: 1}
    lines = tmp_path / "lines.csv"
    lines.write_text(
        "authProcCodes_Key,auth_Number,procedure_Code,exclude_Modifier_Match,units_Requested\n"
        "0,A-1,97110,false,12\n0,NOPE,97140,false,4\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 of 2 item\(s\) failed$"):
        call_command("upsert_auth_procedure_codes", "--database", "other", str(lines), stdout=out)
    assert out.getvalue().splitlines() == [
        "201: 1, 400: 1",
        "FAILED authProcCodes_Key=0 [400] auth_Number: Auth NOPE does not exist",
    ]
    with use_vba_database("other"):
        assert list(AuthProcCodes.objects.values_list("auth_number", "procedure_code")) == [("A-1", "97110")]
        assert AuthProcCodes.objects.get().pk > 0
    reviews = tmp_path / "reviews.json"
    reviews.write_text('[{"authReview_Key": 0, "auth_Number": "NOPE", "review_Level": "1"}]')
    with pytest.raises(CommandError, match=r"^1 of 1 item\(s\) failed$"):
        call_command("upsert_auth_reviews", "--database", "other", str(reviews), stdout=io.StringIO())


def test_a_diagnosis_of_a_missing_auth_fails_alone_naming_its_three_key_fields(tmp_path: Path, nurse: Any) -> None:
    with use_vba_database("other"):
        assert batch_upsert(AUTH, [{"auth_Number": "A-1"} | NOT_NULL], user=nurse).counts() == {201: 1}
    path = tmp_path / "diagnoses.csv"
    path.write_text(
        "auth_Number,diagnostic_Code,diagnostic_Code_Type,disable_Provider_Match,primary_Diag\n"
        "A-1,M54.50,ICD10,false,Y\nNOPE,R51.9,ICD10,false,N\nA-1,A/B,ICD10,false,N\n"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^2 of 3 item\(s\) failed$"):
        call_command("upsert_auth_diagnostic_codes", "--database", "other", str(path), stdout=out)
    assert out.getvalue().splitlines() == [
        "201: 1, 400: 2",
        "FAILED (auth_Number, diagnostic_Code, diagnostic_Code_Type)=('NOPE', 'R51.9', 'ICD10') [400] auth_Number: "
        "Auth NOPE does not exist",
        "FAILED (auth_Number, diagnostic_Code, diagnostic_Code_Type)=('A-1', 'A/B', 'ICD10') [400] diagnostic_Code: "
        "may not contain '/': the diagnosis could not be addressed in a path",
    ]
    with use_vba_database("other"):
        stored = AuthDiagCodes.objects.get()
        assert (stored.pk, stored.primary_diag) == ('["A-1","M54.50","ICD10"]', "Y")
        assert AuthDiagCodes.history.get().history_type == "+"  # type: ignore[attr-defined]
    # the same file again replaces the diagnosis (its three fields are its key): 200, a '~' history row
    path.write_text(
        "auth_Number,diagnostic_Code,diagnostic_Code_Type,disable_Provider_Match,primary_Diag\nA-1,M54.50,ICD10,false,N\n"
    )
    out = io.StringIO()
    call_command("upsert_auth_diagnostic_codes", "--database", "other", str(path), stdout=out)
    assert out.getvalue() == "200: 1\n"
    with use_vba_database("other"):
        assert AuthDiagCodes.objects.get().primary_diag == "N"
        assert list(AuthDiagCodes.history.values_list("history_type", flat=True).order_by("history_id")) == ["+", "~"]  # type: ignore[attr-defined]


def test_a_code_with_an_unknown_action_is_refused_and_named(tmp_path: Path, nurse: Any) -> None:
    path = tmp_path / "codes.ndjson"
    path.write_text('{"auth_Code": "APPR", "auth_Action": "A"}\n{"auth_Code": "ODD", "auth_Action": "X"}\n')
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 of 2 item\(s\) failed$"):
        call_command("upsert_auth_codes", "--database", "demo", str(path), stdout=out)
    assert "FAILED auth_Code='ODD' [400] auth_Action: must be one of A, D, P, V, R" in out.getvalue()
    with use_vba_database("demo"):
        assert list(AuthCode.objects.values_list("pk", "auth_action")) == [("APPR", "A")]


def test_filters_keep_one_auths_records_or_one_action_and_a_bad_one_is_named(review_records: None) -> None:
    out, _ = run(
        "export_auth_procedure_codes", "--database", "demo", "--format", "ndjson", "--filter", "authNumber=A-2"
    )
    assert [json.loads(line)["authProcCodes_Key"] for line in out.splitlines()] == [5]
    out, _ = run("export_auth_reviews", "--database", "demo", "--format", "ndjson", "--filter", "authNumber=A-1")
    assert [json.loads(line)["authReview_Key"] for line in out.splitlines()] == [2147483647]
    out, _ = run(
        "export_auth_diagnostic_codes", "--database", "demo", "--format", "ndjson", "--filter", "authNumber=A-2"
    )
    assert [json.loads(line)["diagnostic_Code"] for line in out.splitlines()] == ["R51.9"]
    out, _ = run("export_auth_codes", "--database", "demo", "--format", "ndjson", "--filter", "auth_Action=D")
    assert [json.loads(line)["auth_Code"] for line in out.splitlines()] == ["DNMN"]
    with pytest.raises(CommandError, match=r"--filter 'status': no such filter \(filters: authNumber\)"):
        run("export_auth_reviews", "--database", "demo", "--filter", "status=1")


def test_the_json_export_is_what_the_api_renders_plus_the_audit_columns(review_records: None, vba: Any) -> None:
    def data(path: str) -> Any:
        response = vba.call("GET", path)
        assert response.status_code == 200, response.json()
        return response.json()["data"]

    for command, api in [  # (VBA has no list of decision codes: each is read by its key)
        ("export_auth_codes", [data("auth-codes/DNMN"), data("auth-codes/NOACT")]),
        ("export_auth_reviews", data("auth-reviews")),
        ("export_auth_procedure_codes", data("auths/A-2/procedure-codes") + data("auths/A-1/procedure-codes")),
    ]:
        exported = json.loads(run(command, "--database", "demo")[0])
        assert [{k: v for k, v in r.items() if k not in AUDIT_JSON} for r in exported] == api, command
        assert {r["entry_User"] for r in exported} == {"nurse.with.a.long.na"}
    # a diagnosis's API JSON has its audit columns already: the export is exactly what the API lists, in VBA's key
    # order (Auth number, code, ICD version)
    exported = json.loads(run("export_auth_diagnostic_codes", "--database", "demo")[0])
    assert exported == data("auths/A-1/diagnostic-codes") + data("auths/A-2/diagnostic-codes")
    assert [r["auth_Number"] for r in exported] == ["A-1", "A-2"]
    assert {r["entry_User"] for r in exported} == {"nurse.with.a.long.na"}
