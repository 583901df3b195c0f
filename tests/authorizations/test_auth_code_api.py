"""Decision codes (``/auth-codes``, ``/auth-codes-batch``) and the fixed actions (``/auth-actions``): issue 22,
decision 17 of vba-review.md. One engine: single-record CRUD, ETag/If-Match, 207 batches, allOrNone, history."""

from typing import Any

import pytest

from authorizations.models import AuthCode
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def code(key: str | None = "APPR", action: str | None = "A", description: str | None = "Approved as asked") -> dict:
    item: dict[str, Any] = {"auth_Action": action, "description": description}
    if key is not None:
        item["auth_Code"] = key
    return item


def test_post_creates_a_code_answering_200_with_vba_fields_only(vba: Any, in_demo: str) -> None:
    response = vba.call("POST", "auth-codes", code())
    assert response.status_code == 200
    assert response.json()["data"] == {"auth_Code": "APPR", "auth_Action": "A", "description": "Approved as asked"}
    assert response["ETag"]
    stored = AuthCode.objects.get(pk="APPR")
    assert stored.entry_user == "alice" and stored.update_user == "alice" and stored.entry_date is not None
    assert_problem(vba.call("POST", "auth-codes", code()), 409, "AuthCode APPR already exists")


def test_get_put_delete_with_etag(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auth-codes", code("DEN1", "D", "Not medically necessary"))
    read = vba.call("GET", "auth-codes/DEN1")
    assert read.status_code == 200 and read.json()["data"]["auth_Action"] == "D"
    etag = read["ETag"]
    changed = vba.call("PUT", "auth-codes/DEN1", code(None, "D", "Not covered"), HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["data"]["description"] == "Not covered"
    assert_problem(vba.call("PUT", "auth-codes/DEN1", code(None, "P"), HTTP_IF_MATCH=etag), 412)
    assert_problem(vba.call("PUT", "auth-codes/DEN1", code("OTHER")), 400, "auth_Code: the body says 'OTHER'")
    assert_problem(vba.call("DELETE", "auth-codes/DEN1", HTTP_IF_MATCH=etag), 412)
    deleted = vba.call("DELETE", "auth-codes/DEN1")
    assert deleted.status_code == 204 and not deleted.content
    assert_problem(vba.call("GET", "auth-codes/DEN1"), 404, "AuthCode DEN1 was not found")
    assert_problem(vba.call("DELETE", "auth-codes/DEN1"), 404, "AuthCode DEN1 was not found")
    assert_problem(vba.call("PUT", "auth-codes/DEN1", code(None)), 404)
    history = AuthCode.history.filter(auth_code="DEN1").order_by("history_date", "history_id")
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert all(h.history_user.username == "alice" and h.activity_id for h in history)


def test_batch_creates_updates_and_answers_207_per_item(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auth-codes", code("PEND", "P", "Pended"))
    response = vba.call(
        "PUT",
        "auth-codes-batch",
        [code("PEND", "P", "Held for review"), code("VOID", "V", "Voided"), code("BAD", "X"), code("LONGCODE9")],
    )
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [200, 201, 400, 400]
    assert results[0]["id"] == [{"key": "auth_Code", "value": "PEND"}]
    assert "auth_Action: must be one of A, D, P, V, R" in results[2]["body"]
    assert results[3]["body"].startswith("auth_Code:") and "8 characters" in results[3]["body"]
    assert AuthCode.objects.get(pk="PEND").description == "Held for review"
    assert sorted(AuthCode.objects.values_list("pk", flat=True)) == ["PEND", "VOID"]
    again = vba.call("PUT", "auth-codes-batch", [code("VOID", "V", "Voided")])
    assert again.json()["data"][0]["status"] == 200
    assert AuthCode.history.filter(auth_code="VOID").count() == 1  # sent again unchanged: no history row


def test_all_or_none_writes_nothing_when_one_item_fails(vba: Any, in_demo: str) -> None:
    response = vba.call("PUT", "auth-codes-batch?allOrNone=true", [code("OK1"), code("BAD1", "Z")])
    assert response.status_code == 207
    assert [r["status"] for r in response.json()["data"]] == [424, 400]
    assert AuthCode.objects.count() == 0


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (code("C1", "X"), "auth_Action: must be one of A, D, P, V, R"),
        (code("C1", ""), "auth_Action: must be one of"),
        (code("C1", "AA"), "auth_Action:"),
        (code("TOOLONGKEY"), "auth_Code:"),
        (code(""), "auth_Code:"),
        (code("A/B"), "auth_Code: may not contain '/'"),
        (code(None), "auth_Code: is required"),
        (code("C1", description="x" * 65), "description:"),
    ],
)
def test_validation_names_the_field(vba: Any, in_demo: str, item: dict, message: str) -> None:
    assert_problem(vba.call("POST", "auth-codes", item), 400, message)
    assert AuthCode.objects.count() == 0


def test_a_code_without_an_action_may_be_stored(vba: Any, in_demo: str) -> None:
    response = vba.call("POST", "auth-codes", code("NOACT", None, None))
    assert response.json()["data"] == {"auth_Code": "NOACT", "auth_Action": None, "description": None}


def test_auth_actions_is_the_fixed_list_of_five(vba: Any) -> None:
    response = vba.call("GET", "auth-actions")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [a["auth_Action"] for a in data] == ["A", "D", "P", "V", "R"]
    assert all(set(a) == {"auth_Action", "description"} and a["description"] for a in data)
    assert_problem(vba.call("POST", "auth-actions"), 405)


@pytest.mark.parametrize("path", ["auth-codes/APPR", "auth-actions"])
def test_another_database_is_a_403(api_key: str, token: str, path: str) -> None:
    response = VBAClient(api_key, token, database="other").call("GET", path)
    assert assert_problem(response, 403)["detail"] == "Unknown or unauthorized database"


def test_the_table_refuses_an_unknown_action(in_demo: str) -> None:
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic(using=in_demo):
        AuthCode.objects.create(auth_code="X1", auth_action="X", entry_date=now, update_date=now)
    AuthCode.objects.create(auth_code="X1", auth_action=None, entry_date=now, update_date=now)
    assert AuthCode.objects.get(pk="X1").auth_action is None


def test_a_code_that_auths_are_decided_with_is_not_deleted_and_the_409_names_them(vba: Any, in_demo: str) -> None:
    vba.call("PUT", "auth-codes-batch", [code("DEN1", "D", "Not medically necessary"), code("APPR")])
    assert vba.call("PUT", "auths", [auth_item("C1"), auth_item("C2")]).status_code == 207
    for number in ("C1", "C2"):
        assert vba.call("POST", f"auths/{number}/process-status/DEN1").status_code == 200
    assert_problem(
        vba.call("DELETE", "auth-codes/DEN1"), 409, "AuthCode DEN1 is the decision of 2 Auth(s) (C1, C2); decide them"
    )
    assert AuthCode.objects.filter(pk="DEN1").exists()
    for number in ("C1", "C2"):
        vba.call("POST", f"auths/{number}/process-status/APPR")
    assert vba.call("DELETE", "auth-codes/DEN1").status_code == 204


def test_the_admin_does_not_delete_a_code_in_use_and_says_which_auths_have_it(
    vba: Any, in_demo: str, admin_client: Any
) -> None:
    vba.call("POST", "auth-codes", code("DEN1", "D", "Not medically necessary"))
    vba.call("PUT", "auths", [auth_item("C1")])
    vba.call("POST", "auths/C1/process-status/DEN1")
    page = admin_client.get("/admin/db/demo/authorizations/authcode/DEN1/delete/").content.decode()
    assert "AuthCode DEN1 is the decision of 1 Auth(s) (C1)" in page
    listed = admin_client.post(
        "/admin/db/demo/authorizations/authcode/",
        {"action": "delete_selected", "_selected_action": ["DEN1"], "index": "0"},
    )
    assert "AuthCode DEN1 is the decision of 1 Auth(s) (C1)" in listed.content.decode()
    assert AuthCode.objects.filter(pk="DEN1").exists()
