"""Shared fixtures: users, API clients and tokens, and a VBA API client that sends the right headers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient as HttpClient

from config.api.models import APIClient, DatabaseGrant
from config.serving.tenancy import use_vba_database
from config.vba.authentication import issue_tokens

ALL = "__all__"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    on_postgres = connections["default"].vendor == "postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass)"))


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if os.environ.get("VBAPI_FORBID_SKIPS"):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
        if skipped:
            reporter.write_line(f"VBAPI_FORBID_SKIPS: {skipped} test(s) skipped on PostgreSQL; none may skip.")
            session.exitstatus = 1


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Every test starts with empty rate-limit buckets (the login throttle counts per source address, and every test
    request comes from 127.0.0.1)."""
    cache.clear()


@pytest.fixture
def user(db: Any) -> Any:
    """A regular (non-superuser) user granted the ``demo`` database only."""
    account = get_user_model().objects.create_user("alice", password="alice-password")
    DatabaseGrant.objects.create(user=account, database="demo")
    return account


@pytest.fixture
def api_key(db: Any) -> str:
    _client, key = APIClient.objects.create_key(name="test client", databases=["demo", "other"])
    return key


@pytest.fixture
def token(user: Any) -> str:
    return issue_tokens(user, "demo")["authenticationResult"]["idToken"]


class VBAClient(HttpClient):
    """Django's test client sending JSON with the VBA headers of one user, key and database."""

    def __init__(self, api_key: str, token: str, database: str = "demo") -> None:
        super().__init__()
        self.headers_ = {"HTTP_X_API_KEY": api_key, "HTTP_AUTHORIZATION": f"Bearer {token}"}
        if database:
            self.headers_["HTTP_VBASOFTWARE_DATABASE"] = database

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**self.headers_, **extra}
        if body is not None:
            kwargs["data"] = body
            kwargs["format"] = "json"
        return getattr(self, method.lower())(f"/vbasoftware/{path.lstrip('/')}", **kwargs)


@pytest.fixture
def vba(api_key: str, token: str) -> VBAClient:
    return VBAClient(api_key, token)


@pytest.fixture(scope="session")
def clients(live_server: Any, django_db_blocker: Any) -> dict[str, ModuleType]:
    """The clients generated from VBA's review document and from ours (tests/review_clients.py), once a session."""
    from tests.review_clients import build_clients

    return build_clients(live_server.url, django_db_blocker)


@pytest.fixture
def in_demo() -> Iterator[str]:
    with use_vba_database("demo") as alias:
        yield alias


def assert_problem(response: Any, status: int, detail: str | None = None) -> dict[str, Any]:
    """The response is VBA's error envelope with ``status`` (and ``detail`` contained in its detail)."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"data", "error", "debug"}
    assert body["data"] is None
    assert body["error"]["status"] == status
    assert body["error"]["type"] == f"https://httpstatuses.com/{status}"
    assert body["error"]["instance"] == response.wsgi_request.path
    assert body["debug"]["activityID"] == response["x-activity-id"]
    if detail is not None:
        assert detail in body["error"]["detail"]
    return body["error"]
