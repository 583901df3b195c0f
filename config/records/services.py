"""Single-record operations on a VBA resource, shared by every resource's API (and built on the batch engine)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from django.db import connections, models, transaction
from rest_framework import exceptions, status

from config.records.batch import BatchResource, ItemResult, Mode, batch_upsert
from config.records.databases import current_vba_database
from config.records.specs import RowReader


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record has changed since you read it (If-Match does not match its ETag); read it again."
    default_code = "precondition_failed"


class StillInUse(exceptions.APIException):
    """A record that others still need (decision 15: never a cascade): a 409 naming them."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "still_in_use"


class ItemRejected(exceptions.APIException):
    """One record refused by the engine, answered with the item's own status and message."""

    def __init__(self, result: ItemResult) -> None:
        super().__init__(detail=result.body)
        self.status_code = result.status


def existing_keys(model: type[models.Model], keys: set[Any], using: str) -> set[Any]:
    """Which of ``keys`` name a record of ``model``; on PostgreSQL those records are also locked ``FOR KEY SHARE``
    until the transaction ends (as a foreign key check would), so a parent cannot be deleted between this check and
    the write of its children (its delete locks it ``FOR UPDATE`` first)."""
    if not keys:
        return set()
    connection = connections[using]
    if connection.vendor != "postgresql":
        return set(model._default_manager.using(using).filter(pk__in=keys).values_list("pk", flat=True))
    quote = connection.ops.quote_name
    column = quote(str(model._meta.pk.column))
    sql = f"SELECT {column} FROM {quote(model._meta.db_table)} WHERE {column} = ANY(%s) FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(keys)])
        return {row[0] for row in cursor.fetchall()}


def record_get(resource: BatchResource, key: Any, *, for_update: bool = False) -> models.Model:
    queryset = resource.spec.model._default_manager.all()
    if for_update:
        queryset = queryset.select_for_update()
    instance = queryset.filter(pk=key).first()
    if instance is None:
        raise exceptions.NotFound(f"{resource.label} {resource.key_text(key)} was not found")
    return instance


@cache
def _reader(resource: BatchResource, filters: tuple[str, ...]) -> RowReader:
    return RowReader(resource.spec, filters)


def record_read(resource: BatchResource, key: Any, **filters: Any) -> dict[str, Any]:
    """Record ``key`` rendered as the API answers it (404 if it does not exist or does not match ``filters``, e.g. a
    care case's plan), from the selected database: one query, its SQL built once (:class:`RowReader`)."""
    names = tuple(filters)
    row = _reader(resource, names).read(current_vba_database(), key, *(filters[n] for n in names))
    if row is None:
        raise exceptions.NotFound(f"{resource.label} {resource.key_text(key)} was not found")
    return resource.spec.render_row(row)


def rendered_etag(rendered: dict[str, Any]) -> str:
    """The ETag of a record from its rendering: equal to :meth:`BatchResource.etag` of the record (a test pins
    it), without rendering it a second time."""
    text = json.dumps(rendered, sort_keys=True, default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _check_if_match(resource: BatchResource, instance: models.Model, if_match: str | None) -> None:
    if if_match and if_match.strip() != "*" and resource.etag(instance) not in [t.strip() for t in if_match.split(",")]:
        raise PreconditionFailed()


def _single(resource: BatchResource, item: Any, *, user: Any, mode: Mode, context: dict[str, Any]) -> models.Model:
    outcome = batch_upsert(resource, [item], user=user, mode=mode, context=context)
    result = outcome.results[0]
    if not result.ok:
        raise ItemRejected(result)
    return record_get(resource, result.key)


def record_create(resource: BatchResource, item: Any, *, user: Any, context: dict[str, Any] | None = None) -> Any:
    return _single(resource, item, user=user, mode=Mode.CREATE, context=context or {})


def record_replace(
    resource: BatchResource,
    key: Any,
    item: Any,
    *,
    user: Any,
    if_match: str | None = None,
    context: dict[str, Any] | None = None,
) -> models.Model:
    """Replace record ``key`` with ``item`` (omitted nullable fields become null); 404, 412, or 400 on mismatch."""
    if not isinstance(item, dict):
        raise exceptions.ValidationError(f"The body must be a JSON object ({resource.label}).")
    mismatch = resource.key_mismatch(item, key)
    if mismatch:
        raise exceptions.ValidationError(mismatch)
    with transaction.atomic(using=current_vba_database()):
        _check_if_match(resource, record_get(resource, key, for_update=True), if_match)
        return _single(resource, resource.with_key(item, key), user=user, mode=Mode.REPLACE, context=context or {})


def record_delete(
    resource: BatchResource,
    key: Any,
    *,
    user: Any,
    if_match: str | None = None,
    in_use: Callable[[Any], str | None] | None = None,
) -> None:
    """Delete record ``key`` (locked for the transaction): 404, 412; a 409 (:class:`StillInUse`) with the message of
    ``in_use(key)`` when it says the record is still needed (children that name it, Auths decided with a code)."""
    with transaction.atomic(using=current_vba_database()):
        instance = record_get(resource, key, for_update=True)
        _check_if_match(resource, instance, if_match)
        problem = in_use(instance.pk) if in_use is not None else None
        if problem:
            raise StillInUse(problem)
        instance._history_user = user  # type: ignore[attr-defined]
        instance.delete()
