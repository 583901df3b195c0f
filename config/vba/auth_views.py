"""VBA's ``POST /user-authentication`` and ``POST /user-refresh-tokens``."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from config.vba.authentication import (
    DATABASE_CLAIM,
    LoginThrottle,
    UnknownDatabase,
    authenticate_client,
    check_database,
    issue_tokens,
    spend_refresh_token,
)
from config.vba.schema import DATABASE_HEADER, TOKEN_RESPONSES
from config.vba.views import VBAView


def _basic_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise exceptions.NotAuthenticated("HTTP Basic credentials (username:password) are required")
    try:
        username, sep, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise exceptions.AuthenticationFailed("Malformed HTTP Basic credentials") from None
    if not sep:
        raise exceptions.AuthenticationFailed("Malformed HTTP Basic credentials")
    return username, password


class TokenView(VBAView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes = [LoginThrottle]

    openapi_security: list[dict[str, list[Any]]] = [{"apiKeyAuth": [], "basicAuth": []}]

    def get_authenticate_header(self, request: Request) -> str:
        return 'Basic realm="vbasoftware"'


class UserAuthenticationView(TokenView):
    """HTTP Basic + ``x-api-key`` + ``vbasoftware-database`` → tokens bound to that database."""

    @extend_schema(
        summary="Log in (HTTP Basic) and get tokens",
        parameters=[DATABASE_HEADER],
        request=None,
        responses=TOKEN_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        client = authenticate_client(request)
        username, password = _basic_credentials(request)
        user = authenticate(request._request, username=username, password=password)
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("Invalid username or password")
        database = check_database(request, client, user)
        return Response(issue_tokens(user, database))


class UserRefreshTokensView(TokenView):
    """``expired-id-token`` and ``refresh-token`` headers → new tokens for the same user and database."""

    @extend_schema(
        summary="Refresh tokens",
        parameters=[
            OpenApiParameter("refresh-token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("expired-id-token", OpenApiTypes.STR, OpenApiParameter.HEADER),
        ],
        request=None,
        responses=TOKEN_RESPONSES,
    )
    def post(self, request: Request) -> Response:
        client = authenticate_client(request)
        raw = request.headers.get("refresh-token")
        if not raw:
            raise exceptions.NotAuthenticated("refresh-token header is required")
        try:
            refresh = RefreshToken(raw)  # type: ignore[arg-type]
        except TokenError:
            raise exceptions.AuthenticationFailed("Invalid or expired refresh token") from None
        expired = request.headers.get("expired-id-token")
        if expired:
            try:
                old = AccessToken(expired, verify=False)  # type: ignore[arg-type]
            except TokenError:
                raise exceptions.AuthenticationFailed("Malformed expired-id-token") from None
            if str(old.get("user_id")) != str(refresh.get("user_id")):
                raise exceptions.AuthenticationFailed("The id token and the refresh token belong to different users")
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=refresh.get("user_id"), is_active=True).first()
        if user is None:
            raise exceptions.AuthenticationFailed("The user of this refresh token no longer exists or is inactive")
        database = refresh.get(DATABASE_CLAIM)
        if request.headers.get("vbasoftware-database", database) != database:
            raise UnknownDatabase()
        check_database(request, client, user, alias=database)  # the header may be left out: the token's database
        spend_refresh_token(refresh)
        return Response(issue_tokens(user, database))
