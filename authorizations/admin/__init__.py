from authorizations.admin import (
    spry,  # noqa: F401
    vba,  # noqa: F401
)
