"""Database tenancy for the VBA models.

The ``vbasoftware-database`` header (API) or the admin page's URL (``/admin/db/<alias>/…``) names a Django database
alias. Once the user is known to be granted it, it is selected (:func:`select_for_request`) and held in a context
variable for the rest of the request; :class:`VBADatabaseRouter` sends every read and write of
a VBA model there and refuses one made without a selected database, so no code path can silently fall back to
``default``. Commands and tests select a database with :func:`use_vba_database`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from config.records.databases import (  # the selection itself lives with the engine that reads it
    NoVBADatabaseSelected,
    _current,
    current_vba_database,
    is_vba_database,
    select_for_request,
    selected_vba_database,
    use_vba_database,
    vba_database_names,
)

DATABASE_HEADER = "vbasoftware-database"
VBA_API_PREFIX = "/vbasoftware/"


def is_vba_model(app_label: str, model_name: str | None) -> bool:
    if not model_name:
        return False
    name = model_name.lower()
    if name.startswith("historical"):
        name = name[len("historical") :]
    return f"{app_label}.{name}" in settings.VBA_TENANT_MODELS


class VBADatabaseRouter:
    """VBA models live only in the VBA databases, everything else only in ``default``."""

    def _route(self, model: Any, **hints: Any) -> str | None:
        if is_vba_model(model._meta.app_label, model._meta.model_name):
            return current_vba_database()
        return "default"

    db_for_read = _route
    db_for_write = _route

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if is_vba_database(db):
            return is_vba_model(app_label, model_name)
        if db == "default":
            return not is_vba_model(app_label, model_name)
        return False


__all__ = [
    "DATABASE_HEADER",
    "VBA_API_PREFIX",
    "NoVBADatabaseSelected",
    "VBADatabaseMiddleware",
    "VBADatabaseRouter",
    "admin_database_context",
    "current_vba_database",
    "granted_databases",
    "is_vba_database",
    "is_vba_model",
    "select_for_request",
    "selected_vba_database",
    "use_vba_database",
    "vba_database_names",
]


def granted_databases(user: Any) -> list[str]:
    """VBA databases ``user`` may work in: superusers all, others those of their grants."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return vba_database_names()
    from config.api.models import DatabaseGrant

    granted = set(DatabaseGrant.objects.filter(user=user).values_list("database", flat=True))
    return [name for name in vba_database_names() if name in granted]


class VBADatabaseMiddleware:
    """Scopes the VBA database selection to the request.

    Nothing is selected when a request starts. API paths: the header value is stored on the request as
    ``vba_database_requested``; the API view checks it (after authentication, decisions.md 1-2) and only then
    selects it. Admin paths: the per-database admin site of the URL checks the grant and selects its database
    (``config.admin.sites.VBAAdminSite``). Either selection ends with the request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.vba_database_requested = request.headers.get(DATABASE_HEADER)  # type: ignore[attr-defined]
        token = _current.set(None)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def admin_database_context(request: HttpRequest) -> dict[str, Any]:
    """Admin templates: the databases the staff member may switch to and the one this page works in (None on
    pages that carry no database: users, grants, Spry)."""
    if not request.path.startswith("/admin/") or not getattr(request.user, "is_staff", False):
        return {}
    return {
        "vba_databases": granted_databases(request.user),
        "vba_database": _current.get(),
    }
