"""Spry protocol: OAuth 2.0 client credentials, every code of decisions.md, bad inputs, Django-level errors, OpenAPI."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from authorizations.models import Authorization, AuthorizationIcdCode
from authorizations.spry.services import spry_client_create
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import (
    BASE,
    EXAMPLE_ID,
    GET_EXAMPLE,
    ORG,
    SEED_BODY,
    TOKEN_URL,
    SpryApi,
    create_body,
    failed,
    make_token,
    ok,
)

pytestmark = pytest.mark.django_db(databases="__all__")


def token_request(client_id: str, secret: str, scope: str | None = "read write", **extra: str) -> Any:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, **extra}
    if scope is not None:
        data["scope"] = scope
    return Client().post(TOKEN_URL, data)  # form-encoded


@pytest.fixture
def credentials(db: Any) -> tuple[Any, str]:
    return spry_client_create(name="integration", organisation_id=ORG, clinic_ids=[44, 58])


# -- OAuth 2.0 token endpoint -----------------------------------------------------------------------------------


def test_client_credentials_give_a_bearer_token_of_the_clients_organisation(credentials: tuple[Any, str]) -> None:
    application, secret = credentials
    response = token_request(application.client_id, secret)
    body = response.json()
    assert response.status_code == 200, body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read write"
    assert body["organisation_id"] == ORG
    assert body["clinic_id_list"] == [44, 58]
    assert body["user_id"] is None and body["roles"] == []
    token = get_access_token_model().objects.get(application=application)
    assert token.token == ""  # only its checksum is stored
    assert dt.timedelta(seconds=3590) < token.expires - timezone.now() <= dt.timedelta(seconds=3600)
    created = ok(SpryApi(body["access_token"]).call("POST", "", create_body()))
    assert created["organisation_id"] == ORG


def test_without_a_scope_the_token_gets_read_and_write(credentials: tuple[Any, str]) -> None:
    application, secret = credentials
    assert token_request(application.client_id, secret, scope=None).json()["scope"] == "read write"


def test_a_read_scoped_token_can_read_but_not_write(credentials: tuple[Any, str], example: Authorization) -> None:
    application, secret = credentials
    body = token_request(application.client_id, secret, scope="read").json()
    assert body["scope"] == "read"
    api = SpryApi(body["access_token"])
    ok(api.call("GET", f"/{EXAMPLE_ID}"))
    failed(api.call("POST", f"/{EXAMPLE_ID}", SEED_BODY), 4003, 403, "write")
    failed(api.call("POST", "", create_body()), 4003, 403, "write")
    failed(api.call("DELETE", f"/{EXAMPLE_ID}"), 4003, 403, "write")
    assert Authorization.objects.get(pk=EXAMPLE_ID).authorized_visit_count == 20
    assert Authorization.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "unknown"}, 401, "invalid_client"),
        ({"grant_type": "magic"}, 400, "unsupported_grant_type"),
        ({"scope": "admin"}, 400, "invalid_scope"),
    ],
)
def test_token_request_failures_follow_rfc_6749_with_the_envelope_fields(
    credentials: tuple[Any, str], change: dict[str, str], status: int, error: str
) -> None:
    application, secret = credentials
    data = {"client_id": application.client_id, "client_secret": secret, **change}
    response = token_request(data.pop("client_id"), data.pop("client_secret"), **data)
    body = response.json()
    assert response.status_code == status, body
    assert body["error"] == error
    assert body["code"] == (4001 if status == 401 else 4000)
    assert body["data"] is None and body["message"]
    assert not get_access_token_model().objects.exists()


def test_the_token_endpoint_answers_only_post(db: Any) -> None:
    response = Client().get(TOKEN_URL)
    assert response.status_code == 405
    assert response.json()["code"] == 4005


# -- 4001 / 4003 ------------------------------------------------------------------------------------------------


def test_no_token_is_4001_with_http_401(db: Any) -> None:
    response = SpryApi().call("GET", f"/{EXAMPLE_ID}")
    failed(response, 4001, 401, "Bearer")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_4001(db: Any) -> None:
    failed(SpryApi("not-a-token").call("GET", f"/{EXAMPLE_ID}"), 4001, 401, "Invalid or expired access token")


def test_an_expired_token_is_4001(client_app: Any, example: Authorization) -> None:
    api = SpryApi(make_token(client_app, expires_in=-1))
    failed(api.call("GET", f"/{EXAMPLE_ID}"), 4001, 401, "Invalid or expired access token")
    failed(api.call("POST", f"/{EXAMPLE_ID}", SEED_BODY), 4001, 401)
    assert Authorization.objects.get(pk=EXAMPLE_ID).authorized_visit_count == 20


def test_a_revoked_token_is_4001(client_app: Any) -> None:
    raw = make_token(client_app)
    get_access_token_model().objects.all().delete()
    failed(SpryApi(raw).call("GET", "/search"), 4001, 401)


def test_authentication_comes_before_the_body(db: Any) -> None:
    failed(SpryApi().call("POST", "", raw="{not json"), 4001, 401)


def test_a_client_without_an_organisation_is_4003(db: Any) -> None:
    application_model = get_access_token_model()._meta.get_field("application").related_model
    application = application_model.objects.create(
        name="no org",
        client_type="confidential",
        authorization_grant_type="client-credentials",
    )
    failed(SpryApi(make_token(application)).call("GET", "/search"), 4003, 403, "organisation")


# -- 4029 -------------------------------------------------------------------------------------------------------


@override_settings(SPRY_RATE_LIMIT="3/minute")
def test_more_requests_than_the_rate_limit_is_4029_with_retry_after(api: SpryApi, other_api: SpryApi) -> None:
    for _ in range(3):
        ok(api.call("GET", "/search"))
    response = api.call("GET", "/search")
    failed(response, 4029, 429)
    assert int(response["Retry-After"]) >= 1
    ok(other_api.call("GET", "/search"))  # per client


# -- 5000 and Django-level errors -------------------------------------------------------------------------------


def test_a_server_error_is_5000_without_internals(api: SpryApi, monkeypatch: pytest.MonkeyPatch) -> None:
    from authorizations.spry.api import views as spry_views

    def crash(**kwargs: Any) -> Any:
        raise RuntimeError("secret table spry_authorization is broken")

    monkeypatch.setattr(spry_views, "authorization_search", crash)
    body = failed(api.call("GET", "/search"), 5000, 500)
    assert "secret" not in body["message"] and "spry_authorization" not in body["message"]


def test_django_level_500_under_apis_is_5000() -> None:
    from config.urls import handler500

    response = handler500(RequestFactory().get(f"{BASE}/x"))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "code": 5000,
        "data": None,
        "message": "An unexpected error occurred; please try again later.",
    }


@pytest.mark.parametrize(
    "path",
    [f"{BASE}/{EXAMPLE_ID}/extra", f"{BASE}/", "/apis/soap-enrichment/v1/nothing", "/apis/v2/oauth/nothing"],
)
def test_an_unknown_path_under_apis_is_4004_with_http_404(api: SpryApi, path: str) -> None:
    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 4004 and body["data"] is None and path in body["message"]


@pytest.mark.parametrize(("method", "path"), [("PUT", f"/{EXAMPLE_ID}"), ("PATCH", f"/{EXAMPLE_ID}"), ("PUT", "")])
def test_a_method_the_path_does_not_answer_is_4005_with_http_405(api: SpryApi, method: str, path: str) -> None:
    failed(api.call(method, path, {}), 4005, 405)


def test_any_accept_header_gets_json(api: SpryApi, example: Authorization) -> None:
    response = api.call("GET", f"/{EXAMPLE_ID}", HTTP_ACCEPT="text/html")
    assert response["Content-Type"].startswith("application/json")
    ok(response)


# -- 4000: bodies -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "Malformed JSON"),
        ('{"authorized_visit_count": NaN}', "Malformed JSON"),
        ("", "Request body is empty"),
        ("[]", "must be a JSON object"),
        ('"a string"', "must be a JSON object"),
        ("42", "must be a JSON object"),
        ("null", "must be a JSON object"),
    ],
)
@pytest.mark.parametrize("path", ["", f"/{EXAMPLE_ID}"])
def test_a_body_that_is_not_a_json_object_is_4000(
    api: SpryApi, example: Authorization, raw: str, message: str, path: str
) -> None:
    body = failed(api.call("POST", path, raw=raw), 4000, 200, message)
    assert list(body["errors"]) == ["body"]
    assert Authorization.objects.count() == 1


def test_a_body_over_the_size_limit_is_4013(api: SpryApi) -> None:
    with override_settings(SPRY_MAX_BODY_BYTES=100):
        failed(api.call("POST", "", create_body()), 4013, 413, "100 bytes")


def test_a_body_that_is_not_json_by_content_type_is_4015(api: SpryApi) -> None:
    failed(api.call("POST", "", raw="a=1", content_type="application/x-www-form-urlencoded"), 4015, 415)


TOO_LONG = "x" * 101

BAD_FIELDS = [
    ({"authorized_visit_count": "30"}, "authorized_visit_count", "must be an integer"),
    ({"authorized_visit_count": True}, "authorized_visit_count", "must be an integer"),
    ({"authorized_visit_count": 30.5}, "authorized_visit_count", "must be an integer"),
    ({"authorized_visit_count": 30.0}, "authorized_visit_count", "must be an integer"),
    ({"authorized_visit_count": 2**31}, "authorized_visit_count", "must be at most 2147483647"),
    ({"current_visit_count": -1}, "current_visit_count", "must be 0 or more"),
    ({"previous_consumed_visit_count": -3}, "previous_consumed_visit_count", "must be 0 or more"),
    ({"current_visit_count": None}, "current_visit_count", "may not be null"),
    ({"authorization_status": "PENDING"}, "authorization_status", "must be one of ACTIVE, INACTIVE, EXPIRED"),
    ({"authorization_status": "active"}, "authorization_status", "must be one of ACTIVE, INACTIVE, EXPIRED"),
    ({"authorization_status": None}, "authorization_status", "may not be null"),
    ({"authorization_reference_number": 12}, "authorization_reference_number", "must be a string"),
    ({"authorization_reference_number": ""}, "authorization_reference_number", "may not be empty"),
    (
        {"authorization_reference_number": TOO_LONG},
        "authorization_reference_number",
        "must be at most 100 characters long",
    ),
    ({"phone_number": "1" * 33}, "phone_number", "must be at most 32 characters long"),
    ({"comments": "c" * 4001}, "comments", "must be at most 4000 characters long"),
    (
        {"effective_end_date": "01/10/2026"},
        "effective_end_date",
        "'01/10/2026' is not a valid date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fffffff][Z| UTC|±HH:MM]",
    ),
    ({"effective_end_date": "2026-02-30"}, "effective_end_date", "'2026-02-30' is not a valid calendar date"),
    (
        {"effective_end_date": 20261001},
        "effective_end_date",
        "must be a date string (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fffffff][Z| UTC|±HH:MM])",
    ),
    ({"icd_codes": [{"code": "M72.1"}]}, "icd_codes[0].id", "is required"),
    ({"icd_codes": [{"id": "9676"}]}, "icd_codes[0].id", "must be an integer"),
    ({"icd_codes": ["M72.1"]}, "icd_codes[0]", "must be an object"),
    ({"icd_codes": {"id": 1}}, "icd_codes", "must be an array"),
    ({"icd_codes": None}, "icd_codes", "may not be null"),
    ({"icd_codes": [{"id": 1}] * 201}, "icd_codes", "must have at most 200 items"),
    (
        {"cpt_code_authorization_details": [{"units_requested": 2}]},
        "cpt_code_authorization_details[0].cpt_code",
        "is required",
    ),
    (
        {"cpt_code_authorization_details": [{"cpt_code": "97110-ABCDEF"}]},
        "cpt_code_authorization_details[0].cpt_code",
        "must be at most 10 characters long",
    ),
    (
        {"cpt_code_authorization_details": [{"cpt_code": "97110", "units_approved": -1}]},
        "cpt_code_authorization_details[0].units_approved",
        "must be 0 or more",
    ),
    ({"insurance_payer": {"name": "PEHP"}}, "insurance_payer.payer_reg_id", "is required"),
    ({"insurance_payer": {"payer_reg_id": "2207"}}, "insurance_payer.payer_reg_id", "must be an integer"),
    ({"insurance_payer": "PEHP"}, "insurance_payer", "must be an object"),
    (
        {"insurance_payer": {"payer_reg_id": 1, "payer_state": "UTAH-STATE-X"}},
        "insurance_payer.payer_state",
        "must be at most 10 characters long",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_FIELDS)
def test_a_bad_field_on_update_is_4000_naming_it_and_changes_nothing(
    api: SpryApi, example: Authorization, change: dict[str, Any], field: str, message: str
) -> None:
    before = ok(api.call("GET", f"/{EXAMPLE_ID}"))
    body = failed(api.call("POST", f"/{EXAMPLE_ID}", {"comments": "changed", **change}), 4000)
    assert list(body["errors"]) == [field]
    assert body["errors"][field] == [message]
    assert body["message"] == f"{field}: {message}"
    assert ok(api.call("GET", f"/{EXAMPLE_ID}")) == before


@pytest.mark.parametrize(("change", "field", "message"), BAD_FIELDS)
def test_a_bad_field_on_create_is_4000_naming_it_and_creates_nothing(
    api: SpryApi, change: dict[str, Any], field: str, message: str
) -> None:
    body = failed(api.call("POST", "", create_body(**change)), 4000)
    assert list(body["errors"]) == [field]
    assert body["errors"][field] == [message]
    assert not Authorization.objects.exists()


def test_every_failing_field_is_named(api: SpryApi, example: Authorization) -> None:
    body = failed(api.call("POST", f"/{EXAMPLE_ID}", {"authorized_visit_count": "30", "current_visit_count": -1}), 4000)
    assert body["errors"] == {
        "authorized_visit_count": ["must be an integer"],
        "current_visit_count": ["must be 0 or more"],
    }
    assert body["message"] == "authorized_visit_count: must be an integer; current_visit_count: must be 0 or more"


def test_create_with_an_end_before_its_start_is_4000(api: SpryApi) -> None:
    body = failed(api.call("POST", "", create_body(effective_end_date="2026-03-01T00:00:00")), 4000)
    assert body["errors"] == {"effective_end_date": ["must be on or after effective_start_date"]}
    assert not AuthorizationIcdCode.objects.exists()


def test_dates_are_accepted_in_every_documented_form_and_rendered_in_utc(api: SpryApi) -> None:
    data = ok(
        api.call(
            "POST",
            "",
            create_body(
                plan_start_date="2026-04-01",
                plan_end_date="2026-07-01T00:00:00.5",
                effective_start_date="2026-04-01T02:00:00+02:00",
                effective_end_date="2026-07-01T00:00:00Z",
            ),
        )
    )
    assert (data["plan_start_date"], data["plan_end_date"]) == ("2026-04-01T00:00:00", "2026-07-01T00:00:00")
    assert (data["effective_start_date"], data["effective_end_date"]) == ("2026-04-01T00:00:00", "2026-07-01T00:00:00")


def test_over_use_is_allowed(api: SpryApi, example: Authorization) -> None:
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"current_visit_count": 18, "previous_consumed_visit_count": 4}))
    assert (data["final_consumed_visit_count"], data["authorized_visit_count"]) == (22, 20)


# -- OpenAPI ----------------------------------------------------------------------------------------------------


def test_the_openapi_schema_covers_the_spry_endpoints_with_their_envelope(db: Any) -> None:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    base = "/apis/soap-enrichment/v1/authorization"
    assert set(paths[base]) >= {"get", "post"}
    assert set(paths[f"{base}/search"]) >= {"get"}
    detail = next(p for p in paths if p.startswith(f"{base}/{{"))
    assert set(paths[detail]) >= {"get", "post", "delete"}
    components = schema["components"]["schemas"]
    envelope = components["SpryAuthorizationEnvelope"]
    assert set(envelope["properties"]) == {"code", "data", "message"}
    assert "errors" in components["SpryErrorEnvelope"]["properties"]
    assert "final_consumed_visit_count" in components["SpryAuthorizationOut"]["properties"]
    # the record's documented fields are exactly those of spry.md's Get example
    assert set(components["SpryAuthorizationOut"]["properties"]) == set(GET_EXAMPLE)
