from authorizations.models.spry import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from authorizations.models.vba import Auth

__all__ = [
    "Auth",
    "Authorization",
    "AuthorizationCptCode",
    "AuthorizationIcdCode",
    "AuthorizationStatus",
    "Payer",
    "SpryClient",
]
