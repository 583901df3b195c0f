"""Fuzzing (issue 9): schemathesis over the whole served OpenAPI document, both APIs, authenticated.

Seeded and bounded to ``FUZZ_EXAMPLES`` examples per operation (default 3, so that it fits the suite's time);
``make fuzz`` runs it deeper (50 examples and the coverage phase). Every schemathesis check runs on every generated
request: no 5xx, and the status code, content type, headers and body conform to the document; a request that breaks
the document is refused, one that follows it is accepted.

Two readings of the document, both stated here so that nothing else is loosened:

* **VBA's document** is served verbatim for the VBA operations (decisions.md 14: a client generated from ours must
  be the one generated from VBA's). It says two things differently from VBA's wire format, which the server keeps
  (vba.md, decisions.md 10): a record's date-times are ``format: date-time`` but rendered without an offset
  (``2026-11-20T10:15:00``), and a success envelope's ``error`` is a ``VBAProblemDetails`` but is ``null``. Responses
  are checked against exactly that: those date-times must match ``YYYY-MM-DDTHH:MM:SS``, ``error`` may be null.
  Requests are generated from the document as served; a schema-valid request refused only for a rule that VBA's
  document cannot state (exact decimals, dates that can be read back) counts as accepted.
* **Spry** answers its business errors with HTTP 200 (decisions.md, Spry 1), so "refused" and "accepted" are read
  from the envelope's ``code`` (4000 is a refusal, as HTTP 400 would be).
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from authorizations.spry_services import spry_client_create
from config.wsgi import application
from tests.authorizations.spry_fixtures import ORG, make_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
RENDERED_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"  # decisions.md 10: how every VBA date-time is rendered
VBA_RECORDS = ("Auth", "CarePlan", "CareCase")


def as_vba_answers(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the VBA response schemas read as VBA's server answers (see the module docstring); the
    request schemas are left as served."""
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]
    for record in VBA_RECORDS:
        rendered = copy.deepcopy(schemas[record])
        for prop in rendered["properties"].values():
            if prop.get("format") == "date-time":
                del prop["format"]
                prop["pattern"] = RENDERED_DATETIME
        schemas[f"{record}AsRendered"] = rendered
    pointer = re.compile(r'"#/components/schemas/(' + "|".join(VBA_RECORDS) + r')"')
    for name in [n for n in schemas if n.endswith("VBAResponse")]:
        envelope = json.loads(pointer.sub(r'"#/components/schemas/\1AsRendered"', json.dumps(schemas[name])))
        envelope["properties"]["error"] = {"allOf": [envelope["properties"]["error"]], "nullable": True}
        schemas[name] = envelope
    return document


served = Client().get("/api/schema/", {"format": "json"}).json()
schema = schemathesis.openapi.from_dict(as_vba_answers(served))
schema.app = application
schema.config.seed = 9
# The coverage phase (every boundary value of every parameter) runs only in the deeper run: it alone takes minutes.
schema.config.phases.coverage.enabled = os.environ.get("FUZZ_COVERAGE") == "1"


def is_spry(case: Any) -> bool:
    return bool(case.path.startswith("/apis/"))


def as_http(response: Any, case: Any) -> Any:
    """The response with the HTTP status a refusal inside its body stands for: Spry's ``code`` (2000 → 200,
    4000 → 400, 4004 → 404), a 207 with a refused item → 400 (each item answers for itself: decisions.md 4)."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    status = response.status_code
    if is_spry(case) and isinstance(body, dict) and isinstance(body.get("code"), int):
        code = body["code"]
        status = 200 if code == 2000 else (500 if code >= 5000 else 400 + code % 1000)
    elif status == 207 and isinstance(body, dict) and isinstance(body.get("data"), list):
        status = 400 if any(item["status"] >= 400 for item in body["data"]) else 200
    translated = copy.copy(response)
    translated.status_code = status
    return translated


def refusals_read_from_the_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative-data check on what the body says about the request."""
    return negative_data_rejection(ctx, as_http(response, case), case)


#: Rules of the contract that VBA's document (served verbatim) cannot state: exact decimals (decisions.md 8) and
#: dates that can be read back (decisions.md 10). A schema-valid VBA request refused for these alone is right.
UNSTATED_VBA_RULES = re.compile(
    r"^[A-Za-z_]+: (must have at most \d+ (decimal places|digits before the decimal point)"
    r"|.* is out of range \(years 1 to 9999|.*: the offset must be between -15:59 and \+15:59)"
)


def refusal_messages(body: Any) -> list[str]:
    if isinstance(body.get("data"), list):  # a 207: the refused items' messages
        return [m for item in body["data"] if item["status"] >= 400 for m in item["body"].split("; ")]
    return str((body.get("error") or {}).get("detail") or "").split("; ")


def acceptance_read_from_the_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' positive-data check on what the body says about the request; a VBA refusal that names only
    :data:`UNSTATED_VBA_RULES` passes."""
    translated = as_http(response, case)
    if not is_spry(case) and translated.status_code == 400:
        messages = refusal_messages(json.loads(response.content))
        if messages and all(UNSTATED_VBA_RULES.match(m) for m in messages):
            return None
    return positive_data_acceptance(ctx, translated, case)


@pytest.fixture(autouse=True)
def keep_connections() -> Any:
    """Requests go to the WSGI app directly: keep the test's database connections open across them, as Django's test
    client does (otherwise each request's end closes the connection holding the test transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(user: Any, api_key: str, token: str) -> dict[str, dict[str, str]]:
    client_app, _secret = spry_client_create(name="fuzz", organisation_id=ORG, clinic_ids=[44])
    return {
        "vba": {"x-api-key": api_key, "Authorization": f"Bearer {token}", "vbasoftware-database": "demo"},
        "spry": {"Authorization": f"Bearer {make_token(client_app)}"},
    }


@pytest.mark.django_db(databases="__all__", transaction=False)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_request_gets_a_conforming_answer_and_never_a_server_error(
    case: Any, credentials: dict[str, dict[str, str]]
) -> None:
    api = "spry" if is_spry(case) else "vba"
    # The credentials (and the database they are granted) replace any generated value, so that generated requests
    # reach the operations instead of stopping at 401/403.
    credential_names = {name.lower() for name in credentials[api]}
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in credential_names}
    headers.update(credentials[api])
    case.headers = headers
    case.call_and_validate(
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
        additional_checks=[refusals_read_from_the_body, acceptance_read_from_the_body],
    )
