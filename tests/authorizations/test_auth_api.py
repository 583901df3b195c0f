"""Single-record Auth endpoints and the list: POST/GET/PUT/DELETE, ETag/If-Match, paging, sorting, filters."""

import json
from typing import Any

import pytest

from authorizations.models import Auth
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def test_post_creates_one_auth_and_answers_200_with_the_record(vba: Any, in_demo: str) -> None:
    response = vba.call("POST", "auths", auth_item("P1", status="NEW"))
    assert response.status_code == 200  # VBA's document lists 200 for create (decisions.md 11)
    body = response.json()
    assert body["error"] is None
    assert body["data"]["auth_Number"] == "P1" and body["data"]["status"] == "NEW"
    assert response["ETag"]
    assert Auth.objects.filter(pk="P1").exists()


def test_post_without_a_number_generates_one(vba: Any, in_demo: str) -> None:
    response = vba.call("POST", "auths", auth_item(None))
    number = response.json()["data"]["auth_Number"]
    assert response.status_code == 200 and number.isdigit()
    assert Auth.objects.filter(pk=number).exists()


def test_post_of_an_existing_number_is_a_409_and_changes_nothing(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auths", auth_item("P1", status="FIRST"))
    assert_problem(vba.call("POST", "auths", auth_item("P1", status="SECOND")), 409, "Auth P1 already exists")
    assert Auth.objects.get(pk="P1").status == "FIRST"


def test_post_with_a_bad_field_is_a_400_naming_it(vba: Any, in_demo: str) -> None:
    assert_problem(vba.call("POST", "auths", auth_item("P1", urgent=None)), 400, "urgent: may not be null")
    assert_problem(vba.call("POST", "auths", [auth_item("P1")]), 400, "The body must be a JSON object (Auth).")
    assert Auth.objects.count() == 0


def test_get_returns_the_record_with_an_etag_and_404_when_unknown(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auths", auth_item("G1", subscriber_ID="123"))
    response = vba.call("GET", "auths/G1")
    assert response.status_code == 200
    assert response.json()["data"]["subscriber_ID"] == "123"
    assert response["ETag"].startswith('"')
    assert_problem(vba.call("GET", "auths/NOPE"), 404, "Auth NOPE was not found")


def test_put_replaces_the_record(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auths", auth_item("R1", status="A", notes="old notes"))
    response = vba.call("PUT", "auths/R1", auth_item(None, status="B"))
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "B" and response.json()["data"]["notes"] is None
    record = Auth.objects.get(pk="R1")
    assert (record.status, record.notes) == ("B", None)


def test_put_of_an_unknown_number_is_a_404(vba: Any, in_demo: str) -> None:
    assert_problem(vba.call("PUT", "auths/NOPE", auth_item(None)), 404, "Auth NOPE was not found")
    assert Auth.objects.count() == 0


def test_put_with_another_number_in_the_body_is_a_400(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auths", auth_item("R1", status="A"))
    assert_problem(vba.call("PUT", "auths/R1", auth_item("R2")), 400, "auth_Number: the body says 'R2'")
    assert list(Auth.objects.values_list("pk", "status")) == [("R1", "A")]


def test_put_with_a_bad_field_changes_nothing(vba: Any, in_demo: str) -> None:
    vba.call("POST", "auths", auth_item("R1", status="A"))
    assert_problem(vba.call("PUT", "auths/R1", auth_item("R1", status="TOOLONGSTATUS")), 400, "status:")
    assert Auth.objects.get(pk="R1").status == "A"


def test_put_with_a_stale_if_match_is_a_412_and_a_current_one_succeeds(vba: Any, in_demo: str) -> None:
    etag = vba.call("POST", "auths", auth_item("E1", status="A"))["ETag"]
    changed = vba.call("PUT", "auths/E1", auth_item("E1", status="B"), HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert_problem(vba.call("PUT", "auths/E1", auth_item("E1", status="C"), HTTP_IF_MATCH=etag), 412)
    assert Auth.objects.get(pk="E1").status == "B"
    assert_problem(vba.call("DELETE", "auths/E1", HTTP_IF_MATCH=etag), 412)
    assert Auth.objects.filter(pk="E1").exists()


def test_delete_answers_204_without_body_and_leaves_history(vba: Any, in_demo: str, user: Any) -> None:
    vba.call("POST", "auths", auth_item("X1"))
    response = vba.call("DELETE", "auths/X1")
    assert response.status_code == 204 and response.content == b""
    assert not Auth.objects.filter(pk="X1").exists()
    deleted = Auth.history.filter(auth_number="X1", history_type="-").get()
    assert deleted.history_user_id == user.pk and deleted.activity_id == response["x-activity-id"]
    assert_problem(vba.call("DELETE", "auths/X1"), 404, "Auth X1 was not found")


@pytest.fixture
def listed(vba: Any, in_demo: str) -> Any:
    items = [
        auth_item(
            f"L{n:02d}",
            status="APPROVED" if n % 2 else "DENIED",
            auth_Type="INPT" if n < 5 else "OUTPT",
            auth_Code=f"C{n % 3}",
            subscriber_ID=f"S{n % 4}",
            member_Seq="01" if n % 5 else "02",
            provider_ID=f"PRV{n % 2}",
            urgent=n % 3 == 0,
            closed=n == 7,
            received_Date=f"2026-01-{n + 1:02d}T00:00:00",
            approved_Date=f"2026-02-{n + 1:02d}T00:00:00",
        )
        for n in range(10)
    ]
    assert vba.call("PUT", "auths", items).status_code == 207
    return vba


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["auth_Number"] for r in response.json()["data"]]


def test_list_pages_and_reports_totals_in_x_pagination(listed: Any) -> None:
    response = listed.call("GET", "auths?page=2&pageSize=4")
    assert numbers(response) == ["L04", "L05", "L06", "L07"]
    assert json.loads(response["x-pagination"]) == {"TotalCount": 10, "TotalPages": 3, "CurrentPage": 2, "PageSize": 4}
    assert numbers(listed.call("GET", "auths?page=4&pageSize=4")) == []


def test_list_sorts_by_json_field_names(listed: Any) -> None:
    assert numbers(listed.call("GET", "auths?sortBy=received_Date:desc&pageSize=3")) == ["L09", "L08", "L07"]
    got = numbers(listed.call("GET", "auths?sortBy=status:asc,auth_Number:desc&pageSize=3"))
    assert got == ["L09", "L07", "L05"]


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("sortBy=nope:asc", "sortBy: unknown field 'nope'"),
        ("sortBy=status:sideways", "sortBy: direction of 'status' must be asc or desc"),
        ("page=0", "page: must be a whole number of at least 1"),
        ("page=x", "page: must be a whole number of at least 1"),
        ("pageSize=1001", "pageSize: may be at most 1000"),
        ("urgent=maybe", "urgent: Select a valid choice"),
        ("closed=1", "closed: Select a valid choice"),
        ("received_Date_from=yesterday", "received_Date_from: 'yesterday' is not a valid date; use YYYY-MM-DD"),
        ("updated_Since=2026-13-01", "updated_Since: '2026-13-01' is not a valid calendar date"),
        ("updated_Since=", "updated_Since: is empty; leave the parameter out for no filter"),
        ("status=&urgent=true", "status: is empty; leave the parameter out for no filter"),
        ("urgent=", "urgent: is empty; leave the parameter out for no filter"),
        ("stauts=DENIED", "stauts: is not a parameter of this list (it takes page, pageSize, sortBy, status, "),
    ],
)
def test_bad_list_parameters_are_400s(listed: Any, query: str, detail: str) -> None:
    assert_problem(listed.call("GET", f"auths?{query}"), 400, detail)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=DENIED", ["L00", "L02", "L04", "L06", "L08"]),
        ("auth_Type=INPT&status=APPROVED", ["L01", "L03"]),
        ("auth_Code=C1", ["L01", "L04", "L07"]),
        ("subscriber_ID=S2&member_Seq=01", ["L02", "L06"]),
        ("member_Seq=02", ["L00", "L05"]),
        ("provider_ID=PRV1&urgent=true", ["L03", "L09"]),
        ("closed=true", ["L07"]),
        ("urgent=false&closed=false&auth_Type=INPT", ["L01", "L02", "L04"]),
        ("received_Date_from=2026-01-08T00:00:00", ["L07", "L08", "L09"]),
        ("received_Date_to=2026-01-02T00:00:00", ["L00", "L01"]),
        ("approved_Date_from=2026-02-03T00:00:00&approved_Date_to=2026-02-04T00:00:00", ["L02", "L03"]),
    ],
)
def test_list_filters(listed: Any, query: str, expected: list[str]) -> None:
    assert numbers(listed.call("GET", f"auths?{query}")) == expected


def test_list_filters_by_update_time(listed: Any, in_demo: str) -> None:
    cutoff = Auth.objects.get(pk="L09").update_date
    listed.call("PUT", "auths", [auth_item("L03", status="LATER")])
    since = cutoff.isoformat().replace("+00:00", "Z")
    later = numbers(listed.call("GET", f"auths?updated_Since={since.replace(':', '%3A')}"))
    assert "L03" in later
    stamp = Auth.objects.get(pk="L03").update_date.isoformat().replace("+00:00", "Z").replace(":", "%3A")
    assert numbers(listed.call("GET", f"auths?updated_Since={stamp}")) == ["L03"]
