"""One plan's cases: ``POST|GET /care-plans/{carePlanKey}/cases``,
``GET|PUT|DELETE /care-plans/{carePlanKey}/cases/{caseKey}``."""

from typing import Any

import pytest

from carecases.models import CareCase
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


@pytest.fixture
def two_plans(demo: Any, plan: int) -> None:
    demo.call("POST", "care-plans", plan_item(2))
    demo.call("PUT", "care-cases-batch", [case_item(10, plan=2, case_Status="OTHER")])


def keys(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [c["case_Key"] for c in response.json()["data"]]


def test_post_creates_a_case_and_0_assigns_its_key(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("POST", "care-plans/1/cases", case_item(0, case_ID="CM-1"))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["case_Key"] == 1
    assert data["carePlan_Key"] == 1
    assert data["do_Not_Contact"] is False
    assert CareCase.objects.get(pk=1).case_id == "CM-1"


def test_post_of_an_existing_key_is_a_409(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("POST", "care-plans/1/cases", case_item(3, case_Status="FIRST"))
    assert_problem(demo.call("POST", "care-plans/1/cases", case_item(3)), 409, "CareCase 3 already exists")
    assert CareCase.objects.get(pk=3).case_status == "FIRST"


def test_post_with_another_plan_in_the_body_is_a_400(demo: Any, two_plans: None, in_demo: str) -> None:
    error = assert_problem(demo.call("POST", "care-plans/1/cases", case_item(4, plan=2)), 400)
    assert error["detail"] == "carePlan_Key: the item says 2 but the path says 1; they must match"
    assert not CareCase.objects.filter(pk=4).exists()


@pytest.mark.parametrize("body", [[case_item(1)], "case"])
def test_post_of_something_else_than_an_object_is_a_400(demo: Any, plan: int, body: Any) -> None:
    assert_problem(demo.call("POST", "care-plans/1/cases", body), 400, "The body must be a JSON object (CareCase).")


def test_post_without_do_not_contact_is_a_400(demo: Any, plan: int, in_demo: str) -> None:
    item = case_item(1)
    del item["do_Not_Contact"]
    assert_problem(demo.call("POST", "care-plans/1/cases", item), 400, "do_Not_Contact: is required")
    assert not CareCase.objects.exists()


def test_post_under_an_unknown_plan_is_a_404(demo: Any, plan: int, in_demo: str) -> None:
    assert_problem(demo.call("POST", "care-plans/3/cases", case_item(1, plan=3)), 404, "CarePlan 3 was not found")
    assert not CareCase.objects.exists()


def test_get_put_delete_one_case(demo: Any, nurse: Any, plan: int, in_demo: str) -> None:
    demo.call("POST", "care-plans/1/cases", case_item(5, case_Status="OPEN", case_Reason="REFERRAL"))
    response = demo.call("GET", "care-plans/1/cases/5")
    assert response.status_code == 200
    assert response.json()["data"]["case_Reason"] == "REFERRAL"
    etag = response["ETag"]

    response = demo.call("PUT", "care-plans/1/cases/5", case_item(5, case_Status="CLOSED"))
    assert response.status_code == 200
    assert response.json()["data"]["case_Reason"] is None  # replaced: omitted nullable fields become null
    assert response["ETag"] != etag

    response = demo.call("PUT", "care-plans/1/cases/5", case_item(5, case_Status="STALE"), HTTP_IF_MATCH=etag)
    assert_problem(response, 412)
    assert_problem(demo.call("DELETE", "care-plans/1/cases/5", HTTP_IF_MATCH=etag), 412)
    assert CareCase.objects.get(pk=5).case_status == "CLOSED"

    assert demo.call("DELETE", "care-plans/1/cases/5").status_code == 204
    assert not CareCase.objects.exists()
    history = CareCase.history.filter(case_key=5).order_by("history_id")  # type: ignore[attr-defined]
    assert [(h.history_type, h.history_user_id) for h in history] == [("+", nurse.pk), ("~", nurse.pk), ("-", nurse.pk)]
    assert_problem(demo.call("GET", "care-plans/1/cases/5"), 404, "CareCase 5 was not found")


def test_put_of_an_unknown_case_is_a_404_and_creates_nothing(demo: Any, plan: int, in_demo: str) -> None:
    assert_problem(demo.call("PUT", "care-plans/1/cases/8", case_item(8)), 404, "CareCase 8 was not found")
    assert not CareCase.objects.exists()


def test_put_with_mismatched_keys_is_a_400(demo: Any, two_plans: None, in_demo: str) -> None:
    demo.call("POST", "care-plans/1/cases", case_item(5))
    assert_problem(demo.call("PUT", "care-plans/1/cases/5", case_item(6)), 400, "case_Key")
    assert_problem(demo.call("PUT", "care-plans/1/cases/5", case_item(5, plan=2)), 400, "the path says 1")
    assert CareCase.objects.get(pk=5).care_plan_id == 1


def test_a_case_is_only_reachable_under_its_own_plan(demo: Any, two_plans: None, in_demo: str) -> None:
    assert demo.call("GET", "care-plans/2/cases/10").status_code == 200
    assert_problem(demo.call("GET", "care-plans/1/cases/10"), 404, "CareCase 10 was not found")
    assert_problem(demo.call("PUT", "care-plans/1/cases/10", case_item(10, plan=1)), 404)
    assert_problem(demo.call("DELETE", "care-plans/1/cases/10"), 404)
    case = CareCase.objects.get(pk=10)
    assert (case.care_plan_id, case.case_status) == (2, "OTHER")


@pytest.mark.parametrize("raw", ["abc", "1e3", "2147483648", "-2147483649", "１"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_case_key_in_the_path_that_is_not_an_int32_is_a_400(demo: Any, plan: int, raw: str, method: str) -> None:
    body = case_item(1) if method == "PUT" else None
    assert_problem(demo.call(method, f"care-plans/1/cases/{raw}", body), 400, "caseKey: must be a whole number")


def test_the_plan_key_is_checked_before_the_case_key(demo: Any, plan: int) -> None:
    assert_problem(demo.call("GET", "care-plans/x/cases/y"), 400, "carePlanKey")
    assert_problem(demo.call("GET", "care-plans/9/cases/y"), 404, "CarePlan 9 was not found")


@pytest.fixture
def cases(demo: Any, two_plans: None) -> None:
    response = demo.call(
        "PUT",
        "care-plans/1/cases-batch",
        [
            case_item(1, case_Status="OPEN", case_Priority=1, case_Reason="REFERRAL", subscriber_ID="111111111",
                      provider_ID="PRV1", case_Start_Date="2026-01-10", case_End_Date="2026-03-01"),
            case_item(2, case_Status="OPEN", case_Priority=2, case_Reason="READMIT", subscriber_ID="222222222",
                      provider_ID="PRV2", case_Start_Date="2026-02-10", case_End_Date="2026-06-01"),
            case_item(3, case_Status="CLOSED", case_Priority=1, case_Reason="REFERRAL", subscriber_ID="111111111",
                      provider_ID="PRV2", case_Start_Date="2026-04-10"),
        ],
    )  # fmt: skip
    assert [r["status"] for r in response.json()["data"]] == [201, 201, 201]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [1, 2, 3]),
        ("case_Status=OPEN", [1, 2]),
        ("case_Priority=1", [1, 3]),
        ("case_Reason=READMIT", [2]),
        ("subscriber_ID=111111111", [1, 3]),
        ("provider_ID=PRV2", [2, 3]),
        ("case_Start_Date_from=2026-02-01", [2, 3]),
        ("case_Start_Date_to=2026-02-10T00:00:00", [1, 2]),
        ("case_End_Date_from=2026-04-01&case_End_Date_to=2026-12-31", [2]),
        ("case_Status=OPEN&provider_ID=PRV2", [2]),
        ("sortBy=case_Priority:desc,case_Key:desc", [2, 3, 1]),
        ("sortBy=case_Start_Date:desc", [3, 2, 1]),
        ("pageSize=2&page=2", [3]),
    ],
)
def test_list_filters_sorts_and_pages_a_plans_cases(demo: Any, cases: None, query: str, expected: list[int]) -> None:
    assert keys(demo.call("GET", f"care-plans/1/cases?{query}")) == expected


def test_list_sends_the_pagination_header(demo: Any, cases: None) -> None:
    response = demo.call("GET", "care-plans/1/cases?pageSize=2")
    assert response["x-pagination"] == '{"TotalCount": 3, "TotalPages": 2, "CurrentPage": 1, "PageSize": 2}'
    assert keys(demo.call("GET", "care-plans/2/cases")) == [10]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("case_Priority=high", "case_Priority"),
        ("case_Priority=1.5", "case_Priority"),
        ("case_Priority=2147483648", "case_Priority"),
        ("case_Start_Date_from=someday", "case_Start_Date_from"),
        ("case_End_Date_to=2026-13-01", "case_End_Date_to"),
        ("sortBy=case_Status:sideways", "sortBy"),
        ("sortBy=nope", "sortBy"),
        ("page=0", "page"),
        ("pageSize=1001", "pageSize"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(demo: Any, cases: None, query: str, name: str) -> None:
    assert_problem(demo.call("GET", f"care-plans/1/cases?{query}"), 400, name)


def test_list_under_an_unknown_plan_is_a_404(demo: Any, plan: int) -> None:
    assert_problem(demo.call("GET", "care-plans/2/cases"), 404, "CarePlan 2 was not found")
