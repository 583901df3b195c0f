"""PUT /vbasoftware/auths: the batch create-or-update of decisions.md 4-10 and 12."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test.utils import CaptureQueriesContext, override_settings

from authorizations.models import Auth
from config.api.models import DatabaseGrant
from config.vba.authentication import issue_tokens
from tests.authorizations.factories import auth_item, full_auth
from tests.conftest import ALL, VBAClient, assert_problem

#: decisions.md 4: the body of every other item of a failed all-or-none batch, as the client reads it.
NOT_APPLIED = "Not applied: another item of this all-or-none batch failed"

pytestmark = pytest.mark.django_db(databases=ALL)


def results(response: Any) -> list[tuple[Any, int, str]]:
    assert response.status_code == 207, response.content
    body = response.json()
    assert body["error"] is None and body["debug"]["activityID"]
    return [(r["id"][0]["value"], r["status"], r["body"]) for r in body["data"]]


def test_batch_creates_then_updates_with_one_result_per_item_in_order(vba: Any, in_demo: str) -> None:
    response = vba.call("PUT", "auths", [auth_item("A1"), auth_item("A2", status="APPROVED")])
    assert response.json()["data"] == [
        {"id": [{"key": "auth_Number", "value": "A1"}], "status": 201, "body": "Created"},
        {"id": [{"key": "auth_Number", "value": "A2"}], "status": 201, "body": "Created"},
    ]
    response = vba.call("PUT", "auths", [auth_item("A2", status="DENIED"), auth_item("A3")])
    assert results(response) == [("A2", 200, "Updated"), ("A3", 201, "Created")]
    assert Auth.objects.get(pk="A2").status == "DENIED"
    assert Auth.objects.count() == 3


def test_batch_with_duplicate_keys_reports_each_occurrence_and_keeps_the_last(vba: Any, in_demo: str) -> None:
    items = [auth_item("D1", status="ONE"), auth_item("D2"), auth_item("D1", status="TWO"), auth_item("D1", status="3")]
    assert results(vba.call("PUT", "auths", items)) == [
        ("D1", 201, "Created"),
        ("D2", 201, "Created"),
        ("D1", 200, "Updated"),
        ("D1", 200, "Updated"),
    ]
    assert Auth.objects.get(pk="D1").status == "3"
    assert Auth.history.filter(auth_number="D1").count() == 1


def test_batch_failed_duplicate_does_not_change_the_valid_occurrence(vba: Any, in_demo: str) -> None:
    items = [auth_item("D1", status="GOOD"), auth_item("D1", status="TOO-LONG-STATUS")]
    assert [r[1] for r in results(vba.call("PUT", "auths", items))] == [201, 400]
    assert Auth.objects.get(pk="D1").status == "GOOD"


def test_batch_generates_digit_auth_numbers_for_items_without_one(vba: Any, in_demo: str) -> None:
    """The key sequence's first number, 1, was taken by a client: the generated items get other numbers and
    record 1 is left as it was (PostgreSQL: the write that found it is undone and done again with a fresh key)."""
    vba.call("PUT", "auths", [auth_item("1", status="CLIENT")])  # a client already took number 1
    out = results(vba.call("PUT", "auths", [auth_item(None), auth_item(None, auth_Number=None), auth_item("X")]))
    generated = [out[0][0], out[1][0]]
    assert [r[1:] for r in out] == [(201, "Created"), (201, "Created"), (201, "Created")]
    assert all(n.isdigit() and len(n) <= 20 for n in generated)
    assert len(set(generated)) == 2 and "1" not in generated
    assert set(Auth.objects.values_list("pk", flat=True)) == {"1", "X", *generated}
    assert Auth.objects.get(pk="1").status == "CLIENT"
    assert list(Auth.history.filter(auth_number="1").values_list("history_type", "status")) == [("+", "CLIENT")]
    assert sorted(Auth.history.values_list("auth_number", "history_type")) == sorted(
        [("1", "+"), ("X", "+"), *((n, "+") for n in generated)]
    )


def test_one_failing_item_does_not_change_the_others(vba: Any, in_demo: str) -> None:
    out = results(vba.call("PUT", "auths", [auth_item("G1"), auth_item("B1", urgent="yes"), auth_item("G2")]))
    assert [r[1] for r in out] == [201, 400, 201]
    assert out[1] == ("B1", 400, "urgent: Input should be a valid boolean")
    assert set(Auth.objects.values_list("pk", flat=True)) == {"G1", "G2"}


def test_all_or_none_writes_nothing_when_an_item_fails(vba: Any, in_demo: str) -> None:
    vba.call("PUT", "auths", [auth_item("E1", status="OLD")])
    items = [auth_item("E1", status="NEW"), auth_item("E2", auth_Type="X" * 9), auth_item("E3")]
    out = results(vba.call("PUT", "auths?allOrNone=true", items))
    assert out == [
        ("E1", 424, NOT_APPLIED),
        ("E2", 400, "auth_Type: String should have at most 8 characters"),
        ("E3", 424, NOT_APPLIED),
    ]
    assert list(Auth.objects.values_list("pk", "status")) == [("E1", "OLD")]


def test_all_or_none_applies_everything_when_all_items_are_valid(vba: Any, in_demo: str) -> None:
    out = results(vba.call("PUT", "auths?allOrNone=true", [auth_item("E1"), auth_item("E2")]))
    assert [r[1] for r in out] == [201, 201]
    assert Auth.objects.count() == 2


def test_all_or_none_with_a_bad_value_is_a_400(vba: Any, in_demo: str) -> None:
    assert_problem(vba.call("PUT", "auths?allOrNone=maybe", [auth_item("E1")]), 400, "allOrNone: must be true or false")
    assert Auth.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount_Approved": "12.50"}, "amount_Approved: must be a JSON number"),
        ({"amount_Approved": True}, "amount_Approved: must be a JSON number"),
        ({"amount_Approved": 1.23456}, "amount_Approved: must have at most 4 decimal places"),
        ({"amount_Approved": 10**16}, "amount_Approved: must have at most 15 digits before the decimal point"),
        ({"amount_Approved": 1e16}, "amount_Approved: must have at most 15 digits before the decimal point"),
        ({"careManager_Key": "5"}, "careManager_Key: Input should be a valid integer"),
        ({"careManager_Key": 1.5}, "careManager_Key: Input should be a valid integer"),
        ({"careManager_Key": 2**31}, "careManager_Key: Input should be less than or equal to 2147483647"),
        ({"daily_Living": -(2**31) - 1}, "daily_Living: Input should be greater than or equal to -2147483648"),
        ({"status": 5}, "status: Input should be a valid string"),
        ({"subscriber_ID": "1234567890"}, "subscriber_ID: String should have at most 9 characters"),
        ({"ordered_By_Name": "N" * 513}, "ordered_By_Name: String should have at most 512 characters"),
        ({"urgent": 1}, "urgent: Input should be a valid boolean"),
        ({"urgent": "true"}, "urgent: Input should be a valid boolean"),
        ({"urgent": None}, "urgent: may not be null"),
        ({"tPlan_Printed": ""}, "tPlan_Printed: String should have at least 1 character"),
        ({"tPlan_Printed": "YN"}, "tPlan_Printed: String should have at most 1 character"),
        ({"tPlan_Printed": None}, "tPlan_Printed: may not be null"),
        ({"received_Date": "2026-02-30"}, "received_Date: '2026-02-30' is not a valid calendar date"),
        ({"received_Date": "01/02/2026"}, "received_Date: '01/02/2026' is not a valid date"),
        ({"received_Date": "2026-01-01T25:00:00"}, "received_Date: '2026-01-01T25:00:00' is not a valid calendar"),
        ({"received_Date": 20260101}, "received_Date: must be a date string"),
        ({"auth_Number": "9" * 21}, "auth_Number: String should have at most 20 characters"),
        ({"auth_Number": 12}, "auth_Number: Input should be a valid string"),
    ],
)
def test_bad_values_fail_their_item_with_a_message_naming_the_field(
    vba: Any, in_demo: str, fields: dict[str, Any], message: str
) -> None:
    out = results(vba.call("PUT", "auths", [auth_item(None, **{"auth_Number": "BAD", **fields})]))
    assert out[0][1] == 400
    assert out[0][2].startswith(message), out[0][2]
    assert Auth.objects.count() == 0


@pytest.mark.parametrize("field", ["closed", "new_Or_Extended", "previous_Treatment", "tPlan_DownLoaded", "urgent"])
def test_a_missing_not_null_boolean_fails_the_item(vba: Any, in_demo: str, field: str) -> None:
    item = auth_item("NB")
    del item[field]
    assert results(vba.call("PUT", "auths", [item])) == [("NB", 400, f"{field}: is required")]
    assert Auth.objects.count() == 0


def test_several_bad_fields_are_all_named(vba: Any, in_demo: str) -> None:
    out = results(vba.call("PUT", "auths", [{"auth_Number": "M", "status": "X" * 9, "urgent": 0}]))
    message = out[0][2]
    for part in ["closed: is required", "status: String should have at most 8", "urgent: Input should be a valid"]:
        assert part in message


def test_an_array_of_non_objects_fails_each_item(vba: Any, in_demo: str) -> None:
    out = results(vba.call("PUT", "auths", [1, "x", None, [], auth_item("OK")]))
    assert out == [
        (None, 400, "Each item must be a JSON object, not a number"),
        (None, 400, "Each item must be a JSON object, not a string"),
        (None, 400, "Each item must be a JSON object, not null"),
        (None, 400, "Each item must be a JSON object, not an array"),
        ("OK", 201, "Created"),
    ]


@pytest.mark.parametrize("body", [{"auth_Number": "1"}, "text", 5, None])
def test_a_body_that_is_not_an_array_is_a_400_and_writes_nothing(vba: Any, in_demo: str, body: Any) -> None:
    response = vba.call("PUT", "auths", None, data=__import__("json").dumps(body), content_type="application/json")
    assert_problem(response, 400, "The body must be a JSON array of Auth objects.")
    assert Auth.objects.count() == 0


def test_malformed_json_is_a_400(vba: Any, in_demo: str) -> None:
    response = vba.call("PUT", "auths", None, data='[{"auth_Number": "1",', content_type="application/json")
    assert_problem(response, 400, "Malformed JSON")


def test_non_finite_numbers_are_refused(vba: Any, in_demo: str) -> None:
    body = '[{"auth_Number": "1", "amount_Actual": NaN}]'
    assert_problem(vba.call("PUT", "auths", None, data=body, content_type="application/json"), 400, "NaN")
    assert Auth.objects.count() == 0


def test_an_empty_batch_answers_an_empty_207(vba: Any, in_demo: str) -> None:
    assert results(vba.call("PUT", "auths", [])) == []


@override_settings(VBA_BATCH_MAX_ITEMS=3)
def test_a_batch_over_the_item_limit_is_a_413_and_writes_nothing(vba: Any, in_demo: str) -> None:
    response = vba.call("PUT", "auths", [auth_item(str(n)) for n in range(4)])
    assert_problem(response, 413, "The batch has 4 items; at most 3 are allowed per request.")
    assert Auth.objects.count() == 0


@override_settings(VBA_MAX_BODY_BYTES=2000)
def test_a_body_over_the_size_limit_is_a_413(vba: Any, in_demo: str) -> None:
    response = vba.call("PUT", "auths", [auth_item("1", notes="x" * 3000)])
    assert_problem(response, 413, "Request body exceeds the limit of 2000 bytes.")
    assert Auth.objects.count() == 0


def test_unknown_fields_are_ignored(vba: Any, in_demo: str) -> None:
    assert results(vba.call("PUT", "auths", [auth_item("U1", somethingElse=1, status="OK")]))[0][1] == 201
    assert Auth.objects.get(pk="U1").status == "OK"


def test_audit_fields_are_server_owned(vba: Any, in_demo: str, user: Any) -> None:
    sent = {"entry_User": "mallory", "entry_Date": "2000-01-01T00:00:00", "update_User": "mallory"}
    vba.call("PUT", "auths", [auth_item("AU", **sent)])
    created = Auth.objects.get(pk="AU")
    assert (created.entry_user, created.update_user) == ("alice", "alice")
    assert created.entry_date.year > 2000
    vba.call("PUT", "auths", [auth_item("AU", status="NEW", **sent)])
    updated = Auth.objects.get(pk="AU")
    assert (updated.entry_user, updated.entry_date) == (created.entry_user, created.entry_date)
    assert updated.update_date > created.update_date and updated.update_user == "alice"


def test_a_batch_item_replaces_the_whole_record(vba: Any, in_demo: str) -> None:
    vba.call("PUT", "auths", [auth_item("R1", status="A", notes="kept?", amount_Approved=10)])
    vba.call("PUT", "auths", [auth_item("R1", status="B")])
    record = Auth.objects.get(pk="R1")
    assert (record.status, record.notes, record.amount_approved) == ("B", None, None)


def test_every_field_round_trips(vba: Any, in_demo: str) -> None:
    sent = full_auth()
    assert results(vba.call("PUT", "auths", [sent])) == [("FULL1", 201, "Created")]
    got = vba.call("GET", "auths/FULL1").json()["data"]
    server_owned = {"entry_Date", "entry_User", "update_Date", "update_User"}
    assert set(got) == set(sent) | server_owned
    assert len(got) == 94
    for name, value in sent.items():
        assert got[name] == value, name
    record = Auth.objects.get(pk="FULL1")
    assert record.amount_actual == Decimal("1234.5678")
    assert isinstance(record.units_actual, Decimal)


def test_dates_with_offsets_are_stored_as_instants_and_rendered_in_server_time(vba: Any, in_demo: str) -> None:
    dates = {
        "received_Date": "2026-03-01T10:00:00+02:00",
        "approved_Date": "2026-03-01T10:00:00Z",
        "injury_Date": "2026-03-01",
        "discharge_Date": "2026-03-01T10:00:00.123456",
    }
    vba.call("PUT", "auths", [auth_item("DT", **dates)])
    got = vba.call("GET", "auths/DT").json()["data"]
    assert got["received_Date"] == "2026-03-01T08:00:00"
    assert got["approved_Date"] == "2026-03-01T10:00:00"
    assert got["injury_Date"] == "2026-03-01T00:00:00"
    assert got["discharge_Date"] == "2026-03-01T10:00:00"


def test_every_written_record_gets_a_history_row_with_user_and_activity(vba: Any, in_demo: str, user: Any) -> None:
    first = vba.call("PUT", "auths", [auth_item("H1"), auth_item("H2")])
    second = vba.call("PUT", "auths", [auth_item("H1", status="CHANGED")])
    rows = list(Auth.history.order_by("history_id").values_list("auth_number", "history_type", "status"))
    assert rows == [("H1", "+", None), ("H2", "+", None), ("H1", "~", "CHANGED")]
    latest = Auth.history.order_by("history_id").last()
    assert latest is not None and latest.history_user_id == user.pk
    assert latest.activity_id == second["x-activity-id"] != first["x-activity-id"]


def test_the_batch_reads_existing_keys_at_most_once_and_writes_in_bulk(vba: Any, in_demo: str) -> None:
    """SQLite reads which keys exist in one query; PostgreSQL not at all (its upsert says which rows it inserted)."""
    vba.call("PUT", "auths", [auth_item(f"Q{n}") for n in range(0, 200, 2)])
    with CaptureQueriesContext(connections[in_demo]) as queries:
        out = results(vba.call("PUT", "auths", [auth_item(f"Q{n}") for n in range(200)]))
    assert [r[1] for r in out] == [200 if n % 2 == 0 else 201 for n in range(200)]
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    reads = 0 if connections[in_demo].vendor == "postgresql" else 1
    assert len([s for s in selects if 'FROM "Auth"' in s]) == reads
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) <= 2 * (200 // 10)  # bulk statements (SQLite: 999 parameters each), not one per row


def test_a_record_sent_again_unchanged_is_not_rewritten_and_gets_no_history(vba: Any, in_demo: str) -> None:
    vba.call("PUT", "auths", [auth_item("S1", status="SAME"), auth_item("S2")])
    before = Auth.objects.get(pk="S1").update_date
    assert results(vba.call("PUT", "auths", [auth_item("S1", status="SAME"), auth_item("S2", status="NEW")])) == [
        ("S1", 200, "Updated"),
        ("S2", 200, "Updated"),
    ]
    assert Auth.objects.get(pk="S1").update_date == before
    assert list(Auth.history.order_by("history_id").values_list("auth_number", "history_type")) == [
        ("S1", "+"),
        ("S2", "+"),
        ("S2", "~"),
    ]


def test_exact_decimals_are_kept_and_trailing_zeros_do_not_count(vba: Any, in_demo: str) -> None:
    body = (
        '[{"auth_Number": "N1", "closed": false, "new_Or_Extended": false, "previous_Treatment": false,'
        ' "tPlan_DownLoaded": false, "urgent": false, "tPlan_Printed": "N",'
        ' "amount_Approved": 1.50000, "amount_Actual": 12345678901.1234, "units_Actual": 0.1}]'
    )
    response = vba.call("PUT", "auths", None, data=body, content_type="application/json")
    assert results(response) == [("N1", 201, "Created")]
    record = Auth.objects.get(pk="N1")
    assert record.amount_approved == Decimal("1.5") and record.units_actual == Decimal("0.1")
    assert record.amount_actual == Decimal("12345678901.1234")


@pytest.mark.postgres
def test_postgresql_keeps_all_19_digits(vba: Any, in_demo: str) -> None:
    body = json.dumps([auth_item("N2", amount_Actual="AMOUNT")]).replace('"AMOUNT"', "123456789012345.1234")
    assert results(vba.call("PUT", "auths", None, data=body, content_type="application/json"))[0][1] == 201
    assert Auth.objects.get(pk="N2").amount_actual == Decimal("123456789012345.1234")
    assert vba.call("GET", "auths/N2").json()["data"]["amount_Actual"] == 123456789012345.1234


def test_a_user_name_longer_than_20_characters_is_cut_to_20_in_the_audit_fields(api_key: str, in_demo: str) -> None:
    long_name = "frederick.longfellow.jnr2"  # 25 characters; VBA's audit user columns hold 20
    account = get_user_model().objects.create_user(long_name, password="pw")
    DatabaseGrant.objects.create(user=account, database="demo")
    client = VBAClient(api_key, issue_tokens(account, "demo")["authenticationResult"]["idToken"])
    assert results(client.call("PUT", "auths", [auth_item("LONG")])) == [("LONG", 201, "Created")]
    got = client.call("GET", "auths/LONG").json()["data"]
    assert (got["entry_User"], got["update_User"]) == ("frederick.longfellow", "frederick.longfellow")


@override_settings(TIME_ZONE="America/New_York")
def test_dates_are_read_and_rendered_in_the_configured_time_zone(vba: Any, in_demo: str) -> None:
    dates = {
        "received_Date": "2026-03-01T15:00:00Z",  # an instant: shown in New York time (UTC-5 in March)
        "approved_Date": "2026-07-01T10:00:00",  # no offset: read in the server's time zone (UTC-4 in July)
        "injury_Date": "2026-07-01",
    }
    vba.call("PUT", "auths", [auth_item("TZ", **dates)])
    got = vba.call("GET", "auths/TZ").json()["data"]
    assert got["received_Date"] == "2026-03-01T10:00:00"
    assert got["approved_Date"] == "2026-07-01T10:00:00"
    assert got["injury_Date"] == "2026-07-01T00:00:00"
    stored = Auth.objects.get(pk="TZ")
    assert stored.approved_date == dt.datetime(2026, 7, 1, 14, 0, tzinfo=dt.UTC)
    assert stored.injury_date == dt.datetime(2026, 7, 1, 4, 0, tzinfo=dt.UTC)
