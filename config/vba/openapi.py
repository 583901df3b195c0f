"""The VBA operations of ``/api/schema/`` exactly as VBA's OpenAPI document describes them (decisions.md 14).

A client generated from our document must have VBA's method names, parameters and models. drf-spectacular builds
the document from the views; :func:`vba_operations` (a postprocessing hook) then gives each in-scope VBA operation
VBA's shape — operationId, parameters in VBA's order, request and response schemas — and layers what this project
adds on top: parameters VBA lacks (list filters, ``allOrNone``, ``If-Match``; all optional) and response codes VBA
does not list (our error envelopes, 204, 409, 412...). The record components (``Auth``, ``CarePlan``, ``CareCase``)
are derived from the models through :class:`~config.records.specs.RecordSpec`, so a field's length, type and
nullability live in the model only. The document is OpenAPI 3.0 (``nullable``), as VBA's is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.validators import MinLengthValidator
from django.db import models

from config.records.specs import RecordSpec
from config.serving.tenancy import VBA_API_PREFIX

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _string(nullable: bool = True) -> dict[str, Any]:
    return {"type": "string", "nullable": True} if nullable else {"type": "string"}


def _int32() -> dict[str, Any]:
    return {"type": "integer", "format": "int32"}


def field_schema(spec: RecordSpec, f: models.Field) -> dict[str, Any]:
    """One property of a record component, from its model field (VBA's rendering of a SQL Server column)."""
    nullable = f.null or f.attname in spec.optional_inputs
    if isinstance(f, models.BooleanField):
        out: dict[str, Any] = {"type": "boolean"}
    elif isinstance(f, models.DecimalField):
        out = {"type": "number", "format": "double"}
    elif isinstance(f, (models.ForeignKey, models.IntegerField)):
        out = _int32()
    elif isinstance(f, models.DateTimeField):
        out = {"type": "string", "format": "date-time"}
    else:
        out = {"type": "string"}
        if isinstance(f, models.CharField) and f.max_length:
            out["maxLength"] = f.max_length
            min_length = max(
                [v.limit_value for v in f.validators if isinstance(v, MinLengthValidator)]
                + [1 if f.max_length == 1 else 0]
            )
            if min_length and not nullable:
                out["minLength"] = min_length
    if nullable:
        out["nullable"] = True
    return out


def record_component(spec: RecordSpec) -> dict[str, Any]:
    properties = {spec.json_names[f.attname]: field_schema(spec, f) for f in spec.concrete_fields}
    required = [
        spec.json_names[f.attname]
        for f in spec.input_fields
        if not f.null and f.attname not in spec.optional_inputs and f.attname not in spec.defaulted
    ]
    return {"type": "object", "properties": properties, "required": required}


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"data": data, "error": _ref("VBAProblemDetails"), "debug": _ref("Debug")},
    }


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name), "nullable": True}


#: VBA's envelope, problem details and 207 body (config.vba.envelope and config.records.batch write these shapes).
STATIC_COMPONENTS: dict[str, dict[str, Any]] = {
    "VBAProblemDetails": {
        "type": "object",
        "properties": {
            "detail": _string(),
            "instance": _string(),
            "status": _int32(),
            "title": _string(),
            "type": _string(),
        },
    },
    "Debug": {
        "type": "object",
        "properties": {"activityID": {"type": "string", "minLength": 1}},
        "required": ["activityID"],
    },
    "KeyValuePair": {"type": "object", "properties": {"key": _string(), "value": _string()}},
    "MultiCodeResponse": {
        "type": "object",
        "properties": {
            "id": {"type": "array", "items": _ref("KeyValuePair"), "readOnly": True},
            "status": {**_int32(), "readOnly": True},
            "body": {"type": "string", "minLength": 1, "readOnly": True},
        },
        "required": ["id", "status", "body"],
    },
    "MultiCodeResponseListVBAResponse": _envelope(_list_of("MultiCodeResponse")),
    "AuthenticationResult": {
        "type": "object",
        "properties": {
            "accessToken": _string(),
            "idToken": _string(),
            "refreshToken": _string(),
            "expiresIn": _int32(),
        },
    },
    "UserAuthenticationResponse": {
        "type": "object",
        "properties": {
            "challengeName": _string(),
            "session": _string(),
            "authenticationResult": _ref("AuthenticationResult"),
        },
    },
    "UserAuthenticationResponseVBAResponse": _envelope(_ref("UserAuthenticationResponse")),
    "AuthAction": {
        "type": "object",
        "properties": {
            "auth_Action": {"type": "string", "maxLength": 1, "minLength": 1},
            "description": {"type": "string", "nullable": True, "maxLength": 128},
        },
        "required": ["auth_Action"],
    },
    "AuthActionListVBAResponse": _envelope(_list_of("AuthAction")),
    "AuthAdjustment": {
        "type": "object",
        "properties": {
            "auth_Number": {"type": "string", "maxLength": 20, "minLength": 1},
            "approved_From": {"type": "string", "format": "date-time", "nullable": True},
            "approved_Thru": {"type": "string", "format": "date-time", "nullable": True},
            "recalcIBNR": {"type": "boolean"},
            "copyProcCodes": {"type": "boolean"},
            "copyDiagCodes": {"type": "boolean"},
            "procedure_Code": _string(),
        },
        "required": ["auth_Number", "recalcIBNR", "copyProcCodes", "copyDiagCodes"],
    },
    # ours: the body of every error response VBA's document does not list (data is null, error is set)
    "VBAErrorResponse": _envelope({"type": "object", "nullable": True}),
}


@dataclass(frozen=True)
class Op:
    """One VBA operation: its id, parameters (VBA's order), request body and success response."""

    operation_id: str
    parameters: tuple[dict[str, Any], ...]
    success: str  # status code
    response: str | None  # component of the success body
    body: dict[str, Any] | None = None
    security: tuple[str, ...] = ("apiKeyAuth", "bearerAuth")


def _header(name: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


DB = _header("vbasoftware-database")
AUTH_NUMBER = _path("authNumber", {"type": "string"})
PLAN_KEY = _path("carePlanKey", _int32())
CASE_KEY = _path("caseKey", _int32())
AUTH_CODE = _path("authCode", {"type": "string"})
NEW_AUTH_CODE = _path("newAuthCode", {"type": "string"})
PROCEDURE_CODE_KEY = _path("procedureCodeKey", _int32())
AUTH_REVIEW_KEY = _path("authReviewKey", _int32())
DIAGNOSTIC_CODE = _path("diagnosticCode", {"type": "string"})
DIAGNOSTIC_CODE_TYPE = _path("diagnosticCodeType", {"type": "string"})
WORK_LOG_KEY = _path("careCaseWorkLogKey", _int32())
PAGING = (
    _query("page", {**_int32(), "default": 1}),
    _query("pageSize", {**_int32(), "default": 100}),
    _query("sortBy", {"type": "string"}),
)
CLIENT = (_header("vbasoftware-client-id"), _header("vbasoftware-client-code"))


def _many(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


BATCH = "MultiCodeResponseListVBAResponse"


def _crud(prefix: str, name: str, key: tuple[dict[str, Any], ...], ids: dict[str, str]) -> dict[tuple[str, str], Op]:
    """get/update/delete of one record at ``prefix``."""
    return {
        ("get", prefix): Op(ids["get"], (DB, *key), "200", f"{name}VBAResponse"),
        ("put", prefix): Op(ids["update"], (DB, *key), "200", f"{name}VBAResponse", _ref(name)),
        ("delete", prefix): Op(ids["delete"], (DB, *key), "200", None),
    }


VBA_OPERATIONS: dict[tuple[str, str], Op] = {
    ("post", "/auths"): Op("create_auth", (DB,), "200", "AuthVBAResponse", _ref("Auth")),
    ("put", "/auths"): Op("create_or_update_auth_batch", (DB,), "207", BATCH, _many("Auth")),
    ("get", "/auths"): Op("list_auths_project_extension", (DB, *PAGING), "200", "AuthListVBAResponse"),
    **_crud(
        "/auths/{authNumber}",
        "Auth",
        (AUTH_NUMBER,),
        {"get": "get_auth", "update": "update_auth", "delete": "delete_auth"},
    ),
    ("post", "/auths/{authNumber}/procedure-codes"): Op(
        "create_auth_proc_code", (DB, AUTH_NUMBER), "200", "AuthProcCodesVBAResponse", _ref("AuthProcCodes")
    ),
    ("get", "/auths/{authNumber}/procedure-codes"): Op(
        "list_auth_proc_code_by_auth", (DB, AUTH_NUMBER), "200", "AuthProcCodesListVBAResponse"
    ),
    **_crud(
        "/auths/{authNumber}/procedure-codes/{procedureCodeKey}",
        "AuthProcCodes",
        (AUTH_NUMBER, PROCEDURE_CODE_KEY),
        {"get": "get_auth_proc_code", "update": "update_auth_proc_code", "delete": "delete_auth_proc_code"},
    ),
    ("post", "/auths/{authNumber}/procedure-codes-batch"): Op(
        "create_auth_proc_code_batch", (DB, AUTH_NUMBER), "207", BATCH, _many("AuthProcCodes")
    ),
    ("delete", "/auths/{authNumber}/procedure-codes-batch"): Op(
        "delete_auth_proc_code_batch", (DB, AUTH_NUMBER), "207", BATCH, {"type": "array", "items": _int32()}
    ),
    ("post", "/auths/{authNumber}/diagnostic-codes"): Op(
        "create_auth_diag_code", (DB, AUTH_NUMBER), "200", "AuthDiagCodesVBAResponse", _ref("AuthDiagCodes")
    ),
    ("get", "/auths/{authNumber}/diagnostic-codes"): Op(
        "get_auth_diag_code_list", (DB, AUTH_NUMBER), "200", "AuthDiagCodesListVBAResponse"
    ),
    ("get", "/auths/{authNumber}/diagnostic-codes/{diagnosticCode}"): Op(
        "get_diag_code_list", (DB, AUTH_NUMBER, DIAGNOSTIC_CODE), "200", "AuthDiagCodesListVBAResponse"
    ),
    **_crud(
        "/auths/{authNumber}/diagnostic-codes/{diagnosticCode}/diagnostic-code-types/{diagnosticCodeType}",
        "AuthDiagCodes",
        (AUTH_NUMBER, DIAGNOSTIC_CODE, DIAGNOSTIC_CODE_TYPE),
        {"get": "get_diag_code", "update": "update_auth_diag_code", "delete": "delete_auth_diag_code"},
    ),
    ("put", "/auths/{authNumber}/diagnostic-codes-batch"): Op(
        "update_auth_diag_code_batch", (DB, AUTH_NUMBER), "207", BATCH, _many("AuthDiagCodes")
    ),
    ("post", "/auths/{authNumber}/adjust"): Op(
        "auth_adjustment", (DB, AUTH_NUMBER), "200", "AuthVBAResponse", _ref("AuthAdjustment")
    ),
    ("post", "/auths/{authNumber}/process-status/{newAuthCode}"): Op(
        "auth_process_status", (DB, AUTH_NUMBER, NEW_AUTH_CODE), "200", "AuthVBAResponse"
    ),
    ("post", "/auth-codes"): Op("create_auth_code", (DB,), "200", "AuthCodeVBAResponse", _ref("AuthCode")),
    **_crud(
        "/auth-codes/{authCode}",
        "AuthCode",
        (AUTH_CODE,),
        {"get": "get_auth_code", "update": "update_auth_code", "delete": "delete_auth_code"},
    ),
    ("put", "/auth-codes-batch"): Op("update_batch_auth_code", (DB,), "207", BATCH, _many("AuthCode")),
    ("get", "/auth-actions"): Op("list_auth_action", (DB,), "200", "AuthActionListVBAResponse"),
    ("post", "/auth-reviews"): Op("create_auth_review", (DB,), "200", "AuthReviewVBAResponse", _ref("AuthReview")),
    ("get", "/auth-reviews"): Op(
        "list_auth_reviews",
        (DB, _query("authNumber", {"type": "string"}), *PAGING),
        "200",
        "AuthReviewListVBAResponse",
    ),
    **_crud(
        "/auth-reviews/{authReviewKey}",
        "AuthReview",
        (AUTH_REVIEW_KEY,),
        {"get": "get_auth_review", "update": "update_auth_review", "delete": "delete_auth_review"},
    ),
    ("put", "/auth-reviews-batch"): Op("update_batch_auth_review", (DB,), "207", BATCH, _many("AuthReview")),
    ("post", "/care-plans"): Op("create_care_plan", (DB,), "200", "CarePlanVBAResponse", _ref("CarePlan")),
    ("get", "/care-plans"): Op("list_care_plan", (DB, *PAGING), "200", "CarePlanListVBAResponse"),
    **_crud(
        "/care-plans/{carePlanKey}",
        "CarePlan",
        (PLAN_KEY,),
        {"get": "get_care_plan", "update": "update_care_plan", "delete": "delete_care_plan"},
    ),
    ("put", "/care-plans-batch"): Op("update_batch_care_plan", (DB,), "207", BATCH, _many("CarePlan")),
    ("post", "/care-plans/{carePlanKey}/cases"): Op(
        "create_care_case", (DB, PLAN_KEY), "200", "CareCaseVBAResponse", _ref("CareCase")
    ),
    ("get", "/care-plans/{carePlanKey}/cases"): Op(
        "list_care_case", (DB, PLAN_KEY, *PAGING), "200", "CareCaseListVBAResponse"
    ),
    **_crud(
        "/care-plans/{carePlanKey}/cases/{caseKey}",
        "CareCase",
        (PLAN_KEY, CASE_KEY),
        {"get": "get_care_case", "update": "update_care_case", "delete": "delete_care_case"},
    ),
    ("put", "/care-plans/{carePlanKey}/cases-batch"): Op(
        "update_batch_care_case", (DB, PLAN_KEY), "207", BATCH, _many("CareCase")
    ),
    ("put", "/care-cases-batch"): Op("update_batch_care_cases_simplified", (DB,), "207", BATCH, _many("CareCase")),
    ("post", "/cases/{caseKey}/work-logs"): Op(
        "create_care_case_work_log", (DB, CASE_KEY), "200", "CareCaseWorkLogVBAResponse", _ref("CareCaseWorkLog")
    ),
    ("get", "/cases/{caseKey}/work-logs"): Op(
        "list_care_case_work_log", (DB, CASE_KEY, *PAGING), "200", "CareCaseWorkLogListVBAResponse"
    ),
    **_crud(
        "/cases/{caseKey}/work-logs/{careCaseWorkLogKey}",
        "CareCaseWorkLog",
        (CASE_KEY, WORK_LOG_KEY),
        {
            "get": "get_care_case_work_log",
            "update": "update_care_case_work_log",
            "delete": "delete_care_case_work_log",
        },
    ),
    ("put", "/cases/{caseKey}/work-logs-batch"): Op(
        "update_batch_care_case_work_log", (DB, CASE_KEY), "207", BATCH, _many("CareCaseWorkLog")
    ),
    ("post", "/user-authentication"): Op(
        "user_authentication",
        (*CLIENT, DB, _header("vbasoftware-machine-id", required=False)),
        "200",
        "UserAuthenticationResponseVBAResponse",
        security=("basicAuth", "apiKeyAuth"),
    ),
    ("post", "/user-refresh-tokens"): Op(
        "refresh_user_tokens",
        (*CLIENT, DB, _header("expired-id-token"), _header("refresh-token")),
        "200",
        "UserAuthenticationResponseVBAResponse",
        security=("apiKeyAuth",),
    ),
}


#: The record components of the document, by VBA name: registered by each view set's declaration
#: (:func:`config.vba.schema.vba_schema`), in the order the URLs import them (Auth, CarePlan, CareCase).
RECORD_SPECS: dict[str, RecordSpec] = {}


def register_record(name: str, spec: RecordSpec) -> None:
    RECORD_SPECS.setdefault(name, spec)


def record_components() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, spec in RECORD_SPECS.items():
        out[name] = record_component(spec)
        out[f"{name}VBAResponse"] = _envelope(_ref(name))
        out[f"{name}ListVBAResponse"] = _envelope(_list_of(name))
    return out


def vba_operation(op: Op, ours: dict[str, Any]) -> dict[str, Any]:
    """VBA's operation, then our additions: parameters it lacks (optional) and response codes it does not list."""
    names = {(p["name"], p["in"]) for p in op.parameters}
    extra = [
        {**p, "required": False}
        for p in ours.get("parameters", [])
        if (p["name"], p["in"]) not in names and p["in"] != "path"
    ]
    success: dict[str, Any] = {"description": "Success"}
    if op.response:
        success["content"] = {JSON: {"schema": _ref(op.response)}}
    responses: dict[str, Any] = {op.success: success, "401": {"description": "Unauthorized"}}
    for code, response in ours.get("responses", {}).items():
        if code not in responses:
            responses[code] = {"description": response.get("description", "")}
            if code != "204":
                responses[code]["content"] = {JSON: {"schema": _ref("VBAErrorResponse")}}
    out: dict[str, Any] = {"operationId": op.operation_id}
    for key in ("summary", "description"):  # no tags: VBA's operations are untagged (DefaultApi)
        if key in ours:
            out[key] = ours[key]
    out["parameters"] = [dict(p) for p in op.parameters] + extra
    out["security"] = [{name: [] for name in op.security}]
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {JSON: {"schema": op.body}}}
    out["responses"] = responses
    return out


def vba_operations(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: VBA's operations and components (module doc)."""
    paths = result.get("paths", {})
    for (method, path), op in VBA_OPERATIONS.items():
        item = paths.get(VBA_API_PREFIX.rstrip("/") + path)
        if item is not None and method in item:
            item[method] = vba_operation(op, item[method])
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(STATIC_COMPONENTS)
    schemas.update(record_components())
    _prune(result)
    return to_oas30(result)


def to_oas30(node: Any) -> Any:
    """OpenAPI 3.1 / JSON Schema idioms left by pydantic-made components, in 3.0 form: ``anyOf [X, null]`` → X with
    ``nullable``, ``type: null`` → ``nullable``, ``examples`` → ``example``."""
    if isinstance(node, list):
        return [to_oas30(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_oas30(v) for k, v in node.items()}
    variants = out.get("anyOf")
    if isinstance(variants, list) and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" not in rest[0]:
            out = {**rest[0], **out}
        elif len(rest) == 1:
            out["allOf"] = rest
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    if out.get("type") == "null":
        del out["type"]
        out["nullable"] = True
    if isinstance(out.get("examples"), list) and "in" not in out and "schema" not in out:
        examples = out.pop("examples")
        if examples:
            out.setdefault("example", examples[0])
    return out


def _prune(result: dict[str, Any]) -> None:
    """Drop the components nothing refers to any more (drf-spectacular's own VBA records and envelopes)."""
    schemas = result["components"]["schemas"]
    used: set[str] = set()
    pending = [result["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in used and name in schemas:
                    used.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    for name in list(schemas):
        if name not in used:
            del schemas[name]
