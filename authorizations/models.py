from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from authorizations.vba.models import Auth

__all__ = [
    "Auth",
    "Authorization",
    "AuthorizationCptCode",
    "AuthorizationIcdCode",
    "AuthorizationStatus",
    "Payer",
    "SpryClient",
]
