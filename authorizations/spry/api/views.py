"""Spry's Authorization API (spry.md) and its OAuth 2.0 token endpoint.

Thin views: authentication (an OAuth 2.0 bearer token of django-oauth-toolkit), the organisation and scope checks,
then a selector or a service. Responses use Spry's envelope (``config.spry.protocol``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from oauth2_provider.views import TokenView
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from authorizations.spry.api.serializers import (
    AuthorizationCreate,
    AuthorizationUpdate,
    SpryAuthorizationEnvelope,
    SpryAuthorizationListEnvelope,
    SpryDeletedEnvelope,
    SpryErrorEnvelope,
    authorization_json,
    validate_body,
)
from authorizations.spry.models import Authorization, SpryClient
from authorizations.spry.selectors import (
    authorization_get,
    authorization_search,
    authorizations_for_case,
)
from authorizations.spry.services import authorization_create, authorization_delete, authorization_update
from config.spry.protocol import (
    SPRY_API_PREFIX,
    SpryContentNegotiation,
    SpryJSONParser,
    SpryNotFound,
    SpryRateThrottle,
    SpryRenderer,
    header_only_oauthlib_core,
    spry_error_response,
    spry_exception_handler,
    token_request_refusal,
    validation_error,
)

NOT_FOUND = "Authorization not found"
CASE_NOT_FOUND = "Case not found"
DELETED = "Authorization deleted successfully"


class BearerToken(OAuth2Authentication):
    """django-oauth-toolkit's bearer-token check on the ``Authorization`` header alone: it never reads the body
    (authentication comes first: a bad token is a 4001 even when the body is malformed or huge), and a token in the
    URL (``?access_token=``) is refused, since URLs end up in logs."""

    www_authenticate_realm = "spry"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        if "access_token" in request.query_params:
            raise exceptions.AuthenticationFailed(
                "access_token may not be sent in the URL; send it in the Authorization: Bearer header"
            )
        valid, oauth_request = header_only_oauthlib_core().verify_request(request._request, scopes=[])
        if valid:
            return oauth_request.user, oauth_request.access_token
        request.oauth2_error = getattr(oauth_request, "oauth2_error", {})  # type: ignore[attr-defined]
        return None


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """OpenAPI: OAuth 2.0 client credentials at ``/apis/v2/oauth/token``; ``read`` for GETs, ``write`` otherwise."""

    target_class = BearerToken
    name = "spryOAuth2"

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        return {self.name: ["read" if auto_schema.method in SAFE_METHODS else "write"]}

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "description": "Client credentials (form-encoded). Tokens expire after 3600 s.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/apis/v2/oauth/token",
                    "scopes": {"read": "Read authorizations", "write": "Create, update and delete authorizations"},
                }
            },
        }


class SpryAccess(BasePermission):
    """A valid token (4001), of a client linked to an organisation, with scope ``read`` for GETs and ``write`` for
    POST and DELETE (4003 otherwise)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if token is None:
            if request.headers.get("Authorization"):
                raise exceptions.AuthenticationFailed("Invalid or expired access token")
            raise exceptions.NotAuthenticated(
                "Authorization: Bearer <access_token> header is required (POST /apis/v2/oauth/token)"
            )
        try:
            client: SpryClient = token.application.spry_client  # type: ignore[union-attr]
        except (AttributeError, ObjectDoesNotExist):
            raise exceptions.PermissionDenied("This OAuth client is not linked to an organisation") from None
        needed = "read" if request.method in SAFE_METHODS else "write"
        if not token.allow_scopes([needed]):  # type: ignore[union-attr]
            raise exceptions.PermissionDenied(f"This token lacks the '{needed}' scope")
        request.spry_client = client  # type: ignore[attr-defined]
        return True


class SpryView(APIView):
    """Authentication, scope, envelope, parsing and throttling shared by every Spry endpoint."""

    authentication_classes = [BearerToken]
    permission_classes = [SpryAccess]
    throttle_classes = [SpryRateThrottle]
    parser_classes = [SpryJSONParser]
    renderer_classes = [SpryRenderer]
    content_negotiation_class = SpryContentNegotiation

    def get_exception_handler(self) -> Any:
        return spry_exception_handler

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """A write and its history commit only with a success: any error answer (4000 to 5000) rolls it back."""
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if getattr(response, "exception", False) or response.status_code >= 400:
                transaction.set_rollback(True)
        return response

    def organisation_id(self) -> int:
        return int(self.request.spry_client.organisation_id)  # type: ignore[attr-defined]

    def history_reason(self) -> str:
        client: SpryClient = self.request.spry_client  # type: ignore[attr-defined]
        return f"Spry API, client {client.application.name}"

    def check_organisation(self, data: dict[str, Any]) -> None:
        sent = data.get("organisation_id")
        if sent is not None and sent != self.organisation_id():
            raise exceptions.PermissionDenied(
                f"organisation_id {sent} is not the organisation of this token ({self.organisation_id()})"
            )

    def json_body(self) -> Any:
        """The parsed JSON body; a request without one is a 4000 (an empty body is not a JSON object)."""
        if self.request.stream is None:
            raise exceptions.ParseError("Request body is empty; send a JSON object.")
        return self.request.data

    def get_authorization(self, authorization_id: str) -> Authorization:
        authorization = authorization_get(organisation_id=self.organisation_id(), authorization_id=authorization_id)
        if authorization is None:
            raise SpryNotFound(NOT_FOUND)
        return authorization

    def render(self, authorization: Authorization) -> dict[str, Any]:
        """Re-read (payer and lists as stored) and render one authorization."""
        return authorization_json(self.get_authorization(authorization.authorization_id))


_ERRORS = {
    400: OpenApiResponse(SpryErrorEnvelope, description="4000: a NUL in the path or query, a bad Content-Length"),
    401: OpenApiResponse(SpryErrorEnvelope, description="4001: missing, invalid or expired token"),
    403: OpenApiResponse(SpryErrorEnvelope, description="4003: the token lacks the scope, or another organisation"),
    413: OpenApiResponse(SpryErrorEnvelope, description="4013: the body is over SPRY_MAX_BODY_BYTES"),
    414: OpenApiResponse(SpryErrorEnvelope, description="4014: the path is over MAX_PATH_LENGTH"),
    415: OpenApiResponse(SpryErrorEnvelope, description="4015: the body is not JSON"),
    429: OpenApiResponse(SpryErrorEnvelope, description="4029: rate limited (Retry-After)"),
    500: OpenApiResponse(SpryErrorEnvelope, description="5000: server error"),
}
_TAGS = ["Spry Authorization"]


def spry_document(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """OpenAPI postprocessing hook for the Spry operations.

    * A Spry HTTP 200 is the operation's success envelope (code 2000) or SpryErrorEnvelope (4000 with ``errors``,
      4004), as :func:`_ok` describes.
    * An optional field (pydantic's ``X | None``) comes out of the conversion as ``anyOf: [X, {nullable: true}]``,
      whose second branch (no type) admits any value; it becomes ``X`` with ``nullable: true``.
    """
    error = {"$ref": "#/components/schemas/SpryErrorEnvelope"}
    for path, item in result["paths"].items():
        if not path.startswith(SPRY_API_PREFIX):
            continue
        for operation in item.values():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            for media in content.values():
                media["schema"] = {"oneOf": [media["schema"], error]}
    _nullable_in_place(result["components"]["schemas"])  # only Spry's components have them (VBA's are VBA's own)
    return result


def _nullable_in_place(node: Any) -> None:
    if isinstance(node, list):
        for child in node:
            _nullable_in_place(child)
    if not isinstance(node, dict):
        return
    branches = node.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and {"nullable": True} in branches:
        [kept] = [b for b in branches if b != {"nullable": True}]
        del node["anyOf"]
        node.update({"allOf": [kept]} if "$ref" in kept else kept)
        node["nullable"] = True
    for child in node.values():
        _nullable_in_place(child)


def _ok(envelope: Any, description: str) -> OpenApiResponse:
    return OpenApiResponse(
        envelope,
        description=f"{description}. Business errors also answer HTTP 200: code 4000 (validation, with `errors`) or "
        "4004 (not found), in SpryErrorEnvelope.",
    )


class AuthorizationCollectionView(SpryView):
    """``POST /authorization`` (create) and ``GET /authorization?case_id=`` (a case's authorizations)."""

    @extend_schema(
        tags=_TAGS,
        operation_id="spry_authorization_list",
        summary="All authorizations of a case",
        parameters=[
            OpenApiParameter("case_id", {"type": "string", "minLength": 1}, required=True, description="Spry case id")
        ],
        responses={
            200: _ok(SpryAuthorizationListEnvelope, "Oldest first; `[]` when the case has none left"),
            **_ERRORS,
        },
    )
    def get(self, request: Request) -> Response:
        case_id = request.query_params.get("case_id")
        if not case_id:
            raise validation_error("case_id", "is required")
        rows = authorizations_for_case(organisation_id=self.organisation_id(), spry_case_id=case_id)
        if rows is None:
            raise SpryNotFound(CASE_NOT_FOUND)
        return Response([authorization_json(a) for a in rows])

    @extend_schema(
        tags=_TAGS,
        operation_id="spry_authorization_create",
        summary="Create an authorization for a patient case",
        request=AuthorizationCreate,
        responses={200: _ok(SpryAuthorizationEnvelope, "The new authorization"), **_ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = validate_body(AuthorizationCreate, self.json_body())
        self.check_organisation(data)
        authorization = authorization_create(
            organisation_id=self.organisation_id(), data=data, reason=self.history_reason()
        )
        return Response(self.render(authorization))


class AuthorizationSearchView(SpryView):
    """``GET /authorization/search?patientName=&authorizationReferenceNumber=&organisationId=``."""

    @extend_schema(
        tags=_TAGS,
        operation_id="spry_authorization_search",
        summary="Search authorizations (filters combine with AND)",
        parameters=[
            OpenApiParameter("patientName", str, description="Case-insensitive substring of the patient's name"),
            OpenApiParameter("authorizationReferenceNumber", str, description="Exact reference number"),
            OpenApiParameter("organisationId", int, description="Must be the token's organisation"),
        ],
        responses={200: _ok(SpryAuthorizationListEnvelope, "Matching authorizations, oldest first"), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        organisation = params.get("organisationId")
        if organisation:
            if not re.fullmatch(r"[+-]?[0-9]+", organisation):
                raise validation_error("organisationId", "must be an integer")
            if int(organisation) != self.organisation_id():
                raise exceptions.PermissionDenied(
                    f"organisationId {organisation} is not the organisation of this token"
                )
        rows = authorization_search(
            organisation_id=self.organisation_id(),
            patient_name=params.get("patientName") or None,
            authorization_reference_number=params.get("authorizationReferenceNumber") or None,
        )
        return Response([authorization_json(a) for a in rows])


class AuthorizationDetailView(SpryView):
    """``GET``, ``POST`` (partial update) and ``DELETE /authorization/{authorizationId}``."""

    @extend_schema(
        tags=_TAGS,
        operation_id="spry_authorization_get",
        summary="One authorization",
        responses={200: _ok(SpryAuthorizationEnvelope, "The authorization"), **_ERRORS},
    )
    def get(self, request: Request, authorizationId: str) -> Response:  # noqa: N803 - Spry's name
        return Response(authorization_json(self.get_authorization(authorizationId)))

    @extend_schema(
        tags=_TAGS,
        operation_id="spry_authorization_update",
        summary="Partially update an authorization (only the fields sent change; lists are replaced whole)",
        request=AuthorizationUpdate,
        responses={200: _ok(SpryAuthorizationEnvelope, "The authorization after the update"), **_ERRORS},
    )
    def post(self, request: Request, authorizationId: str) -> Response:  # noqa: N803 - Spry's name
        authorization = self.get_authorization(authorizationId)
        data = validate_body(AuthorizationUpdate, self.json_body())
        self.check_organisation(data)
        authorization, _changed = authorization_update(
            authorization=authorization, data=data, reason=self.history_reason()
        )
        return Response(self.render(authorization))

    @extend_schema(
        tags=_TAGS,
        operation_id="spry_authorization_delete",
        summary="Delete an authorization",
        responses={200: _ok(SpryDeletedEnvelope, "Deleted"), **_ERRORS},
    )
    def delete(self, request: Request, authorizationId: str) -> Response:  # noqa: N803 - Spry's name
        authorization_delete(authorization=self.get_authorization(authorizationId), reason=self.history_reason())
        return Response(DELETED)


class SpryTokenView(TokenView):
    """``POST /apis/v2/oauth/token`` (client credentials, form-encoded), django-oauth-toolkit's token endpoint.

    A successful response adds Spry's fields: ``organisation_id``, ``clinic_id_list``, ``user_id`` (null: a client
    acts for its organisation, not for a user) and ``roles`` (empty). Errors keep RFC 6749's ``error`` and
    ``error_description`` (what OAuth libraries read) and add the envelope's ``code``/``data``/``message``."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = token_request_refusal(request)
        if refusal is not None:
            return refusal
        response = super().post(request, *args, **kwargs)
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        if response.status_code == 200 and "access_token" in body:
            checksum = hashlib.sha256(body["access_token"].encode("utf-8")).hexdigest()
            token = get_access_token_model().objects.select_related("application").get(token_checksum=checksum)
            client = SpryClient.objects.filter(application_id=token.application_id).first()
            body["organisation_id"] = client.organisation_id if client else None
            body["user_id"] = None
            body["roles"] = []
            body["clinic_id_list"] = list(client.clinic_ids) if client else []
        elif isinstance(body, dict) and "error" in body:
            code = 4001 if response.status_code == 401 or body["error"] == "invalid_client" else 4000
            message = body.get("error_description") or body["error"].replace("_", " ")
            body.update({"code": code, "data": None, "message": message})
        response.content = json.dumps(body).encode("utf-8")
        response["Content-Length"] = str(len(response.content))
        return response

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = spry_error_response(request, 405, f"Method {request.method} not allowed; use POST")
        response["Allow"] = "POST"
        return response
