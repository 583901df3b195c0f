"""Redis or PostgreSQL away, end to end against the production stack (issue 19, items 2-4): with Redis stopped every
request is still served on per-process limits (a warning per worker and outage, /readyz "degraded") and the shared
limits come back with it; with PostgreSQL stopped every API answers 503 with Retry-After in its envelope, the admin a
plain 503 page, /readyz 503, and the first request after it is back succeeds; a value the database refuses is that
item's 400 naming the field."""

from __future__ import annotations

import base64
import http.cookies
import json
import re
import time
import urllib.parse
from typing import Any

import pytest

from tests.production.conftest import auth_item, wait_until

pytestmark = pytest.mark.postgres

ACCOUNTS = """
import json, secrets
from django.contrib.auth import get_user_model
from authorizations.spry.services import spry_client_create
from config.api.models import APIClient, DatabaseGrant
name = "away-" + secrets.token_hex(6)
password = secrets.token_urlsafe(18)
user = get_user_model().objects.create_superuser(name, password=password)
DatabaseGrant.objects.create(user=user, database="demo")
_client, key = APIClient.objects.create_key(name=name, databases=["demo"])
application, secret = spry_client_create(name=name, organisation_id=638, clinic_ids=[44])
print("ACCOUNTS " + json.dumps({"user": name, "password": password, "key": key, "client_id": application.client_id,
                                "secret": secret}))
"""


class Caller:
    """A VBA login, a Spry client and a staff member's admin session on one production stack."""

    def __init__(self, server: Any) -> None:
        self.server = server
        result = server.manage("shell", "-c", ACCOUNTS)
        made = json.loads([x for x in result.stdout.splitlines() if x.startswith("ACCOUNTS ")][-1][9:])
        self.made = made
        basic = base64.b64encode(f"{made['user']}:{made['password']}".encode()).decode()
        self.login_headers = {
            "x-api-key": made["key"],
            "vbasoftware-database": "demo",
            "Authorization": f"Basic {basic}",
        }
        status, _, body = server.request("POST", "/vbasoftware/user-authentication", self.login_headers)
        assert status == 200, body
        token = json.loads(body)["data"]["authenticationResult"]["idToken"]
        self.vba = {"x-api-key": made["key"], "vbasoftware-database": "demo", "Authorization": f"Bearer {token}"}
        status, _, body = self.token_request()
        assert status == 200, body
        self.spry = {"Authorization": f"Bearer {json.loads(body)['access_token']}"}
        self.admin = {"Cookie": self.admin_session()}

    def token_request(self) -> tuple[int, dict[str, str], bytes]:
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": self.made["client_id"],
                "client_secret": self.made["secret"],
            }
        ).encode()
        return self.server.request(  # type: ignore[no-any-return]
            "POST", "/apis/v2/oauth/token", {"Content-Type": "application/x-www-form-urlencoded"}, form
        )

    def admin_session(self) -> str:
        status, headers, body = self.server.request("GET", "/admin/login/")
        assert status == 200
        cookies = http.cookies.SimpleCookie(headers.get("set-cookie", ""))
        csrf = cookies["csrftoken"].value
        middleware_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert middleware_token is not None
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": middleware_token.group(1).decode(),
                "username": self.made["user"],
                "password": self.made["password"],
                "next": "/admin/",
            }
        ).encode()
        headers_in = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"{self.server.base_url}/admin/login/",
        }
        status, headers, _ = self.server.request("POST", "/admin/login/", headers_in, form)
        assert status == 302, status
        session = http.cookies.SimpleCookie(headers["set-cookie"])["sessionid"].value
        return f"csrftoken={csrf}; sessionid={session}"

    def calls(self) -> dict[str, tuple[int, dict[str, str], bytes]]:
        """What each kind of request answers now, with how long it took (``seconds`` in the headers)."""
        server = self.server
        out = {}
        for name, call in (
            ("vba list", lambda: server.request("GET", "/vbasoftware/auths", self.vba)),
            ("vba batch", lambda: server.request("PUT", "/vbasoftware/auths", self.vba, [auth_item("AWAY-1")])),
            ("vba login", lambda: server.request("POST", "/vbasoftware/user-authentication", self.login_headers)),
            ("vba review", lambda: server.request("POST", "/vbasoftware/auth-reviews", self.vba, REVIEW)),
            ("vba plan", lambda: server.request("PUT", "/vbasoftware/care-plans-batch", self.vba, [PLAN])),
            ("vba case", lambda: server.request("PUT", "/vbasoftware/care-plans/77/cases-batch", self.vba, [CASE])),
            ("vba work log", lambda: server.request("PUT", "/vbasoftware/cases/77/work-logs-batch", self.vba, [WORK])),
            ("spry search", lambda: server.request("GET", "/apis/soap-enrichment/v1/authorization/search", self.spry)),
            ("spry token", self.token_request),
            ("admin", lambda: server.request("GET", "/admin/", self.admin)),
            ("readyz", lambda: server.request("GET", "/readyz")),
        ):
            started = time.monotonic()
            status, headers, body = call()
            out[name] = (status, {**headers, "seconds": f"{time.monotonic() - started:.2f}"}, body)
        return out


#: The children written with the Auth and care case (issues 22 and 24): a review of AWAY-1, a plan, a case, a work log.
REVIEW = {"authReview_Key": 0, "auth_Number": "AWAY-1", "review_Comment": "checked"}
PLAN = {"carePlan_Key": 77}
CASE = {"case_Key": 77, "carePlan_Key": 77, "do_Not_Contact": False}
WORK = {"careCaseWorkLog_Key": 0, "case_Key": 77, "workLog_Billable": False, "workLog_Type": "CALL"}


def test_postgresql_stopped_is_503_everywhere_and_the_first_request_after_it_is_back_succeeds(
    production_server: Any, private_postgres: Any
) -> None:
    server = production_server(workers=2)
    caller = Caller(server)
    served = caller.calls()
    assert {name: answer[0] for name, answer in served.items()} == {
        "vba list": 200, "vba batch": 207, "vba login": 200, "vba review": 200, "vba plan": 207, "vba case": 207,
        "vba work log": 207, "spry search": 200, "spry token": 200, "admin": 200, "readyz": 200,
    }  # fmt: skip
    private_postgres.stop()
    try:
        for _round in range(2):  # open connections lost first, then new ones refused; each worker in turn
            away = caller.calls()
            print({name: (answer[0], answer[1]["seconds"]) for name, answer in away.items()})
            for name in ("vba list", "vba batch", "vba login", "vba review", "vba plan", "vba case", "vba work log"):
                status, headers, body = away[name]
                assert status == 503, (name, body)
                problem = json.loads(body)["error"]
                assert problem["status"] == 503 and problem["title"] == "Service Unavailable", name
                assert headers["retry-after"] == "5", name
            for name in ("spry search", "spry token"):
                status, headers, body = away[name]
                assert (status, json.loads(body)["code"], headers["retry-after"]) == (503, 5003, "5"), (name, body)
            status, headers, body = away["admin"]
            assert status == 503 and headers["content-type"].startswith("text/html") and headers["retry-after"] == "5"
            assert b"Service temporarily unavailable" in body
            status, _, body = away["readyz"]
            assert status == 503 and json.loads(body)["status"] == "unavailable"
            # (with DB_POOL a request waits up to DB_POOL_TIMEOUT, 5 s, for a connection before its 503; /readyz
            # that long for each database)
            assert all(float(answer[1]["seconds"]) < 15 for answer in away.values())
    finally:
        private_postgres.start()
    back = caller.calls()  # the first requests after the database is back, on workers whose connections died
    print({name: (answer[0], answer[1]["seconds"]) for name, answer in back.items()})
    assert {name: answer[0] for name, answer in back.items()} == {
        "vba list": 200, "vba batch": 207, "vba login": 200, "vba review": 200, "vba plan": 207, "vba case": 207,
        "vba work log": 207, "spry search": 200, "spry token": 200, "admin": 200, "readyz": 200,
    }  # fmt: skip
    assert "Database unavailable (" in server.log()
    assert "AWAY-1" not in server.log()


def test_redis_stopped_requests_are_served_on_per_process_limits_and_shared_limits_come_back(
    production_server: Any, private_redis: Any
) -> None:
    workers = 2
    server = production_server({"VBA_RATE_LIMIT_PER_SECOND": "0.2", "VBA_RATE_LIMIT_BURST": "3"}, workers=workers)
    caller = Caller(server)

    def statuses(n: int) -> list[int]:
        return [server.request("GET", "/vbasoftware/auths", caller.vba)[0] for _ in range(n)]

    shared = statuses(12)
    assert shared.count(200) <= 4 and shared.count(429) >= 8  # one bucket for the key, whichever worker answers
    private_redis.stop()
    try:
        away = statuses(40)
        print("Redis away:", {s: away.count(s) for s in set(away)})
        assert set(away) <= {200, 429} and 200 in away  # served: no 500
        assert away.count(200) <= workers * 4  # each worker's own bucket of 3 (a refill at most)
        assert server.request("POST", "/vbasoftware/user-authentication", caller.login_headers)[0] == 200
        assert caller.token_request()[0] == 200
        status, _, body = server.request("GET", "/readyz")
        assert status == 200 and json.loads(body)["status"] == "degraded" and json.loads(body)["cache"] == "unreachable"
        warnings = server.log().count("Redis (the shared cache) is unreachable")
        assert 1 <= warnings <= workers  # once per worker and outage, not per request (40+ requests here)
    finally:
        private_redis.start()
    time.sleep(1.5)  # the breaker tries Redis again after a second
    wait_until(lambda: json.loads(server.request("GET", "/readyz")[2]).get("cache") == "ok", 10, "Redis is back")
    back = statuses(12)
    print("Redis back:", {s: back.count(s) for s in set(back)})
    assert back.count(200) <= 4  # one shared bucket again (the per-process ones would admit up to 3 per worker)
    assert "answers again" in server.log()


def test_a_value_the_database_refuses_is_its_items_400_naming_the_field(
    production_server: Any, private_postgres: Any
) -> None:
    server = production_server(workers=1)
    headers = server.vba_headers()
    with private_postgres.connect("vbapi_demo") as connection:
        connection.execute('ALTER TABLE "Auth" ALTER COLUMN "Amount_Approved" TYPE numeric(8, 2)')
    try:
        items = [{**auth_item("V1"), "amount_Approved": 12.5}, {**auth_item("V2"), "amount_Approved": 1234567.5}]
        status, _, body = server.request("PUT", "/vbasoftware/auths", headers, items)
        results = json.loads(body)["data"]
        assert status == 207 and [r["status"] for r in results] == [201, 400]
        assert results[1]["body"] == "amount_Approved: the database refused the value (numeric field overflow)"
    finally:
        with private_postgres.connect("vbapi_demo") as connection:
            connection.execute('DELETE FROM "Auth" WHERE "Auth_Number" = %s', ["V1"])
            connection.execute('ALTER TABLE "Auth" ALTER COLUMN "Amount_Approved" TYPE numeric(19, 4)')
