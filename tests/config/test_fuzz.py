"""Fuzzing (issue 9): schemathesis over the whole served OpenAPI document, both APIs, authenticated.

Seeded (``derandomize``) and bounded to ``FUZZ_EXAMPLES`` examples per operation (default 3, so that it fits the
suite's time); ``make fuzz`` runs it deeper. No generated request may get a 5xx, and every response must conform to
the document (status code, content type, headers, body).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from authorizations.spry_services import spry_client_create
from config.wsgi import application
from tests.authorizations.spry_fixtures import ORG, make_token

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
STRICT = os.environ.get("FUZZ_STRICT") == "1"

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.config.seed = 9
# The coverage phase (every boundary value of every parameter) runs only in the deeper run: it alone takes minutes.
schema.config.phases.coverage.enabled = os.environ.get("FUZZ_COVERAGE") == "1"


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
def test_no_generated_request_gets_a_server_error(case: Any, credentials: dict[str, dict[str, str]]) -> None:
    api = "spry" if case.path.startswith("/apis/") else "vba"
    # The credentials (and the database they are granted) replace any generated value, so that generated requests
    # reach the operations instead of stopping at 401/403.
    credential_names = {name.lower() for name in credentials[api]}
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in credential_names}
    headers.update(credentials[api])
    case.headers = headers
    if STRICT:
        case.call_and_validate()
    else:
        case.call_and_validate(checks=[not_a_server_error])
