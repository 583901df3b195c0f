"""CareCase batches: ``PUT /care-plans/{carePlanKey}/cases-batch`` and the simplified ``PUT /care-cases-batch``
(vba.md, decisions.md 4-9 and 12)."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from carecases.models import CareCase, CarePlan
from config.serving.tenancy import use_vba_database
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL, assert_problem

#: decisions.md 4: the body of every other item of a failed all-or-none batch, as the client reads it.
NOT_APPLIED = "Not applied: another item of this all-or-none batch failed"

pytestmark = pytest.mark.django_db(databases=ALL)

ALL_FIELDS = {
    "case_Key": 9,
    "appointment_Date": "2026-03-04T10:30:00",
    "assessment_Date": "2026-02-01T00:00:00",
    "carePlan_Key": 1,
    "case_Assign_Type": "U" * 16,
    "case_End_Date": "2026-12-31T00:00:00",
    "case_ID": "C" * 64,
    "case_Priority": -2147483648,
    "case_Reason": "R" * 32,
    "case_Score": 87.5,
    "case_Start_Date": "2026-01-15T00:00:00",
    "case_Status": "S" * 8,
    "division_ID": "D" * 20,
    "do_Not_Contact": True,
    "eligibility_Verified": "2026-01-20T08:00:00",
    "eligibility_Verified_Comment": "E" * 512,
    "case_Close_Reason": "X" * 32,
    "group_ID": "G" * 20,
    "member_Seq": "01",
    "provider_ID": "P" * 20,
    "subscriber_ID": "123456789",
}


def ids(response: Any) -> list[Any]:
    return [r["id"][0]["value"] for r in response.json()["data"]]


def statuses(response: Any) -> list[int]:
    return [r["status"] for r in response.json()["data"]]


def test_batch_under_a_plan_creates_then_updates_with_one_result_per_item(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("PUT", "care-plans/1/cases-batch", [case_item(1), case_item(2, case_Status="OPEN")])
    assert response.status_code == 207
    body = response.json()
    assert body["error"] is None
    assert body["data"] == [
        {"id": [{"key": "case_Key", "value": "1"}], "status": 201, "body": "Created"},
        {"id": [{"key": "case_Key", "value": "2"}], "status": 201, "body": "Created"},
    ]
    response = demo.call("PUT", "care-plans/1/cases-batch", [case_item(2, case_Status="CLOSED")])
    assert response.json()["data"] == [{"id": [{"key": "case_Key", "value": "2"}], "status": 200, "body": "Updated"}]
    assert CareCase.objects.get(pk=2).case_status == "CLOSED"


def test_every_field_round_trips(demo: Any, plan: int, in_demo: str) -> None:
    assert statuses(demo.call("PUT", "care-plans/1/cases-batch", [ALL_FIELDS])) == [201]
    data = demo.call("GET", "care-plans/1/cases/9").json()["data"]
    server_owned = {"entry_Date", "entry_User", "update_Date", "update_User"}
    assert {k: v for k, v in data.items() if k not in server_owned} == ALL_FIELDS
    assert CareCase.objects.get(pk=9).case_score == Decimal("87.5")


def test_case_key_0_assigns_fresh_keys_and_reports_them(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("PUT", "care-plans/1/cases-batch", [case_item(500)])
    response = demo.call("PUT", "care-plans/1/cases-batch", [case_item(0), case_item(0), case_item(502)])
    assert response.json()["data"] == [
        {"id": [{"key": "case_Key", "value": "501"}], "status": 201, "body": "Created"},
        {"id": [{"key": "case_Key", "value": "503"}], "status": 201, "body": "Created"},
        {"id": [{"key": "case_Key", "value": "502"}], "status": 201, "body": "Created"},
    ]
    assert list(CareCase.objects.values_list("pk", flat=True)) == [500, 501, 502, 503]


def test_an_item_whose_plan_differs_from_the_path_is_a_400_for_that_item_only(
    demo: Any, plan: int, in_demo: str
) -> None:
    demo.call("POST", "care-plans", plan_item(2))
    response = demo.call("PUT", "care-plans/1/cases-batch", [case_item(1, plan=2), case_item(2, plan=1)])
    assert response.json()["data"] == [
        {
            "id": [{"key": "case_Key", "value": "1"}],
            "status": 400,
            "body": "carePlan_Key: the item says 2 but the path says 1; they must match",
        },
        {"id": [{"key": "case_Key", "value": "2"}], "status": 201, "body": "Created"},
    ]
    assert list(CareCase.objects.values_list("pk", flat=True)) == [2]


def test_an_unknown_plan_in_the_path_is_a_404_for_the_whole_request(demo: Any, plan: int, in_demo: str) -> None:
    assert_problem(
        demo.call("PUT", "care-plans/2/cases-batch", [case_item(1, plan=2)]), 404, "CarePlan 2 was not found"
    )
    assert not CareCase.objects.exists()


def test_a_case_of_another_plan_is_not_taken_over_through_this_plans_path(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("POST", "care-plans", plan_item(2))
    demo.call("PUT", "care-plans/1/cases-batch", [case_item(1, case_Status="A")])
    response = demo.call("PUT", "care-plans/2/cases-batch", [case_item(1, plan=2, case_Status="B")])
    result = response.json()["data"][0]
    assert result["status"] == 400
    assert result["body"].startswith("CareCase 1 belongs to care plan 1, not 2")
    case = CareCase.objects.get(pk=1)
    assert (case.care_plan_id, case.case_status) == (1, "A")


def test_the_simplified_path_checks_each_items_plan(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call(
        "PUT", "care-cases-batch", [case_item(1, plan=1), case_item(2, plan=77), case_item(0, plan=77), case_item(3)]
    )
    assert response.json()["data"] == [
        {"id": [{"key": "case_Key", "value": "1"}], "status": 201, "body": "Created"},
        {"id": [{"key": "case_Key", "value": "2"}], "status": 400, "body": "carePlan_Key: care plan 77 does not exist"},
        {"id": [{"key": "case_Key", "value": "0"}], "status": 400, "body": "carePlan_Key: care plan 77 does not exist"},
        {"id": [{"key": "case_Key", "value": "3"}], "status": 201, "body": "Created"},
    ]
    assert list(CareCase.objects.values_list("pk", flat=True)) == [1, 3]


def test_the_simplified_path_moves_a_case_to_the_plan_it_names(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("POST", "care-plans", plan_item(2))
    demo.call("PUT", "care-cases-batch", [case_item(1, plan=1)])
    assert statuses(demo.call("PUT", "care-cases-batch", [case_item(1, plan=2)])) == [200]
    assert CareCase.objects.get(pk=1).care_plan_id == 2


def test_a_case_whose_plan_is_only_in_another_database_is_refused(demo: Any, other: Any, in_demo: str) -> None:
    assert other.call("POST", "care-plans", plan_item(5)).status_code == 200
    response = demo.call("PUT", "care-cases-batch", [case_item(1, plan=5)])
    assert response.json()["data"][0] == {
        "id": [{"key": "case_Key", "value": "1"}],
        "status": 400,
        "body": "carePlan_Key: care plan 5 does not exist",
    }
    assert_problem(demo.call("PUT", "care-plans/5/cases-batch", [case_item(1, plan=5)]), 404)
    assert not CareCase.objects.exists()
    with use_vba_database("other"):
        assert not CareCase.objects.exists()
    assert statuses(other.call("PUT", "care-cases-batch", [case_item(1, plan=5)])) == [201]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"do_Not_Contact": None}, "do_Not_Contact: may not be null"),
        ({"do_Not_Contact": "false"}, "do_Not_Contact: Input should be a valid boolean"),
        ({"do_Not_Contact": 0}, "do_Not_Contact: Input should be a valid boolean"),
        ({"case_Key": "3"}, "case_Key: Input should be a valid integer"),
        ({"case_Key": 1.5}, "case_Key: Input should be a valid integer"),
        ({"case_Key": 2**31}, "case_Key: Input should be less than or equal to 2147483647"),
        ({"case_Key": -1}, "case_Key: must be 0 (to have the next key assigned) or a positive key, not -1"),
        ({"case_Key": None}, "case_Key: may not be null"),
        ({"carePlan_Key": None}, "carePlan_Key: may not be null"),
        ({"carePlan_Key": -(2**31) - 1}, "carePlan_Key: Input should be greater than or equal to -2147483648"),
        ({"case_Priority": 2**31}, "case_Priority: Input should be less than or equal to 2147483647"),
        ({"case_Priority": "high"}, "case_Priority: Input should be a valid integer"),
        ({"case_Status": "TOOLONG12"}, "case_Status: String should have at most 8 characters"),
        ({"subscriber_ID": "1234567890"}, "subscriber_ID: String should have at most 9 characters"),
        ({"member_Seq": "001"}, "member_Seq: String should have at most 2 characters"),
        ({"case_ID": "c" * 65}, "case_ID: String should have at most 64 characters"),
        ({"eligibility_Verified_Comment": "e" * 513}, "eligibility_Verified_Comment: String should have at most 512"),
        ({"case_Reason": 12}, "case_Reason: Input should be a valid string"),
        ({"case_Score": "12"}, "case_Score: must be a JSON number"),
        ({"case_Start_Date": "2026-02-30"}, "case_Start_Date: '2026-02-30' is not a valid calendar date"),
        ({"case_End_Date": "31/12/2026"}, "case_End_Date: '31/12/2026' is not a valid date"),
    ],
)
def test_an_invalid_case_is_a_400_naming_the_field_and_nothing_is_written(
    demo: Any, plan: int, in_demo: str, fields: dict[str, Any], message: str
) -> None:
    response = demo.call("PUT", "care-cases-batch", [case_item(1, **fields)])
    result = response.json()["data"][0]
    assert result["status"] == 400
    assert message in result["body"]
    assert not CareCase.objects.exists()


@pytest.mark.parametrize("missing", ["do_Not_Contact", "case_Key", "carePlan_Key"])
def test_a_missing_required_field_is_a_400(demo: Any, plan: int, in_demo: str, missing: str) -> None:
    item = case_item(1)
    del item[missing]
    result = demo.call("PUT", "care-plans/1/cases-batch", [item]).json()["data"][0]
    assert (result["status"], result["body"]) == (400, f"{missing}: is required")
    assert not CareCase.objects.exists()


def test_do_not_contact_defaults_to_false_in_the_database(plan: int, in_demo: str) -> None:
    with connections[in_demo].cursor() as cursor:
        cursor.execute(
            'INSERT INTO "CareCase" ("Case_Key", "CarePlan_Key", "Entry_Date", "Update_Date") '
            "VALUES (77, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
    assert CareCase.objects.get(pk=77).do_not_contact is False


def test_duplicate_keys_in_one_batch_count_as_sent_one_after_another(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call(
        "PUT",
        "care-plans/1/cases-batch",
        [case_item(4, case_Status="FIRST"), case_item(4, case_Status="SECOND"), case_item(4, case_Status="x" * 9)],
    )
    assert statuses(response) == [201, 200, 400]
    assert CareCase.objects.get(pk=4).case_status == "SECOND"
    assert CareCase.history.filter(case_key=4).count() == 1  # type: ignore[attr-defined]


def test_all_or_none_writes_nothing_when_an_item_fails(demo: Any, plan: int, in_demo: str) -> None:
    demo.call("PUT", "care-plans/1/cases-batch", [case_item(1, case_Status="KEEP")])
    response = demo.call(
        "PUT",
        "care-plans/1/cases-batch?allOrNone=true",
        [case_item(1, case_Status="CHANGED"), case_item(2), case_item(3, plan=9)],
    )
    assert response.status_code == 207
    assert response.json()["data"] == [
        {"id": [{"key": "case_Key", "value": "1"}], "status": 424, "body": NOT_APPLIED},
        {"id": [{"key": "case_Key", "value": "2"}], "status": 424, "body": NOT_APPLIED},
        {
            "id": [{"key": "case_Key", "value": "3"}],
            "status": 400,
            "body": "carePlan_Key: the item says 9 but the path says 1; they must match",
        },
    ]
    assert list(CareCase.objects.values_list("pk", "case_status")) == [(1, "KEEP")]


def test_all_or_none_with_an_unknown_plan_in_the_simplified_path(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("PUT", "care-cases-batch?allOrNone=true", [case_item(1), case_item(2, plan=9)])
    assert statuses(response) == [424, 400]
    assert not CareCase.objects.exists()
    assert_problem(demo.call("PUT", "care-cases-batch?allOrNone=maybe", [case_item(1)]), 400, "allOrNone")


def test_all_or_none_applies_everything_when_nothing_fails(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("PUT", "care-cases-batch?allOrNone=true", [case_item(1), case_item(2)])
    assert statuses(response) == [201, 201]
    assert CareCase.objects.count() == 2


def test_a_batch_over_the_item_limit_is_a_413_and_writes_nothing(
    demo: Any, plan: int, in_demo: str, settings: Any
) -> None:
    settings.VBA_BATCH_MAX_ITEMS = 3
    response = demo.call("PUT", "care-plans/1/cases-batch", [case_item(k) for k in range(1, 5)])
    assert_problem(response, 413, "The batch has 4 items; at most 3 are allowed per request.")
    assert_problem(demo.call("PUT", "care-cases-batch", [case_item(k) for k in range(1, 5)]), 413)
    assert not CareCase.objects.exists()


def test_a_body_over_the_size_limit_is_a_413(demo: Any, plan: int, in_demo: str, settings: Any) -> None:
    settings.VBA_MAX_BODY_BYTES = 200
    items = [case_item(k, eligibility_Verified_Comment="x" * 100) for k in range(1, 5)]
    assert_problem(demo.call("PUT", "care-cases-batch", items), 413, "200 bytes")
    assert not CareCase.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"case_Key": 1}, 400, "The body must be a JSON array of CareCase objects."),
        ("[1, 2", 400, "Malformed JSON"),
    ],
)
def test_a_body_that_is_not_an_array_is_a_400_for_the_request(
    demo: Any, plan: int, in_demo: str, body: Any, status: int, detail: str
) -> None:
    if isinstance(body, str):
        response = demo.put(
            "/vbasoftware/care-plans/1/cases-batch", body, content_type="application/json", **demo.headers_
        )
    else:
        response = demo.call("PUT", "care-plans/1/cases-batch", body)
    assert_problem(response, status, detail)


def test_an_array_of_non_objects_fails_each_item(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("PUT", "care-cases-batch", [1, "case", None, [], case_item(1)])
    assert [r["body"] for r in response.json()["data"][:4]] == [
        "Each item must be a JSON object, not a number",
        "Each item must be a JSON object, not a string",
        "Each item must be a JSON object, not null",
        "Each item must be a JSON object, not an array",
    ]
    assert statuses(response) == [400, 400, 400, 400, 201]


def test_audit_fields_are_set_by_the_server_and_history_records_the_user(
    demo: Any, nurse: Any, plan: int, in_demo: str
) -> None:
    sent = case_item(1, entry_User="hacker", entry_Date="2000-01-01", update_User="hacker", update_Date="2000-01-01")
    created = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=1)  # a clock the idToken is valid at
    updated = created + dt.timedelta(hours=2, seconds=7)
    audit = ("entry_Date", "entry_User", "update_Date", "update_User")
    shown = created.strftime("%Y-%m-%dT%H:%M:%S")  # the server's time zone is UTC here
    with time_machine.travel(created, tick=False):
        response = demo.call("PUT", "care-plans/1/cases-batch", [sent])
        got = demo.call("GET", "care-plans/1/cases/1").json()["data"]
    assert [got[name] for name in audit] == [shown, "nurse", shown, "nurse"]
    with time_machine.travel(updated, tick=False):  # forward only: the rate limiter's clock never runs back
        demo.call("PUT", "care-plans/1/cases-batch", [case_item(1, case_Status="NEXT", entry_Date="2000-01-01")])
        got = demo.call("GET", "care-plans/1/cases/1").json()["data"]
    assert [got[name] for name in audit] == [shown, "nurse", updated.strftime("%Y-%m-%dT%H:%M:%S"), "nurse"]
    activity_id = response["x-activity-id"]
    history = list(CareCase.history.filter(case_key=1).order_by("history_id"))  # type: ignore[attr-defined]
    assert [(h.history_type, h.history_user_id, h.case_status) for h in history] == [
        ("+", nurse.pk, None),
        ("~", nurse.pk, "NEXT"),
    ]
    assert history[0].activity_id == activity_id


def test_unknown_fields_are_ignored(demo: Any, plan: int, in_demo: str) -> None:
    assert statuses(demo.call("PUT", "care-cases-batch", [case_item(1, favourite_Colour="blue")])) == [201]


@pytest.mark.parametrize("raw", ["abc", "1.0", "2147483648", "-2147483649"])
def test_a_plan_key_in_a_batch_path_that_is_not_an_int32_is_a_400(demo: Any, raw: str) -> None:
    response = demo.call("PUT", f"care-plans/{raw}/cases-batch", [case_item(1)])
    assert_problem(response, 400, f"carePlanKey: must be a whole number from -2147483648 to 2147483647, not '{raw}'")


def test_batches_need_credentials_and_a_granted_database(vba: Any, demo: Any, plan: int, in_demo: str) -> None:
    assert_problem(vba.call("PUT", "care-cases-batch", [case_item(1)], HTTP_VBASOFTWARE_DATABASE="other"), 403)
    assert_problem(demo.call("PUT", "care-cases-batch", [case_item(1)], HTTP_AUTHORIZATION=""), 401)
    assert_problem(demo.call("PUT", "care-cases-batch", [case_item(1)], HTTP_VBASOFTWARE_DATABASE=""), 400)
    assert not CareCase.objects.exists()
    assert CarePlan.objects.count() == 1


def test_no_key_is_generated_beyond_int32(demo: Any, plan: int, in_demo: str) -> None:
    response = demo.call("PUT", "care-cases-batch", [case_item(2147483647, plan=1)])
    assert response.json()["data"][0]["status"] == 201
    out = demo.call("PUT", "care-cases-batch", [case_item(0, plan=1), case_item(5, plan=1)]).json()["data"]
    assert [(r["id"][0]["value"], r["status"]) for r in out] == [("0", 409), ("5", 201)]
    assert "at most 2147483647" in out[0]["body"]
