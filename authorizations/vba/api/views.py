from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from authorizations.vba.filters import AuthFilter
from authorizations.vba.services import AUTH, AUTH_CODE, auth_actions, auth_process_status
from config.records.services import rendered_etag
from config.vba.schema import DATABASE_HEADER, ERRORS, envelope_of, vba_schema
from config.vba.views import VBAResourceViewSet, VBAView

AUTH_NUMBER = OpenApiParameter("authNumber", OpenApiTypes.STR, OpenApiParameter.PATH)
AUTH_CODE_KEY = OpenApiParameter("authCode", OpenApiTypes.STR, OpenApiParameter.PATH)
NEW_AUTH_CODE = OpenApiParameter("newAuthCode", OpenApiTypes.STR, OpenApiParameter.PATH)


@vba_schema(AUTH, key_param=AUTH_NUMBER)
class AuthViewSet(VBAResourceViewSet):
    """VBA Auths: ``PUT /auths`` (batch, 207), ``POST|GET /auths``, ``GET|PUT|DELETE /auths/{authNumber}``."""

    resource = AUTH
    key_kwarg = "authNumber"
    filterset_class = AuthFilter


@vba_schema(AUTH_CODE, key_param=AUTH_CODE_KEY)
class AuthCodeViewSet(VBAResourceViewSet):
    """VBA decision codes: ``POST /auth-codes``, ``GET|PUT|DELETE /auth-codes/{authCode}``, ``PUT /auth-codes-batch``
    (207). ``auth_Action`` is one of the letters of ``GET /auth-actions`` or null (decision 17)."""

    resource = AUTH_CODE
    key_kwarg = "authCode"


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
