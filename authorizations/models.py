from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from authorizations.vba.models import Auth, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview

__all__ = [
    "Auth",
    "AuthCode",
    "AuthDiagCodes",
    "AuthProcCodes",
    "AuthReview",
    "Authorization",
    "AuthorizationCptCode",
    "AuthorizationIcdCode",
    "AuthorizationStatus",
    "Payer",
    "SpryClient",
]
