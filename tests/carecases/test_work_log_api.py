"""A care case's work log (``/cases/{caseKey}/work-logs…``): issue 24, decisions 15-17 of vba-review.md. One engine:
single-record CRUD, ETag/If-Match, 207 batches, history; workLog_User/workLog_Date are data (the caller and now
when null); a case with entries is never deleted with them."""

from typing import Any

import pytest
from django.utils import timezone

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


NOT_APPLIED = "Not applied: another item of this all-or-none batch failed"


def history(key: int | None = None) -> list[tuple[int, str, str | None]]:
    rows = CareCaseWorkLog.history.order_by("care_case_work_log_key", "history_id")  # type: ignore[attr-defined]
    if key is not None:
        rows = rows.filter(care_case_work_log_key=key)
    return list(rows.values_list("care_case_work_log_key", "history_type", "update_user"))


def test_all_or_none_writes_nothing_when_one_entry_fails_and_the_others_are_424(cases: Any) -> None:
    cases.call("POST", "cases/1/work-logs", entry(key=5, workLog_Comment="kept"))
    response = cases.call(
        "PUT",
        "cases/1/work-logs-batch?allOrNone=true",
        [entry(key=5, workLog_Comment="changed"), entry(key=6), entry(case=2, key=7)],
    )
    assert response.status_code == 207
    assert response.json()["data"] == [
        {"id": [{"key": "careCaseWorkLog_Key", "value": "5"}], "status": 424, "body": NOT_APPLIED},
        {"id": [{"key": "careCaseWorkLog_Key", "value": "6"}], "status": 424, "body": NOT_APPLIED},
        {
            "id": [{"key": "careCaseWorkLog_Key", "value": "7"}],
            "status": 400,
            "body": "case_Key: the item says 2 but the path says 1; they must match",
        },
    ]
    assert list(CareCaseWorkLog.objects.values_list("pk", "work_log_comment")) == [(5, "kept")]
    assert history() == [(5, "+", "nurse")]
    response = cases.call("PUT", "cases/1/work-logs-batch?allOrNone=true", [entry(key=5, workLog_Comment="b"), entry()])
    assert [r["status"] for r in response.json()["data"]] == [200, 201]
    assert_problem(cases.call("PUT", "cases/1/work-logs-batch?allOrNone=perhaps", [entry()]), 400, "allOrNone")


@pytest.fixture
def logged(cases: Any) -> Any:
    """Case 1 has five entries (keys 1-5, dates in key order, types CALL VISIT CALL EMAIL ASSESSMENT); case 2 has
    one (key 6)."""
    types = ["CALL", "VISIT", "CALL", "EMAIL", "ASSESSMENT"]
    items = [entry(key=n, workLog_Type=t, workLog_Date=f"2026-02-{n:02d}T10:00:00") for n, t in enumerate(types, 1)]
    assert cases.call("PUT", "cases/1/work-logs-batch", items).status_code == 207
    assert cases.call("POST", "cases/2/work-logs", entry(case=2, key=6, workLog_Type="CALL")).status_code == 200
    return cases


def keys(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [e["careCaseWorkLog_Key"] for e in response.json()["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1, 2, 3, 4, 5]),
        ("pageSize=2", [1, 2]),
        ("pageSize=2&page=3", [5]),
        ("pageSize=2&page=4", []),
        ("sortBy=workLog_Date:desc", [5, 4, 3, 2, 1]),
        ("sortBy=workLog_Type,careCaseWorkLog_Key:desc", [5, 3, 1, 4, 2]),
        ("sortBy=workLog_Type:desc&pageSize=2&page=2", [1, 3]),
    ],
)
def test_the_list_is_the_path_cases_entries_sorted_and_paged(logged: Any, query: str, expected: list[int]) -> None:
    assert keys(logged.call("GET", f"cases/1/work-logs?{query}")) == expected


def test_another_cases_list_has_only_its_own_entries_and_the_pagination_header_counts_them(logged: Any) -> None:
    assert keys(logged.call("GET", "cases/2/work-logs")) == [6]
    response = logged.call("GET", "cases/1/work-logs?pageSize=2")
    assert response["x-pagination"] == '{"TotalCount": 5, "TotalPages": 3, "CurrentPage": 1, "PageSize": 2}'
    assert_problem(logged.call("GET", "cases/9/work-logs"), 404, "CareCase 9 was not found")


@pytest.mark.parametrize(
    ("query", "name"), [("sortBy=nope", "sortBy"), ("sortBy=workLog_Type:up", "sortBy"), ("page=0", "page")]
)
def test_a_bad_list_parameter_is_a_400_naming_it(logged: Any, query: str, name: str) -> None:
    assert_problem(logged.call("GET", f"cases/1/work-logs?{query}"), 400, name)


def test_a_work_log_in_database_other_is_not_seen_from_demo(cases: Any, other: Any) -> None:
    assert other.call("POST", "care-plans", {"carePlan_Key": 1}).status_code == 200
    assert other.call("PUT", "care-plans/1/cases-batch", [case_item(1), case_item(3)]).status_code == 207
    elsewhere = other.call("POST", "cases/1/work-logs", entry(key=40, workLog_Comment="in other"))
    assert elsewhere.status_code == 200, elsewhere.json()
    assert other.call("POST", "cases/3/work-logs", entry(case=3, key=41)).status_code == 200
    cases.call("POST", "cases/1/work-logs", entry(key=1, workLog_Comment="in demo"))
    assert [e["workLog_Comment"] for e in cases.call("GET", "cases/1/work-logs").json()["data"]] == ["in demo"]
    assert_problem(cases.call("GET", "cases/1/work-logs/40"), 404, "CareCaseWorkLog 40 was not found")
    assert_problem(cases.call("GET", "cases/3/work-logs"), 404, "CareCase 3 was not found")  # case 3 is other's
    assert_problem(cases.call("DELETE", "cases/1/work-logs/40"), 404)
    assert keys(other.call("GET", "cases/1/work-logs")) == [40]
    assert CareCaseWorkLog.objects.filter(pk__in=[40, 41]).count() == 0  # (in_demo: the demo database)


def test_a_put_with_a_null_user_and_date_gets_the_caller_and_now(cases: Any) -> None:
    sent = entry(key=1, workLog_User="rn.chen", workLog_Date="2026-01-05T08:00:00")
    assert cases.call("POST", "cases/1/work-logs", sent).json()["data"]["workLog_User"] == "rn.chen"
    kept = cases.call("PUT", "cases/1/work-logs/1", entry(key=1, workLog_Comment="kept as sent", **sent))
    assert (kept.json()["data"]["workLog_User"], kept.json()["data"]["workLog_Date"][:10]) == ("rn.chen", "2026-01-05")
    before = timezone.now()
    cleared = cases.call("PUT", "cases/1/work-logs/1", entry(key=1, workLog_User=None, workLog_Date=None))
    assert cleared.status_code == 200, cleared.json()
    data = cleared.json()["data"]
    assert data["workLog_User"] == "nurse"
    stored = CareCaseWorkLog.objects.get(pk=1)
    assert stored.work_log_user == "nurse" and stored.work_log_date is not None
    assert before <= stored.work_log_date <= timezone.now()
    assert data["workLog_Date"] != kept.json()["data"]["workLog_Date"]
    batch = cases.call("PUT", "cases/1/work-logs-batch", [entry(key=1, workLog_User=None, workLog_Date=None)])
    assert batch.json()["data"][0]["status"] == 200
    assert CareCaseWorkLog.objects.get(pk=1).work_log_user == "nurse"


def test_every_write_path_leaves_a_history_row_naming_the_caller(cases: Any) -> None:
    cases.call("POST", "cases/1/work-logs", entry(key=1))  # +
    cases.call("PUT", "cases/1/work-logs/1", entry(key=1, workLog_Comment="put"))  # ~
    response = cases.call(
        "PUT", "cases/1/work-logs-batch", [entry(key=1, workLog_Comment="batch"), entry(key=2), entry(case=2)]
    )
    assert [r["status"] for r in response.json()["data"]] == [200, 201, 400]
    assert cases.call("DELETE", "cases/1/work-logs/2").status_code == 204  # -
    assert history() == [(1, "+", "nurse"), (1, "~", "nurse"), (1, "~", "nurse"), (2, "+", "nurse"), (2, "-", "nurse")]
    rows = CareCaseWorkLog.history.order_by("care_case_work_log_key", "history_id")  # type: ignore[attr-defined]
    assert list(rows.values_list("work_log_comment", flat=True))[:3] == [None, "put", "batch"]
    assert {r.history_user.username for r in rows} == {"nurse"}
    assert {r.care_case_id for r in rows} == {1}
