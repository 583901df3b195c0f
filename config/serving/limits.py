"""Limits checked before any view runs, from the request line and headers only (the body is never read here).

* **Body size** (413): ``Content-Length`` above the limit of the path (``VBA_MAX_BODY_BYTES`` under
  ``/vbasoftware/``, ``SPRY_MAX_BODY_BYTES`` under ``/apis/``, ``AUTH_MAX_BODY_BYTES`` on the login and token
  endpoints, ``OTHER_MAX_BODY_BYTES`` elsewhere). Django's WSGI request never reads past ``Content-Length``
  (a body without one is empty), so nothing can stream more than the limit into a worker.
* **Length required** (411): a chunked body (``Transfer-Encoding: chunked``, no ``Content-Length``), which Django
  would read as empty.
* **Path length** (414): a path longer than ``MAX_PATH_LENGTH`` characters.
* **NUL characters** (400) in the path or the query string: no record key or filter value may hold one, and
  PostgreSQL cannot even compare with one.

Each answer is in the envelope of the API the path belongs to, and carries no hop-by-hop header (PEP 3333 forbids an
application to set one: Django's development server asserts on it). Neither server takes an unread body for the next
request: gunicorn's sync worker closes every connection, nginx in front buffers the whole body, and Django's
development server reads what is left of the declared body before it reads the next request.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: Paths whose bodies are credentials (never more than a few hundred bytes).
AUTH_PATHS = ("/vbasoftware/user-authentication", "/vbasoftware/user-refresh-tokens", "/apis/v2/oauth/token")


def body_limit(path: str) -> int:
    if path.startswith(AUTH_PATHS):
        return int(settings.AUTH_MAX_BODY_BYTES)
    if path.startswith("/vbasoftware/"):
        return int(settings.VBA_MAX_BODY_BYTES)
    if path.startswith("/apis/"):
        return int(settings.SPRY_MAX_BODY_BYTES)
    return int(settings.OTHER_MAX_BODY_BYTES)


#: ``(path prefix, error response)`` of each protocol, registered in its AppConfig.ready() (:mod:`config.vba.apps`,
#: :mod:`config.spry.apps`): serving answers a refusal in the envelope of the API of the path without importing it.
_error_responses: list[tuple[str, Callable[..., HttpResponse]]] = []


def register_error_response(prefix: str, response: Callable[..., HttpResponse]) -> None:
    """``response(request, status, message, *, field)`` answers refusals of paths under ``prefix``."""
    _error_responses[:] = [(p, r) for p, r in _error_responses if p != prefix] + [(prefix, response)]


def error_response(request: HttpRequest, status: int, message: str, *, field: str = "body") -> HttpResponse:
    """``message`` in the envelope of the API of ``request.path`` (plain text outside the APIs); ``field`` names what
    a 400 is about (Spry's validation failures list it in their ``errors``)."""
    for prefix, response in _error_responses:
        if request.path.startswith(prefix):
            return response(request, status, message, field=field)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        if refusal is not None:
            status, message, field = refusal
            return error_response(request, status, message, field=field)
        return self.get_response(request)

    def refusal(self, request: HttpRequest) -> tuple[int, str, str] | None:
        """``(status, message, field)`` of a request refused from its request line and headers, or None."""
        max_path = settings.MAX_PATH_LENGTH
        if len(request.path) > max_path:
            message = f"The request path is {len(request.path)} characters long; at most {max_path} are allowed."
            return 414, message, "path"
        if "\x00" in request.path:
            return 400, "The request path contains a NUL character (%00).", "path"
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            names = sorted(name for name, values in request.GET.lists() if "\x00" in name + "".join(values))
            named = ", ".join(names) or "name"
            return 400, f"Query parameter {named}: may not contain a NUL character (%00).", named
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            # Django reads no body without Content-Length: refuse it rather than act as if the body were empty.
            return 411, "A request body needs a Content-Length header; chunked bodies are not accepted.", "body"
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return 400, "Content-Length is not a whole number.", "Content-Length"
        limit = body_limit(request.path)
        if length < 0:
            return 400, "Content-Length is not a whole number.", "Content-Length"
        if length > limit:
            return 413, f"Request body exceeds the limit of {limit} bytes.", "body"
        return None
