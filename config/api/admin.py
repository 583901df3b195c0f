"""Admin plumbing for VBA models: the staff member's database choice and the server-owned audit fields."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin

from config.api.batch import stamp_audit
from config.api.models import APIClient, DatabaseGrant
from config.api.tenancy import ADMIN_SESSION_KEY, _current, granted_databases

AUDIT_FIELDS = ("entry_date", "entry_user", "update_date", "update_user")


@staff_member_required
@require_POST
def select_database(request: HttpRequest) -> HttpResponse:
    """Switch the VBA database the staff member works in (only one they are granted)."""
    chosen = request.POST.get("database", "")
    if chosen in granted_databases(request.user):
        request.session[ADMIN_SESSION_KEY] = chosen
        messages.success(request, f"You are now working in the VBA database {chosen!r}.")
    else:
        messages.error(request, "Unknown or unauthorized database")
    target = request.POST.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/admin/"
    return HttpResponseRedirect(target)


class VBAModelAdmin(SimpleHistoryAdmin):
    """A VBA model in the admin: visible only with a database selected; audit fields read-only, stamped on save
    from the staff user and the clock (the same rule as the batch engine's)."""

    readonly_fields: Any = AUDIT_FIELDS

    def _has_database(self) -> bool:
        return _current.get() is not None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._has_database() and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_database() and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._has_database() and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_database() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._has_database() and super().has_delete_permission(request, obj)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Label each field by VBA's column name ("Subscriber ID", "DRG Category"), as staff know them."""
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and getattr(db_field, "column", None) and not db_field.is_relation:
            formfield.label = str(db_field.column).replace("_", " ")
        return formfield

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:  # the key of an existing record is fixed: changing it would make a new record
            fields = (self.model._meta.pk.name, *fields)
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stamp_audit(obj, user=request.user, created=not change)
        super().save_model(request, obj, form, change)


if admin.site.is_registered(APIKey):  # the library's own key model is not used: API clients replace it
    admin.site.unregister(APIKey)


@admin.register(APIClient)
class APIClientAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "databases", "created", "revoked", "expiry_date")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "hashed_key", "created")
    fields = ("name", "databases", "revoked", "expiry_date", "prefix", "hashed_key", "created")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are created with `manage.py create_api_client`, which shows the key once


@admin.register(DatabaseGrant)
class DatabaseGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "database")
    list_filter = ("database",)
    search_fields = ("user__username",)
