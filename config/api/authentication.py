"""VBA security: ``x-api-key`` (the client) and ``Authorization: Bearer <idToken>`` (the user), then the database.

Order of checks (decisions.md 1-2): credentials (401), then the ``vbasoftware-database`` header (missing: 400;
unknown, not allowed for the client, not granted to the user, or not the database the token was issued for: 403 with
one text, so nobody can probe which databases exist), then the body.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from config.api.models import APIClient, SpentRefreshToken
from config.api.ratelimit import parse_rate, take
from config.api.tenancy import granted_databases, is_vba_database, select_for_request

DATABASE_CLAIM = "vba_db"
UNKNOWN_DATABASE = "Unknown or unauthorized database"


class MissingDatabaseHeader(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "vbasoftware-database header is required"
    default_code = "missing_database"


class UnknownDatabase(exceptions.PermissionDenied):
    default_detail = UNKNOWN_DATABASE
    default_code = "unknown_database"


def authenticate_client(request: Request) -> APIClient:
    """The API client named by ``x-api-key`` (401 when missing, unknown, revoked or expired)."""
    cached = getattr(request, "vba_client", None)
    if cached is not None:
        return cached
    key = request.headers.get("x-api-key")
    if not key:
        raise exceptions.NotAuthenticated("x-api-key header is required")
    try:
        client: APIClient = APIClient.objects.get_from_key(key)  # type: ignore[assignment]
    except APIClient.DoesNotExist:
        raise exceptions.AuthenticationFailed("Invalid or revoked API key") from None
    if not client.is_valid(key):
        raise exceptions.AuthenticationFailed("Invalid or revoked API key")
    request.vba_client = client  # type: ignore[attr-defined]
    return client


def check_database(request: Request, client: APIClient, user: Any, alias: str | None = None) -> str:
    """The database named by the header (or ``alias``, a refresh token's), if the client and the user may both use
    it."""
    alias = alias or request.headers.get("vbasoftware-database")
    if not alias:
        raise MissingDatabaseHeader()
    if not is_vba_database(alias) or alias not in client.databases or alias not in granted_databases(user):
        raise UnknownDatabase()
    return alias


def issue_tokens(user: Any, database: str) -> dict[str, Any]:
    """``authenticationResult`` of VBA's user-authentication: tokens bound to ``database``."""
    refresh = RefreshToken.for_user(user)
    refresh[DATABASE_CLAIM] = database
    access = refresh.access_token
    access[DATABASE_CLAIM] = database
    lifetime: Any = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
    return {
        "authenticationResult": {
            "idToken": str(access),
            "accessToken": str(access),
            "refreshToken": str(refresh),
            "expiresIn": int(lifetime.total_seconds()),
        }
    }


def spend_refresh_token(refresh: RefreshToken) -> None:
    """Mark ``refresh`` used, once: a second use (or a concurrent one) is a 401. Spent ids past their expiry go."""
    now = timezone.now()
    SpentRefreshToken.objects.filter(expires_at__lt=now).delete()
    try:
        with transaction.atomic(using="default"):
            SpentRefreshToken.objects.create(jti=refresh["jti"], expires_at=datetime_from_epoch(refresh["exp"]))
    except IntegrityError:
        raise exceptions.AuthenticationFailed(
            "This refresh token was already used; use the one the last refresh returned, or sign in again"
        ) from None


class BearerAuthentication(JWTAuthentication):
    www_authenticate_realm = "vbasoftware"


class VBAAccess(BasePermission):
    """Both credentials, then the database; selects the database for the rest of the request."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user is None:
            raise exceptions.NotAuthenticated("Authorization: Bearer <idToken> header is required")
        client = authenticate_client(request)
        alias = check_database(request, client, request.user)
        if request.auth is None or request.auth.get(DATABASE_CLAIM) != alias:  # type: ignore[union-attr]
            raise UnknownDatabase()
        select_for_request(alias)
        return True


class ClientRateThrottle(BaseThrottle):
    """Token bucket per API key: ``VBA_RATE_LIMIT_PER_SECOND`` sustained, ``VBA_RATE_LIMIT_BURST`` burst."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        client = getattr(request, "vba_client", None)
        if client is None:
            return True
        wait = take(f"vba-throttle:{client.pk}", settings.VBA_RATE_LIMIT_PER_SECOND, settings.VBA_RATE_LIMIT_BURST)
        self._wait = wait or 0.0
        return wait is None

    def wait(self) -> float:
        return max(self._wait, 0.001)


def login_wait(request: Any, credential: str) -> float | None:
    """``LOGIN_RATE_LIMIT`` attempts per credential (API key or OAuth client id, hashed) and per source address, on
    the login, refresh and token endpoints: None if admitted, else the seconds to wait."""
    rate, burst = parse_rate(settings.LOGIN_RATE_LIMIT)
    digest = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    address = BaseThrottle().get_ident(request)
    waits = [take(f"login-throttle:key:{digest}", rate, burst), take(f"login-throttle:ip:{address}", rate, burst)]
    return max((w for w in waits if w is not None), default=None)


class LoginThrottle(BaseThrottle):
    """:func:`login_wait` keyed on the ``x-api-key`` header (VBA's login and refresh)."""

    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        wait = login_wait(request, request.headers.get("x-api-key", ""))
        self._wait = wait or 0.0
        return wait is None

    def wait(self) -> float:
        return max(self._wait, 0.001)
