"""Diagnoses of an Auth (``/auths/{authNumber}/diagnostic-codes...``): issue 22, decisions 15-16 of vba-review.md.
VBA's key is three fields (``auth_Number``, ``diagnostic_Code``, ``diagnostic_Code_Type``): single-record CRUD,
every ICD version of one code, ETag/If-Match, 207 batches whose ``id`` lists the three fields, history, isolation of
the databases."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from authorizations.models import AuthDiagCodes
from config.api.models import DatabaseGrant
from config.serving.tenancy import use_vba_database
from config.vba.authentication import issue_tokens
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

BASE = "auths/A1/diagnostic-codes"


def diag(code: str = "E11.9", code_type: str = "ICD10", auth: str = "A1", **fields: Any) -> dict[str, Any]:
    return {
        "auth_Number": auth,
        "diagnostic_Code": code,
        "diagnostic_Code_Type": code_type,
        "disable_Provider_Match": False,
        **fields,
    }


def ids(auth: str | None, code: str | None, code_type: str | None) -> list[dict[str, Any]]:
    return [
        {"key": "auth_Number", "value": auth},
        {"key": "diagnostic_Code", "value": code},
        {"key": "diagnostic_Code_Type", "value": code_type},
    ]


@pytest.fixture
def auths(vba: Any, in_demo: str) -> Any:
    assert vba.call("PUT", "auths", [auth_item("A1"), auth_item("A2")]).status_code == 207
    return vba


def test_post_answers_vbas_fields_with_the_audit_stamps_and_defaults(auths: Any) -> None:
    created = auths.call("POST", BASE, diag(primary_Diag="Y"))
    assert created.status_code == 200, created.json()
    data = created.json()["data"]
    assert data == {
        "auth_Number": "A1",
        "diagnostic_Code": "E11.9",
        "diagnostic_Code_Type": "ICD10",
        "disable_Provider_Match": False,
        "entry_Date": data["entry_Date"],
        "entry_User": "alice",
        "primary_Diag": "Y",
        "update_Date": data["entry_Date"],
        "update_User": "alice",
        "disable_Diag_Code_Match": False,  # omitted: VBA's non-nullable, not-required field takes its default
    }
    assert data["entry_Date"] and created["ETag"]
    stored = AuthDiagCodes.objects.get(auth_number="A1", diagnostic_code="E11.9", diagnostic_code_type="ICD10")
    assert stored.entry_user == "alice" and stored.disable_diag_code_match is False
    # the same code in another ICD version is another diagnosis
    other = auths.call("POST", BASE, diag(code_type="ICD9", disable_Diag_Code_Match=True))
    assert other.status_code == 200 and other.json()["data"]["disable_Diag_Code_Match"] is True


def test_post_refuses_what_vba_refuses_naming_the_field(auths: Any) -> None:
    assert auths.call("POST", BASE, diag()).status_code == 200
    assert_problem(auths.call("POST", BASE, diag()), 409, "AuthDiagCodes E11.9 (ICD10) of Auth A1 already exists")
    assert_problem(auths.call("POST", BASE, diag(auth="A2")), 400, "auth_Number: the item says 'A2'")
    assert_problem(auths.call("POST", "auths/NOPE/diagnostic-codes", diag(auth="NOPE")), 404, "Auth NOPE was not")
    assert_problem(auths.call("POST", BASE, diag(code="TOOLONGCODE")), 400, "diagnostic_Code")
    assert_problem(auths.call("POST", BASE, diag(code_type="X" * 17)), 400, "diagnostic_Code_Type")
    assert_problem(auths.call("POST", BASE, diag(code="")), 400, "diagnostic_Code")
    assert_problem(auths.call("POST", BASE, diag(code="A/B")), 400, "diagnostic_Code: may not contain '/'")
    assert_problem(auths.call("POST", BASE, diag(code_type="..")), 400, "diagnostic_Code_Type: may not be '..'")
    assert_problem(auths.call("POST", BASE, diag(primary_Diag="YN")), 400, "primary_Diag")
    assert_problem(auths.call("POST", BASE, diag(disable_Diag_Code_Match="yes")), 400, "disable_Diag_Code_Match")
    missing = {"auth_Number": "A1", "diagnostic_Code": "Z00"}
    problem = assert_problem(auths.call("POST", BASE, missing), 400)
    assert "diagnostic_Code_Type" in problem["detail"] and "disable_Provider_Match" in problem["detail"]
    assert_problem(auths.call("POST", BASE, [diag()]), 400, "JSON object")
    assert AuthDiagCodes.objects.count() == 1


def test_get_put_delete_with_etag_and_history(auths: Any) -> None:
    auths.call("POST", BASE, diag())
    path = f"{BASE}/E11.9/diagnostic-code-types/ICD10"
    read = auths.call("GET", path)
    assert read.status_code == 200 and read.json()["data"]["diagnostic_Code"] == "E11.9"
    assert_problem(auths.call("GET", "auths/A2/diagnostic-codes/E11.9/diagnostic-code-types/ICD10"), 404)  # not A2's
    assert_problem(auths.call("GET", "auths/NOPE/diagnostic-codes/E11.9/diagnostic-code-types/ICD10"), 404, "NOPE")
    assert_problem(auths.call("GET", f"{BASE}/E11.9/diagnostic-code-types/ICD9"), 404, "E11.9 (ICD9) of Auth A1")
    etag = read["ETag"]
    changed = auths.call("PUT", path, diag(primary_Diag="Y"), HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.json()
    assert changed.json()["data"]["primary_Diag"] == "Y"
    assert changed.json()["data"]["entry_Date"] == read.json()["data"]["entry_Date"]
    assert_problem(auths.call("PUT", path, diag(), HTTP_IF_MATCH=etag), 412)
    # decision 15: the body may not name another diagnosis than the path
    assert_problem(auths.call("PUT", path, diag(code="E10")), 400, "diagnostic_Code: the body says 'E10'")
    assert_problem(auths.call("PUT", path, diag(code_type="ICD9")), 400, "diagnostic_Code_Type: the body says")
    assert_problem(auths.call("PUT", path, diag(auth="A2")), 400, "auth_Number: the body says 'A2'")
    assert_problem(auths.call("PUT", f"{BASE}/E10/diagnostic-code-types/ICD10", diag(code="E10")), 404)
    # the key fields may be left out of the body: the path names the diagnosis
    bare = auths.call("PUT", path, {"disable_Provider_Match": True})
    assert bare.status_code == 200 and bare.json()["data"]["disable_Provider_Match"] is True
    assert bare.json()["data"]["primary_Diag"] is None  # a PUT replaces: omitted nullable fields become null
    assert auths.call("DELETE", path).status_code == 204
    assert_problem(auths.call("GET", path), 404)
    assert_problem(auths.call("DELETE", path), 404)
    history = AuthDiagCodes.history.filter(auth_number="A1").order_by("history_date", "history_id")
    assert [h.history_type for h in history] == ["+", "~", "~", "-"]
    assert [h.primary_diag for h in history] == [None, "Y", None, None]
    assert all(h.history_user.username == "alice" and h.activity_id for h in history)


def test_every_icd_version_of_one_code_and_the_auths_list(auths: Any) -> None:
    batch = [diag(code_type="ICD10"), diag(code_type="ICD9"), diag(code="I10"), diag(code="I10", auth="A2")]
    auths.call("PUT", "auths/A2/diagnostic-codes-batch", [batch.pop()])
    assert auths.call("PUT", "auths/A1/diagnostic-codes-batch", batch).status_code == 207
    versions = auths.call("GET", f"{BASE}/E11.9")
    assert versions.status_code == 200
    assert [(r["diagnostic_Code"], r["diagnostic_Code_Type"]) for r in versions.json()["data"]] == [
        ("E11.9", "ICD10"),
        ("E11.9", "ICD9"),
    ]
    assert auths.call("GET", f"{BASE}/Z99").json()["data"] == []
    listed = auths.call("GET", f"{BASE}?pageSize=2")
    assert listed.status_code == 200 and listed["x-pagination"]
    assert len(listed.json()["data"]) == 2
    everything = auths.call("GET", BASE).json()["data"]
    assert sorted((r["diagnostic_Code"], r["diagnostic_Code_Type"]) for r in everything) == [
        ("E11.9", "ICD10"),
        ("E11.9", "ICD9"),
        ("I10", "ICD10"),
    ]
    assert_problem(auths.call("GET", f"{BASE}?auth_Number=A2"), 400)
    assert_problem(auths.call("GET", "auths/NOPE/diagnostic-codes"), 404)
    assert_problem(auths.call("GET", "auths/NOPE/diagnostic-codes/E11.9"), 404)


def test_batch_answers_207_per_item_with_the_three_key_fields(auths: Any) -> None:
    auths.call("POST", BASE, diag())
    response = auths.call(
        "PUT",
        "auths/A1/diagnostic-codes-batch",
        [
            diag(code="I10"),
            diag(primary_Diag="Y"),
            diag(auth="A2", code="J45"),
            diag(code="TOOLONGCODE"),
            {"diagnostic_Code": 12, "disable_Provider_Match": False},
            "not an object",
            diag(code="I10", primary_Diag="N"),
        ],
    )
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [201, 200, 400, 400, 400, 400, 200]
    assert results[0]["id"] == ids("A1", "I10", "ICD10")
    assert results[1]["id"] == ids("A1", "E11.9", "ICD10")
    assert results[2]["id"] == ids("A2", "J45", "ICD10") and "auth_Number: the item says 'A2'" in results[2]["body"]
    assert results[3]["id"] == ids("A1", "TOOLONGCODE", "ICD10") and "diagnostic_Code" in results[3]["body"]
    assert results[4]["id"] == ids(None, "12", None)  # values as sent, as strings
    assert results[5]["id"] == ids(None, None, None)
    assert [r.primary_diag for r in AuthDiagCodes.objects.filter(auth_number="A1")] == ["Y", "N"]
    # a key's last item is what is stored: one history row for I10 (created), one for E11.9 (changed)
    assert sorted((h.diagnostic_code, h.history_type) for h in AuthDiagCodes.history.all()) == [
        ("E11.9", "+"),
        ("E11.9", "~"),
        ("I10", "+"),
    ]
    unchanged = auths.call("PUT", "auths/A1/diagnostic-codes-batch", [diag(primary_Diag="Y")])
    assert unchanged.json()["data"][0]["status"] == 200
    assert AuthDiagCodes.history.count() == 3  # sent again unchanged: no new history row
    none = auths.call("PUT", "auths/A1/diagnostic-codes-batch?allOrNone=true", [diag(code="K21"), diag(auth="A2")])
    assert [r["status"] for r in none.json()["data"]] == [424, 400]
    assert not AuthDiagCodes.objects.filter(diagnostic_code="K21").exists()
    assert_problem(auths.call("PUT", "auths/NOPE/diagnostic-codes-batch", [diag(auth="NOPE")]), 404)
    assert_problem(auths.call("PUT", "auths/A1/diagnostic-codes-batch", diag()), 400, "JSON array")
    assert_problem(auths.call("PUT", "auths/A1/diagnostic-codes-batch?allOrNone=maybe", [diag()]), 400, "allOrNone")


def test_an_auth_with_diagnoses_is_not_deleted(auths: Any) -> None:
    auths.call("PUT", "auths/A1/diagnostic-codes-batch", [diag(), diag(code="I10")])
    problem = "Auth A1 still has 0 procedure line(s), 2 diagnosis code(s) and 0 review(s)"
    assert_problem(auths.call("DELETE", "auths/A1"), 409, problem)
    assert auths.call("GET", "auths/A1").status_code == 200
    auths.call("DELETE", f"{BASE}/E11.9/diagnostic-code-types/ICD10")
    auths.call("DELETE", f"{BASE}/I10/diagnostic-code-types/ICD10")
    assert auths.call("DELETE", "auths/A1").status_code == 204


def test_each_database_has_its_own_diagnoses(api_key: str) -> None:
    person = get_user_model().objects.create_user("bob", password="bob-password")
    for database in ("demo", "other"):
        DatabaseGrant.objects.create(user=person, database=database)
    clients = {
        db: VBAClient(api_key, issue_tokens(person, db)["authenticationResult"]["idToken"], database=db)
        for db in ("demo", "other")
    }
    for client in clients.values():
        assert client.call("PUT", "auths", [auth_item("A1")]).status_code == 207
    assert clients["demo"].call("POST", BASE, diag(primary_Diag="D")).status_code == 200
    assert clients["other"].call("POST", BASE, diag(primary_Diag="O")).status_code == 200
    path = f"{BASE}/E11.9/diagnostic-code-types/ICD10"
    assert clients["demo"].call("GET", path).json()["data"]["primary_Diag"] == "D"
    assert clients["other"].call("GET", path).json()["data"]["primary_Diag"] == "O"
    assert clients["other"].call("DELETE", path).status_code == 204
    assert clients["demo"].call("GET", path).status_code == 200
    assert_problem(clients["other"].call("GET", path), 404)
    for db, diagnoses in (("demo", ["D"]), ("other", [])):
        with use_vba_database(db):
            assert list(AuthDiagCodes.objects.values_list("primary_diag", flat=True)) == diagnoses
            assert AuthDiagCodes.history.count() == (1 if db == "demo" else 2)
