"""What the fault-injection tests send: raw HTTP over a socket (TCP or unix), slow clients, and what they look at in
the private PostgreSQL cluster (which backend is writing, how many rows a batch left)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where a server listens: ("127.0.0.1", port) or the path of a unix socket.
Address = tuple[str, int] | Path


def connect(address: Address, timeout: float) -> socket.socket:
    if isinstance(address, Path):
        unix = socket.socket(socket.AF_UNIX)
        unix.settimeout(timeout)
        unix.connect(str(address))
        return unix
    return socket.create_connection(address, timeout=timeout)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(address: Address, data: bytes, timeout: float = 30) -> Answer:
    """Send ``data`` (a whole request, as bytes) and read one answer: by its Content-Length or chunks, else until
    the body is a whole JSON document or the connection closes (the development server sends a refusal without
    Content-Length, then reads the rest of the declared body before it closes)."""
    started = time.monotonic()
    with connect(address, timeout) as connection:
        connection.sendall(data)
        response = http.client.HTTPResponse(connection)
        response.begin()
        if response.chunked or response.length is not None:
            body = response.read()
        else:
            body = b""
            while chunk := response.read1(65536):
                body += chunk
                with contextlib.suppress(ValueError):
                    json.loads(body)
                    break
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Answer(response.status, headers, body, time.monotonic() - started)


def request_bytes(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body and not any(name.lower() in ("content-length", "transfer-encoding") for name in headers or {}):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def timed_get(address: Address, path: str, headers: dict[str, str] | None = None, timeout: float = 5) -> Answer:
    """A GET; a timeout or a refused connection is an answer with status 0 (and the time waited)."""
    started = time.monotonic()
    try:
        return exchange(address, request_bytes("GET", path, headers), timeout=timeout)
    except (OSError, http.client.HTTPException):
        return Answer(0, {}, b"", time.monotonic() - started)


# -- slow clients ----------------------------------------------------------------------------------------------


@dataclass
class SlowClients:
    """``count`` connections each sending ``start`` at once, then ``trickle`` one byte every ``interval`` seconds,
    from one thread, until stopped. A connection the server closes is opened again (the pressure stays)."""

    address: Address
    start: bytes
    trickle: bytes
    count: int = 64
    interval: float = 0.5
    connections: list[socket.socket] = field(default_factory=list)
    reopened: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def open_one(self) -> socket.socket:
        connection = connect(self.address, timeout=5)
        if self.start:
            connection.sendall(self.start)
        connection.setblocking(False)
        return connection

    def __enter__(self) -> SlowClients:
        self.connections = [self.open_one() for _ in range(self.count)]
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        position = 0
        while not self._stop.wait(self.interval):
            byte = self.trickle[position % len(self.trickle) : position % len(self.trickle) + 1]
            position += 1
            for index, connection in enumerate(self.connections):
                try:
                    connection.send(byte)
                except OSError:
                    connection.close()
                    self.reopened += 1
                    with contextlib.suppress(OSError):
                        self.connections[index] = self.open_one()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for connection in self.connections:
            connection.close()


def probe_while(
    seconds: float, probes: dict[str, Callable[[], Answer]], pause: float = 0.25
) -> dict[str, list[Answer]]:
    """Each probe in turn, again and again for ``seconds``: every answer."""
    answers: dict[str, list[Answer]] = {name: [] for name in probes}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, probe in probes.items():
            answers[name].append(probe())
        time.sleep(pause)
    return answers


# -- the private cluster ---------------------------------------------------------------------------------------


def writing_backend(postgres: Any, dbname: str, timeout: float) -> int | None:
    """The pid of a backend of ``dbname`` inside a transaction that has written (it has a transaction id), as soon
    as there is one; None if none appears within ``timeout`` seconds."""
    with postgres.connect() as connection:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
                "AND pid <> pg_backend_pid()",
                [dbname],
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.002)
    return None


def wait_backend_gone(postgres: Any, pid: int, timeout: float = 30) -> None:
    with postgres.connect() as connection:
        deadline = time.monotonic() + timeout
        while connection.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            if time.monotonic() > deadline:
                raise TimeoutError(f"backend {pid} still there after {timeout} s")
            time.sleep(0.05)


def auth_rows(postgres: Any, dbname: str, prefix: str) -> tuple[int, int]:
    """(Auth rows, Auth history rows) whose authNumber starts with ``prefix``."""
    from authorizations.models import Auth

    history: Any = Auth.history.model  # type: ignore[attr-defined]
    column = Auth._meta.get_field("auth_number").column
    counts = []
    with postgres.connect(dbname) as connection:
        for table in (Auth._meta.db_table, history._meta.db_table):
            query = f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE %s'
            counts.append(int(connection.execute(query, [prefix + "%"]).fetchone()[0]))
    return counts[0], counts[1]
