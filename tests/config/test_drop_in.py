"""Drop-in for VBA's generated clients at the HTTP level (decisions.md 14): media types, login headers, and the one
date parser (every form real clients send; every accepted date can be read back on both databases)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient as HttpClient

from authorizations.models import Auth, Authorization
from carecases.models import CareCase
from config.serving.tenancy import use_vba_database
from tests import contracts
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import SpryApi, create_body, failed, ok
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def put_auths(vba: VBAClient, *items: dict[str, Any]) -> list[tuple[str | None, int, str]]:
    response = vba.call("PUT", "auths", list(items))
    assert response.status_code == 207, response.json()
    return [(r["id"][0]["value"], r["status"], r["body"]) for r in response.json()["data"]]


# -- media types ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/json",
        "application/*+json",
        "application/merge-patch+json",
        "application/json; charset=utf-8",
    ],
)
def test_request_bodies_are_read_in_every_json_media_type_vba_declares(vba: Any, content_type: str) -> None:
    body = json.dumps([auth_item("M1")])
    response = vba.call("PUT", "auths", None, data=body, content_type=content_type)
    assert response.status_code == 207, response.json()
    assert response.json()["data"] == [
        {"id": [{"key": "auth_Number", "value": "M1"}], "status": 201, "body": "Created"}
    ]


@pytest.mark.parametrize(
    "accept", ["text/plain", "application/json", "text/json", "*/*", "text/plain, application/json, text/json"]
)
def test_every_accept_type_vba_declares_gets_json(vba: Any, accept: str) -> None:
    put_auths(vba, auth_item("M2"))
    response = vba.call("GET", "auths/M2", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["data"]["auth_Number"] == "M2"


def test_an_accept_type_that_is_not_json_is_still_a_406(vba: Any) -> None:
    assert_problem(vba.call("GET", "auths", HTTP_ACCEPT="text/html"), 406)
    assert_problem(vba.call("GET", "auths", HTTP_ACCEPT="application/xml"), 406)


def every_vba_operation(refresh_token: str) -> list[tuple[str, str, str, Any, int]]:
    """(operationId, method, path, body, status) of each operation of VBA's document, in an order that works."""
    case = {"carePlan_Key": 5, "do_Not_Contact": False}
    basic = {"refresh-token": refresh_token}
    return [
        ("user_authentication", "POST", "user-authentication", None, 200),
        ("refresh_user_tokens", "POST", "user-refresh-tokens", basic, 200),
        ("create_care_plan", "POST", "care-plans", {"carePlan_Key": 5}, 200),
        ("update_batch_care_plan", "PUT", "care-plans-batch", [{"carePlan_Key": 6}], 207),
        ("get_care_plan", "GET", "care-plans/5", None, 200),
        ("update_care_plan", "PUT", "care-plans/5", {"carePlan_Key": 5, "description": "Renal"}, 200),
        ("list_care_plan", "GET", "care-plans?page=1&pageSize=10", None, 200),
        ("create_care_case", "POST", "care-plans/5/cases", {**case, "case_Key": 7}, 200),
        ("update_batch_care_case", "PUT", "care-plans/5/cases-batch", [{**case, "case_Key": 8}], 207),
        ("update_batch_care_cases_simplified", "PUT", "care-cases-batch", [{**case, "case_Key": 9}], 207),
        ("get_care_case", "GET", "care-plans/5/cases/7", None, 200),
        ("update_care_case", "PUT", "care-plans/5/cases/7", {**case, "case_Key": 7, "case_Priority": 2}, 200),
        ("list_care_case", "GET", "care-plans/5/cases?page=1&pageSize=10", None, 200),
        ("delete_care_case", "DELETE", "care-plans/5/cases/7", None, 204),
        ("delete_care_plan", "DELETE", "care-plans/6", None, 204),
        ("create_auth", "POST", "auths", auth_item("N1"), 200),
        ("create_or_update_auth_batch", "PUT", "auths", [auth_item("N2")], 207),
        ("get_auth", "GET", "auths/N1", None, 200),
        ("update_auth", "PUT", "auths/N1", auth_item("N1", status="OK"), 200),
        ("list_auths_project_extension", "GET", "auths?page=1&pageSize=10", None, 200),
        ("delete_auth", "DELETE", "auths/N2", None, 204),
    ]


def test_the_negotiation_list_is_every_operation_of_vbas_document() -> None:
    document = contracts.vba_openapi()
    listed = sorted(op["operationId"] for item in document["paths"].values() for op in item.values())
    assert sorted(step[0] for step in every_vba_operation("")) == listed


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [("text/plain", "text/json"), ("text/json", "application/*+json"), ("*/*", "application/json")],
)
def test_every_vba_endpoint_answers_json_to_vbas_media_types(
    user: Any, api_key: str, accept: str, content_type: str
) -> None:
    client = HttpClient()
    basic = "Basic " + base64.b64encode(b"alice:alice-password").decode()
    common: dict[str, Any] = {"HTTP_X_API_KEY": api_key, "HTTP_VBASOFTWARE_DATABASE": "demo", "HTTP_ACCEPT": accept}
    common |= {"HTTP_VBASOFTWARE_CLIENT_ID": "acme", "HTTP_VBASOFTWARE_CLIENT_CODE": "acme-code"}
    login = client.post("/vbasoftware/user-authentication", HTTP_AUTHORIZATION=basic, **common)
    assert (login.status_code, login["Content-Type"]) == (200, "application/json"), login.content[:500]
    tokens = login.json()["data"]["authenticationResult"]
    for operation, method, path, body, status in every_vba_operation(tokens["refreshToken"]):
        headers: dict[str, Any] = dict(common)
        if operation == "user_authentication":
            headers["HTTP_AUTHORIZATION"] = basic
        elif operation == "refresh_user_tokens":
            headers |= {"HTTP_REFRESH_TOKEN": body["refresh-token"], "HTTP_EXPIRED_ID_TOKEN": tokens["idToken"]}
            body = None
        else:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens['idToken']}"
        kwargs: dict[str, Any] = {"data": json.dumps(body), "content_type": content_type} if body is not None else {}
        response = client.generic(method, f"/vbasoftware/{path}", **kwargs, **headers)
        assert response.status_code == status, (operation, response.content[:500])
        if status != 204:
            assert response["Content-Type"] == "application/json", operation
            assert response.json()["error"] is None, operation


# -- login ---------------------------------------------------------------------------------------------------------
def test_login_accepts_vbas_client_headers_and_answers_exactly_vbas_authentication_result(
    user: Any, api_key: str
) -> None:
    response = HttpClient().post(
        "/vbasoftware/user-authentication",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"alice:alice-password").decode(),
        HTTP_X_API_KEY=api_key,
        HTTP_VBASOFTWARE_DATABASE="demo",
        HTTP_VBASOFTWARE_CLIENT_ID="acme",
        HTTP_VBASOFTWARE_CLIENT_CODE="acme-code",
        HTTP_VBASOFTWARE_MACHINE_ID="laptop-7",
    )
    assert response.status_code == 200, response.json()
    result = response.json()["data"]["authenticationResult"]
    assert sorted(result) == ["accessToken", "expiresIn", "idToken", "refreshToken"]
    assert result["expiresIn"] == 86400


# -- dates: accepted forms -----------------------------------------------------------------------------------------
DATE_FORMS = [
    ("2026-11-20", "2026-11-20T00:00:00"),
    ("2026-11-20T10:15:00", "2026-11-20T10:15:00"),
    ("2026-11-20 10:15:00", "2026-11-20T10:15:00"),  # space for T
    ("2026-11-20 10:15:00 +0000", "2026-11-20T10:15:00"),  # Ruby's Time#to_s
    ("2026-11-20T10:15:00+0130", "2026-11-20T08:45:00"),  # offset without a colon
    ("2026-11-20T10:15:00-05:00", "2026-11-20T15:15:00"),
    ("2026-11-20 10:15:00 UTC", "2026-11-20T10:15:00"),  # trailing UTC
    ("2026-11-20T10:15:00.1234567", "2026-11-20T10:15:00"),  # .NET: 7 fractional digits
    ("2026-11-20T10:15:00.123Z", "2026-11-20T10:15:00"),  # JavaScript's toISOString()
    ("2026-11-20T10:15:00+15:59", "2026-11-19T18:16:00"),  # the largest offset PostgreSQL keeps
    ("0999-06-15T12:00:00", "0999-06-15T12:00:00"),  # years before 1000: 4 digits
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00"),
    ("9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59"),
]


@pytest.mark.parametrize(("sent", "rendered"), DATE_FORMS)
def test_every_date_form_clients_send_is_stored_and_read_back(vba: Any, sent: str, rendered: str) -> None:
    assert put_auths(vba, auth_item("D1", received_Date=sent)) == [("D1", 201, "Created")]
    record = vba.call("GET", "auths/D1").json()["data"]
    assert record["received_Date"] == rendered
    listed = vba.call("GET", "auths?sortBy=received_Date:asc").json()["data"]
    assert [a["received_Date"] for a in listed] == [rendered]
    assert vba.call("PUT", "auths/D1", record).status_code == 200  # what we render is accepted back
    assert vba.call("GET", "auths/D1").json()["data"]["received_Date"] == rendered


BAD_DATES = [
    ("9999-12-31T23:59:59-01:00", "is out of range"),  # year 10000 in UTC
    ("0001-01-01T00:00:00+01:00", "is out of range"),  # year 0 in UTC
    ("2026-01-01T00:00:00+16:00", "the offset must be between -15:59 and +15:59"),
    ("2026-01-01T00:00:00-23:59", "the offset must be between -15:59 and +15:59"),
    ("2026-01-01T00:00:00+01:60", "has an invalid offset"),
    ("2026-11-20T10:15:00.12345678", "is not a valid date"),
    ("2026-11-20T10:15", "is not a valid date"),
    ("999-06-15T12:00:00", "is not a valid date"),
    ("2026-11-20 10:15:00 CET", "is not a valid date"),
]


@pytest.mark.parametrize(("sent", "message"), BAD_DATES)
def test_a_date_that_could_not_be_read_back_is_a_400_naming_the_field_and_nothing_is_stored(
    vba: Any, in_demo: str, sent: str, message: str
) -> None:
    [(key, status, body)] = put_auths(vba, auth_item("B1", received_Date=sent))
    assert (key, status) == ("B1", 400)
    assert body.startswith(f"received_Date: '{sent}'") and message in body
    assert_problem(vba.call("POST", "auths", auth_item("B2", approved_Date=sent)), 400, "approved_Date: ")
    put_auths(vba, auth_item("B3"))
    assert_problem(vba.call("PUT", "auths/B3", auth_item("B3", injury_Date=sent)), 400, "injury_Date: ")
    assert list(Auth.objects.values_list("pk", "injury_date")) == [("B3", None)]
    assert vba.call("GET", "auths").status_code == 200


def test_one_bad_date_does_not_fail_its_batch(vba: Any, in_demo: str) -> None:
    out = put_auths(
        vba,
        auth_item("G1", received_Date="2026-11-20 10:15:00 +0000"),
        auth_item("G2", received_Date="9999-12-31T23:59:59-01:00"),
        auth_item("G3"),
    )
    assert [(k, s) for k, s, _ in out] == [("G1", 201), ("G2", 400), ("G3", 201)]
    assert sorted(Auth.objects.values_list("pk", flat=True)) == ["G1", "G3"]


def test_a_ruby_sdk_round_trip_get_modify_put(vba: Any) -> None:
    """VBA's Ruby SDK writes times with Time#to_s."""
    put_auths(vba, auth_item("R1", approved_Date="2026-11-01T09:00:00"))
    record = vba.call("GET", "auths/R1").json()["data"]
    record["approved_Date"] = "2026-11-20 10:15:00 +0000"
    record["received_Date"] = "2026-11-19 08:00:00 -0200"
    response = vba.call("PUT", "auths/R1", record)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["approved_Date"], data["received_Date"]) == ("2026-11-20T10:15:00", "2026-11-19T10:00:00")


def test_a_care_case_round_trip_with_ruby_times(user: Any, api_key: str, token: str) -> None:
    vba = VBAClient(api_key, token)
    assert vba.call("POST", "care-plans", {"carePlan_Key": 3}).status_code == 200
    created = vba.call("POST", "care-plans/3/cases", {"case_Key": 0, "carePlan_Key": 3, "do_Not_Contact": False})
    case = created.json()["data"]
    case["case_Start_Date"] = "2026-11-20 10:15:00 +0000"
    response = vba.call("PUT", f"care-plans/3/cases/{case['case_Key']}", case)
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["case_Start_Date"] == "2026-11-20T10:15:00"
    with use_vba_database("demo"):
        assert str(CareCase.objects.get().case_start_date) == "2026-11-20 10:15:00+00:00"


def test_list_filters_take_the_same_date_forms_and_early_years_sort_first(vba: Any) -> None:
    put_auths(
        vba,
        auth_item("F1", received_Date="0999-06-15T12:00:00"),
        auth_item("F2", received_Date="2026-11-20 10:15:00 +0000"),
    )
    numbers = [a["auth_Number"] for a in vba.call("GET", "auths?sortBy=received_Date:asc").json()["data"]]
    assert numbers == ["F1", "F2"]
    found = vba.call(
        "GET", "auths", HTTP_ACCEPT="application/json", data={"received_Date_from": "2026-11-20 10:15:00 +0000"}
    )
    assert [a["auth_Number"] for a in found.json()["data"]] == ["F2"]
    found = vba.call("GET", "auths", data={"received_Date_to": "1000-01-01"})
    assert [a["auth_Number"] for a in found.json()["data"]] == ["F1"]
    response = vba.call("GET", "auths", data={"received_Date_to": "9999-12-31T23:59:59-01:00"})
    assert_problem(response, 400, "received_Date_to: '9999-12-31T23:59:59-01:00' is out of range")


# -- the same parser in the upsert command and in Spry -------------------------------------------------------------
def test_the_upsert_command_reads_dates_with_the_same_parser(tmp_path: Path, django_user_model: Any) -> None:
    django_user_model.objects.create_superuser("importer", password="pw")
    path = tmp_path / "auths.json"
    items = [
        auth_item("U1", received_Date="2026-11-20 10:15:00 +0000"),
        auth_item("U2", received_Date="0001-01-01T00:00:00+01:00"),
    ]
    path.write_text(json.dumps(items))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 item"):
        call_command("upsert_auths", str(path), "--database", "demo", stdout=out)
    assert "FAILED auth_Number='U2' [400] received_Date: '0001-01-01T00:00:00+01:00' is out of range" in out.getvalue()
    with use_vba_database("demo"):
        assert str(Auth.objects.get().received_date) == "2026-11-20 10:15:00+00:00"


def test_care_cases_take_every_date_form_in_batches_single_records_and_the_upsert_command(
    vba: Any, tmp_path: Path, django_user_model: Any
) -> None:
    django_user_model.objects.create_superuser("importer", password="pw")
    assert vba.call("POST", "care-plans", {"carePlan_Key": 4}).status_code == 200
    case = {"carePlan_Key": 4, "do_Not_Contact": False}
    forms = dict(enumerate(DATE_FORMS, start=1))
    batch = [{**case, "case_Key": n, "case_Start_Date": sent} for n, (sent, _) in forms.items()]
    response = vba.call("PUT", "care-plans/4/cases-batch", batch)
    assert [item["status"] for item in response.json()["data"]] == [201] * len(forms), response.json()
    single = {n + 100: sent for n, (sent, _) in forms.items()}
    for key, sent in single.items():
        created = vba.call("POST", "care-plans/4/cases", {**case, "case_Key": key, "assessment_Date": sent})
        assert created.status_code == 200, (sent, created.json())
        replaced = vba.call("PUT", f"care-plans/4/cases/{key}", {**case, "case_Key": key, "case_End_Date": sent})
        assert replaced.status_code == 200, (sent, replaced.json())
    rows = "".join(f'{n + 200},4,false,"{sent}"\n' for n, (sent, _) in forms.items())
    (tmp_path / "cases.csv").write_text("case_Key,carePlan_Key,do_Not_Contact,appointment_Date\n" + rows)
    ndjson = "".join(
        json.dumps({**case, "case_Key": n + 300, "eligibility_Verified": s}) + "\n" for n, (s, _) in forms.items()
    )
    (tmp_path / "cases.ndjson").write_text(ndjson)
    for name in ("cases.csv", "cases.ndjson"):
        out = io.StringIO()
        call_command("upsert_care_cases", str(tmp_path / name), "--database", "demo", stdout=out)
        assert out.getvalue() == f"201: {len(forms)}\n"
    listed = vba.call("GET", "care-plans/4/cases?pageSize=100&sortBy=case_Key:asc").json()["data"]
    shown = {c["case_Key"]: c for c in listed}
    for n, (_sent, rendered) in forms.items():
        assert shown[n]["case_Start_Date"] == rendered
        assert (shown[n + 100]["assessment_Date"], shown[n + 100]["case_End_Date"]) == (None, rendered)
        assert shown[n + 200]["appointment_Date"] == rendered
        assert shown[n + 300]["eligibility_Verified"] == rendered


@pytest.mark.parametrize(("sent", "message"), BAD_DATES[:3])
def test_a_bad_care_case_date_is_a_400_naming_the_field_in_the_batch_and_the_command(
    vba: Any, tmp_path: Path, django_user_model: Any, sent: str, message: str
) -> None:
    django_user_model.objects.create_superuser("importer", password="pw")
    assert vba.call("POST", "care-plans", {"carePlan_Key": 4}).status_code == 200
    item = {"carePlan_Key": 4, "do_Not_Contact": False, "case_Key": 1, "case_Start_Date": sent}
    [result] = vba.call("PUT", "care-cases-batch", [item]).json()["data"]
    assert (result["status"], result["body"].startswith(f"case_Start_Date: '{sent}'")) == (400, True)
    assert message in result["body"]
    (tmp_path / "cases.json").write_text(json.dumps([item]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 item"):
        call_command("upsert_care_cases", str(tmp_path / "cases.json"), "--database", "demo", stdout=out)
    assert f"FAILED case_Key=1 [400] {result['body']}" in out.getvalue()
    with use_vba_database("demo"):
        assert not CareCase.objects.exists()


def test_spry_reads_dates_with_the_same_parser(api: SpryApi) -> None:
    data = ok(api.call("POST", "", create_body(effective_start_date="2026-03-01 10:15:00 +0000")))
    assert data["effective_start_date"] == "2026-03-01T10:15:00"
    before = Authorization.objects.count()
    body = failed(api.call("POST", "", create_body(effective_start_date="9999-12-31T23:59:59-01:00")), 4000)
    assert "is out of range" in body["errors"]["effective_start_date"][0]
    assert Authorization.objects.count() == before


SPRY_HISTORY = Authorization.history.model  # type: ignore[attr-defined]


@pytest.mark.parametrize(("sent", "message"), BAD_DATES[:4])
@pytest.mark.parametrize("field", ["effective_start_date", "plan_end_date"])
def test_a_spry_date_that_could_not_be_read_back_is_4000_naming_the_field_and_commits_nothing(
    api: SpryApi, example: Any, field: str, sent: str, message: str
) -> None:
    before = (Authorization.objects.count(), SPRY_HISTORY.objects.count())
    created = failed(api.call("POST", "", create_body(**{field: sent})), 4000)
    [error] = created["errors"][field]
    assert error.startswith(f"'{sent}'") and message in error
    updated = failed(api.call("POST", f"/{example.authorization_id}", {field: sent}), 4000)
    assert list(updated["errors"]) == [field]
    assert (Authorization.objects.count(), SPRY_HISTORY.objects.count()) == before
    assert ok(api.call("GET", f"/{example.authorization_id}"))["plan_end_date"] == "2026-07-01T00:00:00"


@pytest.mark.parametrize(
    ("sent", "rendered"),
    [
        ("0999-06-15T12:00:00", "0999-06-15T12:00:00"),
        ("0001-01-01T00:00:00-15:59", "0001-01-01T15:59:00"),
        ("2026-01-01T00:00:00+15:59", "2025-12-31T08:01:00"),
    ],
)
def test_every_spry_date_accepted_is_read_back_listed_and_searched(api: SpryApi, sent: str, rendered: str) -> None:
    data = ok(api.call("POST", "", create_body(effective_start_date=sent)))
    assert data["effective_start_date"] == rendered
    got = ok(api.call("GET", f"/{data['authorization_id']}"))
    assert got["effective_start_date"] == rendered
    listed = ok(api.call("GET", "", data={"case_id": data["spry_case_id"]}))
    assert [a["effective_start_date"] for a in listed] == [rendered]
    assert rendered in [a["effective_start_date"] for a in ok(api.call("GET", "/search", data={"patientName": ""}))]
    assert ok(api.call("POST", f"/{data['authorization_id']}", {"effective_start_date": rendered}))  # sent back
