"""CarePlans: ``POST|GET /care-plans``, ``GET|PUT|DELETE /care-plans/{carePlanKey}``, ``PUT /care-plans-batch``."""

from typing import Any

import pytest

from carecases.models import CareCase, CarePlan
from config.serving.tenancy import use_vba_database
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

PLAN_FIELDS = {
    "carePlan_Key",
    "care_Type",
    "care_Weight",
    "description",
    "entry_Date",
    "entry_User",
    "update_Date",
    "update_User",
}


def test_create_returns_200_with_the_record_in_vba_json_names(demo: Any, in_demo: str) -> None:
    response = demo.call("POST", "care-plans", plan_item(7, care_Type="CARDIAC", care_Weight=1.25, description="x"))
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == PLAN_FIELDS
    assert data["carePlan_Key"] == 7
    assert data["care_Weight"] == 1.25
    assert data["entry_User"] == data["update_User"] == "nurse"
    assert response["ETag"]
    plan = CarePlan.objects.get(pk=7)
    assert str(plan.care_weight) == "1.2500"


def test_plan_key_0_assigns_the_next_key_after_the_largest_existing_one(demo: Any, in_demo: str) -> None:
    demo.call("PUT", "care-plans-batch", [plan_item(40)])
    response = demo.call("PUT", "care-plans-batch", [plan_item(0), plan_item(0, care_Type="B")])
    assert response.status_code == 207
    assert [r["id"] for r in response.json()["data"]] == [
        [{"key": "carePlan_Key", "value": "41"}],
        [{"key": "carePlan_Key", "value": "42"}],
    ]
    assert list(CarePlan.objects.values_list("pk", flat=True)) == [40, 41, 42]


def test_a_positive_plan_key_that_does_not_exist_is_created_with_that_key(demo: Any, in_demo: str) -> None:
    response = demo.call("PUT", "care-plans-batch", [plan_item(123456)])
    assert response.json()["data"] == [
        {"id": [{"key": "carePlan_Key", "value": "123456"}], "status": 201, "body": "Created"}
    ]
    assert CarePlan.objects.filter(pk=123456).exists()


def test_plan_batch_reports_per_item_status_in_request_order(demo: Any, in_demo: str) -> None:
    demo.call("PUT", "care-plans-batch", [plan_item(1)])
    response = demo.call(
        "PUT", "care-plans-batch", [plan_item(1, care_Type="NEW"), plan_item(2), plan_item(3, care_Type="x" * 33)]
    )
    assert [(r["status"], r["body"]) for r in response.json()["data"]] == [
        (200, "Updated"),
        (201, "Created"),
        (400, "care_Type: String should have at most 32 characters"),
    ]
    assert CarePlan.objects.get(pk=1).care_type == "NEW"
    assert not CarePlan.objects.filter(pk=3).exists()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({}, "carePlan_Key: is required"),
        ({"carePlan_Key": None}, "carePlan_Key: may not be null"),
        ({"carePlan_Key": "5"}, "carePlan_Key: Input should be a valid integer"),
        ({"carePlan_Key": 2**31}, "carePlan_Key: Input should be less than or equal to 2147483647"),
        ({"carePlan_Key": -3}, "carePlan_Key: must be 0 (to have the next key assigned) or a positive key, not -3"),
        ({"carePlan_Key": 1, "description": "d" * 513}, "description: String should have at most 512 characters"),
        ({"carePlan_Key": 1, "care_Weight": "heavy"}, "care_Weight: must be a JSON number"),
        ({"carePlan_Key": 1, "care_Weight": 1e20}, "care_Weight"),
    ],
)
def test_an_invalid_plan_is_a_400_naming_the_field_and_nothing_is_written(
    demo: Any, in_demo: str, item: dict[str, Any], message: str
) -> None:
    response = demo.call("PUT", "care-plans-batch", [item])
    result = response.json()["data"][0]
    assert result["status"] == 400
    assert message in result["body"]
    assert CarePlan.objects.count() == 0


def test_get_put_delete_one_plan(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("GET", "care-plans/1")
    assert response.status_code == 200
    assert response.json()["data"]["description"] == "Diabetes program"
    etag = response["ETag"]

    response = demo.call("PUT", "care-plans/1", {"care_Type": "RENAL"})
    assert response.status_code == 200
    assert response.json()["data"]["description"] is None  # replacement: omitted nullable fields become null
    assert CarePlan.objects.get(pk=1).care_type == "RENAL"

    assert_problem(demo.call("PUT", "care-plans/1", {"care_Type": "STALE"}, HTTP_IF_MATCH=etag), 412)
    assert CarePlan.objects.get(pk=1).care_type == "RENAL"

    assert demo.call("DELETE", "care-plans/1").status_code == 204
    assert not CarePlan.objects.exists()
    assert_problem(demo.call("GET", "care-plans/1"), 404, "CarePlan 1 was not found")


def test_put_with_a_different_key_in_the_body_is_a_400(demo: Any, plan: int, in_demo: str) -> None:
    assert_problem(demo.call("PUT", "care-plans/1", plan_item(2)), 400, "carePlan_Key")
    assert not CarePlan.objects.filter(pk=2).exists()


def test_post_of_an_existing_plan_is_a_409(demo: Any, plan: int, in_demo: str) -> None:
    assert_problem(demo.call("POST", "care-plans", plan_item(1, care_Type="X")), 409, "CarePlan 1 already exists")
    assert CarePlan.objects.get(pk=1).care_type == "DIABETES"


def test_deleting_a_plan_that_still_has_cases_is_a_409_and_deletes_nothing(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("PUT", "care-plans/1/cases-batch", [case_item(1), case_item(2)])
    error = assert_problem(demo.call("DELETE", "care-plans/1"), 409)
    assert error["detail"] == "CarePlan 1 still has 2 care case(s); delete them or move them to another plan first"
    assert CarePlan.objects.filter(pk=1).exists()
    assert CareCase.objects.count() == 2


def test_deleting_a_plan_leaves_a_history_row_with_the_user(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("DELETE", "care-plans/1")
    row = CarePlan.history.filter(care_plan_key=1).latest("history_id")  # type: ignore[attr-defined]
    assert row.history_type == "-"
    assert row.history_user_id is not None
    assert row.activity_id


@pytest.mark.parametrize("raw", ["abc", "1.5", "2147483648", "-2147483649", "99999999999999999999", "0x10"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_plan_key_in_the_path_that_is_not_an_int32_is_a_400(demo: Any, plan: int, raw: str, method: str) -> None:
    body = plan_item(1) if method == "PUT" else None
    assert_problem(demo.call(method, f"care-plans/{raw}", body), 400, "carePlanKey: must be a whole number")


def test_list_pages_sorts_and_filters(demo: Any, in_demo: str) -> None:
    demo.call(
        "PUT",
        "care-plans-batch",
        [plan_item(k, care_Type="CARDIAC" if k % 2 else "RENAL", description=f"plan {k}") for k in range(1, 8)],
    )
    response = demo.call("GET", "care-plans?pageSize=2&page=2&sortBy=carePlan_Key:desc")
    assert response.status_code == 200
    assert [p["carePlan_Key"] for p in response.json()["data"]] == [5, 4]
    assert response["x-pagination"] == '{"TotalCount": 7, "TotalPages": 4, "CurrentPage": 2, "PageSize": 2}'
    response = demo.call("GET", "care-plans?care_Type=RENAL")
    assert [p["carePlan_Key"] for p in response.json()["data"]] == [2, 4, 6]
    assert_problem(demo.call("GET", "care-plans?updated_Since=yesterday"), 400, "updated_Since")
    assert_problem(demo.call("GET", "care-plans?sortBy=nope"), 400, "sortBy")


def test_plans_live_in_the_database_of_the_header(demo: Any, other: Any, plan: int) -> None:
    assert other.call("GET", "care-plans/1").status_code == 404
    other.call("PUT", "care-plans-batch", [plan_item(1, care_Type="OTHER")])
    assert demo.call("GET", "care-plans/1").json()["data"]["care_Type"] == "DIABETES"
    assert other.call("GET", "care-plans/1").json()["data"]["care_Type"] == "OTHER"
    with use_vba_database("other"):
        assert CarePlan.objects.get(pk=1).care_type == "OTHER"


def test_the_database_header_and_credentials_are_checked_first(api_key: str, demo: Any, vba: Any) -> None:
    assert_problem(demo.call("GET", "care-plans", HTTP_VBASOFTWARE_DATABASE=""), 400, "vbasoftware-database")
    assert_problem(demo.call("GET", "care-plans", HTTP_VBASOFTWARE_DATABASE="prod"), 403)
    assert_problem(vba.call("GET", "care-plans", HTTP_VBASOFTWARE_DATABASE="other"), 403)  # alice: demo only
    assert_problem(demo.call("GET", "care-plans/abc", HTTP_AUTHORIZATION="Bearer nope"), 401)
    assert_problem(demo.call("PUT", "care-plans-batch", [plan_item(1)], HTTP_X_API_KEY=""), 401)
