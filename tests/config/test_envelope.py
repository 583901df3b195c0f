"""Every response under /vbasoftware/ uses VBA's envelope, errors included (decisions.md 3)."""

from typing import Any
from unittest import mock

import pytest
from rest_framework.test import APIClient as HttpClient

from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def test_each_request_gets_its_own_activity_id_in_body_header_and_log(vba: Any, caplog: Any) -> None:
    with caplog.at_level("INFO", logger="vbapi.request"):
        first, second = vba.call("GET", "auths"), vba.call("GET", "auths")
    ids = [r.json()["debug"]["activityID"] for r in (first, second)]
    assert ids[0] != ids[1]
    assert [first["x-activity-id"], second["x-activity-id"]] == ids
    assert any(ids[0] in record.getMessage() for record in caplog.records)


def test_an_unknown_path_is_a_404_envelope(vba: Any) -> None:
    assert_problem(vba.call("GET", "no-such-thing"), 404, "(/vbasoftware/no-such-thing) was not found")


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_an_unknown_path_is_a_404_envelope_with_debug_on_too(vba: Any, settings: Any, method: str) -> None:
    """``make run`` serves with DEBUG=1: an integrator's mistyped path gets VBA's 404, not Django's debug page (nor
    a CSRF refusal for a POST)."""
    settings.DEBUG = True
    assert_problem(vba.call(method, "auths/A1/no-such-thing"), 404, "(/vbasoftware/auths/A1/no-such-thing) was not")
    spry = HttpClient().post("/apis/no-such-thing", {}, format="json")
    assert spry.status_code == 404 and spry.json()["code"] != 200 and "was not found" in spry.json()["message"]
    bare = getattr(HttpClient(), method.lower())("/vbasoftware")  # the prefix alone: no redirect, no 500
    assert_problem(bare, 404, "(/vbasoftware) was not found")
    bare = getattr(HttpClient(), method.lower())("/apis")
    assert bare.status_code == 404 and bare.json()["message"] == "The requested resource (/apis) was not found."


def test_a_method_not_allowed_is_a_405_envelope(vba: Any) -> None:
    assert_problem(vba.call("PATCH", "auths", {}), 405, 'Method "PATCH" not allowed.')


def test_an_unsupported_media_type_is_a_415_envelope(vba: Any) -> None:
    response = vba.call("PUT", "auths", None, data="a,b", content_type="text/csv")
    assert_problem(response, 415, "Unsupported media type")


def test_an_unacceptable_accept_header_is_a_406_envelope(vba: Any) -> None:
    assert_problem(vba.call("GET", "auths", HTTP_ACCEPT="text/html"), 406)


def test_a_crash_is_a_500_envelope_that_reveals_nothing(vba: Any) -> None:
    with mock.patch("config.vba.views.paginate", side_effect=RuntimeError("secret table name")):
        response = vba.call("GET", "auths")
    error = assert_problem(response, 500, "Quote the activityID")
    assert "secret" not in response.content.decode()
    assert error["title"] == "Internal Server Error"


def test_a_django_level_500_on_a_vba_path_is_an_envelope() -> None:
    client = HttpClient(raise_request_exception=False)
    with mock.patch("config.vba.views.VBAResourceViewSet.dispatch", side_effect=RuntimeError("boom")):
        response = client.get("/vbasoftware/auths")
    assert response.status_code == 500
    assert response.json()["error"]["status"] == 500 and "boom" not in response.content.decode()


def test_the_error_envelope_follows_rfc_7807(vba: Any) -> None:
    body = vba.call("GET", "auths/none").json()
    assert body["error"] == {
        "type": "https://httpstatuses.com/404",
        "title": "Not Found",
        "status": 404,
        "detail": "Auth none was not found",
        "instance": "/vbasoftware/auths/none",
    }
