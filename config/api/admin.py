"""Admin plumbing for VBA models: the staff member's database choice and the server-owned audit fields."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.filters import AllValuesFieldListFilter
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import smart_split, unescape_string_literal
from django.views.decorators.http import require_POST
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin

from config.api.batch import stamp_audit
from config.api.models import APIClient, DatabaseGrant
from config.api.tenancy import ADMIN_SESSION_KEY, granted_databases, selected_vba_database

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


class EstimatedCountPaginator(Paginator):
    """The changelist's paginator: an unfiltered queryset of a big PostgreSQL table is counted by the planner's
    estimate (``pg_class.reltuples`` scaled to the table's current size, as the planner does) instead of a
    ``COUNT(*)`` that reads the whole table; anything filtered, small, or on another backend is counted exactly."""

    estimate_above = 10_000  # tables estimated smaller than this are counted exactly

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and is_unfiltered(queryset):
            estimate = table_estimate(queryset)
            if estimate is not None and estimate >= self.estimate_above:
                return estimate
        return super().count


def is_unfiltered(queryset: QuerySet) -> bool:
    query = queryset.query
    return (
        not query.where
        and not query.distinct
        and not query.combinator
        and query.low_mark == 0
        and query.high_mark is None
        and not query.extra
    )


def table_estimate(queryset: QuerySet) -> int | None:
    """Rows in the queryset's table by the PostgreSQL planner's estimate; None if unknown or not PostgreSQL."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN c.reltuples < 0 OR c.relpages = 0 THEN NULL ELSE (c.reltuples / c.relpages * "
            "(pg_relation_size(c.oid) / current_setting('block_size')::int))::bigint END "
            "FROM pg_class c WHERE c.oid = %s::regclass",
            [table],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


class IndexedValuesListFilter(AllValuesFieldListFilter):
    """``list_filter`` of the distinct values of an indexed column, found by a loose index scan (a recursive
    ``MIN(col) … WHERE col > previous``: one index probe per distinct value) instead of ``SELECT DISTINCT``, which
    reads every row. Values beyond ``max_values`` are not offered. For an unfiltered model queryset only; otherwise
    it behaves as Django's filter."""

    max_values = 200
    lookup_choices: Any

    def __init__(self, field: Any, request: Any, params: Any, model: Any, model_admin: Any, field_path: str) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        queryset = model_admin.get_queryset(request)
        if field_path == field.name and queryset.model is model and is_unfiltered(queryset):
            self.lookup_choices = distinct_values(queryset, field, self.max_values)


def distinct_values(queryset: QuerySet, field: Any, limit: int) -> list[Any]:
    connection = connections[queryset.db]
    q = connection.ops.quote_name
    table, column = q(queryset.model._meta.db_table), q(field.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE v(x, n) AS ("
            f"SELECT MIN({column}), 1 FROM {table} "
            f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x), v.n + 1 "
            f"FROM v WHERE v.x IS NOT NULL AND v.n < %s) "
            f"SELECT x FROM v WHERE x IS NOT NULL",
            [limit],
        )
        values = [row[0] for row in cursor.fetchall()]
        if field.null:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {column} IS NULL LIMIT 1")
            if cursor.fetchone() is not None:
                values.append(None)
    return values


class IndexedSearchMixin:
    """Admin search that a btree index can answer: ``=field`` is an exact match, ``^field`` a case-sensitive
    prefix (``LIKE 'x%'``, served by Django's ``varchar_pattern_ops`` index of a ``db_index`` CharField), each
    tried with the term as typed and upper-cased. Django's own ``iexact``/``istartswith`` compare ``UPPER(column)``,
    which no plain index serves, so on a big table each search read every row."""

    search_fields: Any

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        for term in smart_split(search_term):
            if term[:1] in "\"'" and term[-1:] == term[:1] and len(term) > 1:
                term = unescape_string_literal(term)
            variants = list(dict.fromkeys([term, term.upper()]))
            match = Q()
            for name in self.search_fields:
                if name.startswith("="):
                    match |= Q(**{f"{name[1:]}__in": variants})
                elif name.startswith("^"):
                    for variant in variants:
                        match |= Q(**{f"{name[1:]}__startswith": variant})
                else:
                    raise ValueError(f"IndexedSearchMixin supports '=field' and '^field' only, not {name!r}")
            queryset = queryset.filter(match)
        return queryset, False


class VBAModelAdmin(SimpleHistoryAdmin):
    """A VBA model in the admin: visible only with a database selected; audit fields read-only, stamped on save
    from the staff user and the clock (the same rule as the batch engine's)."""

    readonly_fields: Any = AUDIT_FIELDS
    paginator = EstimatedCountPaginator

    def _has_database(self) -> bool:
        return selected_vba_database() is not None

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
