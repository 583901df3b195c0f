"""Reviews of Auths (``/auth-reviews``, ``/auth-reviews-batch``): issue 22, decisions 15-17 of vba-review.md. One
engine: single-record CRUD, ETag/If-Match, 207 batches, history; review_User/review_Date are data."""

from typing import Any

import pytest

from authorizations.models import AuthReview
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def review(auth: str = "R1", key: int | None = 0, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"auth_Number": auth, "review_Level": "1", "review_Comment": "nurse review", **fields}
    if key is not None:
        item["authReview_Key"] = key
    return item


@pytest.fixture
def auths(vba: Any, in_demo: str) -> Any:
    assert vba.call("PUT", "auths", [auth_item("R1"), auth_item("R2")]).status_code == 207
    return vba


def test_post_assigns_the_key_and_fills_review_user_and_date_when_null(auths: Any) -> None:
    first = auths.call("POST", "auth-reviews", review())
    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    assert set(data) == {
        "authReview_Key",
        "auth_Number",
        "review_Comment",
        "review_Date",
        "review_Level",
        "review_Severity",
        "review_Status",
        "review_Type",
        "review_Urgency_Type",
        "review_User",
    }
    assert data["authReview_Key"] > 0 and data["review_User"] == "alice" and data["review_Date"]
    sent = auths.call(
        "POST", "auth-reviews", review(key=None, review_User="drsmith", review_Date="2026-01-02T03:04:05")
    )
    kept = sent.json()["data"]
    assert (kept["review_User"], kept["review_Date"][:19]) == ("drsmith", "2026-01-02T03:04:05")
    assert kept["authReview_Key"] == data["authReview_Key"] + 1
    stored = AuthReview.objects.get(pk=kept["authReview_Key"])
    assert stored.entry_user == "alice" and stored.update_user == "alice"
    key = data["authReview_Key"]
    assert_problem(auths.call("POST", "auth-reviews", review(key=key)), 409, f"AuthReview {key} already exists")
    assert_problem(auths.call("POST", "auth-reviews", review("NOPE")), 400, "auth_Number: Auth NOPE does not exist")
    assert_problem(auths.call("POST", "auth-reviews", review(review_Level="x" * 33)), 400, "review_Level")


def test_get_put_delete_with_etag_and_history(auths: Any) -> None:
    key = auths.call("POST", "auth-reviews", review()).json()["data"]["authReview_Key"]
    read = auths.call("GET", f"auth-reviews/{key}")
    assert read.status_code == 200 and read.json()["data"]["review_Comment"] == "nurse review"
    assert_problem(auths.call("GET", "auth-reviews/abc"), 400, "authReviewKey")
    etag = read["ETag"]
    body = {**read.json()["data"], "review_Level": "2", "review_Comment": "physician review"}
    changed = auths.call("PUT", f"auth-reviews/{key}", body, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["data"]["review_Level"] == "2"
    assert changed.json()["data"]["review_Date"] == read.json()["data"]["review_Date"]  # kept as sent
    assert_problem(auths.call("PUT", f"auth-reviews/{key}", body, HTTP_IF_MATCH=etag), 412)
    assert_problem(auths.call("PUT", f"auth-reviews/{key}", {**body, "authReview_Key": key + 9}), 400, "authReview_Key")
    assert_problem(auths.call("PUT", f"auth-reviews/{key}", {**body, "auth_Number": "NOPE"}), 400, "auth_Number")
    assert_problem(auths.call("PUT", "auth-reviews/999999", {**body, "authReview_Key": 999999}), 404)
    assert auths.call("DELETE", f"auth-reviews/{key}").status_code == 204
    assert_problem(auths.call("GET", f"auth-reviews/{key}"), 404, f"AuthReview {key} was not found")
    history = AuthReview.history.filter(auth_review_key=key).order_by("history_date", "history_id")
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert all(h.history_user.username == "alice" and h.activity_id for h in history)


def test_batch_answers_207_per_item(auths: Any) -> None:
    key = auths.call("POST", "auth-reviews", review()).json()["data"]["authReview_Key"]
    response = auths.call(
        "PUT",
        "auth-reviews-batch",
        [review(key=key, review_Status="DONE"), review("R2"), review("NOPE"), review(key=-1)],
    )
    assert response.status_code == 207
    results = response.json()["data"]
    assert [r["status"] for r in results] == [200, 201, 400, 400]
    assert results[0]["id"] == [{"key": "authReview_Key", "value": str(key)}]
    assert "Auth NOPE does not exist" in results[2]["body"]
    assert AuthReview.objects.get(pk=key).review_status == "DONE"
    assert AuthReview.history.filter(history_type="~").count() == 1
    none = auths.call("PUT", "auth-reviews-batch?allOrNone=true", [review("R2"), review("NOPE")])
    assert [r["status"] for r in none.json()["data"]] == [424, 400]
    assert AuthReview.objects.count() == 2


def test_list_filters_on_auth_number_and_is_paged(auths: Any) -> None:
    auths.call("PUT", "auth-reviews-batch", [review("R1"), review("R2"), review("R1", review_Level="2")])
    listed = auths.call("GET", "auth-reviews?authNumber=R1&pageSize=1")
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1 and listed["x-pagination"]
    both = auths.call("GET", "auth-reviews?authNumber=R1").json()["data"]
    assert [(r["auth_Number"], r["review_Level"]) for r in both] == [("R1", "1"), ("R1", "2")]
    assert len(auths.call("GET", "auth-reviews").json()["data"]) == 3
    assert_problem(auths.call("GET", "auth-reviews?auth_Number=R1"), 400)


def test_an_auth_with_reviews_or_lines_is_not_deleted(auths: Any) -> None:
    key = auths.call("POST", "auth-reviews", review()).json()["data"]["authReview_Key"]
    line = {"authProcCodes_Key": 0, "auth_Number": "R1", "exclude_Modifier_Match": False}
    line_key = auths.call("POST", "auths/R1/procedure-codes", line).json()["data"]["authProcCodes_Key"]
    assert_problem(
        auths.call("DELETE", "auths/R1"),
        409,
        "Auth R1 still has 1 procedure line(s), 0 diagnosis code(s) and 1 review(s)",
    )
    auths.call("DELETE", "auths/R1/procedure-codes-batch", [line_key])
    assert_problem(
        auths.call("DELETE", "auths/R1"),
        409,
        "Auth R1 still has 0 procedure line(s), 0 diagnosis code(s) and 1 review(s)",
    )
    auths.call("DELETE", f"auth-reviews/{key}")
    assert auths.call("DELETE", "auths/R1").status_code == 204
