from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel, Field, RootModel
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from authorizations.vba.filters import AuthFilter, AuthReviewFilter
from authorizations.vba.models import Auth, AuthDiagCodes, AuthProcCodes, diag_key
from authorizations.vba.services import (
    AUTH,
    AUTH_CODE,
    AUTH_DIAG_CODES,
    AUTH_PROC_CODES,
    AUTH_REVIEW,
    PATH_AUTH,
    AuthAdjustmentInput,
    auth_actions,
    auth_adjust,
    auth_code_delete,
    auth_delete,
    auth_proc_codes_delete_batch,
    auth_process_status,
)
from config.records.batch import CALLER, Mode, collector_paused
from config.records.parsers import PayloadTooLarge
from config.records.services import rendered_etag
from config.vba.schema import DATABASE_HEADER, ERRORS, BatchItemResult, envelope_of, vba_schema
from config.vba.views import VBAResourceViewSet, VBAView, parse_int32

AUTH_NUMBER = OpenApiParameter("authNumber", OpenApiTypes.STR, OpenApiParameter.PATH)
AUTH_CODE_KEY = OpenApiParameter("authCode", OpenApiTypes.STR, OpenApiParameter.PATH)
NEW_AUTH_CODE = OpenApiParameter("newAuthCode", OpenApiTypes.STR, OpenApiParameter.PATH)
PROCEDURE_CODE_KEY = OpenApiParameter("procedureCodeKey", OpenApiTypes.INT32, OpenApiParameter.PATH)
AUTH_REVIEW_KEY = OpenApiParameter("authReviewKey", OpenApiTypes.INT32, OpenApiParameter.PATH)
DIAGNOSTIC_CODE = OpenApiParameter("diagnosticCode", OpenApiTypes.STR, OpenApiParameter.PATH)
DIAGNOSTIC_CODE_TYPE = OpenApiParameter("diagnosticCodeType", OpenApiTypes.STR, OpenApiParameter.PATH)


@vba_schema(
    AUTH,
    key_param=AUTH_NUMBER,
    delete_conflict="The Auth still has procedure lines, diagnoses or reviews (never a cascade)",
)
class AuthViewSet(VBAResourceViewSet):
    """VBA Auths: ``PUT /auths`` (batch, 207), ``POST|GET /auths``, ``GET|PUT|DELETE /auths/{authNumber}``."""

    resource = AUTH
    key_kwarg = "authNumber"
    filterset_class = AuthFilter

    def destroy(self, request: Request, **kwargs: Any) -> Response:
        """An Auth that still has procedure lines, diagnoses or reviews is a 409 naming the counts (decision 15)."""
        key = self._key(kwargs)
        auth_delete(auth_number=key, user=request.user, if_match=request.headers.get("If-Match"))
        return Response(status=status.HTTP_204_NO_CONTENT)


@vba_schema(AUTH_REVIEW, key_param=AUTH_REVIEW_KEY)
class AuthReviewViewSet(VBAResourceViewSet):
    """Reviews of Auths (decisions 15-17): ``POST|GET /auth-reviews`` (list filter ``authNumber``, paged),
    ``GET|PUT|DELETE /auth-reviews/{authReviewKey}``, ``PUT /auth-reviews-batch`` (207). Each names its Auth in the
    body (an unknown Auth is a 400 for that item); a key of 0 (or omitted) is assigned by the server."""

    resource = AUTH_REVIEW
    key_kwarg = "authReviewKey"
    filterset_class = AuthReviewFilter
    omitted_key = 0

    def parse_key(self, raw: str) -> int:
        return parse_int32("authReviewKey", raw)

    def get_context(self) -> dict[str, Any]:
        return {CALLER: self.request.user}


class AuthChildViewSet(VBAResourceViewSet):
    """A view set under ``/auths/{authNumber}/…`` (decision 15): an unknown Auth is a 404 for the whole request; the
    records are the path Auth's only, and an item must name it."""

    auth_number: str

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # credentials, database and rate limit come first
        self.auth_number = kwargs["authNumber"]
        if not Auth.objects.filter(pk=self.auth_number).exists():
            raise exceptions.NotFound(f"Auth {self.auth_number} was not found")

    def get_context(self) -> dict[str, Any]:
        return {PATH_AUTH: self.auth_number}

    def get_queryset(self) -> QuerySet:
        return self.resource.spec.model._default_manager.filter(auth_number=self.auth_number)

    def key_filters(self) -> dict[str, Any]:
        return {"auth_number": self.auth_number}  # a record of another Auth is not found under this Auth's path


@vba_schema(AUTH_DIAG_CODES, key_param=DIAGNOSTIC_CODE_TYPE, extra_params=[AUTH_NUMBER])
class AuthDiagCodesViewSet(AuthChildViewSet):
    """The diagnoses of one Auth (decisions 15-16): ``POST|GET /auths/{authNumber}/diagnostic-codes``,
    ``GET …/diagnostic-codes/{diagnosticCode}`` (every ICD version of one code), ``GET|PUT|DELETE
    …/diagnostic-codes/{diagnosticCode}/diagnostic-code-types/{diagnosticCodeType}`` and ``PUT
    …/diagnostic-codes-batch`` (207, create or update). A diagnosis is named by its Auth, code and ICD version; a
    PUT whose body names another is a 400 naming the field."""

    resource = AUTH_DIAG_CODES
    key_kwarg = "diagnosticCodeType"

    def path_key(self, kwargs: dict[str, Any]) -> str:
        return diag_key(self.auth_number, kwargs["diagnosticCode"], kwargs["diagnosticCodeType"])

    def get_queryset(self) -> QuerySet:
        queryset = AuthDiagCodes.objects.filter(auth_number=self.auth_number)
        if self.action == "list" and "diagnosticCode" in self.kwargs:  # every ICD version of one code
            queryset = queryset.filter(diagnostic_code=self.kwargs["diagnosticCode"])
        return queryset


class AuthProcCodeKeys(RootModel[list[int]]):
    """The body of ``DELETE /auths/{authNumber}/procedure-codes-batch``: the keys of the lines to delete."""


@vba_schema(AUTH_PROC_CODES, key_param=PROCEDURE_CODE_KEY, extra_params=[AUTH_NUMBER])
class AuthProcCodesViewSet(AuthChildViewSet):
    """The procedure lines of one Auth (decisions 15-16): ``POST|GET /auths/{authNumber}/procedure-codes``,
    ``GET|PUT|DELETE /auths/{authNumber}/procedure-codes/{procedureCodeKey}``, ``POST …/procedure-codes-batch``
    (create only, 207) and ``DELETE …/procedure-codes-batch`` (a JSON array of keys, 207). An unknown Auth is a 404
    for the whole request; a key of 0 (or omitted) is assigned by the server."""

    resource = AUTH_PROC_CODES
    key_kwarg = "procedureCodeKey"
    batch_mode = Mode.CREATE
    omitted_key = 0

    def parse_key(self, raw: str) -> int:
        return parse_int32("procedureCodeKey", raw)

    def get_queryset(self) -> QuerySet:
        return AuthProcCodes.objects.filter(auth_number=self.auth_number)

    @extend_schema(
        summary="Delete procedure lines of an Auth (batch)",
        parameters=[DATABASE_HEADER, AUTH_NUMBER],
        request=AuthProcCodeKeys,
        responses={207: envelope_of("AuthProcCodesDeleteEnvelope", list[BatchItemResult]), **ERRORS},
    )
    def batch_delete(self, request: Request, **kwargs: Any) -> Response:
        with collector_paused():
            keys = request.data
            if not isinstance(keys, list):
                raise exceptions.ValidationError("The body must be a JSON array of authProcCodes_Key values.")
            limit = settings.VBA_BATCH_MAX_ITEMS
            if len(keys) > limit:
                raise PayloadTooLarge(f"The batch has {len(keys)} items; at most {limit} are allowed per request.")
            outcome = auth_proc_codes_delete_batch(auth_number=self.auth_number, keys=keys, user=request.user)
            return Response(outcome.as_json(), status=status.HTTP_207_MULTI_STATUS)


@vba_schema(AUTH_CODE, key_param=AUTH_CODE_KEY, delete_conflict="Auths are decided with this code")
class AuthCodeViewSet(VBAResourceViewSet):
    """VBA decision codes: ``POST /auth-codes``, ``GET|PUT|DELETE /auth-codes/{authCode}``, ``PUT /auth-codes-batch``
    (207). ``auth_Action`` is one of the letters of ``GET /auth-actions`` or null (decision 17)."""

    resource = AUTH_CODE
    key_kwarg = "authCode"

    def destroy(self, request: Request, **kwargs: Any) -> Response:
        """A code that Auths are decided with is a 409 naming them."""
        key = self._key(kwargs)
        auth_code_delete(code=key, user=request.user, if_match=request.headers.get("If-Match"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthAction(BaseModel):
    auth_Action: str = Field(max_length=1, min_length=1)  # noqa: N815 - VBA's spelling
    description: str | None = Field(None, max_length=128)


class AuthActionsView(VBAView):
    """``GET /auth-actions``: VBA's fixed list of actions (read-only, not a table)."""

    @extend_schema(
        summary="List the actions a decision code may take",
        parameters=[DATABASE_HEADER],
        responses={200: envelope_of("AuthActionListEnvelope", list[AuthAction]), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(auth_actions())


class AuthProcessStatusView(VBAView):
    """``POST /auths/{authNumber}/process-status/{newAuthCode}``: decide an Auth with a decision code (decision 17);
    no body, answers the Auth."""

    @extend_schema(
        summary="Decide an Auth with a decision code",
        parameters=[DATABASE_HEADER, AUTH_NUMBER, NEW_AUTH_CODE],
        request=None,
        responses={200: envelope_of("AuthDecidedEnvelope", AUTH.spec.output_model), **ERRORS},
    )
    def post(self, request: Request, authNumber: str, newAuthCode: str, **kwargs: Any) -> Response:  # noqa: N803
        auth = auth_process_status(auth_number=authNumber, code=newAuthCode, user=request.user)
        rendered = AUTH.spec.render(auth)
        return Response(rendered, headers={"ETag": rendered_etag(rendered)})


class AuthAdjustView(VBAView):
    """``POST /auths/{authNumber}/adjust``: a new Auth that adjusts this one (decision 20); answers the new Auth."""

    @extend_schema(
        summary="Adjust an Auth: a new Auth with the new approval period and the lines asked for",
        parameters=[DATABASE_HEADER, AUTH_NUMBER],
        request=AuthAdjustmentInput,
        responses={200: envelope_of("AuthAdjustedEnvelope", AUTH.spec.output_model), **ERRORS},
    )
    def post(self, request: Request, authNumber: str, **kwargs: Any) -> Response:  # noqa: N803
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError("The body must be a JSON object (AuthAdjustment).")
        auth = auth_adjust(auth_number=authNumber, adjustment=request.data, user=request.user)
        rendered = AUTH.spec.render(auth)
        return Response(rendered, headers={"ETag": rendered_etag(rendered)})
