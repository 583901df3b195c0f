"""VBA security: x-api-key + Bearer idToken, user-authentication, user-refresh-tokens, API client command."""

import base64
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import override_settings
from rest_framework.test import APIClient as HttpClient
from rest_framework_simplejwt.tokens import AccessToken

from authorizations.models import Auth
from config.api.models import APIClient
from config.serving.tenancy import use_vba_database
from config.vba.authentication import DATABASE_CLAIM
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def login(api_key: str | None, username: str = "alice", password: str = "alice-password", db: str = "demo") -> Any:
    headers: dict[str, Any] = {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    }
    if api_key:
        headers["HTTP_X_API_KEY"] = api_key
    if db:
        headers["HTTP_VBASOFTWARE_DATABASE"] = db
    return HttpClient().post("/vbasoftware/user-authentication", **headers)


def test_user_authentication_returns_tokens_that_open_the_data_endpoints(user: Any, api_key: str) -> None:
    response = login(api_key)
    assert response.status_code == 200
    body = response.json()
    assert body["error"] is None and body["debug"]["activityID"]
    result = body["data"]["authenticationResult"]
    assert set(result) == {"idToken", "accessToken", "refreshToken", "expiresIn"}  # VBA's AuthenticationResult
    assert result["expiresIn"] == 24 * 3600
    assert AccessToken(result["idToken"])[DATABASE_CLAIM] == "demo"  # type: ignore[arg-type]
    client = VBAClient(api_key, result["idToken"])
    assert client.call("PUT", "auths", [auth_item("T1")]).status_code == 207


@pytest.mark.parametrize(
    ("kwargs", "status", "detail"),
    [
        ({"password": "wrong"}, 401, "Invalid username or password"),
        ({"username": "nobody"}, 401, "Invalid username or password"),
        ({"db": ""}, 400, "vbasoftware-database header is required"),
        ({"db": "nowhere"}, 403, "Unknown or unauthorized database"),
        ({"db": "other"}, 403, "Unknown or unauthorized database"),
    ],
)
def test_user_authentication_failures(
    user: Any, api_key: str, kwargs: dict[str, str], status: int, detail: str
) -> None:
    assert_problem(login(api_key, **kwargs), status, detail)


def test_user_authentication_needs_an_api_key_and_basic_credentials(user: Any, api_key: str) -> None:
    assert_problem(login(None), 401, "x-api-key header is required")
    assert_problem(login("nope.nope"), 401, "Invalid or revoked API key")
    no_basic = HttpClient().post(
        "/vbasoftware/user-authentication", HTTP_X_API_KEY=api_key, HTTP_VBASOFTWARE_DATABASE="demo"
    )
    assert_problem(no_basic, 401, "HTTP Basic credentials")
    assert no_basic["WWW-Authenticate"].startswith("Basic")


def test_a_revoked_api_key_is_refused(user: Any, api_key: str, token: str) -> None:
    APIClient.objects.update(revoked=True)
    assert_problem(VBAClient(api_key, token).call("GET", "auths"), 401, "Invalid or revoked API key")


def test_data_endpoints_need_both_credentials(api_key: str, token: str) -> None:
    assert_problem(VBAClient(api_key, "").call("GET", "auths"), 401)
    no_token = HttpClient().get("/vbasoftware/auths", HTTP_X_API_KEY=api_key, HTTP_VBASOFTWARE_DATABASE="demo")
    assert_problem(no_token, 401, "Authorization: Bearer <idToken> header is required")
    assert no_token["WWW-Authenticate"].startswith("Bearer")
    no_key = HttpClient().get(
        "/vbasoftware/auths", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_VBASOFTWARE_DATABASE="demo"
    )
    assert_problem(no_key, 401, "x-api-key header is required")


def test_authentication_is_checked_before_the_database_header_and_the_body(api_key: str) -> None:
    response = HttpClient().put("/vbasoftware/auths", data="not json", content_type="application/json")
    assert_problem(response, 401)


def test_an_invalid_or_expired_token_is_a_401_and_writes_nothing(user: Any, api_key: str, token: str) -> None:
    bad = assert_problem(VBAClient(api_key, token[:-3] + "abc").call("PUT", "auths", [auth_item("1")]), 401)
    assert bad["detail"] == "The idToken is invalid or expired (token is invalid); sign in again"
    expired = AccessToken.for_user(user)
    expired[DATABASE_CLAIM] = "demo"
    expired.set_exp(lifetime=-timedelta(seconds=1))
    late = assert_problem(VBAClient(api_key, str(expired)).call("PUT", "auths", [auth_item("1")]), 401)
    assert late["detail"] == "The idToken is invalid or expired (token is expired); sign in again"
    with use_vba_database("demo"):
        assert Auth.objects.count() == 0


def refresh(api_key: str, refresh_token: str, expired_id: str | None = None, db: str | None = "demo") -> Any:
    headers: dict[str, Any] = {"HTTP_X_API_KEY": api_key, "HTTP_REFRESH_TOKEN": refresh_token}
    if expired_id:
        headers["HTTP_EXPIRED_ID_TOKEN"] = expired_id
    if db:
        headers["HTTP_VBASOFTWARE_DATABASE"] = db
    return HttpClient().post("/vbasoftware/user-refresh-tokens", **headers)


def test_user_refresh_tokens_issues_new_tokens_for_the_same_database(user: Any, api_key: str) -> None:
    first = login(api_key).json()["data"]["authenticationResult"]
    response = refresh(api_key, first["refreshToken"], first["idToken"])
    assert response.status_code == 200
    renewed = response.json()["data"]["authenticationResult"]
    assert AccessToken(renewed["idToken"])[DATABASE_CLAIM] == "demo"  # type: ignore[arg-type]
    assert VBAClient(api_key, renewed["idToken"]).call("GET", "auths").status_code == 200


def test_user_refresh_tokens_refuses_bad_tokens_and_another_database(user: Any, api_key: str) -> None:
    first = login(api_key).json()["data"]["authenticationResult"]
    assert_problem(refresh(api_key, "garbage"), 401, "Invalid or expired refresh token")
    assert_problem(refresh(api_key, first["idToken"]), 401, "Invalid or expired refresh token")
    assert_problem(refresh(api_key, first["refreshToken"], db="other"), 403, "Unknown or unauthorized database")
    assert_problem(refresh(api_key, ""), 401, "refresh-token header is required")


def test_refresh_without_the_database_header_uses_the_tokens_database(user: Any, api_key: str) -> None:
    first = login(api_key).json()["data"]["authenticationResult"]
    response = refresh(api_key, first["refreshToken"], first["idToken"], db=None)
    assert response.status_code == 200, response.json()
    renewed = response.json()["data"]["authenticationResult"]
    assert AccessToken(renewed["idToken"])[DATABASE_CLAIM] == "demo"  # type: ignore[arg-type]
    assert VBAClient(api_key, renewed["idToken"]).call("GET", "auths").status_code == 200


def test_a_refresh_token_is_good_for_one_refresh_and_the_new_one_for_the_next(user: Any, api_key: str) -> None:
    first = login(api_key).json()["data"]["authenticationResult"]
    second = refresh(api_key, first["refreshToken"]).json()["data"]["authenticationResult"]
    assert second["refreshToken"] != first["refreshToken"]
    assert_problem(
        refresh(api_key, first["refreshToken"]),
        401,
        "This refresh token was already used; use the one the last refresh returned, or sign in again",
    )
    third = refresh(api_key, second["refreshToken"])
    assert third.status_code == 200
    assert_problem(refresh(api_key, second["refreshToken"]), 401, "already used")
    # a refused refresh (another database) does not use the token up
    newest = third.json()["data"]["authenticationResult"]["refreshToken"]
    assert_problem(refresh(api_key, newest, db="other"), 403)
    assert refresh(api_key, newest).status_code == 200


def test_create_api_client_prints_a_key_once_that_works(user: Any, token: str) -> None:
    out = io.StringIO()
    call_command("create_api_client", "partner", "--database", "demo", "--database", "other", stdout=out)
    key = next(line.split(": ", 1)[1] for line in out.getvalue().splitlines() if line.startswith("x-api-key: "))
    client = APIClient.objects.get(name="partner")
    assert client.databases == ["demo", "other"] and key not in client.hashed_key
    assert VBAClient(key, token).call("GET", "auths").status_code == 200


def test_create_api_client_refuses_an_unknown_database(db: Any) -> None:
    with pytest.raises(CommandError, match="Unknown VBA database"):
        call_command("create_api_client", "partner", "--database", "nowhere")


@override_settings(VBA_RATE_LIMIT_PER_SECOND=0.001, VBA_RATE_LIMIT_BURST=3)
def test_a_client_over_its_rate_limit_gets_429_with_retry_after(api_key: str, token: str) -> None:
    client = VBAClient(api_key, token)
    assert [client.call("GET", "auths").status_code for _ in range(3)] == [200, 200, 200]
    response = client.call("GET", "auths")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
