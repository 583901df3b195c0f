"""/api/schema/ describes the in-scope VBA operations exactly as VBA's OpenAPI document does (decisions.md 14)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient as HttpClient

from tests import contracts
from tests.config.openapi_diff import REVIEW_OPERATIONS, differences, restricted


@pytest.fixture(scope="module")
def vba() -> dict[str, Any]:
    return contracts.vba_openapi()


@pytest.fixture
def ours(db: Any) -> dict[str, Any]:
    response = HttpClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_our_schema_has_no_difference_a_generated_client_would_see(ours: dict[str, Any], vba: dict[str, Any]) -> None:
    assert ours["openapi"] == "3.0.3"
    assert differences(ours, vba) == []


def test_the_diff_finds_what_a_generated_client_would_see(ours: dict[str, Any], vba: dict[str, Any]) -> None:
    changed = copy.deepcopy(ours)
    auths = changed["paths"]["/vbasoftware/auths"]
    auths["post"]["operationId"] = "vbasoftware_auths_create"
    auths["put"]["parameters"].insert(0, {"name": "allOrNone", "in": "query", "required": True, "schema": {}})
    changed["components"]["schemas"]["Auth"]["properties"]["status"]["maxLength"] = 9
    changed["components"]["schemas"]["KeyValuePair"]["properties"]["value"] = {"type": "integer"}
    changed["openapi"] = "3.1.0"
    components = changed["components"]["schemas"]
    components["CarePlan"]["properties"]["description"]["maxLength"] = 10  # a property named like prose
    components["VBAProblemDetails"]["properties"]["title"]["nullable"] = False
    changed["paths"]["/vbasoftware/care-plans"]["parameters"] = [{"name": "x", "in": "header", "schema": {}}]
    changed["security"] = [{"apiKeyAuth": []}]
    found = differences(changed, vba)
    assert "component CarePlan.description: {'type': 'string', 'maxLength': 10, 'nullable': True} != " in "\n".join(
        found
    )
    assert any(d.startswith("component VBAProblemDetails.title: {'type': 'string', 'nullable': False}") for d in found)
    assert "/care-plans: path-level ['parameters']" in found
    assert "security [{'apiKeyAuth': []}] != None" in found
    assert "openapi 3.1.0 (VBA's: 3.0.1)" in found
    assert "POST /auths: operationId 'vbasoftware_auths_create' != 'create_auth'" in found
    assert any(d.startswith("PUT /auths: parameters") for d in found)
    assert "component Auth.status: {'type': 'string', 'maxLength': 9, 'nullable': True} != " in "\n".join(found)
    assert any(d.startswith("component KeyValuePair.value:") for d in found)


def test_our_additions_are_optional_and_on_top(ours: dict[str, Any]) -> None:
    listing = ours["paths"]["/vbasoftware/auths"]["get"]
    added = {p["name"]: p["required"] for p in listing["parameters"][4:]}
    assert added["received_Date_from"] is False and added["urgent"] is False
    batch = ours["paths"]["/vbasoftware/auths"]["put"]
    assert [p["name"] for p in batch["parameters"]] == ["vbasoftware-database", "allOrNone"]
    assert {"400", "403", "413", "429"} <= set(batch["responses"])


def test_spry_operations_keep_their_names(ours: dict[str, Any]) -> None:
    spry = ours["paths"]["/apis/soap-enrichment/v1/authorization/{authorizationId}"]
    assert [spry[m]["operationId"] for m in ("get", "post", "delete")] == [
        "spry_authorization_get",
        "spry_authorization_update",
        "spry_authorization_delete",
    ]


def test_the_error_codes_we_answer_are_declared_on_top(ours: dict[str, Any]) -> None:
    paths = ours["paths"]
    assert "409" in paths["/vbasoftware/care-plans/{carePlanKey}"]["delete"]["responses"]  # a plan that has cases
    # an Auth that still has procedure lines or reviews (issue 22, decision 15)
    assert "409" in paths["/vbasoftware/auths/{authNumber}"]["delete"]["responses"]
    # a decision code that Auths are decided with; a case that still has work log entries (issue 24, decision 15)
    assert "409" in paths["/vbasoftware/auth-codes/{authCode}"]["delete"]["responses"]
    assert "409" in paths["/vbasoftware/care-plans/{carePlanKey}/cases/{caseKey}"]["delete"]["responses"]
    assert "409" not in paths["/vbasoftware/cases/{caseKey}/work-logs/{careCaseWorkLogKey}"]["delete"]["responses"]
    for operation in (paths["/vbasoftware/auths"]["get"], paths["/vbasoftware/user-authentication"]["post"]):
        assert {"406", "413", "414"} <= set(operation["responses"])


def test_spry_declares_its_http_200_errors_and_its_dates_as_rendered(ours: dict[str, Any]) -> None:
    listing = ours["paths"]["/apis/soap-enrichment/v1/authorization"]["get"]["responses"]
    assert listing["200"]["content"]["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/SpryAuthorizationListEnvelope"},
            {"$ref": "#/components/schemas/SpryErrorEnvelope"},
        ]
    }
    assert {"400", "413", "414", "415"} <= set(listing)
    record = ours["components"]["schemas"]["SpryAuthorizationOut"]["properties"]
    for name in ("plan_start_date", "effective_end_date", "created_at", "updated_at"):
        assert "format" not in record[name] and record[name]["pattern"] == r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
    assert record["created_date"]["format"] == "date-time"


def test_the_decision_operations_are_described_as_vbas_review_document_does(ours: dict[str, Any]) -> None:
    review = restricted(contracts.vba_openapi_review(), REVIEW_OPERATIONS)
    assert sum(len(item) for item in review["paths"].values()) == len(REVIEW_OPERATIONS)
    assert {"AuthCode", "AuthAction", "AuthCodeVBAResponse", "AuthActionListVBAResponse"} <= set(
        review["components"]["schemas"]
    )
    assert differences(ours, review) == []


def test_the_review_diff_sees_a_changed_decision_operation(ours: dict[str, Any]) -> None:
    review = restricted(contracts.vba_openapi_review(), REVIEW_OPERATIONS)
    changed = copy.deepcopy(ours)
    changed["paths"]["/vbasoftware/auth-codes/{authCode}"]["get"]["parameters"][1]["name"] = "code"
    changed["components"]["schemas"]["AuthCode"]["properties"]["auth_Code"].pop("minLength")
    changed["paths"]["/vbasoftware/auths/{authNumber}/process-status/{newAuthCode}"]["post"]["operationId"] = "x"
    found = differences(changed, review)
    assert any(d.startswith("GET /auth-codes/{authCode}: parameters") for d in found)
    assert any(d.startswith("component AuthCode.auth_Code:") for d in found)
    assert "POST /auths/{authNumber}/process-status/{newAuthCode}: operationId 'x' != 'auth_process_status'" in found
