"""Spry's dates in a server zone that is not UTC (America/New_York): a naive date is read in that zone and every date
is rendered in it, without an offset; ``created_date`` is the same instant as ``created_at`` in UTC with ``Z``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from authorizations.models import Authorization
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import SpryApi, create_body, ok

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def in_new_york(settings: Any) -> None:
    settings.TIME_ZONE = NEW_YORK


def test_dates_are_read_and_rendered_in_the_servers_zone(api: SpryApi) -> None:
    body = create_body(
        plan_start_date="2026-01-15T00:00:00",  # naive: New York time (EST, UTC-5)
        plan_end_date="2026-07-01T12:00:00Z",  # UTC: 08:00 in New York (EDT, UTC-4)
        effective_start_date="2026-04-01T09:30:00-07:00",  # 12:30 in New York
        effective_end_date="2026-11-01T01:30:00",  # the ambiguous hour of the autumn change, read as EDT
    )
    with time_machine.travel(dt.datetime(2026, 1, 10, 15, 0, tzinfo=dt.UTC), tick=False):
        data = ok(api.call("POST", "", body))
    assert (data["plan_start_date"], data["plan_end_date"]) == ("2026-01-15T00:00:00", "2026-07-01T08:00:00")
    assert (data["effective_start_date"], data["effective_end_date"]) == ("2026-04-01T12:30:00", "2026-11-01T01:30:00")
    assert (data["created_at"], data["updated_at"]) == ("2026-01-10T10:00:00", "2026-01-10T10:00:00")
    assert data["created_date"] == "2026-01-10T15:00:00Z"
    stored = Authorization.objects.get(pk=data["authorization_id"])
    assert stored.plan_start_date == dt.datetime(2026, 1, 15, 5, 0, tzinfo=dt.UTC)
    assert stored.plan_end_date == dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    assert ok(api.call("GET", f"/{stored.pk}")) == data


def test_an_update_in_summer_is_rendered_in_daylight_time(api: SpryApi) -> None:
    with time_machine.travel(dt.datetime(2026, 1, 10, 15, 0, tzinfo=dt.UTC), tick=False):
        created = ok(api.call("POST", "", create_body()))
    with time_machine.travel(dt.datetime(2026, 7, 4, 16, 0, tzinfo=dt.UTC), tick=False):
        updated = ok(api.call("POST", f"/{created['authorization_id']}", {"comments": "summer"}))
    assert (updated["created_at"], updated["updated_at"]) == ("2026-01-10T10:00:00", "2026-07-04T12:00:00")
    assert updated["created_date"] == "2026-01-10T15:00:00Z"
