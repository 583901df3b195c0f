"""The run command's pieces: migrate_all, seed_demo, the OpenAPI schema and Swagger UI without a CDN."""

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient as HttpClient

from authorizations.models import Auth
from config.serving.tenancy import use_vba_database
from tests.conftest import VBAClient

pytestmark = pytest.mark.django_db(databases="__all__")


def test_migrate_all_migrates_default_and_every_vba_database() -> None:
    out = io.StringIO()
    call_command("migrate_all", stdout=out)
    text = out.getvalue()
    assert "Migrating default" in text and "Migrating demo" in text and "Migrating other" in text


def test_seed_demo_loads_records_and_prints_working_credentials() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)  # safe to run again
    text = out.getvalue()
    keys = re.findall(r"export VBA_API_KEY='([^']+)'", text)
    assert len(keys) == 2
    assert "user 'demo' password 'demo-password'" in text
    with use_vba_database("demo"):
        assert Auth.objects.count() >= 40
    for key in keys:  # the key printed by the first run still works after the second (make run run again)
        login = HttpClient().post(
            "/vbasoftware/user-authentication",
            HTTP_AUTHORIZATION="Basic ZGVtbzpkZW1vLXBhc3N3b3Jk",  # demo:demo-password
            HTTP_X_API_KEY=key,
            HTTP_VBASOFTWARE_DATABASE="demo",
        )
        token = login.json()["data"]["authenticationResult"]["idToken"]
        assert VBAClient(key, token).call("GET", "auths/DEMO0001").status_code == 200
    spry = set(re.findall(r"export SPRY_CLIENT_ID='([^']+)' SPRY_CLIENT_SECRET='([^']+)'", text))
    assert len(spry) == 2
    for client_id, secret in spry:  # the same for the Spry demo client
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        assert HttpClient().post("/apis/v2/oauth/token", data).status_code == 200


def test_the_openapi_schema_describes_the_vba_endpoints_with_vba_names() -> None:
    response = HttpClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    assert schema["openapi"] == "3.0.3"
    paths = schema["paths"]
    assert {"put", "get", "post"} <= set(paths["/vbasoftware/auths"])
    assert {"get", "put", "delete"} <= set(paths["/vbasoftware/auths/{authNumber}"])
    batch = paths["/vbasoftware/auths"]["put"]
    assert batch["operationId"] == "create_or_update_auth_batch"
    assert batch["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Auth"},
    }
    assert "207" in batch["responses"]
    assert batch["parameters"][0] == {
        "name": "vbasoftware-database",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
    }
    components = schema["components"]["schemas"]
    assert {"drG_Category", "tPlan_Printed", "auth_Number"} <= set(components["Auth"]["properties"])
    assert set(components["Auth"]["required"]) == {
        "closed",
        "new_Or_Extended",
        "previous_Treatment",
        "tPlan_DownLoaded",
        "urgent",
        "tPlan_Printed",
    }
    assert components["Auth"]["properties"]["auth_Number"] == {"type": "string", "maxLength": 20, "nullable": True}
    assert set(components["VBAProblemDetails"]["properties"]) == {"type", "title", "status", "detail", "instance"}
    assert {"apiKeyAuth", "bearerAuth"} <= set(schema["components"]["securitySchemes"])
    listing = paths["/vbasoftware/auths"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AuthListVBAResponse"
    }
    names = [p["name"] for p in listing["parameters"]]
    assert names[:4] == ["vbasoftware-database", "page", "pageSize", "sortBy"]  # VBA's, in VBA's order
    assert {"status", "subscriber_ID", "urgent", "received_Date_from"} <= set(names[4:])  # ours, on top


def test_swagger_ui_is_served_without_a_cdn() -> None:
    page = HttpClient().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert assets
