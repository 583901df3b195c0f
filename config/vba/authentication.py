"""VBA security: ``x-api-key`` (the client) and ``Authorization: Bearer <idToken>`` (the user), then the database.

Order of checks (decisions.md 1-2): credentials (401), then the ``vbasoftware-database`` header (missing: 400;
unknown, not allowed for the client, not granted to the user, or not the database the token was issued for: 403 with
one text, so nobody can probe which databases exist), then the body.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from config.api.models import APIClient, DatabaseGrant, SpentRefreshToken
from config.serving.ratelimit import login_wait, take
from config.serving.tenancy import granted_databases, is_vba_database, select_for_request

DATABASE_CLAIM = "vba_db"
UNKNOWN_DATABASE = "Unknown or unauthorized database"


class MissingDatabaseHeader(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "vbasoftware-database header is required"
    default_code = "missing_database"


class UnknownDatabase(exceptions.PermissionDenied):
    default_detail = UNKNOWN_DATABASE
    default_code = "unknown_database"


class CredentialCache:
    """What a credential lookup found, kept in this process for ``VBA_CREDENTIAL_CACHE_SECONDS`` (0: not kept).

    A request with a known API key and user then costs no query in ``default``. A key revoked or expired, a user
    deactivated or deleted, a grant removed: the process that made the change forgets everything at once (the
    model signals below), every other worker within the TTL (README "Performance"). Changes that send no signal
    (``QuerySet.update``, SQL) are seen within the TTL too. Only successful lookups are kept; a failed one is asked
    of the database every time."""

    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: Any, value: Any) -> None:
        ttl = settings.VBA_CREDENTIAL_CACHE_SECONDS
        if ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


credentials = CredentialCache()


def forget_credentials(**kwargs: Any) -> None:
    """A saved or deleted API client, grant or user: this process looks every credential up again."""
    credentials.clear()


for _model in (APIClient, DatabaseGrant, get_user_model()):
    post_save.connect(forget_credentials, sender=_model, dispatch_uid=f"forget-credentials-save-{_model.__name__}")
    post_delete.connect(forget_credentials, sender=_model, dispatch_uid=f"forget-credentials-delete-{_model.__name__}")


def authenticate_client(request: Request) -> APIClient:
    """The API client named by ``x-api-key`` (401 when missing, unknown, revoked or expired)."""
    cached = getattr(request, "vba_client", None)
    if cached is not None:
        return cached
    key = request.headers.get("x-api-key")
    if not key:
        raise exceptions.NotAuthenticated("x-api-key header is required")
    digest = ("client", hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest())
    client: APIClient | None = credentials.get(digest)
    if client is None:
        try:
            client = APIClient.objects.get_from_key(key)  # type: ignore[assignment]  # checks the key's hash
        except APIClient.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key") from None
        assert client is not None
        credentials.put(digest, client)
    if client.revoked or client.has_expired:
        raise exceptions.AuthenticationFailed("Invalid or revoked API key")
    request.vba_client = client  # type: ignore[attr-defined]
    return client


def user_databases(user: Any) -> list[str]:
    """:func:`~config.serving.tenancy.granted_databases` of ``user``, kept like the user's lookup
    (:class:`CredentialCache`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    key = ("grants", user.pk)
    granted: list[str] | None = credentials.get(key)
    if granted is None:
        granted = granted_databases(user)
        credentials.put(key, granted)
    return granted


def check_database(request: Request, client: APIClient, user: Any, alias: str | None = None) -> str:
    """The database named by the header (or ``alias``, a refresh token's), if the client and the user may both use
    it."""
    alias = alias or request.headers.get("vbasoftware-database")
    if not alias:
        raise MissingDatabaseHeader()
    if not is_vba_database(alias) or alias not in client.databases or alias not in user_databases(user):
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
    """simplejwt's check of the idToken; the user it names is looked up once per :class:`CredentialCache` TTL."""

    www_authenticate_realm = "vbasoftware"

    def get_user(self, validated_token: Any) -> Any:
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken("Token contained no recognizable user identification") from None
        key = ("user", user_id)
        user = credentials.get(key)
        if user is None:
            user = super().get_user(validated_token)  # 401 when missing or inactive
            credentials.put(key, user)
        elif jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:  # pragma: no cover - never cached inactive
            raise exceptions.AuthenticationFailed("User is inactive", code="user_inactive")
        return user


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
