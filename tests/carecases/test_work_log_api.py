"""A care case's work log (``/cases/{caseKey}/work-logs…``): issue 24, decisions 15-17 of vba-review.md. One engine:
single-record CRUD, ETag/If-Match, 207 batches, history; workLog_User/workLog_Date are data (the caller and now
when null); a case with entries is never deleted with them."""

from typing import Any

import pytest

from carecases.models import CareCaseWorkLog
from tests.carecases.conftest import case_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

FIELDS = {
    "careCaseWorkLog_Key",
    "case_Key",
    "entry_Date",
    "entry_User",
    "member_Impact_Score",
    "plan_Impact_Score",
    "update_Date",
    "update_User",
    "workLog_Billable",
    "workLog_Comment",
    "workLog_Date",
    "workLog_Hour",
    "workLog_Minute",
    "workLog_SecondaryType",
    "workLog_SecondaryType2",
    "workLog_SecondaryType3",
    "workLog_SecondaryType4",
    "workLog_SecondaryType5",
    "workLog_Type",
    "workLog_Units",
    "workLog_User",
}


def entry(case: int = 1, key: int | None = 0, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"case_Key": case, "workLog_Billable": True, "workLog_Type": "CALL", **fields}
    if key is not None:
        item["careCaseWorkLog_Key"] = key
    return item


@pytest.fixture
def cases(demo: Any, plan: int, in_demo: str) -> Any:
    assert demo.call("PUT", "care-plans/1/cases-batch", [case_item(1), case_item(2)]).status_code == 207
    return demo


def test_post_assigns_the_key_and_fills_the_user_and_date_when_null(cases: Any) -> None:
    first = cases.call("POST", "cases/1/work-logs", entry(workLog_Hour=0, workLog_Minute=25, workLog_Comment="Called"))
    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    assert set(data) == FIELDS
    assert data["careCaseWorkLog_Key"] == 1 and data["workLog_User"] == "nurse" and data["workLog_Date"]
    assert data["entry_User"] == "nurse" and data["workLog_Minute"] == 25
    sent = cases.call("POST", "cases/1/work-logs", entry(key=None, workLog_User="cm.jones", workLog_Date="2026-01-02"))
    kept = sent.json()["data"]
    assert (kept["workLog_User"], kept["workLog_Date"][:10], kept["careCaseWorkLog_Key"]) == (
        "cm.jones",
        "2026-01-02",
        2,
    )
    assert_problem(cases.call("POST", "cases/1/work-logs", entry(key=1)), 409, "CareCaseWorkLog 1 already exists")
    assert_problem(cases.call("POST", "cases/1/work-logs", entry(case=2)), 400, "the path says 1")
    assert_problem(cases.call("POST", "cases/9/work-logs", entry(case=9)), 404, "CareCase 9 was not found")
    assert_problem(cases.call("POST", "cases/x/work-logs", entry()), 400, "caseKey")
    assert_problem(cases.call("POST", "cases/1/work-logs", entry(workLog_Type="x" * 33)), 400, "workLog_Type")


def test_get_put_delete_are_scoped_to_the_path_case_with_etag_and_history(cases: Any) -> None:
    cases.call("POST", "cases/1/work-logs", entry(workLog_Comment="first"))
    got = cases.call("GET", "cases/1/work-logs/1")
    assert got.status_code == 200 and got.json()["data"]["workLog_Comment"] == "first"
    assert_problem(cases.call("GET", "cases/2/work-logs/1"), 404, "CareCaseWorkLog 1 was not found")
    stale = '"not-the-etag"'
    assert_problem(
        cases.call("PUT", "cases/1/work-logs/1", entry(key=1, workLog_Comment="x"), headers={"If-Match": stale}), 412
    )
    changed = cases.call(
        "PUT", "cases/1/work-logs/1", entry(key=1, workLog_Comment="second"), headers={"If-Match": got["ETag"]}
    )
    assert changed.status_code == 200 and changed.json()["data"]["workLog_Comment"] == "second"
    assert_problem(cases.call("PUT", "cases/2/work-logs/1", entry(case=2, key=1)), 404)
    assert_problem(cases.call("DELETE", "care-plans/1/cases/1"), 409, "still has 1 work log entry")
    assert cases.call("DELETE", "cases/1/work-logs/1").status_code in (200, 204)
    assert [
        h.history_type for h in CareCaseWorkLog.history.filter(care_case_work_log_key=1).order_by("history_id")
    ] == [
        "+",
        "~",
        "-",
    ]
    assert cases.call("DELETE", "care-plans/1/cases/1").status_code in (200, 204)


def test_the_batch_answers_207_per_item_and_never_moves_an_entry_to_another_case(cases: Any) -> None:
    cases.call("POST", "cases/2/work-logs", entry(case=2, key=7))
    response = cases.call(
        "PUT", "cases/1/work-logs-batch", [entry(), entry(key=0, workLog_Type="VISIT"), entry(key=7), entry(case=2)]
    )
    assert response.status_code == 207
    results = [(r["status"], r["body"]) for r in response.json()["data"]]
    assert [status for status, _ in results] == [201, 201, 400, 400]
    assert "belongs to care case 2" in results[2][1] and "the path says 1" in results[3][1]
    listed = cases.call("GET", "cases/1/work-logs?sortBy=workLog_Type:desc")
    assert [e["workLog_Type"] for e in listed.json()["data"]] == ["VISIT", "CALL"]
    assert CareCaseWorkLog.objects.get(pk=7).care_case_id == 2
