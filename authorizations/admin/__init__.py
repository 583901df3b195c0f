from authorizations.admin import vba  # noqa: F401
