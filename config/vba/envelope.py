"""VBA's response envelope: ``{"data", "error", "debug": {"activityID"}}`` with RFC 7807 problem details.

Every response under ``/vbasoftware/`` goes through it: DRF responses via :class:`VBARenderer` and
:func:`vba_exception_handler`, Django-level 404/500 via :func:`vba_error_response` (wired in ``config.urls``).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback
from rest_framework_simplejwt.exceptions import InvalidToken

from config.records.dbfaults import (
    UNAVAILABLE_MESSAGE,
    discard_broken_connections,
    is_unavailable,
    log_unavailable,
    retry_after,
)
from config.records.renderers import SafeJSONRenderer
from config.serving.middleware import current_activity_id

logger = logging.getLogger("vbapi.request")

INTERNAL_ERROR = "An unexpected error occurred. Quote the activityID when you report it."


def problem(status_code: int, detail: str, instance: str) -> dict[str, Any]:
    return {
        "type": f"https://httpstatuses.com/{status_code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }


def envelope(data: Any = None, error: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"data": data, "error": error, "debug": {"activityID": current_activity_id()}}


class VBARenderer(SafeJSONRenderer):
    """Wraps whatever a VBA view returns in the envelope (204 stays empty)."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code == status.HTTP_204_NO_CONTENT:
            return b""
        failed = response is not None and response.exception
        body = envelope(error=data) if failed else envelope(data=data)
        return super().render(body, accepted_media_type, renderer_context)


#: What VBA's document declares for every response (and what .NET clients send): all answered with JSON.
JSON_ACCEPTS = frozenset({"text/plain", "application/json", "text/json", "*/*", "application/*", "text/*"})


def _media_type(text: str) -> str:
    return text.split(";", 1)[0].strip().lower()


def is_json_body(content_type: str) -> bool:
    """``application/json``, ``text/json`` or ``application/*+json`` (VBA's request types, decisions.md 14)."""
    media = _media_type(content_type)
    return media in ("application/json", "text/json") or (media.startswith("application/") and media.endswith("+json"))


class VBAContentNegotiation(DefaultContentNegotiation):
    """Request bodies in any of VBA's JSON media types; a JSON answer whenever the client accepts one of the types
    VBA's document lists (``text/plain`` first), with ``Content-Type: application/json``. Anything else: 406/415."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        parser = super().select_parser(request, parsers)
        if parser is None and is_json_body(request.content_type):
            return next((p for p in parsers if p.media_type == "application/json"), None)
        return parser

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> tuple[BaseRenderer, str]:
        accepted = {_media_type(part) for part in request.META.get("HTTP_ACCEPT", "").split(",")}
        if accepted & JSON_ACCEPTS or any(is_json_body(media) for media in accepted):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}{name}")
        return out
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def _token_problem(exc: InvalidToken) -> str:
    detail: dict[str, Any] = dict(exc.detail) if isinstance(exc.detail, dict) else {}
    messages: Any = detail.get("messages") or []
    first = messages[0].get("message") if messages and isinstance(messages[0], dict) else None
    return str(first or detail.get("detail") or "not a valid token").rstrip(".").lower()


def vba_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    request = context["request"]
    if is_unavailable(exc):  # the database is away: 503 with Retry-After, whatever was being done
        set_rollback()
        log_unavailable(exc, current_activity_id())
        discard_broken_connections()
        problem_503 = problem(status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, request.path)
        return Response(problem_503, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": retry_after()})
    response = exception_handler(exc, context)
    if response is None:
        set_rollback()
        logger.exception("Unhandled error activityID=%s", current_activity_id(), exc_info=exc)
        response = Response(status=status.HTTP_500_INTERNAL_SERVER_ERROR)
        detail = INTERNAL_ERROR
    elif isinstance(exc, InvalidToken):  # simplejwt's detail nests a per-token-class list: say it in one sentence
        detail = f"The idToken is invalid or expired ({_token_problem(exc)}); sign in again"
    elif isinstance(exc, exceptions.APIException):
        detail = "; ".join(_flatten(exc.detail))
    else:
        detail = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
    response.data = problem(response.status_code, detail, request.path)
    return response


def vba_error_response(request: HttpRequest, status_code: int, detail: str) -> HttpResponse:
    """The envelope for errors raised outside DRF (unknown URL, a crash in middleware)."""
    body = envelope(error=problem(status_code, detail, request.path))
    response = HttpResponse(json.dumps(body), status=status_code, content_type="application/json")
    if status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = retry_after()
    return response


def refusal_response(request: HttpRequest, status_code: int, detail: str, *, field: str = "body") -> HttpResponse:
    """:func:`vba_error_response` as serving's refusals call it (registered by :class:`config.vba.apps.VBAConfig`;
    VBA's problem details name no field)."""
    return vba_error_response(request, status_code, detail)
