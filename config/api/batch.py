"""The one batch create-or-update engine behind every VBA write (batches, single records, admin imports, commands).

A resource is a short declaration (:class:`BatchResource`: its model's :class:`RecordSpec`, its key, how to make a
new key, and any extra per-item rule). :func:`batch_upsert` gives, for a list of items, what sending them one after
another would give (decisions.md 4-9), while doing the work in bulk:

1. validate every item with the resource's one reused validator (400 per failing item);
2. hand out keys for items without one (a short transaction on the key sequence);
3. in one transaction on the selected VBA database: lock the batch's keys in sorted order (PostgreSQL advisory
   locks; SQLite's BEGIN IMMEDIATE), read which keys exist in one query, decide 201/200/4xx per item in request
   order, then write through the resource's :class:`Writer` (sorted by key) and its history rows in bulk;
4. if the database refuses the bulk write, retry item by item in savepoints so that one bad item fails alone.

``allOrNone``: when any item fails nothing is written; the others answer 424.
"""

from __future__ import annotations

import enum
import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, connections, models, transaction
from django.utils import timezone

from config.api.middleware import current_activity_id
from config.api.models import KeySequence
from config.api.records import RecordSpec
from config.api.tenancy import current_vba_database
from config.api.writers import History, existing_keys, upsert_rows

NOT_APPLIED = "Not applied: another item of this all-or-none batch failed"
AUDIT_USER_LENGTH = 20


class Mode(enum.Enum):
    UPSERT = "upsert"  # batch: create or update
    CREATE = "create"  # POST: an existing key is a 409
    REPLACE = "replace"  # PUT /{key}: an unknown key is a 404


@dataclass
class ItemResult:
    key: Any
    status: int
    body: str

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)


@dataclass
class BatchOutcome:
    key_json: str
    results: list[ItemResult]

    def as_json(self) -> list[dict[str, Any]]:
        """The 207 body: ``id[].value`` is a JSON string whatever the key's type (VBA's ``KeyValuePair.value``,
        decisions.md 14), null only for an item that has no key."""
        return [
            {
                "id": [{"key": self.key_json, "value": None if r.key is None else str(r.key)}],
                "status": r.status,
                "body": r.body,
            }
            for r in self.results
        ]

    def counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


class Writer:
    """Writes validated rows and their history rows (:mod:`config.api.writers`: raw-SQL bulk upserts). Replace it
    (``BatchResource.writer``) to change how rows reach the database; the engine has already decided which keys are
    new and which exist, and hands over complete rows (attname → value) sorted by key."""

    def write(
        self,
        resource: BatchResource,
        using: str,
        rows: list[dict[str, Any]],
        *,
        history: History,
        keep_audit: bool = False,
    ) -> set[Any]:
        """Insert or update ``rows`` with a history row each ('+' new, '~' for the keys in ``history.existing``);
        return the keys inserted or actually changed (only they get a history row). With ``keep_audit`` an update
        takes every audit value from the row, ``entry_*`` included, and a change of audit values alone counts."""
        return upsert_rows(resource.spec.model, using, rows, keep_audit=keep_audit, history=history)


class BatchResource:
    """Declaration of a batch-writable VBA resource. Subclasses set ``spec``, ``key`` and ``label``."""

    spec: RecordSpec
    key: str  # attname of the primary key
    label: str  # "Auth", "CareCase": used in messages
    writer: Writer = Writer()
    max_key: int | None = None  # the largest key the server may generate (int32 keys: 2147483647)

    @property
    def key_json(self) -> str:
        return self.spec.json_names[self.key]

    @property
    def update_fields(self) -> list[str]:
        keep = {self.key, "entry_date", "entry_user"}
        return [f.name for f in self.spec.concrete_fields if f.attname not in keep]

    # -- keys ------------------------------------------------------------------------------------------------
    def key_is_missing(self, value: Any) -> bool:
        return value is None

    def make_key(self, number: int) -> Any:
        return number

    def sequence_start(self, using: str) -> int:
        """Where the key sequence starts in a database that has none yet."""
        return 0

    # -- per-resource rules ---------------------------------------------------------------------------------
    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        """Check or complete one validated item before any database work; return an error message to fail it."""
        return None

    def check_references(self, items: Sequence[dict[str, Any]], using: str) -> dict[int, str]:
        """Check references to other rows for all items at once: ``{position in items: error message}``."""
        return {}

    # -- helpers ---------------------------------------------------------------------------------------------
    def sent_key(self, item: Any) -> Any:
        return item.get(self.key_json) if isinstance(item, dict) else None

    def etag(self, instance: models.Model) -> str:
        rendered = json.dumps(self.spec.render(instance), sort_keys=True, default=str)
        return '"' + hashlib.sha256(rendered.encode()).hexdigest()[:32] + '"'


def audit_user_name(user: Any) -> str | None:
    """The name stamped on ``entry_User``/``update_User``: the username, cut to the column's 20 characters."""
    return (getattr(user, "get_username", lambda: "")() or "")[:AUDIT_USER_LENGTH] or None


def stamp_audit(record: models.Model, *, user: Any, created: bool) -> models.Model:
    """Stamp the server-owned audit fields (decisions.md 9) of a record about to be saved one at a time (the
    admin); the batch engine stamps its rows with the same values."""
    now, name = timezone.now(), audit_user_name(user)
    if created:
        record.entry_date, record.entry_user = now, name  # type: ignore[attr-defined]
    record.update_date, record.update_user = now, name  # type: ignore[attr-defined]
    return record


def allocate_keys(resource: BatchResource, count: int, using: str) -> list[Any]:
    """``count`` new keys from the resource's sequence in ``using`` (gaps are allowed, reuse is not)."""
    name = resource.spec.model._meta.db_table
    with transaction.atomic(using=using):
        seq = KeySequence.objects.using(using).select_for_update().filter(name=name).first()
        if seq is None:
            try:
                with transaction.atomic(using=using):
                    seq = KeySequence.objects.using(using).create(name=name, value=resource.sequence_start(using))
            except IntegrityError:
                seq = KeySequence.objects.using(using).select_for_update().get(name=name)
        first = seq.value + 1
        seq.value += count
        seq.save(using=using, update_fields=["value"])
    return [resource.make_key(n) for n in range(first, first + count)]


def _lock_keys(resource: BatchResource, using: str, keys: Iterable[Any]) -> None:
    """Serialize concurrent batches that share keys (PostgreSQL); always in sorted order, so no deadlock."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return  # SQLite: the transaction already holds the write lock (BEGIN IMMEDIATE)
    namespace = zlib.crc32(resource.spec.model._meta.db_table.encode()) - 2**31
    ids = sorted({zlib.crc32(str(k).encode()) - 2**31 for k in keys})
    if ids:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::int[]) AS k", [namespace, ids])


def _existing(resource: BatchResource, using: str, keys: Sequence[Any]) -> set[Any]:
    return existing_keys(resource.spec.model, using, keys)


def batch_upsert(
    resource: BatchResource,
    items: Sequence[Any],
    *,
    user: Any,
    mode: Mode = Mode.UPSERT,
    all_or_none: bool = False,
    context: dict[str, Any] | None = None,
    keep_audit: bool = False,
    release_items: bool = False,
) -> BatchOutcome:
    """Create or replace ``items`` (decoded JSON) in the selected VBA database; one result per item, in order.

    ``user`` is the authenticated user: it is stamped on the audit fields and the history rows. ``keep_audit``
    (staff imports only, never the API: decisions.md 9) keeps each item's own audit values where it has them.
    ``release_items``: the caller gives up the list ``items``; each item is dropped from it once validated, so that
    a large batch does not hold its decoded items and its validated rows at once.
    """
    using = current_vba_database()
    spec, context = resource.spec, context or {}
    sent = [resource.sent_key(item) for item in items]  # the keys as sent: what a refused item reports
    results: list[ItemResult | None] = [None] * len(items)
    pending: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(items):
        attrs, error = spec.validate(item, keep_audit=keep_audit)
        if release_items:
            items[i] = None  # type: ignore[index]
        if attrs is not None:
            error = resource.prepare(attrs, context)
        if error is not None or attrs is None:
            results[i] = ItemResult(sent[i], 400, error or "Invalid item")
            continue
        pending.append((i, attrs))
    item = None  # (the last item, too, is released)
    if all_or_none and len(pending) < len(results):
        return _not_applied(resource, sent, results)

    missing = [(i, attrs) for i, attrs in pending if resource.key_is_missing(attrs[resource.key])]
    fresh = allocate_keys(resource, len(missing), using) if missing else []
    for (i, attrs), key in zip(missing, fresh, strict=True):
        if resource.max_key is not None and key > resource.max_key:
            results[i] = ItemResult(
                sent[i],
                409,
                f"No {resource.label} key above the largest "
                f"one in use is left (at most {resource.max_key}); send an explicit key",
            )
        attrs[resource.key] = key
    pending = [(i, attrs) for i, attrs in pending if results[i] is None]
    if all_or_none and len(pending) < len(results):
        return _not_applied(resource, sent, results)
    generated = {id(attrs) for _, attrs in missing}

    user_name = audit_user_name(user)
    now = timezone.now()
    with transaction.atomic(using=using):
        keys = [attrs[resource.key] for _, attrs in pending]
        _lock_keys(resource, using, keys)
        existing = _existing(resource, using, keys)
        _replace_taken_generated_keys(resource, using, pending, generated, existing)
        reference_errors = resource.check_references([attrs for _, attrs in pending], using)

        final: dict[Any, dict[str, Any]] = {}
        seen = set(existing)
        for position, (i, attrs) in enumerate(pending):
            key = attrs[resource.key]
            exists = key in seen
            if position in reference_errors:  # a refused item reports the key it was sent, not one handed out
                results[i] = ItemResult(sent[i] if id(attrs) in generated else key, 400, reference_errors[position])
            elif mode is Mode.CREATE and exists:
                results[i] = ItemResult(key, 409, f"{resource.label} {key} already exists")
            elif mode is Mode.REPLACE and not exists:
                results[i] = ItemResult(key, 404, f"{resource.label} {key} was not found")
            else:
                results[i] = ItemResult(key, 200 if exists else 201, "Updated" if exists else "Created")
                seen.add(key)
                final[key] = attrs
        if all_or_none and any(r is not None and not r.ok for r in results):
            return _not_applied(resource, sent, results)

        audit = {"entry_date": now, "entry_user": user_name, "update_date": now, "update_user": user_name}
        rows = [final[key] for key in sorted(final)]
        for row in rows:  # in place: a 10,000-item batch should not hold a second copy of every row
            if keep_audit:
                row.update({name: value for name, value in audit.items() if row.get(name) is None})
            else:
                row.update(audit)  # entry_* are kept on update by the writer
        history = History(getattr(user, "pk", None), now, current_activity_id(), existing)
        _written, refused = _write(resource, using, rows, history=history, keep_audit=keep_audit)
        if refused:
            if all_or_none:
                transaction.set_rollback(True, using=using)
                for i, _attrs in pending:
                    key = _attrs[resource.key]
                    if key in refused:
                        results[i] = ItemResult(key, refused[key][0], refused[key][1])
                return _not_applied(resource, sent, results)
            for i, attrs in pending:
                key = attrs[resource.key]
                if key in refused:
                    results[i] = ItemResult(key, *refused[key])
    return BatchOutcome(resource.key_json, [r for r in results if r is not None])


def _replace_taken_generated_keys(
    resource: BatchResource,
    using: str,
    pending: list[tuple[int, dict[str, Any]]],
    generated: set[int],
    existing: set[Any],
) -> None:
    """A generated key that someone created explicitly in the meantime, or that another item of this batch names
    explicitly, is replaced by a fresh one."""
    explicit = {attrs[resource.key] for _, attrs in pending if id(attrs) not in generated}
    taken = [
        attrs
        for _, attrs in pending
        if id(attrs) in generated and (attrs[resource.key] in existing or attrs[resource.key] in explicit)
    ]
    while taken:
        fresh = allocate_keys(resource, len(taken), using)
        _lock_keys(resource, using, fresh)
        clash = _existing(resource, using, fresh)
        for attrs, key in zip(taken, fresh, strict=True):
            attrs[resource.key] = key
        taken = [attrs for attrs in taken if attrs[resource.key] in clash or attrs[resource.key] in explicit]


def _write(
    resource: BatchResource, using: str, rows: list[dict[str, Any]], *, history: History, keep_audit: bool = False
) -> tuple[set[Any], dict[Any, tuple[int, str]]]:
    """Write in bulk; if the database refuses, write row by row in savepoints so that only the refused rows fail.
    Returns the keys written and ``{key: (status, message)}`` of the refused ones."""
    try:
        with transaction.atomic(using=using):
            return resource.writer.write(resource, using, rows, history=history, keep_audit=keep_audit), {}
    except DatabaseError:
        pass
    written: set[Any] = set()
    refused: dict[Any, tuple[int, str]] = {}
    for row in rows:
        key = row[resource.key]
        try:
            with transaction.atomic(using=using):
                written |= resource.writer.write(resource, using, [row], history=history, keep_audit=keep_audit)
        except IntegrityError:
            refused[key] = (409, f"The database refused this {resource.label}: it conflicts with another record")
        except DatabaseError:
            refused[key] = (400, f"The database refused this {resource.label}: a value is out of range")
    return written, refused


def _not_applied(resource: BatchResource, sent: Sequence[Any], results: list[ItemResult | None]) -> BatchOutcome:
    out = []
    for key, result in zip(sent, results, strict=True):
        if result is None or result.ok:
            out.append(ItemResult(key, 424, NOT_APPLIED))
        else:
            out.append(result)
    return BatchOutcome(resource.key_json, out)
