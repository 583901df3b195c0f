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
  Requests are generated from the document as served; one that breaks it only in the server-owned audit fields
  counts as refused (decisions.md 9: their values are ignored).
* **Rules no document states** (:data:`UNSTATED_RULES`: no NUL or unpaired surrogate, exact decimals, dates that
  can be read back; for VBA, whose document is VBA's, non-negative keys, addressable auth numbers, page, pageSize and
  sortBy rules): a schema-valid request refused for these alone counts as accepted.
* **Refusals inside a body**: Spry answers its business errors with HTTP 200 (decisions.md, Spry 1) and a batch
  answers 207 with a status per item (decisions.md 4), so "refused" and "accepted" are read from the envelope's
  ``code`` (4000 is a refusal, as HTTP 400 would be) and from the items (one refused item refuses the request).
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from schemathesis.generation.meta import CoverageScenario
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from authorizations.spry.services import spry_client_create
from config.wsgi import application
from tests.authorizations.spry_fixtures import ORG, make_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
RENDERED_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"  # decisions.md 10: how every VBA date-time is rendered
VBA_RECORDS = ("Auth", "CarePlan", "CareCase", "AuthReview", "AuthDiagCodes", "CareCaseWorkLog")


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
schema.config.output.sanitization.enabled = os.environ.get("FUZZ_SHOW_VALUES") != "1"
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


#: Server-owned fields: a value a client sends is ignored, not refused (decisions.md 9).
AUDIT_FIELDS = {"entry_Date", "entry_User", "update_Date", "update_User"}


def breaks_only_audit_fields(case: Any) -> bool:
    """Whether what a negative case breaks is only in audit fields (as far as its metadata says where)."""
    data: Any = case.meta.phase.data if case.meta is not None else None
    places = [[str(p) for p in m.path] for m in getattr(data, "mutations", ())]
    if not places and getattr(data, "location", None):
        places = [str(data.location).split("/")]
    return bool(places) and all(set(place) & AUDIT_FIELDS for place in places)


def refusals_read_from_the_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative-data check on what the body says about the request; a VBA request that breaks the
    document only in server-owned audit fields is accepted (the values are ignored)."""
    if not is_spry(case) and breaks_only_audit_fields(case):
        return None
    return negative_data_rejection(ctx, as_http(response, case), case)


#: Rules of the contract that the documents do not state: text without NUL or unpaired surrogates (issue 9), exact
#: decimals (decisions.md 8), dates that can be read back (decisions.md 10); and for VBA, whose document is served
#: verbatim: keys of 0 or more (decisions.md 6), auth numbers that can be addressed (issue 9), page of at least 1,
#: pageSize of 1 to 1000 and sortBy of JSON field names (vba.md); a child names an existing parent, the path's one
#: under its path (vba-review.md decision 15). A schema-valid request refused for these alone is right.
UNSTATED_RULES = re.compile(
    r"^[A-Za-z_][\w.\[\]]*: ("
    r".*may not contain the NUL character.*|.*contains an unpaired surrogate.*"
    r"|must have at most \d+ (decimal places|digits before the decimal point)"
    r"|.* is out of range \(years 1 to 9999.*|.*: the offset must be between -15:59 and \+15:59"
    r"|must be 0 \(to have the next key assigned\) or a positive key.*"
    r"|may not (be empty|contain '/'|be '\.+')(: the (Auth|diagnosis) could not be addressed .*)?"
    r"|must be a whole number of at least 1, not .*|may be at most \d+"  # page, pageSize
    r"|unknown field .*; use the JSON field names|direction of .* must be asc or desc"  # sortBy
    r"|Auth .* does not exist|the (item|body) says .* but the path says .*; they must match"  # decision 15
    r")$"
)
#: Where one ``field: message`` of a VBA detail ends and the next begins.
NEXT_FIELD = re.compile(r"; (?=[A-Za-z_][\w.\[\]]*: )")


def refusal_messages(body: Any) -> list[str]:
    """Each ``field: message`` a refusal names (VBA's detail or 207 items, Spry's ``errors``)."""
    if isinstance(body.get("errors"), dict):  # Spry's 4000
        return [f"{field}: {m}" for field, messages in body["errors"].items() for m in messages]
    if isinstance(body.get("data"), list):  # a 207: the refused items' messages
        return [m for item in body["data"] if item["status"] >= 400 for m in NEXT_FIELD.split(item["body"])]
    return NEXT_FIELD.split(str((body.get("error") or {}).get("detail") or ""))


def acceptance_read_from_the_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' positive-data check on what the body says about the request; a refusal that names only
    :data:`UNSTATED_RULES` passes."""
    translated = as_http(response, case)
    if translated.status_code == 400:
        messages = refusal_messages(json.loads(response.content))
        if messages and all(UNSTATED_RULES.match(m) for m in messages):
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


@pytest.fixture(autouse=True)
def no_rate_limits(settings: Any) -> None:
    """The limiter has its own tests; here it would answer 429 in place of what the operations answer."""
    settings.VBA_RATE_LIMIT_PER_SECOND, settings.VBA_RATE_LIMIT_BURST = 1e6, 1_000_000
    settings.SPRY_RATE_LIMIT = settings.LOGIN_RATE_LIMIT = "1000000/second"


def left_out_header(case: Any) -> str | None:
    """The header schemathesis' coverage phase leaves out on purpose (to check it is required), lower-cased."""
    data: Any = case.meta.phase.data if case.meta is not None else None
    if getattr(data, "scenario", None) == CoverageScenario.MISSING_PARAMETER and data.parameter_location == "header":
        return str(data.parameter).lower()
    return None


@pytest.fixture
def credentials(user: Any, api_key: str, token: str) -> dict[str, dict[str, str]]:
    client_app, _secret = spry_client_create(name="fuzz", organisation_id=ORG, clinic_ids=[44])
    return {
        "vba": {"x-api-key": api_key, "Authorization": f"Bearer {token}", "vbasoftware-database": "demo"},
        "spry": {"Authorization": f"Bearer {make_token(client_app)}"},
    }


@pytest.mark.django_db(databases="__all__", transaction=False)
@schema.parametrize()
@hypothesis.settings(
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
    # reach the operations instead of stopping at 401/403; a header the case leaves out on purpose stays out.
    credential_names = {name.lower() for name in credentials[api]}
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in credential_names}
    headers.update({k: v for k, v in credentials[api].items() if k.lower() != left_out_header(case)})
    case.headers = headers
    # Set by the test, as schemathesis' own auth would: its ignored-auth check then probes the operation without
    # the credentials and with wrong ones, and expects 401/403.
    case._has_explicit_auth = left_out_header(case) is None
    case.call_and_validate(
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
        additional_checks=[refusals_read_from_the_body, acceptance_read_from_the_body],
    )
