"""gunicorn's sync worker (``gunicorn.conf.py``), answering what gunicorn refuses on its own in the API's envelope.

gunicorn parses the request line and headers before the application sees anything, and refuses a request line over
8190 bytes (414), too many or too large headers (431) or malformed HTTP (400) with a page of HTML. Under
``/vbasoftware/`` and ``/apis/`` this worker gives those answers in the envelope of the API instead
(:func:`config.serving.limits.error_response`, as for every other refusal). Which API is read from the first bytes
of the request (peeked, not consumed, before gunicorn parses it). Everything else is gunicorn's own handling.

A body the application left unread (it refused the request from its headers: 413, 411, ...) is read to its end
after the answer, before the connection closes, as Django's development server does: nginx in front (``manage.py
serve``) hands on each body whole and at once, and a connection closed on unread data would reset its sending,
turning the app's refusal into nginx's 502. Only a body no path accepts (above the largest body limit: nginx never
sends one) is left unread, and the reading stops after ``DRAIN_SECONDS``.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from gunicorn.http import errors
from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker

#: Bytes of the request line looked at to find the API of its path.
PEEK_BYTES = 256
#: How long the rest of an unread body is read after the answer, at most.
DRAIN_SECONDS = 5.0

CLIENT_ERRORS = (
    errors.InvalidRequestLine,
    errors.InvalidRequestMethod,
    errors.InvalidHTTPVersion,
    errors.InvalidHeader,
    errors.InvalidHeaderName,
    errors.ObsoleteFolding,
    errors.InvalidChunkSize,
    errors.ChunkMissingTerminator,
    errors.InvalidChunkExtension,
)


def refusal(exc: BaseException) -> tuple[int, str, str] | None:
    """``(status, reason, message)`` of a request gunicorn refused, or None for anything else."""
    if isinstance(exc, errors.LimitRequestLine):
        size, limit = getattr(exc, "size", None), getattr(exc, "max_size", None)
        detail = f" ({size} bytes; at most {limit} are allowed)" if limit else ""
        return 414, "URI Too Long", f"The request line is too long{detail}; shorten the path or the query."
    if isinstance(exc, errors.LimitRequestHeaders):
        return 431, "Request Header Fields Too Large", "The request has too many headers, or too large a header."
    if isinstance(exc, (errors.InvalidResponseHeader, errors.InvalidResponseHeaderName)):
        return None  # the application's fault: gunicorn's 500
    if isinstance(exc, CLIENT_ERRORS):
        return 400, "Bad Request", f"The request is not well-formed HTTP: {exc}"
    return None


def largest_body_limit() -> int:
    """The largest of the app's body limits (config.serving.limits): no path accepts a longer body."""
    from django.conf import settings

    names = ("VBA_MAX_BODY_BYTES", "SPRY_MAX_BODY_BYTES", "AUTH_MAX_BODY_BYTES", "OTHER_MAX_BODY_BYTES")
    return max(int(getattr(settings, name)) for name in names)


def drain(req: Any, client: socket.socket) -> None:
    """Read what is left of ``req``'s body (declared with Content-Length, at most the largest body limit)."""
    reader = getattr(getattr(req, "body", None), "reader", None)
    if not isinstance(reader, LengthReader) or not 0 < reader.length <= largest_body_limit():
        return
    deadline = time.monotonic() + DRAIN_SECONDS
    with contextlib.suppress(Exception):  # a client gone or slow: the connection closes as it would have
        while reader.length and time.monotonic() < deadline:
            client.settimeout(max(0.01, deadline - time.monotonic()))
            if not req.body.read(65536):
                break


def api_path(start: bytes) -> str | None:
    """The path at the start of a request line (``b"GET /vbasoftware/auths?x HTTP/1.1"``) if it is an API's."""
    parts = start.split(b" ", 2)
    if len(parts) < 2:
        return None
    path = parts[1].split(b"?", 1)[0].decode("latin-1")
    return path if path.startswith(("/vbasoftware/", "/apis/")) else None


def envelope_bytes(path: str, status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 response: ``message`` in the envelope of the API of ``path``; the connection closes."""
    from django.http import HttpRequest

    from config.serving.limits import error_response
    from config.serving.middleware import new_activity

    request = HttpRequest()
    request.path = request.path_info = path
    with new_activity() as activity_id:
        response = error_response(request, status, message)
    response["x-activity-id"] = activity_id
    response["Connection"] = "close"
    response["Content-Length"] = str(len(response.content))
    return f"HTTP/1.1 {status} {reason}\r\n".encode() + response.serialize()


class EnvelopeWorker(SyncWorker):
    """A sync worker whose own refusals under the APIs keep the API's envelope."""

    request_start = b""

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        self.request_start = b""
        if not self.cfg.is_ssl:
            with contextlib.suppress(OSError):  # gunicorn's own read reports it
                self.request_start = client.recv(PEEK_BYTES, socket.MSG_PEEK)
        super().handle(listener, client, addr)

    def handle_request(self, listener: Any, req: Any, client: socket.socket, addr: Any) -> None:
        super().handle_request(listener, req, client, addr)
        drain(req, client)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        answer = refusal(exc)
        path = api_path(self.request_start)
        if answer is None or path is None:
            super().handle_error(req, client, addr, exc)
            return
        status, reason, message = answer
        answer_bytes = envelope_bytes(path, status, reason, message)
        self.log.warning("Invalid request from ip=%s: %s %s", (addr or ("",))[0], status, type(exc).__name__)
        try:
            client.sendall(answer_bytes)
        except OSError:
            self.log.debug("Failed to send error message.")
