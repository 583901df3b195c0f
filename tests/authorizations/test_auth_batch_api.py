from typing import Any

import pytest

from authorizations.models import Auth
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)


def auth_item(number: str | None = "1001", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "closed": False,
        "new_Or_Extended": False,
        "previous_Treatment": False,
        "tPlan_DownLoaded": False,
        "urgent": False,
        "tPlan_Printed": "N",
        **fields,
    }
    if number is not None:
        item["auth_Number"] = number
    return item


def test_batch_creates_then_updates_with_one_result_per_item_in_order(vba: Any, in_demo: str) -> None:
    response = vba.call("PUT", "auths", [auth_item("A1"), auth_item("A2", status="APPROVED")])
    assert response.status_code == 207
    body = response.json()
    assert body["error"] is None
    assert body["data"] == [
        {"id": [{"key": "auth_Number", "value": "A1"}], "status": 201, "body": "Created"},
        {"id": [{"key": "auth_Number", "value": "A2"}], "status": 201, "body": "Created"},
    ]
    response = vba.call("PUT", "auths", [auth_item("A2", status="DENIED")])
    assert response.json()["data"][0]["status"] == 200
    assert Auth.objects.get(pk="A2").status == "DENIED"
