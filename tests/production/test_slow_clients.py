"""Slow clients cannot starve the server (issue 19, item 1).

64 connections send their request headers one byte every 0.5 s, or declare a 1 MB body and send it one byte every
0.5 s. With nginx in front (``manage.py serve``), /healthz and an authenticated single-record GET keep answering
within 1 s the whole time. The same 64 connections made straight to gunicorn's socket (its 4 sync workers facing
clients, as before nginx) leave /healthz unanswered: each worker reads one slow request and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.production.clients import SlowClients, probe_while, timed_get

pytestmark = pytest.mark.postgres

SLOW = 64
#: How long the probes run while the slow clients trickle (the slow clients started a moment before).
PROBE_SECONDS = 6.0
BOUND = 1.0

HEADERS_START = b"GET /vbasoftware/auths HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
BODY_START = (
    b"PUT /vbasoftware/auths HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1048576\r\n\r\n"
)
CHUNKED_START = (
    b"PUT /vbasoftware/auths HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def assert_answered_within_bound(server: Any, start: bytes, trickle: bytes) -> None:
    headers = server.vba_headers()
    [number] = server.create_auths(1, headers=headers)
    front = ("127.0.0.1", server.port)
    probes = {
        "healthz": lambda: timed_get(front, "/healthz", timeout=5),
        "auth": lambda: timed_get(front, f"/vbasoftware/auths/{number}", headers, timeout=5),
    }
    with SlowClients(front, start, trickle, count=SLOW):
        timed_get(front, "/healthz")  # the slow connections are open and trickling before the probes start
        answers = probe_while(PROBE_SECONDS, probes)
    for name, seen in answers.items():
        slowest = max(answer.seconds for answer in seen)
        print(f"via nginx, {SLOW} slow clients: {name} x{len(seen)}, slowest {slowest * 1000:.0f} ms")
        assert len(seen) >= 5
        assert [answer.status for answer in seen] == [200] * len(seen)
        assert slowest < BOUND, [round(answer.seconds, 3) for answer in seen]


def test_slow_headers_do_not_starve_the_server(production_server: Any) -> None:
    server = production_server(workers=4)
    assert_answered_within_bound(server, HEADERS_START, b"a")

    # The same slow clients straight at gunicorn's socket (as when gunicorn faced clients): its 4 workers each wait
    # for one slow request's headers, and /healthz gets no answer.
    socket_path = server.gunicorn_socket
    with SlowClients(socket_path, HEADERS_START, b"a", count=SLOW):
        starved = timed_get(socket_path, "/healthz", timeout=4)
    print(f"straight to gunicorn, {SLOW} slow clients: /healthz status {starved.status} after {starved.seconds:.1f} s")
    assert starved.status == 0  # no answer within 4 s: the check above can fail


def test_slow_bodies_do_not_starve_the_server(production_server: Any) -> None:
    """Bodies declared with a Content-Length (1 MB) and sent slowly, then chunked bodies sent slowly (refused with a
    411 from their headers: their trickle reaches no worker either)."""
    server = production_server(workers=4)
    assert_answered_within_bound(server, BODY_START, b" ")
    assert_answered_within_bound(server, CHUNKED_START, b"1\r\n \r\n")
