"""Hostile input (issue 9): every bad request gets a 4xx in the envelope of its API, and the databases are unchanged.

Each case states the status, the envelope and that nothing was written. Oversized bodies are refused from
``Content-Length`` alone: the request's body stream fails the test if anything reads it.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings

from authorizations.models import Auth, Authorization
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import BASE, TOKEN_URL, SpryApi, create_body, failed
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

SPRY_HISTORY = Authorization.history.model  # type: ignore[attr-defined]


class UnreadableBody:
    """A WSGI input stream that fails the test when read: proves a limit was applied before parsing."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the request body was read")

    readline = read


def unread(method: str, path: str, content_type: str, length: str = "209715200") -> Any:
    """A request announcing ``length`` bytes of body whose body must never be read."""
    extra: dict[str, Any] = {"CONTENT_LENGTH": length, "wsgi.input": UnreadableBody()}
    return Client().generic(method, path, b"", content_type=content_type, **extra)


def snapshot() -> dict[str, int]:
    from config.serving.tenancy import use_vba_database

    counts = {"spry": Authorization.objects.count(), "spry_history": SPRY_HISTORY.objects.count()}
    for alias in ("demo", "other"):
        with use_vba_database(alias):
            counts[f"auths_{alias}"] = Auth.objects.count()
            counts[f"auth_history_{alias}"] = Auth.history.count()  # type: ignore[attr-defined]
    return counts


@pytest.fixture
def unchanged(db: Any) -> Any:
    before = snapshot()
    yield
    assert snapshot() == before


def spry_envelope(response: Any, code: int, http_status: int, message: str) -> None:
    body = response.json()
    assert response.status_code == http_status, body
    assert body["code"] == code and body["data"] is None, body
    assert message in body["message"], body


# -- bodies are bounded before anything reads them -------------------------------------------------------------


@pytest.mark.parametrize(
    "path, content_type",
    [
        (BASE, "application/x-www-form-urlencoded"),
        (BASE, "multipart/form-data; boundary=x"),
        (BASE, "application/json"),
        (f"{BASE}/auth_1", "application/x-www-form-urlencoded"),
        (TOKEN_URL, "application/x-www-form-urlencoded"),
    ],
)
def test_an_oversized_spry_body_without_a_token_is_4013_and_never_read(
    path: str, content_type: str, unchanged: None
) -> None:
    response = unread("POST", path, content_type)
    limit = 16384 if path == TOKEN_URL else 1048576
    spry_envelope(response, 4013, 413, f"Request body exceeds the limit of {limit} bytes.")
    assert not response.has_header("Connection")  # hop-by-hop: PEP 3333 forbids an application to set it


@pytest.mark.parametrize(
    "method, path",
    [
        ("PUT", "/vbasoftware/auths"),
        ("POST", "/vbasoftware/auths"),
        ("POST", "/vbasoftware/user-authentication"),
        ("POST", "/vbasoftware/user-refresh-tokens"),
    ],
)
def test_an_oversized_vba_body_without_credentials_is_413_and_never_read(
    method: str, path: str, unchanged: None
) -> None:
    response = unread(method, path, "application/x-www-form-urlencoded")
    limit = 10485760 if path.endswith("auths") else 16384
    assert_problem(response, 413, f"Request body exceeds the limit of {limit} bytes.")


def test_an_oversized_admin_post_is_413_and_never_read(unchanged: None) -> None:
    response = unread("POST", "/admin/login/", "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.content == b"Request body exceeds the limit of 2621440 bytes."


@override_settings(VBA_MAX_BODY_BYTES=100)
def test_an_authenticated_body_over_the_limit_is_413(vba: VBAClient, unchanged: None) -> None:
    assert_problem(vba.call("PUT", "auths", [auth_item("A" * 200)]), 413, "exceeds the limit of 100 bytes")


@pytest.mark.parametrize("path", ["/vbasoftware/auths", BASE, TOKEN_URL])
def test_a_chunked_body_is_411_and_never_read(path: str, unchanged: None) -> None:
    """Django reads no body without Content-Length: a chunked one is refused, not taken for an empty body."""
    extra: dict[str, Any] = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": UnreadableBody()}
    response = Client().generic("PUT" if "vbasoftware" in path else "POST", path, b"", **extra)
    message = "A request body needs a Content-Length header; chunked bodies are not accepted."
    if path.startswith("/vbasoftware/"):
        assert_problem(response, 411, message)
    else:
        spry_envelope(response, 4011, 411, message)


def test_a_bad_content_length_is_400(unchanged: None) -> None:
    response = Client().generic("PUT", "/vbasoftware/auths", b"", CONTENT_LENGTH="12abc")
    assert_problem(response, 400, "Content-Length is not a whole number.")


# -- Spry: forms and multipart are never parsed as credentials -------------------------------------------------


def multipart(fields: int) -> tuple[bytes, str]:
    parts = [f'--b\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nv\r\n' for n in range(fields)]
    return ("".join(parts) + "--b--\r\n").encode(), "multipart/form-data; boundary=b"


@pytest.mark.parametrize(
    "body, content_type",
    [
        (multipart(3)[0], "multipart/form-data; boundary=b"),
        (b"--nope", "multipart/form-data"),  # no boundary
        (b"&".join(b"f%d=v" % n for n in range(20_000)), "application/x-www-form-urlencoded"),
        (b"&" * 20_000, "application/x-www-form-urlencoded"),
    ],
    ids=["multipart", "multipart-without-boundary", "20000-fields", "20000-empty-fields"],
)
def test_a_spry_form_body_is_4001_without_a_token_and_4015_with_one(
    body: bytes, content_type: str, api: SpryApi, unchanged: None
) -> None:
    without = Client().generic("POST", BASE, body, content_type=content_type)
    spry_envelope(without, 4001, 401, "Authorization: Bearer")
    with_token = Client().generic(
        "POST", BASE, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )
    spry_envelope(with_token, 4015, 415, "Unsupported media type")


def test_a_token_request_with_too_many_fields_is_4000(credentials_app: Any, unchanged: None) -> None:
    body = b"grant_type=client_credentials&" + b"&".join(b"f%d=v" % n for n in range(1_500))
    response = Client().generic("POST", TOKEN_URL, body, content_type="application/x-www-form-urlencoded")
    spry_envelope(response, 4000, 400, "too many form fields")


def test_a_malformed_multipart_token_request_is_4000(unchanged: None) -> None:
    response = Client().generic("POST", TOKEN_URL, b"--x\r\nbroken", content_type="multipart/form-data")
    spry_envelope(response, 4000, 400, "not a well-formed form")


@pytest.fixture
def credentials_app(db: Any) -> Any:
    from authorizations.spry.services import spry_client_create

    return spry_client_create(name="hostile", organisation_id=638)


# -- deep nesting, NUL, lone surrogates: 4xx naming the field; one bad item never fails its batch --------------


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 10_000])
def test_json_nested_too_deep_is_400_on_vba(depth: int, vba: VBAClient, unchanged: None) -> None:
    for method, path in (("PUT", "auths"), ("POST", "auths")):
        response = vba.call(method, path, None, data=deep(depth), content_type="application/json")
        assert_problem(response, 400, "arrays and objects may be nested at most 32 deep")


@pytest.mark.parametrize("depth", [33, 10_000])
def test_json_nested_too_deep_is_4000_on_spry(depth: int, api: SpryApi, unchanged: None) -> None:
    body = failed(api.call("POST", "", raw=deep(depth)), 4000)
    assert "arrays and objects may be nested at most 32 deep" in body["message"]


BAD_TEXT = {
    "nul": ('"x\\u0000y"', "may not contain the NUL character (\\u0000)"),
    "lone-high-surrogate": ('"x\\ud800y"', "contains an unpaired surrogate (\\ud800); send valid Unicode text"),
    "lone-low-surrogate": ('"S\\udfff"', "contains an unpaired surrogate (\\udfff); send valid Unicode text"),
}


@pytest.mark.parametrize("case", BAD_TEXT, ids=list(BAD_TEXT))
def test_bad_text_in_a_batch_fails_its_item_only(case: str, vba: VBAClient, in_demo: str) -> None:
    literal, message = BAD_TEXT[case]
    good = json.dumps(auth_item("GOOD1"))
    bad_notes = json.dumps(auth_item("BAD1", notes="@@")).replace('"@@"', literal)
    bad_key = json.dumps(auth_item("@@")).replace('"@@"', literal)
    response = vba.call("PUT", "auths", None, data=f"[{good},{bad_notes},{bad_key}]", content_type="application/json")
    assert response.status_code == 207, response.content
    results = response.json()["data"]
    assert [r["status"] for r in results] == [201, 400, 400]
    assert results[1]["body"] == f"notes: {message}"
    assert results[2]["body"] == f"auth_Number: {message}"
    assert list(Auth.objects.values_list("auth_number", flat=True)) == ["GOOD1"]


@pytest.mark.parametrize("case", BAD_TEXT, ids=list(BAD_TEXT))
def test_bad_text_in_a_single_vba_write_is_400(case: str, vba: VBAClient, unchanged: None) -> None:
    literal, message = BAD_TEXT[case]
    body = json.dumps(auth_item("S1", notes="@@")).replace('"@@"', literal)
    assert_problem(vba.call("POST", "auths", None, data=body, content_type="application/json"), 400, message)


@pytest.mark.parametrize("case", BAD_TEXT, ids=list(BAD_TEXT))
def test_bad_text_in_a_spry_create_is_4000_naming_the_field(case: str, api: SpryApi, unchanged: None) -> None:
    literal, message = BAD_TEXT[case]
    raw = json.dumps(create_body(comments="@@", patient_name="@@")).replace('"@@"', literal)
    body = failed(api.call("POST", "", raw=raw), 4000)
    assert body["errors"] == {"comments": [message], "patient_name": [message]}


# -- query strings and paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["9223372036854775807", "9" * 5000, "²", "0"])
def test_an_impossible_page_is_400_naming_it(page: str, vba: VBAClient) -> None:
    error = assert_problem(vba.call("GET", f"auths?page={page}"), 400)
    assert error["detail"].startswith("page: ")


def test_a_nul_in_the_query_string_is_400_for_vba_and_a_validation_failure_for_spry(
    vba: VBAClient, api: SpryApi
) -> None:
    assert_problem(vba.call("GET", "auths?auth_Number=A%00B"), 400, "Query parameter auth_Number: may not contain")
    response = api.call("GET", "/search?patientName=Zel%00da")
    message = "Query parameter patientName: may not contain a NUL character (%00)."
    spry_envelope(response, 4000, 200, message)  # decisions.md Spry 1: 4000 is HTTP 200
    assert response.json()["errors"] == {"patientName": [message]}


def test_a_nul_in_the_path_is_400_for_vba_and_a_validation_failure_for_spry(vba: VBAClient, api: SpryApi) -> None:
    assert_problem(vba.call("GET", "auths/A%00B"), 400, "NUL character")
    response = api.call("GET", "/auth%00x")
    spry_envelope(response, 4000, 200, "The request path contains a NUL character (%00).")
    assert response.json()["errors"] == {"path": ["The request path contains a NUL character (%00)."]}


def test_a_path_over_the_limit_is_414_in_the_envelope(vba: VBAClient, api: SpryApi) -> None:
    long = "x" * 10_001
    assert_problem(vba.call("GET", f"auths/{long}"), 414, "at most 2048 are allowed")
    spry_envelope(api.call("GET", f"/{long}"), 4014, 414, "at most 2048 are allowed")
    response = Client().get(f"/admin/{long}")
    assert response.status_code == 414


# -- a Spry write answered with an error leaves nothing behind -------------------------------------------------


def test_a_spry_create_that_fails_after_writing_commits_nothing(
    api: SpryApi, monkeypatch: pytest.MonkeyPatch, unchanged: None
) -> None:
    from authorizations.spry.api import views as spry_views

    def crash(self: Any, authorization: Any) -> Any:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(spry_views.SpryView, "render", crash)
    response = api.call("POST", "", create_body())
    spry_envelope(response, 5000, 500, "An unexpected error occurred")


def test_a_spry_update_that_fails_after_writing_commits_nothing(
    api: SpryApi, example: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authorizations.spry.api import views as spry_views

    before = snapshot()

    def crash(self: Any, authorization: Any) -> Any:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(spry_views.SpryView, "render", crash)
    response = api.call("POST", f"/{example.authorization_id}", {"comments": "changed"})
    spry_envelope(response, 5000, 500, "An unexpected error occurred")
    assert snapshot() == before
    example.refresh_from_db()
    assert example.comments == "Prior auth approved for MSK therapy"


@pytest.mark.parametrize("method, path", [("POST", "auths"), ("PUT", "auths/V1")])
def test_a_vba_write_that_fails_after_writing_commits_nothing(
    method: str, path: str, vba: VBAClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from authorizations.vba.api.views import AuthViewSet

    assert vba.call("PUT", "auths", [auth_item("V1", notes="before")]).status_code == 207
    before = snapshot()

    def crash(instance: Any) -> Any:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(AuthViewSet.resource.spec, "render", crash)
    assert_problem(vba.call(method, path, auth_item("V1" if "V1" in path else "V2", notes="after")), 500)
    assert snapshot() == before


# -- tokens never travel in URLs, and the log line carries no query string -------------------------------------


def test_spry_refuses_an_access_token_in_the_url(api: SpryApi) -> None:
    response = SpryApi().call("GET", f"/search?access_token={api.token}")
    spry_envelope(response, 4001, 401, "access_token may not be sent in the URL")
    # even alongside a valid header
    spry_envelope(api.call("GET", f"/search?access_token={api.token}"), 4001, 401, "may not be sent in the URL")


def test_the_request_log_line_has_no_query_string(
    vba: VBAClient, api: SpryApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="vbapi.request"):
        vba.call("GET", "auths?case_Number=Zelda&subscriber_ID=123456789")  # patient data in filters
        api.call("GET", "/search?patientName=Zelda")
    lines = [r.getMessage() for r in caplog.records if r.name == "vbapi.request"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /vbasoftware/auths 200 ")
    assert lines[1].startswith(f"GET {BASE}/search 200 ")
    for line in lines:
        assert "activityID=" in line
        assert "Zelda" not in line and "123456789" not in line and "?" not in line


def test_the_log_filter_strips_query_strings_from_other_loggers() -> None:
    from config.serving.middleware import NoQueryStringFilter

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /x?patientName=Zelda HTTP/1.1", "200", "5"),
        None,
    )
    NoQueryStringFilter().filter(record)
    assert record.getMessage() == '"GET /x?... HTTP/1.1" 200 5'


# -- login and token endpoints are throttled per credential and per address ------------------------------------


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@override_settings(LOGIN_RATE_LIMIT="3/minute")
def test_wrong_passwords_are_throttled_per_key_and_per_address(user: Any, api_key: str) -> None:
    def attempt(key: str, address: str) -> Any:
        return Client().post(
            "/vbasoftware/user-authentication",
            HTTP_X_API_KEY=key,
            HTTP_AUTHORIZATION=basic("alice", "wrong"),
            HTTP_VBASOFTWARE_DATABASE="demo",
            REMOTE_ADDR=address,
        )

    assert [attempt(api_key, f"10.0.0.{n}").status_code for n in range(3)] == [401, 401, 401]
    throttled = attempt(api_key, "10.0.0.9")  # a new address, the same key
    assert_problem(throttled, 429)
    assert int(throttled["Retry-After"]) >= 1
    assert [attempt(f"key-{n}", "10.0.1.1").status_code for n in range(3)] == [401, 401, 401]
    assert_problem(attempt("key-new", "10.0.1.1"), 429)  # a new key, the same address


@override_settings(LOGIN_RATE_LIMIT="3/minute")
def test_refresh_is_throttled(api_key: str) -> None:
    def attempt() -> Any:
        return Client().post("/vbasoftware/user-refresh-tokens", HTTP_X_API_KEY=api_key, HTTP_REFRESH_TOKEN="bad")

    assert [attempt().status_code for _ in range(3)] == [401, 401, 401]
    assert_problem(attempt(), 429)


@override_settings(LOGIN_RATE_LIMIT="3/minute")
def test_wrong_client_secrets_are_throttled_per_client_and_per_address(credentials_app: Any) -> None:
    application, _secret = credentials_app

    def attempt(client_id: str, address: str) -> Any:
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "wrong"}
        return Client().post(TOKEN_URL, data, REMOTE_ADDR=address)

    assert [attempt(application.client_id, f"10.0.0.{n}").status_code for n in range(3)] == [401, 401, 401]
    response = attempt(application.client_id, "10.0.0.9")
    spry_envelope(response, 4029, 429, "Too many token requests")
    assert int(response["Retry-After"]) >= 1
    assert [attempt(f"client-{n}", "10.0.1.1").status_code for n in range(3)] == [401, 401, 401]
    spry_envelope(attempt("client-new", "10.0.1.1"), 4029, 429, "Too many token requests")


# -- keys a client could not address afterwards ----------------------------------------------------------------

UNADDRESSABLE_KEYS = {
    "": "may not be empty",
    "   ": "may not be empty",
    "A/1": "may not contain '/': the Auth could not be addressed as /auths/{authNumber}",
    "/": "may not contain '/': the Auth could not be addressed as /auths/{authNumber}",
    ".": "may not be '.': the Auth could not be addressed as /auths/{authNumber}",
    "..": "may not be '..': the Auth could not be addressed as /auths/{authNumber}",
}


def test_an_auth_number_that_could_not_be_addressed_fails_its_item_only(vba: VBAClient, in_demo: str) -> None:
    items = [auth_item(key) for key in UNADDRESSABLE_KEYS] + [auth_item("A.1"), auth_item("A 1")]
    results = vba.call("PUT", "auths", items).json()["data"]
    expected = [(key, 400, f"auth_Number: {message}") for key, message in UNADDRESSABLE_KEYS.items()]
    assert [(r["id"][0]["value"], r["status"], r["body"]) for r in results] == [
        *expected,
        ("A.1", 201, "Created"),
        ("A 1", 201, "Created"),
    ]
    assert sorted(Auth.objects.values_list("pk", flat=True)) == ["A 1", "A.1"]
    for key in ("A.1", "A%201"):  # what was stored can be read back
        assert vba.call("GET", f"auths/{key}").status_code == 200


@pytest.mark.parametrize("key", list(UNADDRESSABLE_KEYS))
def test_creating_one_auth_with_such_a_number_is_400(key: str, vba: VBAClient, unchanged: None) -> None:
    assert_problem(vba.call("POST", "auths", auth_item(key)), 400, f"auth_Number: {UNADDRESSABLE_KEYS[key]}")


def test_the_admin_refuses_such_an_auth_number(admin_client: Client, unchanged: None) -> None:
    from tests.admin_forms import submitted

    add = "/admin/db/demo/authorizations/auth/add/"
    form = submitted(admin_client.get(add).content.decode(), "auth_form")
    form.update({"auth_number": "A/1", "t_plan_printed": "N"})
    response = admin_client.post(add, form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["auth_number"] == [
        "Auth number may not contain '/': the Auth could not be addressed as /auths/{authNumber}"
    ]
