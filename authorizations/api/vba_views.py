from authorizations.filters import AuthFilter
from authorizations.services import AUTH
from config.api.views import VBAResourceViewSet


class AuthViewSet(VBAResourceViewSet):
    """VBA Auths: ``PUT /auths`` (batch, 207), ``POST|GET /auths``, ``GET|PUT|DELETE /auths/{authNumber}``."""

    resource = AUTH
    filterset_class = AuthFilter
