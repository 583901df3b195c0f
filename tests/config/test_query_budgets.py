"""Query budgets (as NetBox pins them): each VBA and Spry operation makes a fixed number of queries on each database.

An N+1, an extra existence check or a credential lookup that went back to the database fails here, naming the
operation, the database and the statements it sent. Queries are counted on every database alias at once
(:func:`queries_on_every_database`), since a request reads ``default`` (credentials, Spry) and a VBA database.

The budgets are those of a worker that has served the caller before (credentials known: config.vba.authentication)
unless the test says otherwise; a batch's budget depends on the engine's path per database vendor (SQLite reads the
existing keys and writes history by ``INSERT … SELECT``; PostgreSQL writes through ``COPY`` and one upsert).
Savepoints count: the test runs in a transaction, so each atomic block of a request is a savepoint here.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from authorizations.spry.services import spry_client_create
from config.vba.authentication import credentials
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import SpryApi, create_body, make_authorization, make_token
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL, VBAClient

pytestmark = pytest.mark.django_db(databases=ALL)


class Queries:
    """The queries captured on each database alias."""

    def __init__(self, contexts: dict[str, CaptureQueriesContext]) -> None:
        self.contexts = contexts

    def counts(self) -> dict[str, int]:
        return {alias: len(context.captured_queries) for alias, context in self.contexts.items() if len(context)}

    def statements(self) -> str:
        return "\n".join(
            f"  {alias}: {query['sql'][:160]}"
            for alias, context in self.contexts.items()
            for query in context.captured_queries
        )


@contextmanager
def queries_on_every_database() -> Iterator[Queries]:
    """pytest-django's ``django_assert_num_queries`` counts one connection; this counts them all."""
    contexts = {alias: CaptureQueriesContext(connections[alias]) for alias in connections}
    with ExitStack() as stack:
        for context in contexts.values():
            stack.enter_context(context)
        yield Queries(contexts)


@contextmanager
def budget(name: str, **expected: int) -> Iterator[None]:
    """The block makes exactly ``expected`` queries per alias (aliases not named: none)."""
    with queries_on_every_database() as queries:
        yield
    assert queries.counts() == expected, f"{name}: {queries.counts()} instead of {expected}\n{queries.statements()}"


def vendor() -> str:
    return str(connections["demo"].vendor)


def by_vendor(sqlite: int, postgresql: int) -> int:
    return {"sqlite": sqlite, "postgresql": postgresql}[vendor()]


@pytest.fixture
def vba(api_key: str, token: str) -> VBAClient:
    client = VBAClient(api_key, token)
    assert client.call("GET", "auths?pageSize=1").status_code == 200  # the worker now knows these credentials
    return client


@pytest.fixture
def records(vba: VBAClient) -> None:
    assert vba.call("PUT", "auths", [auth_item("Q1"), auth_item("Q2"), auth_item("Q3")]).status_code == 207
    assert vba.call("PUT", "care-plans-batch", [plan_item(1), plan_item(2)]).status_code == 207
    cases = [case_item(1, plan=1), case_item(2, plan=1), case_item(3, plan=2)]
    assert vba.call("PUT", "care-cases-batch", cases).status_code == 207


def answered(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:500]
    return response


# -- credentials ----------------------------------------------------------------------------------------------


def test_a_first_request_looks_the_credentials_up_once_and_the_next_ones_not_at_all(
    api_key: str, token: str, records: None
) -> None:
    credentials.clear()
    client = VBAClient(api_key, token)
    with budget("first GET /auths/Q1", default=3, demo=1):  # user, API client, grants; the record
        answered(client.call("GET", "auths/Q1"))
    with budget("next GET /auths/Q1", demo=1):
        answered(client.call("GET", "auths/Q1"))


# -- Auths ----------------------------------------------------------------------------------------------------


def test_get_one_auth_is_one_query(vba: VBAClient, records: None) -> None:
    with budget("GET /auths/{authNumber}", demo=1):
        answered(vba.call("GET", "auths/Q2"))
    with budget("GET /auths/{authNumber} (missing)", demo=1):
        answered(vba.call("GET", "auths/NOPE"), 404)


def test_a_list_page_is_one_query_once_its_count_is_known(vba: VBAClient, records: None) -> None:
    path = "auths?status=APPROVED&sortBy=received_Date:desc&pageSize=2"
    with budget("GET /auths (counted)", demo=2):
        answered(vba.call("GET", path))
    with budget("GET /auths (count reused)", demo=1):
        answered(vba.call("GET", path + "&page=2"))
    with budget("GET /auths (unfiltered, counted)", demo=2):
        answered(vba.call("GET", "auths?pageSize=50"))


def test_auth_writes(vba: VBAClient, records: None) -> None:
    items = [auth_item(f"B{n}") for n in range(100)]
    with budget("PUT /auths (100 new)", demo=by_vendor(sqlite=8, postgresql=9)):
        answered(vba.call("PUT", "auths", items), 207)
    with budget("PUT /auths (100 changed)", demo=by_vendor(sqlite=8, postgresql=9)):
        answered(vba.call("PUT", "auths", [{**item, "status": "CLOSED"} for item in items]), 207)
    with budget("POST /auths", demo=by_vendor(sqlite=11, postgresql=12)):
        answered(vba.call("POST", "auths", auth_item("C1")))
    with budget("PUT /auths/{authNumber}", demo=by_vendor(sqlite=15, postgresql=16)):
        answered(vba.call("PUT", "auths/C1", auth_item("C1", status="CLOSED")))
    # + 1: the count of its procedure lines and reviews (issue 22, decision 15: an Auth that has any is a 409)
    with budget("DELETE /auths/{authNumber}", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("DELETE", "auths/C1"), 204)


# -- care plans and cases -------------------------------------------------------------------------------------


def test_care_plan_operations(vba: VBAClient, records: None) -> None:
    with budget("GET /care-plans/{carePlanKey}", demo=1):
        answered(vba.call("GET", "care-plans/1"))
    with budget("GET /care-plans", demo=2):
        answered(vba.call("GET", "care-plans?sortBy=carePlan_Key:desc"))
    with budget("PUT /care-plans-batch", demo=by_vendor(sqlite=8, postgresql=9)):
        answered(vba.call("PUT", "care-plans-batch", [plan_item(k) for k in range(10, 20)]), 207)
    with budget("POST /care-plans", demo=by_vendor(sqlite=11, postgresql=12)):
        answered(vba.call("POST", "care-plans", plan_item(30)))
    with budget("PUT /care-plans/{carePlanKey}", demo=by_vendor(sqlite=15, postgresql=16)):
        answered(vba.call("PUT", "care-plans/30", plan_item(30, description="changed")))
    with budget("DELETE /care-plans/{carePlanKey}", demo=by_vendor(sqlite=11, postgresql=11)):
        answered(vba.call("DELETE", "care-plans/30"), 204)


def test_care_case_operations(vba: VBAClient, records: None) -> None:
    with budget("GET /care-plans/{carePlanKey}/cases/{caseKey}", demo=2):  # the plan, then the case
        answered(vba.call("GET", "care-plans/1/cases/2"))
    with budget("GET a case under another plan's path", demo=2):
        answered(vba.call("GET", "care-plans/2/cases/2"), 404)
    with budget("GET /care-plans/{carePlanKey}/cases", demo=3):
        answered(vba.call("GET", "care-plans/1/cases"))
    with budget("PUT /care-plans/{carePlanKey}/cases-batch", demo=by_vendor(sqlite=11, postgresql=12)):
        answered(vba.call("PUT", "care-plans/1/cases-batch", [case_item(k, plan=1) for k in range(10, 20)]), 207)
    with budget("PUT /care-cases-batch", demo=by_vendor(sqlite=9, postgresql=10)):
        answered(vba.call("PUT", "care-cases-batch", [case_item(k, plan=2) for k in range(20, 30)]), 207)
    with budget("POST /care-plans/{carePlanKey}/cases", demo=by_vendor(sqlite=14, postgresql=15)):
        answered(vba.call("POST", "care-plans/1/cases", case_item(40, plan=1)))
    with budget("PUT /care-plans/{carePlanKey}/cases/{caseKey}", demo=by_vendor(sqlite=18, postgresql=19)):
        answered(vba.call("PUT", "care-plans/1/cases/40", case_item(40, plan=1, case_Status="CLOSED")))
    # (+2 since issue 24: the count of the case's work log entries, and Django's check of its PROTECTed entries)
    with budget("DELETE /care-plans/{carePlanKey}/cases/{caseKey}", demo=by_vendor(sqlite=9, postgresql=9)):
        answered(vba.call("DELETE", "care-plans/1/cases/40"), 204)


# -- VBA login ------------------------------------------------------------------------------------------------


def test_login_and_refresh(api_key: str, user: Any) -> None:
    from rest_framework.test import APIClient as HttpClient

    basic = base64.b64encode(b"alice:alice-password").decode()
    headers: dict[str, Any] = {
        "HTTP_X_API_KEY": api_key,
        "HTTP_VBASOFTWARE_DATABASE": "demo",
        "HTTP_AUTHORIZATION": f"Basic {basic}",
    }
    with budget("POST /user-authentication", default=3):
        response = answered(HttpClient().post("/vbasoftware/user-authentication", **headers))
    refresh = response.json()["data"]["authenticationResult"]["refreshToken"]
    with budget("POST /user-refresh-tokens", default=5):
        path = "/vbasoftware/user-refresh-tokens"
        answered(HttpClient().post(path, HTTP_X_API_KEY=api_key, HTTP_REFRESH_TOKEN=refresh))


# -- Spry -----------------------------------------------------------------------------------------------------


@pytest.fixture
def spry(db: Any) -> SpryApi:
    application, _secret = spry_client_create(name="budget app", organisation_id=638, clinic_ids=[44])
    return SpryApi(make_token(application))


def test_spry_operations(spry: SpryApi) -> None:
    example = make_authorization(authorization_id="auth_budget1")
    make_authorization(authorization_id="auth_budget2")
    with budget("Spry GET one", default=5):
        answered(spry.call("GET", f"/{example.authorization_id}"))
    with budget("Spry GET by case", default=5):
        answered(spry.call("GET", f"?case_id={example.spry_case_id}"))
    with budget("Spry search", default=5):
        answered(spry.call("GET", "/search?patientName=john&organisationId=638"))
    with budget("Spry create", default=15):
        answered(spry.call("POST", "", create_body(authorization_reference_number="AUTH-B-9")))
    with budget("Spry update", default=15):
        answered(spry.call("POST", f"/{example.authorization_id}", {"authorized_visit_count": 30}))
    with budget("Spry delete", default=15):
        answered(spry.call("DELETE", f"/{example.authorization_id}"))


def test_spry_token(db: Any) -> None:
    from rest_framework.test import APIClient as HttpClient

    application, secret = spry_client_create(name="budget app", organisation_id=638, clinic_ids=[1])
    body = {"grant_type": "client_credentials", "client_id": application.client_id, "client_secret": secret}
    with budget("POST /apis/v2/oauth/token", default=7):
        answered(HttpClient().post("/apis/v2/oauth/token", body))
