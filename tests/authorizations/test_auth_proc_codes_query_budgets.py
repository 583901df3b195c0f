"""Query budgets of the procedure-line and review endpoints and of deleting an Auth (as in
tests/config/test_query_budgets.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.authorizations.factories import auth_item
from tests.config.test_query_budgets import answered, budget, by_vendor
from tests.conftest import ALL, VBAClient

pytestmark = pytest.mark.django_db(databases=ALL)


@pytest.fixture
def vba(api_key: str, token: str) -> VBAClient:
    client = VBAClient(api_key, token)
    assert client.call("GET", "auths?pageSize=1").status_code == 200  # the worker now knows these credentials
    assert client.call("PUT", "auths", [auth_item("Q1"), auth_item("Q2")]).status_code == 207
    return client


def line(key: int = 0, code: str = "99213") -> dict[str, Any]:
    return {"authProcCodes_Key": key, "auth_Number": "Q1", "exclude_Modifier_Match": False, "procedure_Code": code}


def test_procedure_line_operations(vba: VBAClient) -> None:
    with budget("POST …/procedure-codes-batch (10 new)", demo=by_vendor(sqlite=18, postgresql=19)):
        response = answered(vba.call("POST", "auths/Q1/procedure-codes-batch", [line() for _ in range(10)]), 207)
    keys = [int(r["id"][0]["value"]) for r in response.json()["data"]]
    with budget("POST …/procedure-codes", demo=by_vendor(sqlite=17, postgresql=18)):
        key = answered(vba.call("POST", "auths/Q1/procedure-codes", line())).json()["data"]["authProcCodes_Key"]
    with budget("GET …/procedure-codes (list)", demo=by_vendor(sqlite=3, postgresql=3)):
        answered(vba.call("GET", "auths/Q1/procedure-codes"))
    with budget("GET …/procedure-codes/{key}", demo=2):
        answered(vba.call("GET", f"auths/Q1/procedure-codes/{key}"))
    with budget("GET …/procedure-codes/{key} (unknown Auth)", demo=1):
        answered(vba.call("GET", f"auths/NOPE/procedure-codes/{key}"), 404)
    with budget("PUT …/procedure-codes/{key}", demo=by_vendor(sqlite=17, postgresql=18)):
        answered(vba.call("PUT", f"auths/Q1/procedure-codes/{key}", line(key, "99214")))
    with budget("DELETE …/procedure-codes/{key}", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("DELETE", f"auths/Q1/procedure-codes/{key}"), 204)
    with budget("DELETE /auths/{authNumber} (has lines: 409)", demo=by_vendor(sqlite=6, postgresql=6)):
        answered(vba.call("DELETE", "auths/Q1"), 409)
    with budget("DELETE …/procedure-codes-batch (10 keys)", demo=by_vendor(sqlite=24, postgresql=24)):
        answered(vba.call("DELETE", "auths/Q1/procedure-codes-batch", keys), 207)
    with budget("DELETE /auths/{authNumber} (no lines)", demo=by_vendor(sqlite=7, postgresql=7)):
        answered(vba.call("DELETE", "auths/Q2"), 204)


def review(key: int = 0, auth: str = "Q1") -> dict[str, Any]:
    return {"authReview_Key": key, "auth_Number": auth, "review_Level": "1"}


def test_review_operations(vba: VBAClient) -> None:
    with budget("PUT /auth-reviews-batch (10 new)", demo=by_vendor(sqlite=17, postgresql=18)):
        answered(vba.call("PUT", "auth-reviews-batch", [review() for _ in range(10)]), 207)
    with budget("POST /auth-reviews", demo=by_vendor(sqlite=16, postgresql=17)):
        key = answered(vba.call("POST", "auth-reviews", review())).json()["data"]["authReview_Key"]
    with budget("GET /auth-reviews?authNumber=Q1", demo=by_vendor(sqlite=2, postgresql=2)):
        answered(vba.call("GET", "auth-reviews?authNumber=Q1"))
    with budget("GET /auth-reviews/{authReviewKey}", demo=1):
        answered(vba.call("GET", f"auth-reviews/{key}"))
    with budget("PUT /auth-reviews/{authReviewKey}", demo=by_vendor(sqlite=16, postgresql=17)):
        answered(vba.call("PUT", f"auth-reviews/{key}", review(key, "Q2")))
    with budget("DELETE /auth-reviews/{authReviewKey}", demo=by_vendor(sqlite=6, postgresql=6)):
        answered(vba.call("DELETE", f"auth-reviews/{key}"), 204)
    with budget("DELETE /auths/{authNumber} (has reviews: 409)", demo=by_vendor(sqlite=6, postgresql=6)):
        answered(vba.call("DELETE", "auths/Q1"), 409)


def diagnosis(code: str, code_type: str = "ICD10") -> dict[str, Any]:
    return {
        "auth_Number": "Q1",
        "diagnostic_Code": code,
        "diagnostic_Code_Type": code_type,
        "disable_Provider_Match": False,
    }


def test_diagnosis_operations(vba: VBAClient) -> None:
    path = "auths/Q1/diagnostic-codes/E11.9/diagnostic-code-types/ICD10"
    with budget("PUT …/diagnostic-codes-batch (10 new)", demo=by_vendor(sqlite=10, postgresql=11)):
        answered(vba.call("PUT", "auths/Q1/diagnostic-codes-batch", [diagnosis(f"C{n}") for n in range(10)]), 207)
    with budget("PUT …/diagnostic-codes-batch (20: 10 changed, 10 new)", demo=by_vendor(sqlite=11, postgresql=11)):
        items = [diagnosis(f"C{n}", "ICD9" if n >= 10 else "ICD10") for n in range(20)]
        answered(vba.call("PUT", "auths/Q1/diagnostic-codes-batch", [{**i, "primary_Diag": "N"} for i in items]), 207)
    with budget("POST …/diagnostic-codes", demo=by_vendor(sqlite=13, postgresql=14)):
        answered(vba.call("POST", "auths/Q1/diagnostic-codes", diagnosis("E11.9")))
    with budget("GET …/diagnostic-codes (list)", demo=by_vendor(sqlite=3, postgresql=3)):
        answered(vba.call("GET", "auths/Q1/diagnostic-codes"))
    with budget("GET …/diagnostic-codes/{code} (its ICD versions)", demo=by_vendor(sqlite=3, postgresql=3)):
        answered(vba.call("GET", "auths/Q1/diagnostic-codes/C1"))
    with budget("GET …/diagnostic-codes/{code}/diagnostic-code-types/{type}", demo=2):
        answered(vba.call("GET", path))
    with budget("GET …/diagnostic-codes/{code}/… (unknown Auth)", demo=1):
        answered(vba.call("GET", path.replace("Q1", "NOPE")), 404)
    with budget("PUT …/diagnostic-codes/{code}/diagnostic-code-types/{type}", demo=by_vendor(sqlite=17, postgresql=18)):
        answered(vba.call("PUT", path, {**diagnosis("E11.9"), "primary_Diag": "Y"}))
    with budget(
        "DELETE …/diagnostic-codes/{code}/diagnostic-code-types/{type}", demo=by_vendor(sqlite=7, postgresql=7)
    ):
        answered(vba.call("DELETE", path), 204)
    with budget("DELETE /auths/{authNumber} (has diagnoses: 409)", demo=by_vendor(sqlite=6, postgresql=6)):
        answered(vba.call("DELETE", "auths/Q1"), 409)


def test_adjust(vba: VBAClient) -> None:
    answered(vba.call("PUT", "auths/Q1/diagnostic-codes-batch", [diagnosis(f"C{n}") for n in range(10)]), 207)
    answered(vba.call("POST", "auths/Q1/procedure-codes-batch", [line() for _ in range(10)]), 207)
    body = {"auth_Number": "Q1", "recalcIBNR": False, "copyProcCodes": True, "copyDiagCodes": True}
    with budget("POST /auths/{authNumber}/adjust (10 lines, 10 diagnoses)", demo=by_vendor(sqlite=40, postgresql=42)):
        answered(vba.call("POST", "auths/Q1/adjust", body))
