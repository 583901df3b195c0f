"""Fixtures and helpers of the Spry Authorization tests: OAuth clients, tokens, a JSON client, spry.md's examples.

Test modules import what they use: ``from tests.authorizations.spry_fixtures import *``.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.test import APIClient as HttpClient

from authorizations.models import Authorization
from authorizations.spry.api.serializers import AuthorizationCreate, validate_body
from authorizations.spry.services import authorization_create, spry_client_create
from config.records.dates import parse_datetime

BASE = "/apis/soap-enrichment/v1/authorization"
TOKEN_URL = "/apis/v2/oauth/token"
ORG, OTHER_ORG = 638, 777
EXAMPLE_ID = "auth_69cd0c97abc123"

#: spry.md's "Response object" (the Get example).
GET_EXAMPLE: dict[str, Any] = {
    "authorization_id": "auth_69cd0c97abc123",
    "authorization_reference_number": "AUTH-2026-001",
    "spry_case_id": "SPRY_CASE_69cd0c97e7562d613ea89bc7",
    "case_title": "Stable Burst Fracture",
    "plan_start_date": "2026-04-01T00:00:00",
    "plan_end_date": "2026-07-01T00:00:00",
    "effective_start_date": "2026-04-01T00:00:00",
    "effective_end_date": "2026-07-01T00:00:00",
    "insurance_payer": {
        "payer_reg_id": 2207,
        "name": "PEHP - Utah Public Employee Health Plan",
        "payer_id": "SX106",
        "payer_type": "COMMERCIAL",
    },
    "authorized_visit_count": 20,
    "current_visit_count": 5,
    "previous_consumed_visit_count": 0,
    "final_consumed_visit_count": 5,
    "phone_number": "8015551234",
    "fax_number": "8015555678",
    "comments": "Prior auth approved for MSK therapy",
    "authorization_status": "ACTIVE",
    "patient_id": 1172416,
    "patient_name": "John Doe",
    "organisation_id": 638,
    "clinic_id": 101,
    "icd_codes": [{"id": 9676, "code": "M72.1", "description": "Knuckle pads", "revision": "ICD10"}],
    "cpt_code_authorization_details": [],
    "created_at": "2026-04-01T12:00:00",
    "updated_at": "2026-04-10T09:30:00",
    "created_date": "2026-04-01T12:00:00Z",
}

#: The seed's request body (seed-spry-update-authorization.txt).
SEED_BODY: dict[str, Any] = {
    "authorized_visit_count": 30,
    "comments": "Extended authorization — additional 10 visits approved",
    "effective_end_date": "2026-10-01T00:00:00",
    "authorization_status": "ACTIVE",
}

#: The seed's success response ``data``.
SEED_RESPONSE: dict[str, Any] = {
    "authorization_id": "auth_69cd0c97abc123",
    "authorization_reference_number": "AUTH-2026-001",
    "spry_case_id": "SPRY_CASE_69cd0c97e7562d613ea89bc7",
    "case_title": "Stable Burst Fracture",
    "plan_start_date": "2026-04-01T00:00:00",
    "plan_end_date": "2026-07-01T00:00:00",
    "effective_start_date": "2026-04-01T00:00:00",
    "effective_end_date": "2026-10-01T00:00:00",
    "insurance_payer": {
        "payer_reg_id": 2207,
        "name": "PEHP - Utah Public Employee Health Plan",
        "payer_id": "SX106",
        "payer_type": "COMMERCIAL",
    },
    "authorized_visit_count": 30,
    "current_visit_count": 5,
    "previous_consumed_visit_count": 0,
    "final_consumed_visit_count": 5,
    "phone_number": "8015551234",
    "fax_number": "8015555678",
    "comments": "Extended authorization — additional 10 visits approved",
    "authorization_status": "ACTIVE",
    "patient_id": 1172416,
    "patient_name": "John Doe",
    "organisation_id": 638,
    "clinic_id": 101,
    "icd_codes": [],
    "cpt_code_authorization_details": [],
    "created_at": "2026-04-01T12:00:00",
    "updated_at": "2026-04-15T10:00:00",
    "created_date": "2026-04-01T12:00:00Z",
}


def create_body(**changes: Any) -> dict[str, Any]:
    """A create request built from the Get example (without its response-only fields)."""
    body = copy.deepcopy(GET_EXAMPLE)
    for name in ("authorization_id", "final_consumed_visit_count", "created_at", "updated_at", "created_date"):
        body.pop(name)
    body.update(changes)
    return body


def make_authorization(
    *,
    authorization_id: str | None = None,
    organisation_id: int = ORG,
    created_at: str = GET_EXAMPLE["created_at"],
    **changes: Any,
) -> Authorization:
    """An authorization built from the Get example (through the create service), with ``changes`` applied."""
    body = create_body(**changes)
    body.pop("organisation_id", None)
    return authorization_create(
        organisation_id=organisation_id,
        data=validate_body(AuthorizationCreate, body),
        authorization_id=authorization_id,
        created_at=parse_datetime(created_at),
    )


def make_token(application: Any, *, scope: str = "read write", expires_in: int = 3600) -> str:
    raw = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(
        application=application,
        token=raw,
        scope=scope,
        expires=timezone.now() + dt.timedelta(seconds=expires_in),
    )
    return raw


class SpryApi(HttpClient):
    """Django's test client sending JSON with one bearer token (or none)."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token

    def call(self, method: str, path: str = "", body: Any = None, *, raw: str | None = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = dict(extra)
        if self.token:
            kwargs.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        if raw is not None:
            kwargs["data"] = raw
            kwargs.setdefault("content_type", "application/json")
        elif body is not None:
            kwargs["data"] = body
            kwargs["format"] = "json"
        return getattr(self, method.lower())(f"{BASE}{path}", **kwargs)


def ok(response: Any) -> Any:
    """The ``data`` of a 2000 response."""
    body = response.json()
    assert response.status_code == 200, body
    assert set(body) == {"code", "data", "message"}, body
    assert (body["code"], body["message"]) == (2000, "Success"), body
    return body["data"]


def failed(response: Any, code: int, http_status: int = 200, message: str | None = None) -> dict[str, Any]:
    """The error envelope with ``code`` (and ``message`` contained in its message)."""
    body = response.json()
    assert response.status_code == http_status, body
    assert body["code"] == code, body
    assert body["data"] is None, body
    expected_keys = {"code", "data", "message", "errors"} if code == 4000 else {"code", "data", "message"}
    assert set(body) == expected_keys, body
    if message is not None:
        assert message in body["message"], body
    return body  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def fresh_throttle_cache() -> None:
    cache.clear()


@pytest.fixture
def client_app(db: Any) -> Any:
    application, _secret = spry_client_create(name="clinic app", organisation_id=ORG, clinic_ids=[44, 58])
    return application


@pytest.fixture
def other_app(db: Any) -> Any:
    application, _secret = spry_client_create(name="other org app", organisation_id=OTHER_ORG)
    return application


@pytest.fixture
def api(client_app: Any) -> SpryApi:
    return SpryApi(make_token(client_app))


@pytest.fixture
def other_api(other_app: Any) -> SpryApi:
    return SpryApi(make_token(other_app))


@pytest.fixture
def read_only_api(client_app: Any) -> SpryApi:
    return SpryApi(make_token(client_app, scope="read"))


@pytest.fixture
def example(db: Any) -> Authorization:
    return make_authorization(authorization_id=EXAMPLE_ID)
