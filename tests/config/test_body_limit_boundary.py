"""The body limits at their edge, on every path family with the shipped limits: a body of exactly the limit goes on to
the view (whatever the view then answers), one byte more is a 413 in the path's envelope, refused from
``Content-Length`` alone without reading the body."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.config.test_hostile_input import UnreadableBody

pytestmark = pytest.mark.django_db(databases="__all__")

KIB = 1024
#: (method, path, content type, the shipped limit, what a body of exactly the limit is answered without credentials)
FAMILIES = [
    ("PUT", "/vbasoftware/auths", "application/json", 10 * KIB * KIB, 401),
    ("POST", "/apis/soap-enrichment/v1/authorization", "application/json", KIB * KIB, 401),
    ("POST", "/vbasoftware/user-authentication", "application/json", 16 * KIB, 401),
    ("POST", "/vbasoftware/user-refresh-tokens", "application/json", 16 * KIB, 401),
    ("POST", "/apis/v2/oauth/token", "application/x-www-form-urlencoded", 16 * KIB, 401),
    ("POST", "/admin/login/", "application/x-www-form-urlencoded", 2560 * KIB, 200),  # the form, "Error: Log in"
]
IDS = [path for _, path, *_ in FAMILIES]


def body_of(length: int, content_type: str) -> bytes:
    """A well-formed body of exactly ``length`` bytes."""
    if content_type == "application/json":
        return b"[" + b" " * (length - 2) + b"]"
    lead = b"grant_type=client_credentials&pad="
    return lead + b"x" * (length - len(lead))


@pytest.mark.parametrize("method, path, content_type, limit, answer", FAMILIES, ids=IDS)
def test_a_body_of_exactly_the_limit_is_accepted(
    method: str, path: str, content_type: str, limit: int, answer: int
) -> None:
    body = body_of(limit, content_type)
    assert len(body) == limit
    response = Client().generic(method, path, body, content_type=content_type)
    assert response.status_code == answer, response.content[:300]


@pytest.mark.parametrize("method, path, content_type, limit, answer", FAMILIES, ids=IDS)
def test_one_byte_over_the_limit_is_413_and_never_read(
    method: str, path: str, content_type: str, limit: int, answer: int
) -> None:
    extra: dict[str, Any] = {"CONTENT_LENGTH": str(limit + 1), "wsgi.input": UnreadableBody()}
    response = Client().generic(method, path, b"", content_type=content_type, **extra)
    assert response.status_code == 413
    message = f"Request body exceeds the limit of {limit} bytes."
    if path.startswith("/vbasoftware/"):
        assert response.json()["error"]["detail"] == message
    elif path.startswith("/apis/"):
        assert response.json() == {"code": 4013, "data": None, "message": message}
    else:
        assert response.content == message.encode()
