from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from authorizations.vba.models import Auth, AuthCode

__all__ = [
    "Auth",
    "AuthCode",
    "Authorization",
    "AuthorizationCptCode",
    "AuthorizationIcdCode",
    "AuthorizationStatus",
    "Payer",
    "SpryClient",
]
