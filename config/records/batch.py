"""The one batch create-or-update engine behind every VBA write (batches, single records, admin imports, commands).

A resource is a short declaration (:class:`BatchResource`: its model's :class:`RecordSpec`, its key, how to make a
new key, and any extra per-item rule). :func:`batch_upsert` gives, for a list of items, what sending them one after
another would give (decisions.md 4-9), while doing the work in bulk:

1. validate every item with the resource's one reused validator (400 per failing item);
2. hand out keys for items without one (a short transaction on the key sequence);
3. in one transaction on the selected VBA database, write the items' final rows (a key's last item; sorted by key)
   and their history rows in bulk through the resource's :class:`Writer`, and answer 201/200/4xx per item in
   request order. Which keys existed is known before the write on SQLite (the transaction holds the database's
   write lock: BEGIN IMMEDIATE) and from the write itself on PostgreSQL, where concurrent batches take no lock
   of their own: ``INSERT … ON CONFLICT`` serializes them on each key (in key order: no deadlock) and says which
   rows it inserted; a row whose outcome contradicts its item (a create that found the key, a generated key that
   someone created meanwhile) undoes the write, which is done again without it (or with a fresh key);
4. if the database refuses the bulk write, retry item by item in savepoints so that one bad item fails alone (400
   naming the field where the database names its column; 409 for a conflict with another record). An error that
   says the database is unavailable (:mod:`config.records.dbfaults`) is no item's fault: it fails the whole call
   (the API answers 503) and the transaction writes nothing.

``allOrNone``: when any item fails nothing is written; the others answer 424.
"""

from __future__ import annotations

import enum
import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from config.api.models import KeySequence
from config.records.activity import current_activity_id
from config.records.counting import tables_written
from config.records.databases import current_vba_database
from config.records.dbfaults import is_unavailable, refusal
from config.records.parsers import CheckedArray
from config.records.specs import RecordSpec, all_text_storable
from config.records.writers import History, existing_keys, reports_inserts, upsert_rows

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


def id_value(value: Any) -> str | None:
    """A 207 item's ``id[].value``: a JSON string whatever the key's type (VBA's ``KeyValuePair.value``,
    decisions.md 14), null only where the item has no such value."""
    return None if value is None else str(value)


@dataclass
class BatchOutcome:
    key_json: str
    results: list[ItemResult]
    #: a result's ``id`` from its key (:meth:`BatchResource.item_id`); by default the one key field ``key_json``
    item_id: Callable[[Any], list[dict[str, str | None]]] | None = None

    def as_json(self) -> list[dict[str, Any]]:
        """The 207 body: each item's ``id`` (its key's fields by JSON name, values as strings), status and body."""
        item_id = self.item_id or (lambda key: [{"key": self.key_json, "value": id_value(key)}])
        return [{"id": item_id(r.key), "status": r.status, "body": r.body} for r in self.results]

    def counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


class Writer:
    """Writes validated rows and their history rows (:mod:`config.records.writers`: raw-SQL bulk upserts). Replace it
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
    ) -> dict[Any, bool]:
        """Insert or update ``rows`` with a history row each ('+' new, '~' changed); return ``{key: inserted}`` of
        the rows inserted or actually changed (only they get a history row). With ``keep_audit`` an update takes
        every audit value from the row, ``entry_*`` included, and a change of audit values alone counts."""
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
        return [f.name for f in self.spec.model._meta.concrete_fields if f.attname not in keep]

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
    def json_name_of_column(self, column: str) -> str | None:
        """The JSON name of the model field stored in table column ``column`` (as a database names it), or None."""
        by_column = {str(f.column).lower(): self.spec.json_names[f.attname] for f in self.spec.concrete_fields}
        return by_column.get(column.lower())

    def sent_key(self, item: Any) -> Any:
        return item.get(self.key_json) if isinstance(item, dict) else None

    def item_id(self, key: Any) -> list[dict[str, str | None]]:
        """A 207 item's ``id``: the key's fields by JSON name, values as strings (decisions.md 14). A resource whose
        key is made of several fields lists each of them."""
        return [{"key": self.key_json, "value": id_value(key)}]

    def key_text(self, key: Any) -> str:
        """How messages name record ``key`` after the label ("Auth A1 was not found")."""
        return str(key)

    def key_mismatch(self, item: dict[str, Any], key: Any) -> str | None:
        """Why the body ``item`` of a replace at ``key``'s path names another record (decision 15), or None."""
        sent = item.get(self.key_json)
        if sent is not None and sent != key:
            return f"{self.key_json}: the body says {sent!r} but the path says {key!r}; they must match"
        return None

    def with_key(self, item: dict[str, Any], key: Any) -> dict[str, Any]:
        """``item`` naming record ``key`` (a replace's body: the path's key fields are filled in)."""
        return {**item, self.key_json: key}

    def etag(self, instance: models.Model) -> str:
        rendered = json.dumps(self.spec.render(instance), sort_keys=True, default=str)
        return '"' + hashlib.sha256(rendered.encode()).hexdigest()[:32] + '"'


class IntKeyResource(BatchResource):
    """An int32 key where 0 means "assign the next key" (decisions.md 6) and a negative key is refused."""

    max_key = 2**31 - 1

    def key_is_missing(self, value: Any) -> bool:
        return value == 0

    def sequence_start(self, using: str) -> int:
        """The sequence starts after the largest key already in the table (one query)."""
        model = self.spec.model
        return int(model._default_manager.using(using).aggregate(top=Max("pk"))["top"] or 0)

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        if attrs[self.key] < 0:
            return (
                f"{self.key_json}: must be 0 (to have the next key assigned) or a positive key, not {attrs[self.key]}"
            )
        return None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a batch is read, validated and written. A batch allocates
    hundreds of thousands of objects that all live until it is answered, and form no cycles: every collection their
    allocation triggers would walk them all again (a sixth of a 1,000-Auth batch's CPU time). Reference counting
    still frees everything as usual; a cycle made meanwhile waits for the collector's next run."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


#: context key of a batch: the caller (a ``review_User`` or ``workLog_User`` sent as null names them)
CALLER = "user"


def user_name_for(model: Any, field: str, user: Any) -> str | None:
    """``user``'s name as ``model.field`` holds it (cut to the column's length), None for no user: a data field that
    names a person and defaults to the caller (``review_User``, ``workLog_User``: decision 17)."""
    name = (user.get_username() if user is not None else "") or ""
    return name[: model._meta.get_field(field).max_length] or None


def default_caller_and_now(attrs: dict[str, Any], model: Any, user_field: str, date_field: str, context: Any) -> None:
    """Decision 17: who did the work or the review, and when, are data (kept as sent); sent as null they are the
    caller (``context[CALLER]``) and now."""
    if attrs[user_field] is None:
        attrs[user_field] = user_name_for(model, user_field, context.get(CALLER))
    if attrs[date_field] is None:
        attrs[date_field] = timezone.now()


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
    # the text rule on all the batch's strings at once (known from the JSON text if it is a CheckedArray); an item
    # that breaks it is named by the precise validator below
    text_checked = isinstance(items, CheckedArray) or all_text_storable(items)
    for i, item in enumerate(items):
        attrs, error = spec.validate(item, keep_audit=keep_audit, text_checked=text_checked)
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
        # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE), so which keys exist is read once,
        # before the write. PostgreSQL: no lock and no read; the write itself says which rows it inserted, and
        # _write_verified undoes a row whose outcome contradicts what its item required.
        keys = [attrs[resource.key] for _, attrs in pending]
        existing = None if reports_inserts(using) else existing_keys(resource.spec.model, using, keys)
        _replace_taken_generated_keys(resource, using, pending, generated, existing)
        reference_errors = resource.check_references([attrs for _, attrs in pending], using)
        accepted: list[tuple[int, dict[str, Any]]] = []
        for position, (i, attrs) in enumerate(pending):
            key = attrs[resource.key]
            if position in reference_errors:  # a refused item reports the key it was sent, not one handed out
                results[i] = ItemResult(sent[i] if id(attrs) in generated else key, 400, reference_errors[position])
            elif existing is not None and (refusal := _mode_refusal(resource, mode, key, key in existing)):
                results[i] = ItemResult(key, *refusal)
            else:
                accepted.append((i, attrs))
        if all_or_none and len(accepted) < len(results):
            return _not_applied(resource, sent, results)

        final = {attrs[resource.key]: attrs for _, attrs in accepted}  # a key's last occurrence is what is written
        audit = {"entry_date": now, "entry_user": user_name, "update_date": now, "update_user": user_name}
        for row in final.values():  # in place: a 10,000-item batch should not hold a second copy of every row
            if keep_audit:
                row.update({name: value for name, value in audit.items() if row.get(name) is None})
            else:
                row.update(audit)  # entry_* are kept on update by the writer
        history = History(getattr(user, "pk", None), now, current_activity_id(), existing)
        inserted, refused = _write_verified(
            resource,
            using,
            list(final.values()),
            history=history,
            keep_audit=keep_audit,
            mode=mode,
            generated=generated,
        )
        if refused and all_or_none:
            transaction.set_rollback(True, using=using)
        elif inserted:  # the lists of this table are counted again (config.records.counting)
            tables_written(using, spec.model)
        seen: set[Any] = set()
        for i, attrs in accepted:
            key = attrs[resource.key]
            if key in refused:
                results[i] = ItemResult(key, *refused[key])
            else:  # the first item of a key that the write inserted created it; every other one updated it
                created = key not in seen and inserted.get(key, False)
                results[i] = ItemResult(key, 201 if created else 200, "Created" if created else "Updated")
                seen.add(key)
        if refused and all_or_none:
            return _not_applied(resource, sent, results)
    return BatchOutcome(resource.key_json, [r for r in results if r is not None], resource.item_id)


def _mode_refusal(resource: BatchResource, mode: Mode, key: Any, existed: bool) -> tuple[int, str] | None:
    """What a create of an existing key, or a replace of a missing one, answers."""
    if mode is Mode.CREATE and existed:
        return 409, f"{resource.label} {resource.key_text(key)} already exists"
    if mode is Mode.REPLACE and not existed:
        return 404, f"{resource.label} {resource.key_text(key)} was not found"
    return None


def _replace_taken_generated_keys(
    resource: BatchResource,
    using: str,
    pending: list[tuple[int, dict[str, Any]]],
    generated: set[int],
    existing: set[Any] | None,
) -> None:
    """A generated key that another item of this batch names explicitly, or (where which keys exist was read
    before the write: ``existing``) that someone created explicitly meanwhile, is replaced by a fresh one."""
    explicit = {attrs[resource.key] for _, attrs in pending if id(attrs) not in generated}
    known = existing if existing is not None else set()
    taken = [
        attrs
        for _, attrs in pending
        if id(attrs) in generated and (attrs[resource.key] in known or attrs[resource.key] in explicit)
    ]
    while taken:
        fresh = allocate_keys(resource, len(taken), using)
        clash = existing_keys(resource.spec.model, using, fresh) if existing is not None else set()
        for attrs, key in zip(taken, fresh, strict=True):
            attrs[resource.key] = key
        taken = [attrs for attrs in taken if attrs[resource.key] in clash or attrs[resource.key] in explicit]


def _write_verified(
    resource: BatchResource,
    using: str,
    rows: list[dict[str, Any]],
    *,
    history: History,
    keep_audit: bool,
    mode: Mode,
    generated: set[int],
) -> tuple[dict[Any, bool], dict[Any, tuple[int, str]]]:
    """:func:`_write`, sorted by key. On PostgreSQL, where nothing was read before the write, what the write says is
    checked against what each row required: a created record must be new, a replaced one must have existed, and so
    must not a record under a generated key (someone may have created it explicitly meanwhile). A contradiction
    undoes the whole write (a savepoint), and it is done again without the refused rows (create: 409, replace:
    404), or with a fresh key for each taken generated one."""
    refusals: dict[Any, tuple[int, str]] = {}
    explicit = {row[resource.key] for row in rows if id(row) not in generated}
    while True:
        rows.sort(key=lambda row: row[resource.key])
        with transaction.atomic(using=using):
            inserted, refused = _write(resource, using, rows, history=history, keep_audit=keep_audit)
            if history.existing is not None or (mode is Mode.UPSERT and not generated):
                return inserted, refused  # SQLite: decided before the write; nothing to check in a plain upsert
            written = [row for row in rows if row[resource.key] not in refused]
            taken = [row for row in written if id(row) in generated and not inserted.get(row[resource.key])]
            refuse = {
                row[resource.key]: refusal
                for row in written
                if (refusal := _mode_refusal(resource, mode, row[resource.key], not inserted.get(row[resource.key])))
            }
            if not taken and not refuse:
                return inserted, {**refused, **refusals}
            transaction.set_rollback(True, using=using)  # undo this write: it is done again below
        refusals.update(refuse)
        rows = [row for row in rows if row[resource.key] not in refuse]
        for row in taken:
            row[resource.key] = _fresh_key(resource, using, avoid=explicit)


def _fresh_key(resource: BatchResource, using: str, *, avoid: set[Any]) -> Any:
    while True:
        (key,) = allocate_keys(resource, 1, using)
        if key not in avoid:
            return key


def _write(
    resource: BatchResource, using: str, rows: list[dict[str, Any]], *, history: History, keep_audit: bool = False
) -> tuple[dict[Any, bool], dict[Any, tuple[int, str]]]:
    """Write in bulk; if the database refuses, write row by row in savepoints so that only the refused rows fail.
    Returns ``{key: inserted}`` of the rows written (inserted, or changed) and ``{key: (status, message)}`` of the
    refused ones. Only a row's own value fails it: an error that says the database is unavailable (a lost
    connection, a shutdown, a deadlock... :func:`config.records.dbfaults.is_unavailable`), in bulk or on any row, is
    raised, so that the whole request fails (503) and its transaction writes nothing."""
    try:
        with transaction.atomic(using=using):
            return resource.writer.write(resource, using, rows, history=history, keep_audit=keep_audit), {}
    except DatabaseError as exc:
        if is_unavailable(exc):
            raise
    written: dict[Any, bool] = {}
    refused: dict[Any, tuple[int, str]] = {}
    for row in rows:
        key = row[resource.key]
        try:
            with transaction.atomic(using=using):
                written.update(resource.writer.write(resource, using, [row], history=history, keep_audit=keep_audit))
        except DatabaseError as exc:
            if is_unavailable(exc):
                raise
            refused[key] = _refusal(resource, exc)
    return written, refused


def _refusal(resource: BatchResource, exc: DatabaseError) -> tuple[int, str]:
    """The status and message of a row the database refused: 409 when it conflicts with another record, else 400
    naming the field (its JSON name) where the database names the column, with the database's primary message."""
    said = refusal(exc)
    if said.conflict:
        return 409, f"The database refused this {resource.label}: it conflicts with another record ({said.message})"
    field = resource.json_name_of_column(said.column) if said.column else None
    if field:
        return 400, f"{field}: the database refused the value ({said.message})"
    return 400, f"The database refused this {resource.label}: {said.message}"


def _not_applied(resource: BatchResource, sent: Sequence[Any], results: list[ItemResult | None]) -> BatchOutcome:
    out = []
    for key, result in zip(sent, results, strict=True):
        if result is None or result.ok:
            out.append(ItemResult(key, 424, NOT_APPLIED))
        else:
            out.append(result)
    return BatchOutcome(resource.key_json, out, resource.item_id)
