"""decisions.md 12 with the settings left at their defaults: 1,000 items and 10 MB per request, 25 requests/s
sustained and a burst of 50 per API key."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine

from authorizations.models import Auth
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def test_a_batch_of_1001_items_is_a_413_and_writes_nothing(vba: VBAClient, in_demo: str) -> None:
    response = vba.call("PUT", "auths", [auth_item(str(n)) for n in range(1001)])
    assert_problem(response, 413, "The batch has 1001 items; at most 1000 are allowed per request.")
    assert Auth.objects.count() == 0


def test_a_batch_of_1000_items_is_accepted(vba: VBAClient, in_demo: str) -> None:
    response = vba.call("PUT", "auths", [auth_item(str(n)) for n in range(1000)])
    assert response.status_code == 207
    assert [item["status"] for item in response.json()["data"]] == [201] * 1000


def test_a_body_over_10_mb_is_a_413(vba: VBAClient, in_demo: str) -> None:
    body = '[{"auth_Number": "BIG", "notes": "' + "x" * (10 * 1024 * 1024) + '"}]'
    response = vba.call("PUT", "auths", data=body, content_type="application/json")
    assert_problem(response, 413, "Request body exceeds the limit of 10485760 bytes.")
    assert Auth.objects.count() == 0


def test_a_key_gets_a_burst_of_50_then_25_requests_a_second(vba: VBAClient) -> None:
    with time_machine.travel(time.time(), tick=False) as clock:
        burst = [vba.call("GET", "auths").status_code for _ in range(51)]
        assert burst == [200] * 50 + [429]
        clock.shift(1.0)  # one second refills 25 tokens
        refill = [vba.call("GET", "auths").status_code for _ in range(26)]
        assert refill == [200] * 25 + [429]
        refused: Any = vba.call("GET", "auths")
        assert_problem(refused, 429)
        assert refused["Retry-After"] == "1"
