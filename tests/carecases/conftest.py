"""Fixtures of the care-plan/case tests: a user granted both VBA databases, clients for each, and item builders."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from config.api.models import DatabaseGrant
from config.vba.authentication import issue_tokens
from tests.conftest import VBAClient


def plan_item(key: int = 1, **fields: Any) -> dict[str, Any]:
    return {"carePlan_Key": key, **fields}


def case_item(key: int = 1, plan: int = 1, **fields: Any) -> dict[str, Any]:
    return {"case_Key": key, "carePlan_Key": plan, "do_Not_Contact": False, **fields}


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Each test starts with a full rate-limit bucket (API client ids repeat across tests)."""
    cache.clear()


@pytest.fixture
def nurse(db: Any) -> Any:
    """A regular user granted both VBA databases (``demo`` and ``other``)."""
    account = get_user_model().objects.create_user("nurse", password="nurse-password")
    for database in ("demo", "other"):
        DatabaseGrant.objects.create(user=account, database=database)
    return account


def client_for(api_key: str, user: Any, database: str) -> VBAClient:
    return VBAClient(api_key, issue_tokens(user, database)["authenticationResult"]["idToken"], database)


@pytest.fixture
def demo(api_key: str, nurse: Any) -> VBAClient:
    return client_for(api_key, nurse, "demo")


@pytest.fixture
def other(api_key: str, nurse: Any) -> VBAClient:
    return client_for(api_key, nurse, "other")


@pytest.fixture
def plan(demo: VBAClient) -> int:
    """Care plan 1 in ``demo``."""
    response = demo.call("POST", "care-plans", plan_item(1, care_Type="DIABETES", description="Diabetes program"))
    assert response.status_code == 200, response.json()
    return 1


@pytest.fixture
def staff(admin_user: Any) -> Client:
    """The admin's browser-less client, logged in as a superuser."""
    client = Client()
    client.force_login(admin_user)
    return client
