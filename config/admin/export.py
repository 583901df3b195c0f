""" "Export" on an admin list: the list as the page filters and searches it, or the selected rows (an action), as a
CSV or JSON download in the shapes of the ``export_*`` commands (the API's JSON names).

The download is streamed: the view returns at once and the rows are read from a server-side cursor, a chunk at a
time, while the response is sent — after the view (and the request's database selection) has ended. So the
queryset is bound to the page's database with ``.using()`` and each chunk is read with that database selected
again. Every download is recorded (:class:`~config.api.models.AdminExport`: who, when, which database, list or
selection, how many rows) and logged without its filters or search, which may hold a patient's name or ID.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Generator, Iterator
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import path, reverse
from django.utils import timezone

from config.api.models import AdminExport
from config.records.files import RecordText
from config.serving.tenancy import is_vba_database, use_vba_database

logger = logging.getLogger(__name__)

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CHUNK_CHARACTERS = 64 * 1024  # text sent per piece of the response
EXPORT_ACTIONS = ("export_selected_csv", "export_selected_json")


class ExportAdminMixin:
    """A model admin whose list offers "Export CSV" / "Export JSON" (the filtered list) and the export actions (the
    selected rows; add :data:`EXPORT_ACTIONS` to ``actions``). Subclasses set ``export_name`` (the file name's
    start) and ``export_columns`` and implement :meth:`export_records` (or :meth:`export_text`). Viewing the list is
    enough to export it."""

    export_name: ClassVar[str]
    export_columns: ClassVar[list[str]]
    export_chunk_size = 2000  # rows read from the cursor at a time
    change_list_template: Any = "admin/export_change_list.html"

    admin_site: Any
    opts: Any

    def export_records(self, queryset: QuerySet) -> Iterator[dict[str, Any]]:
        """The records of ``queryset`` as the API renders them, read ``export_chunk_size`` rows at a time."""
        raise NotImplementedError

    def export_text(self, queryset: QuerySet, fmt: str) -> RecordText:
        """The file of ``queryset``'s records in ``fmt``."""
        return RecordText.of_records(self.export_records(queryset), fmt, self.export_columns)

    def export_database(self) -> str:
        return getattr(self.admin_site, "database", None) or "default"

    def get_urls(self) -> list[Any]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        view = self.admin_site.admin_view(self.export_view)
        return [path("export/<str:fmt>/", view, name=name), *super().get_urls()]  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        query = request.GET.copy()
        for name in (PAGE_VAR, ERROR_FLAG):
            query.pop(name, None)
        url = f"admin:{self.opts.app_label}_{self.opts.model_name}_export"
        links = [
            (f"Export {fmt.upper()}", reverse(url, args=[fmt], current_app=self.admin_site.name), query.urlencode())
            for fmt in CONTENT_TYPES
        ]
        return super().changelist_view(request, {"export_links": links, **(extra_context or {})})  # type: ignore[misc]

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponseBase:
        """The list as the page shows it (its filters, search and order; every page of it) in ``fmt``."""
        if fmt not in CONTENT_TYPES:
            raise Http404(f"No export format {fmt!r} (formats: {', '.join(CONTENT_TYPES)})")
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)  # type: ignore[attr-defined]
        except IncorrectLookupParameters:  # what the list itself answers to an unknown filter
            url = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist", current_app=self.admin_site.name
            )
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        return self.export_response(request, changelist.get_queryset(request), fmt, selection=None)

    @admin.action(description="Export the selected rows as CSV", permissions=["view"])
    def export_selected_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponseBase:
        return self.export_response(request, queryset, "csv", selection=_selection(request))

    @admin.action(description="Export the selected rows as JSON", permissions=["view"])
    def export_selected_json(self, request: HttpRequest, queryset: QuerySet) -> HttpResponseBase:
        return self.export_response(request, queryset, "json", selection=_selection(request))

    def export_response(
        self, request: HttpRequest, queryset: QuerySet, fmt: str, selection: list[str] | None
    ) -> StreamingHttpResponse:
        database = self.export_database()
        user = request.user
        export = AdminExport.objects.create(
            user=user if user.is_authenticated else None,
            username=user.get_username(),
            database=database,
            model=self.opts.label_lower,
            format=fmt,
            query=request.GET.urlencode(),
            selection=selection,
        )
        body = _in_database(database, _body(export, self.export_text(queryset.using(database), fmt)))
        response = StreamingHttpResponse(body, content_type=CONTENT_TYPES[fmt])
        stamp = timezone.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="{self.export_name}-{database}-{stamp}.{fmt}"'
        response["Cache-Control"] = "private, no-store"  # patient data: no copy in any cache
        return response


def _selection(request: HttpRequest) -> list[str] | None:
    """The keys ticked on the page; None when "select all" chose the whole list."""
    if request.POST.get("select_across") == "1":
        return None
    return request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)


def _body(export: AdminExport, text: RecordText) -> Generator[bytes, None, None]:
    """The file's bytes in pieces of about ``CHUNK_CHARACTERS``; when it ends (or is cut off), its row count is
    recorded and a line without patient data is logged."""
    completed = False
    try:
        pieces: list[str] = []
        size = 0
        for piece in text:
            pieces.append(piece)
            size += len(piece)
            if size >= CHUNK_CHARACTERS:
                yield "".join(pieces).encode()
                pieces, size = [], 0
        yield "".join(pieces).encode()
        completed = True
    finally:
        AdminExport.objects.filter(pk=export.pk).update(rows=text.count, completed=completed)
        logger.info(
            "admin export %s by %s: %s %s from database %s, %s row(s)%s",
            export.pk,
            export.username,
            export.model,
            "selected rows" if export.selection is not None else "list",
            export.database,
            text.count,
            "" if completed else " (cut off before the end)",
        )


def _in_database(database: str, chunks: Generator[bytes, None, None]) -> Iterator[bytes]:
    """``chunks``, each read with ``database`` selected (a streamed response is read after its request ended)."""
    if not is_vba_database(database):
        yield from chunks
        return
    try:
        while True:
            with use_vba_database(database):
                chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk
    finally:
        with use_vba_database(database):
            chunks.close()
