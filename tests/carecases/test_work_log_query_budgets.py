"""Query budgets of a care case's work-log endpoints and of deleting a case (as in tests/config/test_query_budgets.py
and tests/authorizations/test_auth_proc_codes_query_budgets.py): a fixed count per operation, whatever the batch's
size or the case's number of entries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.carecases.conftest import case_item, plan_item
from tests.config.test_query_budgets import answered, budget, by_vendor
from tests.conftest import ALL, VBAClient

pytestmark = pytest.mark.django_db(databases=ALL)


@pytest.fixture
def vba(api_key: str, token: str) -> VBAClient:
    client = VBAClient(api_key, token)
    assert client.call("GET", "care-plans?pageSize=1").status_code == 200  # the worker now knows these credentials
    assert client.call("PUT", "care-plans-batch", [plan_item(1)]).status_code == 207
    assert client.call("PUT", "care-plans/1/cases-batch", [case_item(1), case_item(2)]).status_code == 207
    return client


def entry(key: int = 0, case: int = 1, **fields: Any) -> dict[str, Any]:
    return {"careCaseWorkLog_Key": key, "case_Key": case, "workLog_Billable": False, "workLog_Type": "CALL", **fields}


def test_work_log_operations(vba: VBAClient) -> None:
    # the first key assigned creates the table's key sequence (4 queries more than any later batch)
    with budget("PUT …/work-logs-batch (10 new, first keys)", demo=by_vendor(sqlite=19, postgresql=20)):
        answered(vba.call("PUT", "cases/1/work-logs-batch", [entry() for _ in range(10)]), 207)
    with budget("PUT …/work-logs-batch (20 new)", demo=by_vendor(sqlite=15, postgresql=16)):
        answered(vba.call("PUT", "cases/1/work-logs-batch", [entry() for _ in range(20)]), 207)
    with budget("POST …/work-logs", demo=by_vendor(sqlite=18, postgresql=19)):
        key = answered(vba.call("POST", "cases/1/work-logs", entry())).json()["data"]["careCaseWorkLog_Key"]
    with budget("GET …/work-logs (list)", demo=by_vendor(sqlite=3, postgresql=3)):
        answered(vba.call("GET", "cases/1/work-logs?sortBy=workLog_Date:desc"))
    with budget("GET …/work-logs/{key}", demo=2):
        answered(vba.call("GET", f"cases/1/work-logs/{key}"))
    with budget("GET …/work-logs/{key} (unknown case)", demo=1):
        answered(vba.call("GET", f"cases/9/work-logs/{key}"), 404)
    with budget("PUT …/work-logs/{key}", demo=by_vendor(sqlite=18, postgresql=19)):
        answered(vba.call("PUT", f"cases/1/work-logs/{key}", entry(key, workLog_Comment="changed")))
    with budget("DELETE …/work-logs/{key}", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("DELETE", f"cases/1/work-logs/{key}"), 204)
    with budget("DELETE /care-plans/1/cases/{caseKey} (has entries: 409)", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("DELETE", "care-plans/1/cases/1"), 409)
    with budget("DELETE /care-plans/1/cases/{caseKey} (no entries)", demo=by_vendor(sqlite=9, postgresql=9)):
        answered(vba.call("DELETE", "care-plans/1/cases/2"), 204)
