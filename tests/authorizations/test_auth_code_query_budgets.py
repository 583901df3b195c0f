"""Query budgets of the decision-code endpoints and of process-status (as tests/config/test_query_budgets.py)."""

from __future__ import annotations

import pytest

from tests.authorizations.factories import auth_item
from tests.config.test_query_budgets import answered, budget, by_vendor
from tests.conftest import ALL, VBAClient

pytestmark = pytest.mark.django_db(databases=ALL)


@pytest.fixture
def vba(api_key: str, token: str) -> VBAClient:
    client = VBAClient(api_key, token)
    assert client.call("GET", "auths?pageSize=1").status_code == 200  # the worker now knows these credentials
    assert client.call("PUT", "auths", [auth_item("Q1")]).status_code == 207
    return client


def code(key: str, action: str | None = "A", description: str = "Approved") -> dict[str, str | None]:
    return {"auth_Code": key, "auth_Action": action, "description": description}


def test_auth_code_operations(vba: VBAClient) -> None:
    with budget("PUT /auth-codes-batch (10 new)", demo=by_vendor(sqlite=8, postgresql=9)):
        answered(vba.call("PUT", "auth-codes-batch", [code(f"K{n}") for n in range(10)]), 207)
    with budget("PUT /auth-codes-batch (10 changed)", demo=by_vendor(sqlite=8, postgresql=9)):
        answered(vba.call("PUT", "auth-codes-batch", [code(f"K{n}", "D") for n in range(10)]), 207)
    with budget("POST /auth-codes", demo=by_vendor(sqlite=11, postgresql=12)):
        answered(vba.call("POST", "auth-codes", code("C1")))
    with budget("GET /auth-codes/{authCode}", demo=1):
        answered(vba.call("GET", "auth-codes/C1"))
    with budget("GET /auth-codes/{authCode} (missing)", demo=1):
        answered(vba.call("GET", "auth-codes/NOPE"), 404)
    with budget("PUT /auth-codes/{authCode}", demo=by_vendor(sqlite=15, postgresql=16)):
        answered(vba.call("PUT", "auth-codes/C1", code("C1", "P", "Pended")))
    # +1: whether Auths are decided with the code (a code in use is not deleted)
    with budget("DELETE /auth-codes/{authCode}", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("DELETE", "auth-codes/C1"), 204)
    with budget("GET /auth-actions"):
        answered(vba.call("GET", "auth-actions"))


def test_process_status(vba: VBAClient) -> None:
    answered(vba.call("POST", "auth-codes", code("CA")))
    # +1 each: the code is locked FOR KEY SHARE (PostgreSQL) so that it cannot be deleted before the decision commits
    with budget("POST /auths/{authNumber}/process-status/{newAuthCode}", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("POST", "auths/Q1/process-status/CA"))
    with budget("POST …/process-status (the same decision again)", demo=by_vendor(sqlite=5, postgresql=5)):
        answered(vba.call("POST", "auths/Q1/process-status/CA"))
    with budget("POST …/process-status (unknown Auth)", demo=by_vendor(sqlite=4, postgresql=4)):
        answered(vba.call("POST", "auths/NOPE/process-status/CA"), 404)
