"""Operation-by-operation comparison of our OpenAPI document with VBA's (what a generated client would see)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

#: Keys that change documentation only, never generated code.
PROSE = frozenset({"description", "summary", "example", "examples", "title"})
PREFIX = "/vbasoftware"
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
#: The operations of VBA's review document (vba-review.md) this server implements: decision codes, decisions,
#: procedure lines, reviews, diagnoses and adjustment.
REVIEW_OPERATIONS = frozenset(
    {
        "create_auth_code",
        "get_auth_code",
        "update_auth_code",
        "delete_auth_code",
        "update_batch_auth_code",
        "list_auth_action",
        "auth_process_status",
        "create_auth_proc_code",
        "list_auth_proc_code_by_auth",
        "get_auth_proc_code",
        "update_auth_proc_code",
        "delete_auth_proc_code",
        "create_auth_proc_code_batch",
        "delete_auth_proc_code_batch",
        "create_auth_review",
        "list_auth_reviews",
        "get_auth_review",
        "update_auth_review",
        "delete_auth_review",
        "update_batch_auth_review",
        "create_auth_diag_code",
        "get_auth_diag_code_list",
        "get_diag_code_list",
        "get_diag_code",
        "update_auth_diag_code",
        "delete_auth_diag_code",
        "update_auth_diag_code_batch",
        "auth_adjustment",
        "create_care_case_work_log",
        "list_care_case_work_log",
        "get_care_case_work_log",
        "update_care_case_work_log",
        "delete_care_case_work_log",
        "update_batch_care_case_work_log",
    }
)


def _strip(node: Any, *, names: bool = False) -> Any:
    """``node`` without its prose; ``names``: ``node`` maps names to schemas (``properties``), so that a property
    called ``description`` or ``title`` (CarePlan's, VBAProblemDetails') is compared, not dropped as prose."""
    if isinstance(node, dict):
        return {k: _strip(v, names=k == "properties" and not names) for k, v in node.items() if names or k not in PROSE}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _params(op: dict[str, Any]) -> list[dict[str, Any]]:
    return [_strip(p) for p in op.get("parameters", [])]


def differences(ours: dict[str, Any], vba: dict[str, Any]) -> list[str]:
    """Every difference a client generated from ``ours`` would show against one generated from ``vba``."""
    out: list[str] = []
    if not ours["openapi"].startswith("3.0."):
        out.append(f"openapi {ours['openapi']} (VBA's: {vba['openapi']})")
    if ours.get("security") != vba.get("security"):  # the default of every operation that names none
        out.append(f"security {ours.get('security')} != {vba.get('security')}")
    for path, item in vba["paths"].items():
        our_item = ours["paths"].get(PREFIX + path)
        if our_item is None:
            out.append(f"{path}: missing")
            continue
        if set(our_item) - METHODS:  # path-level entries (parameters, servers) reach every generated method
            out.append(f"{path}: path-level {sorted(set(our_item) - METHODS)}")
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            mine = our_item.get(method)
            if mine is None:
                out.append(f"{where}: missing")
                continue
            if mine.get("operationId") != op["operationId"]:
                out.append(f"{where}: operationId {mine.get('operationId')!r} != {op['operationId']!r}")
            if mine.get("tags") != op.get("tags"):  # tags name the generated API class
                out.append(f"{where}: tags {mine.get('tags')} != {op.get('tags')}")
            theirs, own = _params(op), _params(mine)
            if own[: len(theirs)] != theirs:
                out.append(f"{where}: parameters {own[: len(theirs)]} != {theirs}")
            for extra in own[len(theirs) :]:
                if extra.get("required") or extra["in"] == "path":
                    out.append(f"{where}: added parameter {extra['name']} is required")
            if _strip(mine.get("requestBody")) != _strip(op.get("requestBody")):
                out.append(f"{where}: requestBody {mine.get('requestBody')} != {op.get('requestBody')}")
            if mine.get("security") != op.get("security"):
                out.append(f"{where}: security {mine.get('security')} != {op.get('security')}")
            for code, response in op["responses"].items():
                got = mine["responses"].get(code)
                if got is None or _strip(got).get("content") != _strip(response).get("content"):
                    out.append(f"{where}: response {code} {got} != {response}")
    our_components = ours["components"]["schemas"]
    for name, schema in vba["components"]["schemas"].items():
        if name not in our_components:
            out.append(f"component {name}: missing")
            continue
        mine, theirs = _strip(our_components[name]), _strip(schema)
        for prop in sorted(set(mine.get("properties", {})) | set(theirs.get("properties", {}))):
            a, b = mine.get("properties", {}).get(prop), theirs.get("properties", {}).get(prop)
            if a != b:
                out.append(f"component {name}.{prop}: {a} != {b}")
        rest_mine = {k: v for k, v in mine.items() if k != "properties"}
        rest_theirs = {k: v for k, v in theirs.items() if k != "properties"}
        if "required" in rest_mine:
            rest_mine["required"] = sorted(rest_mine["required"])
        if "required" in rest_theirs:
            rest_theirs["required"] = sorted(rest_theirs["required"])
        if rest_mine != rest_theirs:
            out.append(f"component {name}: {rest_mine} != {rest_theirs}")
    for name, scheme in vba["components"].get("securitySchemes", {}).items():
        if ours["components"].get("securitySchemes", {}).get(name) != scheme:
            out.append(f"securityScheme {name} differs")
    return out


def restricted(vba: dict[str, Any], operations: Collection[str]) -> dict[str, Any]:
    """``vba`` with only the operations whose operationId is in ``operations``, and the components they reach (the
    part of a document that a server implementing only those operations must match)."""
    paths: dict[str, Any] = {}
    for path, item in vba["paths"].items():
        kept = {m: op for m, op in item.items() if m in METHODS and op.get("operationId") in operations}
        if kept:
            paths[path] = kept
    schemas = vba["components"]["schemas"]
    used: set[str] = set()
    pending: list[Any] = [paths]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in used:
                    used.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    components = {**vba["components"], "schemas": {n: s for n, s in schemas.items() if n in used}}
    return {**vba, "paths": paths, "components": components}
