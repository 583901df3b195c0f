from authorizations.models.vba import Auth

__all__ = ["Auth"]
