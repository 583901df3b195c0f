"""Both servers refuse alike (issue 19, item 5): Django's development server (``make run``: ``manage.py runserver``,
``DEBUG=1``) and the production stack (``make serve``: nginx in front of gunicorn) give a client the same status and
the same envelope for each refusal made before any view runs: a body over the limit (413), a chunked body (411), a
path over ``MAX_PATH_LENGTH`` (414), a NUL in the query (VBA: 400; Spry: HTTP 200 with code 4000) and an unknown
path (404), under both APIs. Requests are written byte by byte (no client library adds or fixes anything); the
bodies compared leave out the activity id only."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.production.clients import Answer, exchange, request_bytes, timed_get
from tests.production.conftest import ROOT, free_port, private_tempdir, wait_until

pytestmark = pytest.mark.postgres

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
SPRY = "/apis/soap-enrichment/v1/authorization"
ABOVE_ALL = 10 * 1024 * 1024 + 1  # above every body limit (the largest: VBA_MAX_BODY_BYTES)


def chunked(path: str, headers: dict[str, str], body: bytes) -> bytes:
    head = request_bytes("POST" if not path.startswith("/vbasoftware/auths") else "PUT", path, headers)
    head = head.replace(b"\r\n\r\n", b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    return head + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


#: name: (request bytes, expected status, expected code of a Spry envelope or None for VBA's)
REFUSALS: dict[str, tuple[bytes, int, int | None]] = {
    "vba-413-declared": (
        request_bytes("PUT", "/vbasoftware/auths", {**JSON, "Content-Length": str(ABOVE_ALL)}),
        413,
        None,
    ),
    "vba-413-sent": (
        request_bytes("PUT", "/vbasoftware/auths", JSON, b"[" + b" " * (10 * 1024 * 1024) + b"]"),
        413,
        None,
    ),
    "vba-login-413-declared": (
        request_bytes("POST", "/vbasoftware/user-authentication", {**JSON, "Content-Length": str(ABOVE_ALL)}),
        413,
        None,
    ),
    "vba-login-413-sent": (request_bytes("POST", "/vbasoftware/user-authentication", JSON, b"x" * 16385), 413, None),
    "spry-413-declared": (request_bytes("POST", SPRY, {**JSON, "Content-Length": str(ABOVE_ALL)}), 413, 4013),
    "spry-413-sent": (request_bytes("POST", SPRY, JSON, b"x" * (1024 * 1024 + 1)), 413, 4013),
    "spry-token-413-sent": (request_bytes("POST", "/apis/v2/oauth/token", FORM, b"x" * 16385), 413, 4013),
    "vba-411": (chunked("/vbasoftware/auths", JSON, b"[]"), 411, None),
    "spry-411": (chunked(SPRY, JSON, b"{}"), 411, 4011),
    "spry-token-411": (chunked("/apis/v2/oauth/token", FORM, b"grant_type=client_credentials"), 411, 4011),
    "vba-414": (request_bytes("GET", "/vbasoftware/auths/" + "x" * 3000), 414, None),
    "spry-414": (request_bytes("GET", f"{SPRY}/{'x' * 3000}"), 414, 4014),
    "vba-nul": (request_bytes("GET", "/vbasoftware/auths?status=a%00b"), 400, None),
    "spry-nul": (request_bytes("GET", f"{SPRY}?patientName=a%00b"), 200, 4000),
    # an unknown path, the bare prefix included (DEBUG=1 once gave Django's debug page, a POST to the prefix a 500)
    "vba-404-unknown": (request_bytes("POST", "/vbasoftware/no-such-thing", JSON, b"{}"), 404, None),
    "vba-404-bare-prefix": (request_bytes("POST", "/vbasoftware", JSON, b"{}"), 404, None),
    "spry-404-unknown": (request_bytes("DELETE", "/apis/no-such-thing"), 404, 4004),
}


def without_activity_id(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: without_activity_id(value) for key, value in body.items() if key != "activityID"}
    return body


@pytest.fixture
def development_server(production_databases: Any) -> Iterator[tuple[str, int]]:
    """``manage.py runserver --noreload`` as ``make run`` runs it (DEBUG=1), on the production stack's databases."""
    port = free_port()
    env = production_databases.environment({"DEBUG": "1"}, 1, port)
    production_databases.prepare(env)
    directory = private_tempdir("vbapi-runserver-")
    log = (directory / "runserver.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: running(server) and timed_get(("127.0.0.1", port), "/healthz", timeout=2).status == 200,
                   60, "runserver did not answer /healthz")  # fmt: skip
        yield ("127.0.0.1", port)
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
        print(Path(directory / "runserver.log").read_text(errors="replace")[-3000:])
        shutil.rmtree(directory, ignore_errors=True)


def running(process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"runserver exited with status {process.returncode}")
    return True


def refused(address: tuple[str, int], data: bytes) -> Answer:
    return exchange(address, data, timeout=60)


def test_the_development_and_production_servers_refuse_alike(
    production_server: Any, development_server: tuple[str, int]
) -> None:
    production = ("127.0.0.1", production_server(workers=2).port)
    differences = {}
    for name, (data, status, code) in REFUSALS.items():
        answers = {"runserver": refused(development_server, data), "production": refused(production, data)}
        seen = {}
        for server, answer in answers.items():
            assert answer.headers.get("content-type", "").startswith("application/json"), (name, server, answer)
            body = answer.json()
            seen[server] = (answer.status, without_activity_id(body))
            assert answer.status == status, (name, server, answer.status, body)
            if code is None:
                assert body["error"]["status"] == status and body["debug"]["activityID"], (name, server, body)
                assert answer.headers["x-activity-id"] == body["debug"]["activityID"]
            else:
                assert body["code"] == code, (name, server, body)
        if seen["runserver"] != seen["production"]:
            differences[name] = seen
    assert differences == {}
