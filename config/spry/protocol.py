"""Spry's wire protocol: the ``{"code", "data", "message"}`` envelope, its error codes, JSON parsing and throttling.

Codes (decisions.md, Spry 1): 2000 success; 4000 validation failure (HTTP 200, with an extra ``errors`` object
``{field: [messages]}``); 4004 not found (HTTP 200); 4001 missing/invalid/expired token (HTTP 401); 4003 not allowed
(HTTP 403); 4029 rate limited (HTTP 429); 5000 server error (HTTP 500, no internals); 5003 the database is
unavailable (HTTP 503 with ``Retry-After``: README, Contract notes). Other HTTP-level failures
follow the same pattern, ``4000 + (status - 400)``: an unknown path is 4004 with HTTP 404, a wrong method 4005 with
HTTP 405, a body over the size limit 4013 with HTTP 413.

Every response under :data:`SPRY_API_PREFIX` goes through it: DRF responses via :class:`SpryRenderer` and
:func:`spry_exception_handler`, Django-level 404/500 via :func:`spry_error_response` (wired in ``config.urls``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.settings import oauth2_settings
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import set_rollback

from config.records.dbfaults import (
    UNAVAILABLE_MESSAGE,
    discard_broken_connections,
    is_unavailable,
    log_unavailable,
    retry_after,
)
from config.records.parsers import StrictJSONParser
from config.records.renderers import SafeJSONRenderer
from config.serving.middleware import current_activity_id
from config.serving.ratelimit import login_wait, parse_rate, take

logger = logging.getLogger("vbapi.request")

SPRY_API_PREFIX = "/apis/"

SUCCESS = 2000
VALIDATION_FAILED = 4000
UNAUTHENTICATED = 4001
FORBIDDEN = 4003
NOT_FOUND = 4004
RATE_LIMITED = 4029
SERVER_ERROR = 5000
SERVICE_UNAVAILABLE = 5003

SUCCESS_MESSAGE = "Success"
INTERNAL_ERROR = "An unexpected error occurred; please try again later."


def spry_envelope(data: Any = None, *, code: int = SUCCESS, message: str = SUCCESS_MESSAGE) -> dict[str, Any]:
    return {"code": code, "data": data, "message": message}


class SpryError(exceptions.APIException):
    """A business error answered with HTTP 200 and a non-2000 ``code`` (e.g. 4004 "Authorization not found")."""

    status_code = status.HTTP_200_OK
    spry_code = NOT_FOUND
    default_detail = "Not found"

    def __init__(self, message: str | None = None, *, code: int | None = None) -> None:
        super().__init__(detail=message)
        if code is not None:
            self.spry_code = code


class SpryNotFound(SpryError):
    spry_code = NOT_FOUND
    default_detail = "Authorization not found"


class SpryValidationError(SpryError):
    """Code 4000: ``errors`` maps each failing field (``icd_codes[0].id`` for nested ones) to its messages."""

    spry_code = VALIDATION_FAILED
    default_detail = "Validation failed"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {m}" for field, messages in errors.items() for m in messages))


def validation_error(field: str, message: str) -> SpryValidationError:
    return SpryValidationError({field: [message]})


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error details → ``{field: [messages]}`` (``body`` for errors that name no field)."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "body" if key in ("non_field_errors", "detail") else str(key)
            for field, messages in _flatten(value, f"{prefix}{name}").items():
                out.setdefault(field, []).extend(messages)
        return out
    if isinstance(detail, list):
        out = {}
        for item in detail:
            for field, messages in _flatten(item, prefix).items():
                out.setdefault(field, []).extend(messages)
        return out
    return {prefix or "body": [str(detail)]}


def _code_for_status(http_status: int) -> int:
    if http_status == status.HTTP_503_SERVICE_UNAVAILABLE:
        return SERVICE_UNAVAILABLE
    if http_status >= 500:
        return SERVER_ERROR
    return 4000 + (http_status - 400)


def spry_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Every exception raised in a Spry view → the envelope (see the module docstring for the codes)."""
    headers: dict[str, str] = {}
    errors: dict[str, list[str]] | None = None
    http_status: int
    code: int
    message: str
    if isinstance(exc, SpryValidationError):
        http_status, code, message, errors = status.HTTP_200_OK, exc.spry_code, str(exc.detail), exc.errors
    elif isinstance(exc, SpryError):
        http_status, code, message = status.HTTP_200_OK, exc.spry_code, str(exc.detail)
    elif isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"body": list(exc.messages)}
        http_status, code = status.HTTP_200_OK, VALIDATION_FAILED
        message = "; ".join(f"{field}: {m}" for field, messages in errors.items() for m in messages)
    elif isinstance(exc, (exceptions.ValidationError, exceptions.ParseError)):
        errors = _flatten(exc.detail)
        http_status, code = status.HTTP_200_OK, VALIDATION_FAILED
        message = "; ".join(m if field == "body" else f"{field}: {m}" for field, ms in errors.items() for m in ms)
    elif isinstance(exc, (Http404, exceptions.NotFound)):
        http_status, code, message = status.HTTP_200_OK, NOT_FOUND, "Authorization not found"
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        http_status, code, message = status.HTTP_401_UNAUTHORIZED, UNAUTHENTICATED, str(exc.detail)
        authenticate = context["view"].get_authenticate_header(context["request"]) if "view" in context else None
        if authenticate:
            headers["WWW-Authenticate"] = authenticate
    elif isinstance(exc, exceptions.APIException):
        http_status, message = exc.status_code, str(exc.detail)
        code = _code_for_status(http_status)
        wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
        if wait is not None:
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
    elif is_unavailable(exc):  # the database is away: 5003 (HTTP 503) with Retry-After
        log_unavailable(exc, current_activity_id())
        discard_broken_connections()
        http_status, code, message = status.HTTP_503_SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
        headers["Retry-After"] = retry_after()
    else:
        logger.exception("Unhandled error in a Spry API view activityID=%s", current_activity_id(), exc_info=exc)
        http_status, code, message = status.HTTP_500_INTERNAL_SERVER_ERROR, SERVER_ERROR, INTERNAL_ERROR
    set_rollback()
    body = spry_envelope(None, code=code, message=message)
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=http_status, headers=headers)


class SpryRenderer(SafeJSONRenderer):
    """Wraps what a Spry view returns as ``{"code": 2000, "data": ..., "message": "Success"}``; error responses
    (built by :func:`spry_exception_handler`) are already enveloped."""

    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is None or not response.exception:
            data = spry_envelope(data)
        return super().render(data, accepted_media_type, renderer_context)


class SpryContentNegotiation(BaseContentNegotiation):
    """JSON whatever the ``Accept`` header says (Spry answers JSON only); parsers are matched as usual."""

    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> BaseParser | None:
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class SpryJSONParser(StrictJSONParser):
    """Strict JSON (no NaN, exact decimals) within ``SPRY_MAX_BODY_BYTES``; malformed JSON is a 4000."""

    max_bytes_setting = "SPRY_MAX_BODY_BYTES"
    empty_message = "Request body is empty; send a JSON object."


class SpryRateThrottle(BaseThrottle):
    """``SPRY_RATE_LIMIT`` requests per OAuth client (per token's application), shared by every worker."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        application_id = getattr(request.auth, "application_id", None)
        if application_id is None or not settings.SPRY_RATE_LIMIT:
            return True
        rate, burst = parse_rate(settings.SPRY_RATE_LIMIT)
        wait = take(f"spry-throttle:{application_id}", rate, burst)
        self._wait = wait or 0.0
        return wait is None

    def wait(self) -> float:
        return max(self._wait, 0.001)


#: Spry's OAuth token endpoint: its refusals keep OAuth's HTTP 400 (RFC 6749 5.2), in Spry's envelope.
TOKEN_PATH = "/apis/v2/oauth/token"


def spry_error_response(request: HttpRequest, http_status: int, message: str, *, field: str = "body") -> HttpResponse:
    """The envelope for errors raised outside DRF (unknown URL, a refused request line, a crash in middleware).

    A 400 of the API is a validation failure: code 4000 with HTTP 200 and ``errors`` naming ``field``, exactly as
    the views answer one (decisions.md, Spry 1)."""
    if http_status == status.HTTP_400_BAD_REQUEST and not request.path.startswith(TOKEN_PATH):
        body = spry_envelope(None, code=VALIDATION_FAILED, message=message)
        body["errors"] = {field: [message]}
        return HttpResponse(json.dumps(body), status=status.HTTP_200_OK, content_type="application/json")
    body = spry_envelope(None, code=_code_for_status(http_status), message=message)
    response = HttpResponse(json.dumps(body), status=http_status, content_type="application/json")
    if http_status == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = retry_after()
    return response


class HeaderOnlyOAuthLibCore(OAuthLibCore):
    """django-oauth-toolkit's bridge to oauthlib for checking a bearer token on a resource request: it reads the
    ``Authorization`` header only, never the body (the stock one parses the form body through ``request.POST``
    before the token is even checked). A token in the query string is refused by the caller."""

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        return []


def header_only_oauthlib_core() -> HeaderOnlyOAuthLibCore:
    validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
    return HeaderOnlyOAuthLibCore(oauth2_settings.OAUTH2_SERVER_CLASS(validator, **oauth2_settings.server_kwargs))


def token_request_refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer of the token endpoint to a request it must not process: a form it cannot parse (4000), or a
    client id (HTTP Basic or form) or source address over ``LOGIN_RATE_LIMIT`` (4029); None when it may go ahead."""
    try:
        client_id = request.POST.get("client_id", "")
    except TooManyFieldsSent:
        return spry_error_response(request, 400, "The token request has too many form fields.")
    except MultiPartParserError:
        return spry_error_response(request, 400, "The token request is not a well-formed form.")
    except RequestDataTooBig:
        return spry_error_response(request, 413, "The token request body is too large.")
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            client_id = encoded
    wait = login_wait(request, client_id)
    if wait is None:
        return None
    response = spry_error_response(request, 429, "Too many token requests; retry later.")
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
