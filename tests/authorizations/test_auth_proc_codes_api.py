"""Procedure lines of an Auth (``/auths/{authNumber}/procedure-codes...``): issue 22, decisions 15-16 of
vba-review.md. One engine: single-record CRUD, ETag/If-Match, 207 batches (create only), batch delete, history."""

from typing import Any

import pytest

from authorizations.models import AuthProcCodes
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def line(auth: str = "A1", key: int | None = 0, code: str | None = "99213", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"auth_Number": auth, "exclude_Modifier_Match": False, "procedure_Code": code, **fields}
    if key is not None:
        item["authProcCodes_Key"] = key
    return item


@pytest.fixture
def auths(vba: Any, in_demo: str) -> Any:
    assert vba.call("PUT", "auths", [auth_item("A1"), auth_item("A2")]).status_code == 207
    return vba


def test_post_assigns_the_key_and_answers_vba_fields_only(auths: Any) -> None:
    first = auths.call("POST", "auths/A1/procedure-codes", line(units_Requested=3))
    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    assert data == {
        "authProcCodes_Key": data["authProcCodes_Key"],
        "auth_Number": "A1",
        "exclude_Modifier_Match": False,
        "modifier1": None,
        "modifier2": None,
        "modifier3": None,
        "modifier4": None,
        "procedure_Cluster": None,
        "procedure_Code": "99213",
        "units_Actual": None,
        "units_Approved": None,
        "units_Requested": 3.0,
    }
    assert data["authProcCodes_Key"] > 0 and first["ETag"]
    omitted = auths.call("POST", "auths/A1/procedure-codes", line(key=None))
    assert omitted.status_code == 200 and omitted.json()["data"]["authProcCodes_Key"] == data["authProcCodes_Key"] + 1
    stored = AuthProcCodes.objects.get(pk=data["authProcCodes_Key"])
    assert stored.entry_user == "alice" and stored.update_user == "alice" and stored.entry_date is not None
    key = data["authProcCodes_Key"]
    assert_problem(auths.call("POST", "auths/A1/procedure-codes", line(key=key)), 409, f"AuthProcCodes {key} already")
    assert_problem(auths.call("POST", "auths/A1/procedure-codes", line(key=-4)), 400, "authProcCodes_Key")
    assert_problem(auths.call("POST", "auths/A1/procedure-codes", line("A2")), 400, "auth_Number: the item says 'A2'")
    assert_problem(auths.call("POST", "auths/NOPE/procedure-codes", line("NOPE")), 404, "Auth NOPE was not found")
    assert_problem(auths.call("POST", "auths/A1/procedure-codes", {"auth_Number": "A1"}), 400, "exclude_Modifier_Match")


def test_get_put_delete_with_etag_and_history(auths: Any) -> None:
    key = auths.call("POST", "auths/A1/procedure-codes", line()).json()["data"]["authProcCodes_Key"]
    read = auths.call("GET", f"auths/A1/procedure-codes/{key}")
    assert read.status_code == 200 and read.json()["data"]["procedure_Code"] == "99213"
    assert_problem(auths.call("GET", f"auths/A2/procedure-codes/{key}"), 404)  # not A2's
    assert_problem(auths.call("GET", f"auths/NOPE/procedure-codes/{key}"), 404, "Auth NOPE")
    assert_problem(auths.call("GET", "auths/A1/procedure-codes/x"), 400, "procedureCodeKey")
    etag = read["ETag"]
    changed = auths.call(
        "PUT", f"auths/A1/procedure-codes/{key}", line(key=key, units_Approved=2.5), HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200 and changed.json()["data"]["units_Approved"] == 2.5
    assert_problem(auths.call("PUT", f"auths/A1/procedure-codes/{key}", line(key=key), HTTP_IF_MATCH=etag), 412)
    assert_problem(auths.call("PUT", f"auths/A1/procedure-codes/{key}", line(key=key + 7)), 400, "authProcCodes_Key")
    assert_problem(auths.call("PUT", f"auths/A1/procedure-codes/{key}", line("A2", key)), 400, "auth_Number")
    assert_problem(auths.call("PUT", f"auths/A2/procedure-codes/{key}", line("A2", key)), 404)
    assert auths.call("DELETE", f"auths/A1/procedure-codes/{key}").status_code == 204
    assert_problem(auths.call("GET", f"auths/A1/procedure-codes/{key}"), 404)
    history = AuthProcCodes.history.filter(auth_proc_codes_key=key).order_by("history_date", "history_id")
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert all(h.history_user.username == "alice" and h.activity_id for h in history)


def test_batch_creates_only_and_answers_207_per_item(auths: Any) -> None:
    key = auths.call("POST", "auths/A1/procedure-codes", line()).json()["data"]["authProcCodes_Key"]
    response = auths.call(
        "POST",
        "auths/A1/procedure-codes-batch",
        [line(code="A"), line(key=key), line("A2"), line(key=None, code="B"), line(code="TOOLONGCODE")],
    )
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [201, 409, 400, 201, 400]
    assert results[0]["id"] == [{"key": "authProcCodes_Key", "value": str(key + 1)}]
    assert results[1]["id"] == [{"key": "authProcCodes_Key", "value": str(key)}]
    assert "auth_Number" in results[2]["body"] and "procedure_Code" in results[4]["body"]
    assert AuthProcCodes.objects.filter(auth_number="A1").count() == 3
    created = AuthProcCodes.history.filter(history_type="+").count()
    assert created == 3
    assert_problem(auths.call("POST", "auths/NOPE/procedure-codes-batch", [line("NOPE")]), 404)
    none = auths.call("POST", "auths/A1/procedure-codes-batch?allOrNone=true", [line(code="C"), line(key=key)])
    assert [r["status"] for r in none.json()["data"]] == [424, 409]
    assert AuthProcCodes.objects.filter(auth_number="A1").count() == 3


def test_list_is_the_auths_lines_paged(auths: Any) -> None:
    auths.call("POST", "auths/A1/procedure-codes-batch", [line(code=f"C{n}") for n in range(3)])
    auths.call("POST", "auths/A2/procedure-codes-batch", [line("A2")])
    listed = auths.call("GET", "auths/A1/procedure-codes?pageSize=2")
    assert listed.status_code == 200
    assert [r["procedure_Code"] for r in listed.json()["data"]] == ["C0", "C1"]
    assert listed["x-pagination"]
    assert_problem(auths.call("GET", "auths/A1/procedure-codes?auth_Number=A2"), 400)
    assert_problem(auths.call("GET", "auths/NOPE/procedure-codes"), 404)


def test_batch_delete_answers_207_per_key(auths: Any) -> None:
    outcome = auths.call("POST", "auths/A1/procedure-codes-batch", [line(), line()]).json()["data"]
    mine = [int(r["id"][0]["value"]) for r in outcome]
    other = auths.call("POST", "auths/A2/procedure-codes", line("A2")).json()["data"]["authProcCodes_Key"]
    response = auths.call("DELETE", "auths/A1/procedure-codes-batch", [mine[0], other, 999999, "x", mine[1]])
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [200, 404, 404, 400, 200]
    assert results[0]["id"] == [{"key": "authProcCodes_Key", "value": str(mine[0])}]
    assert list(AuthProcCodes.objects.values_list("pk", flat=True)) == [other]
    deleted = AuthProcCodes.history.filter(history_type="-")
    assert sorted(h.auth_proc_codes_key for h in deleted) == mine
    assert all(h.history_user.username == "alice" for h in deleted)
    assert_problem(auths.call("DELETE", "auths/A1/procedure-codes-batch", {"keys": [1]}), 400)
    assert_problem(auths.call("DELETE", "auths/NOPE/procedure-codes-batch", [1]), 404)


def test_an_auth_with_lines_is_not_deleted(auths: Any) -> None:
    key = auths.call("POST", "auths/A1/procedure-codes", line()).json()["data"]["authProcCodes_Key"]
    auths.call("POST", "auths/A1/procedure-codes", line())
    assert_problem(
        auths.call("DELETE", "auths/A1"),
        409,
        "Auth A1 still has 2 procedure line(s), 0 diagnosis code(s) and 0 review(s)",
    )
    assert auths.call("GET", "auths/A1").status_code == 200
    auths.call("DELETE", "auths/A1/procedure-codes-batch", [key, key + 1])
    assert auths.call("DELETE", "auths/A1").status_code == 204
