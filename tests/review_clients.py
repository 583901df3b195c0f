"""Python clients generated from VBA's review document (``vba-openapi-review.json``) and from our ``/api/schema/``
(OpenAPI Generator, built and cached as tests/config/test_generated_clients.py does), shared by the tests that drive
the review operations through them: the session fixture ``clients`` (tests/conftest.py) and :func:`review_api`."""

from __future__ import annotations

import urllib.request
from types import ModuleType
from typing import Any

from config.vba.authentication import issue_tokens
from tests import contracts

PACKAGES = {"review": "review_client", "ours": "our_client"}


def build_clients(server_url: str, django_db_blocker: Any) -> dict[str, ModuleType]:
    """The generated package of each document, imported: ``{"review": …, "ours": …}``."""
    from tests.config.test_generated_clients import generate, load

    request = urllib.request.Request(f"{server_url}/api/schema/", headers={"Accept": "application/json"})
    with django_db_blocker.unblock(), urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        ours = response.read()
    documents = {"review": contracts.read_bytes("vba-openapi-review.json"), "ours": ours}
    return {name: load(generate(documents[name], PACKAGES[name]), PACKAGES[name]) for name in PACKAGES}


def review_api(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str
) -> tuple[ModuleType, Any, str]:
    """The generated package of ``document``, its ``DefaultApi`` (each call's HTTP status checked: ``CheckedApi``)
    logged in as ``user`` to ``demo``, and the user's token."""
    from tests.config.test_generated_clients import CheckedApi

    m = clients[document]
    host = f"{live_server.url}/vbasoftware" if document == "review" else live_server.url
    config = m.Configuration(host=host)
    config.api_key["apiKeyAuth"] = api_key
    config.access_token = issue_tokens(user, "demo")["authenticationResult"]["idToken"]
    return m, CheckedApi(m.DefaultApi(m.ApiClient(config))), config.access_token
