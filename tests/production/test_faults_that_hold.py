"""Faults the production stack already survives, and must keep surviving (issue 19, item 8): a worker killed in the
middle of a batch, a client gone half-way through its body, a database restart during a batch, gunicorn reloaded
(SIGHUP) under load, and a graceful stop (SIGTERM) with a batch in flight. Each test looks at what a client sees and
at what the database holds afterwards (the Auth rows and their history rows)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.production.clients import auth_rows, connect, request_bytes, timed_get, wait_backend_gone, writing_backend
from tests.production.conftest import auth_item, wait_until

pytestmark = pytest.mark.postgres

BATCH = 1000
DEMO = "vbapi_demo"


class InFlight:
    """A request sent from a thread; ``answer`` once it is answered ((status, headers, body), or the exception)."""

    def __init__(self, server: Any, method: str, path: str, headers: dict[str, str], body: Any) -> None:
        self.answer: Any = None
        self.thread = threading.Thread(target=self.send, args=(server, method, path, headers, body), daemon=True)
        self.thread.start()

    def send(self, server: Any, method: str, path: str, headers: dict[str, str], body: Any) -> None:
        try:
            self.answer = server.request(method, path, headers, body, timeout=120)
        except Exception as error:  # the test asserts on it
            self.answer = error

    def wait(self) -> Any:
        self.thread.join(timeout=150)
        assert not self.thread.is_alive(), "the request was never answered"
        return self.answer


def batch(prefix: str) -> list[dict[str, Any]]:
    return [auth_item(f"{prefix}{i}") for i in range(BATCH)]


def new_prefix() -> str:
    return f"F{uuid.uuid4().hex[:10]}-"


def batch_while_writing(server: Any, private_postgres: Any, headers: dict[str, str], path: str) -> tuple[Any, str, int]:
    """A 1,000-item batch sent and caught while its transaction is writing (its backend has a transaction id and the
    client has no answer yet): (the request, its prefix, the backend's pid). A batch that finishes before it is seen
    writing is followed by another (at most 5)."""
    for _ in range(5):
        prefix = new_prefix()
        flight = InFlight(server, "PUT", path, headers, batch(prefix))
        backend = writing_backend(private_postgres, DEMO, timeout=60)
        if backend is not None and flight.thread.is_alive():
            return flight, prefix, backend
        flight.wait()
    raise AssertionError("no batch was caught writing in 5 attempts")


def assert_all_or_none(private_postgres: Any, prefix: str) -> int:
    rows, history = auth_rows(private_postgres, DEMO, prefix)
    assert rows in (0, BATCH), f"{rows} of {BATCH} Auths written"
    assert history == rows, f"{rows} Auths but {history} history rows"
    return rows


@pytest.mark.parametrize("all_or_none", [False, True], ids=["batch", "allOrNone"])
def test_a_worker_killed_in_the_middle_of_a_batch_leaves_all_or_none_of_it(
    production_server: Any, private_postgres: Any, all_or_none: bool
) -> None:
    server = production_server(workers=1)
    headers = server.vba_headers()
    path = "/vbasoftware/auths" + ("?allOrNone=true" if all_or_none else "")
    flight, prefix, backend = batch_while_writing(server, private_postgres, headers, path)
    [worker] = server.worker_pids()
    os.kill(worker, signal.SIGKILL)
    answer = flight.wait()
    wait_backend_gone(private_postgres, backend)
    rows = assert_all_or_none(private_postgres, prefix)
    print(f"worker killed mid-batch: client saw {answer[0]}, {rows} of {BATCH} Auths written")
    # nginx answers 502 for the worker that died without answering (or 207 if it had committed and answered)
    assert answer[0] == 502 if rows == 0 else answer[0] in (207, 502)
    # gunicorn starts another worker: the next requests are served
    assert server.request("GET", f"/vbasoftware/auths/{prefix}0", headers)[0] == (200 if rows else 404)
    assert len(server.create_auths(3, headers=headers)) == 3
    assert server.worker_pids() != [worker]


@pytest.mark.parametrize("front", [True, False], ids=["via-nginx", "straight-to-gunicorn"])
def test_a_client_gone_half_way_through_its_body_leaves_nothing(
    production_server: Any, private_postgres: Any, front: bool
) -> None:
    server = production_server(workers=2)
    headers = server.vba_headers()
    prefix = new_prefix()
    body = json.dumps(batch(prefix)).encode()
    head = {**headers, "Content-Type": "application/json", "Content-Length": str(len(body))}
    address = ("127.0.0.1", server.port) if front else server.gunicorn_socket
    with connect(address, timeout=10) as connection:
        connection.sendall(request_bytes("PUT", "/vbasoftware/auths", head) + body[: len(body) // 2])
    # later requests are served (a whole batch after it), and nothing of the half-sent one was written
    assert len(server.create_auths(BATCH, headers=headers)) == BATCH
    assert auth_rows(private_postgres, DEMO, prefix) == (0, 0)


def test_a_database_restart_during_a_batch_leaves_nothing_half_written(
    production_server: Any, private_postgres: Any
) -> None:
    server = production_server(workers=2)
    headers = server.vba_headers()
    [number] = server.create_auths(1, headers=headers)
    flight, prefix, _backend = batch_while_writing(server, private_postgres, headers, "/vbasoftware/auths")
    private_postgres.restart()  # fast shutdown: open transactions are rolled back
    answer = flight.wait()
    rows = assert_all_or_none(private_postgres, prefix)
    print(f"database restarted mid-batch: client saw {answer[0]}, {rows} of {BATCH} Auths written")
    assert (answer[0] == 207) if rows else (answer[0] >= 500)
    # the next requests succeed, on every worker, without restarting gunicorn
    workers = set(server.worker_pids())
    for _ in range(8):
        assert server.request("GET", f"/vbasoftware/auths/{number}", headers)[0] == 200
    assert len(server.create_auths(10, headers=headers)) == 10
    assert server.request("GET", "/readyz")[0] == 200
    assert set(server.worker_pids()) == workers


def test_sighup_reloads_gunicorn_without_losing_a_request(production_server: Any) -> None:
    server = production_server(env={"VBA_RATE_LIMIT_PER_SECOND": "0"}, workers=2)
    headers = server.vba_headers()
    [number] = server.create_auths(1, headers=headers)
    front = ("127.0.0.1", server.port)
    statuses: list[int] = []
    stop = threading.Event()

    def loop(path: str, with_headers: dict[str, str] | None) -> None:
        while not stop.is_set():
            statuses.append(timed_get(front, path, with_headers, timeout=30).status)

    clients = [threading.Thread(target=loop, args=(f"/vbasoftware/auths/{number}", headers)) for _ in range(3)]
    clients.append(threading.Thread(target=loop, args=("/healthz", None)))
    for client in clients:
        client.start()

    def hup_master() -> None:
        os.kill(server.master_pid, signal.SIGHUP)

    def hup_launcher() -> None:  # it passes SIGHUP on to gunicorn
        server.launcher.send_signal(signal.SIGHUP)

    def reload(send_hup: Callable[[], None]) -> None:
        before = set(server.worker_pids())
        answered = len(statuses)
        send_hup()
        wait_until(lambda: not before & set(server.worker_pids()), 60, "the workers were not replaced")
        wait_until(lambda: len(server.worker_pids()) == 2, 60, "gunicorn did not start 2 new workers")
        wait_until(lambda: len(statuses) > answered + 20, 30, "the clients got no answers")

    try:
        reload(hup_master)
        reload(hup_launcher)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
    assert len(statuses) > 40
    assert set(statuses) == {200}, {status: statuses.count(status) for status in set(statuses)}


def test_sigterm_lets_an_in_flight_batch_finish(production_server: Any, private_postgres: Any) -> None:
    server = production_server(workers=2)
    headers = server.vba_headers()
    flight, prefix, _backend = batch_while_writing(server, private_postgres, headers, "/vbasoftware/auths")
    server.launcher.send_signal(signal.SIGTERM)
    status, _, body = flight.wait()
    assert status == 207
    assert [item["status"] for item in json.loads(body)["data"]] == [201] * BATCH
    assert auth_rows(private_postgres, DEMO, prefix) == (BATCH, BATCH)
    started = time.monotonic()
    assert server.launcher.wait(timeout=90) == 0
    print(f"SIGTERM: the batch finished with its 207; the stack stopped {time.monotonic() - started:.1f} s later")
    assert timed_get(("127.0.0.1", server.port), "/healthz", timeout=5).status == 0  # nothing listens any more
