from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from authorizations.vba.models import Auth, AuthCode, AuthProcCodes

__all__ = [
    "Auth",
    "AuthCode",
    "AuthProcCodes",
    "Authorization",
    "AuthorizationCptCode",
    "AuthorizationIcdCode",
    "AuthorizationStatus",
    "Payer",
    "SpryClient",
]
