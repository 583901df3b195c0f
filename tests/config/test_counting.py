"""The x-pagination header of a VBA list: exact up to EXACT_UP_TO records; beyond it, on PostgreSQL, the planner's
estimate, said to be one (``"TotalCountIsEstimate": true``); SQLite counts exactly whatever the size."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connections

from config.records import counting
from tests.authorizations.factories import auth_item
from tests.conftest import VBAClient

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def fifteen(vba: VBAClient) -> None:
    items = [auth_item(f"C{n:03d}", status="APPROVED" if n % 3 else "DENIED") for n in range(15)]
    assert vba.call("PUT", "auths", items).status_code == 207
    with connections["demo"].cursor() as cursor:
        cursor.execute('ANALYZE "Auth"')


def pagination(vba: VBAClient, query: str) -> dict[str, Any]:
    response = vba.call("GET", f"auths?{query}")
    assert response.status_code == 200
    return json.loads(response["x-pagination"])  # type: ignore[no-any-return]


def test_lists_up_to_the_bound_are_counted_exactly(vba: VBAClient, fifteen: None) -> None:
    assert pagination(vba, "pageSize=4") == {"TotalCount": 15, "TotalPages": 4, "CurrentPage": 1, "PageSize": 4}
    assert pagination(vba, "status=DENIED") == {"TotalCount": 5, "TotalPages": 1, "CurrentPage": 1, "PageSize": 100}


def test_a_longer_list_is_estimated_on_postgresql_and_says_so(vba: VBAClient, fifteen: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(counting, "EXACT_UP_TO", 4)
    whole, approved, denied = (
        pagination(vba, "pageSize=4"),
        pagination(vba, "status=APPROVED"),
        pagination(vba, "status=DENIED&pageSize=2"),
    )
    if connections["demo"].vendor == "postgresql":
        assert whole["TotalCountIsEstimate"] is True and whole["TotalCount"] >= 5
        assert whole["TotalPages"] == -(-whole["TotalCount"] // 4)
        assert approved["TotalCountIsEstimate"] is True and 5 <= approved["TotalCount"] <= 15
        assert denied["TotalCountIsEstimate"] is True and denied["TotalCount"] >= 5
    else:
        assert whole == {"TotalCount": 15, "TotalPages": 4, "CurrentPage": 1, "PageSize": 4}
        assert approved == {"TotalCount": 10, "TotalPages": 1, "CurrentPage": 1, "PageSize": 100}
        assert denied == {"TotalCount": 5, "TotalPages": 3, "CurrentPage": 1, "PageSize": 2}
    assert pagination(vba, "status=DENIED&urgent=true") == {
        "TotalCount": 0,
        "TotalPages": 0,
        "CurrentPage": 1,
        "PageSize": 100,
    }
