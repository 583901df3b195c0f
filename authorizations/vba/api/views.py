from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from authorizations.vba.filters import AuthFilter
from authorizations.vba.services import AUTH
from config.vba.schema import vba_schema
from config.vba.views import VBAResourceViewSet

AUTH_NUMBER = OpenApiParameter("authNumber", OpenApiTypes.STR, OpenApiParameter.PATH)


@vba_schema(AUTH, key_param=AUTH_NUMBER)
class AuthViewSet(VBAResourceViewSet):
    """VBA Auths: ``PUT /auths`` (batch, 207), ``POST|GET /auths``, ``GET|PUT|DELETE /auths/{authNumber}``."""

    resource = AUTH
    key_kwarg = "authNumber"
    filterset_class = AuthFilter
