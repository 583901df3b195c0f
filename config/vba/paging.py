"""VBA list paging: ``page`` (1-based), ``pageSize``, ``sortBy=Field:desc,Other:asc`` (JSON names) and the
``x-pagination`` header: ``{"TotalCount", "TotalPages", "CurrentPage", "PageSize"}``, plus
``"TotalCountIsEstimate": true`` when a list of more than 100,000 records on PostgreSQL is counted by the planner's
estimate (:mod:`config.records.counting`). A list's count is reused for its next pages for up to
``VBA_COUNT_CACHE_SECONDS`` (:func:`~config.records.counting.count_rows_reused`)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from config.records.counting import count_rows_reused
from config.records.specs import PageReader, RecordSpec

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: Far beyond any table (a million pages of a thousand); keeps the offset within a 64-bit integer on every database.
MAX_PAGE = 2**31 - 1
PAGING_PARAMETERS = ("page", "pageSize", "sortBy")


def _positive_int(params: Any, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw[:20]) < 1:
        raise ValidationError({name: [f"must be a whole number of at least 1, not {raw[:40]!r}"]})
    value = int(raw) if len(raw) <= 20 else maximum + 1
    if value > maximum:
        raise ValidationError({name: [f"may be at most {maximum}"]})
    return value


def order_by(spec: RecordSpec, sort_by: str | None) -> list[str]:
    ordering: list[str] = []
    for part in filter(None, (p.strip() for p in (sort_by or "").split(","))):
        name, _, direction = part.partition(":")
        attname = spec.attname_by_json.get(name.strip())
        if attname is None:
            raise ValidationError({"sortBy": [f"unknown field {name.strip()!r}; use the JSON field names"]})
        direction = (direction or "asc").strip().lower()
        if direction not in ("asc", "desc"):
            raise ValidationError({"sortBy": [f"direction of {name.strip()!r} must be asc or desc"]})
        field = spec.model._meta.get_field(attname).name
        ordering.append(f"-{field}" if direction == "desc" else field)
    return [*ordering, "pk"]


_page_readers: dict[Any, PageReader] = {}


def _page_reader(spec: RecordSpec) -> PageReader:
    reader = _page_readers.get(spec.model)
    if reader is None:
        reader = _page_readers.setdefault(spec.model, PageReader(spec))
    return reader


def paginate(spec: RecordSpec, queryset: QuerySet, params: Any) -> tuple[list[Any], dict[str, int]]:
    """The page's rows (tuples of ``spec.attnames``, for :meth:`RecordSpec.render_row`) and its ``x-pagination``."""
    page = _positive_int(params, "page", 1, MAX_PAGE)
    size = _positive_int(params, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    queryset = queryset.order_by(*order_by(spec, params.get("sortBy")))
    total = count_rows_reused(queryset)
    rows = _page_reader(spec).rows(queryset[(page - 1) * size : page * size])
    meta = {"TotalCount": total.value, "TotalPages": -(-total.value // size), "CurrentPage": page, "PageSize": size}
    if not total.exact:  # more than EXACT_UP_TO rows on PostgreSQL: the planner's estimate (config.records.counting)
        meta["TotalCountIsEstimate"] = True
    return rows, meta


def pagination_header(meta: dict[str, int]) -> str:
    return json.dumps(meta)
