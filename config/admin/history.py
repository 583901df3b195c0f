"""A record's history page with its child records' history (an Auth's procedure lines, diagnoses and reviews; a care
case's work log): :attr:`VBAModelAdmin.history_children <config.admin.sites.VBAModelAdmin.history_children>` names
the child models, the column naming the record and what a row is called. Their history rows are merged with the
record's own, newest first, each with its date, user and what happened ("Procedure line 93306: Units approved 21 → 0",
worded as the stale-form message words a list row's change: :func:`config.admin.sites.row_changes`). They cannot be
reverted from the page (no link to a revert form): only the record's own rows can.

Scale: each child's history is read with one query by the record's key (the history table's (parent column,
``history_id``) index: ``VBAHistoricalRecords(parent_key=…)``), at most ``history_list_per_page`` rows (the page's
limit); beyond those, the page says how many older changes are not listed. The rows of one page of the record's own
history are merged with the children's rows of the same period (from the oldest row of the page to the oldest of the
page before), so that every child row appears on one page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from config.admin.sites import AUDIT_FIELDS, STAMP_FIELDS, StrictFields, row_changes, row_values

#: Columns a child's history row never names: the audit stamps (the entry's who and when already say it).
NOT_NAMED = frozenset({*AUDIT_FIELDS, *STAMP_FIELDS})
HISTORY_TYPES = {"+": "Added", "~": "Changed", "-": "Deleted"}


@dataclass(frozen=True)
class HistoryChild:
    """One entry of ``history_children``: ``model``'s rows name the record in ``parent`` (an attname); a row is
    called ``label`` and its ``name_fields`` ("Diagnosis I50.9 (ICD10)"; none: its key)."""

    model: Any
    parent: str
    label: str
    name_fields: tuple[str, ...] = ()

    @classmethod
    def of(cls, entry: Any) -> HistoryChild:
        return entry if isinstance(entry, HistoryChild) else cls(*entry)

    def name(self, row: Any) -> str:
        values = [str(v) for v in (getattr(row, f) for f in self.name_fields) if v not in (None, "")]
        if not values:
            return str(getattr(row, self.model._meta.pk.attname))  # the row's key (a history row's pk is its own)
        return values[0] + (f" ({', '.join(values[1:])})" if values[1:] else "")


@dataclass
class ChildHistoryRow:
    """A child's history row as the history page lists it (beside the record's own rows)."""

    history_id: int
    history_date: Any
    history_type: str
    history_user_id: Any
    object_label: str  # "Procedure line 93306"
    what: Any  # "Procedure line 93306: Units approved 21 → 0"
    history_user: Any = None
    history_change_reason: str = ""
    history_delta_changes: list[Any] = field(default_factory=list)
    is_child: bool = True

    def get_history_type_display(self) -> str:
        return HISTORY_TYPES.get(self.history_type, self.history_type)


def with_children_history(model_admin: Any, context: dict[str, Any]) -> dict[str, Any]:
    """The history page's ``context`` with ``history_rows`` (the page's own rows and its children's, newest first)
    and ``history_children_more`` (what is not listed). Unchanged when the admin names no children."""
    children = [HistoryChild.of(entry) for entry in getattr(model_admin, "history_children", ())]
    page_obj, obj = context.get("page_obj"), context.get("object")
    if not children or page_obj is None or obj is None:
        return context
    own = list(page_obj.object_list)
    paginator = page_obj.paginator
    newer_than = None  # the oldest row of the page before: children's rows from then on are listed there
    if page_obj.has_previous():
        index = (page_obj.number - 1) * paginator.per_page - 1
        newer_than = paginator.object_list.values_list("history_date", flat=True)[index]
    from_date = own[-1].history_date if own and page_obj.has_next() else None
    limit = model_admin.history_list_per_page
    database = model_admin.record_database()
    rows: list[ChildHistoryRow] = []
    more: list[str] = []
    for child in children:
        listed, total = child_rows(model_admin, child, obj.pk, database, limit, from_date, newer_than)
        rows.extend(listed)
        if total > len(listed):
            more.append(
                f"{total - len(listed)} older changes of its {plural(child.label.lower())} are not listed here "
                f"(the newest {len(listed)} are)."
            )
    users = get_user_model()._default_manager.using("default").in_bulk({r.history_user_id for r in rows} - {None})
    for row in rows:
        row.history_user = users.get(row.history_user_id)
    merged: list[Any] = sorted([*own, *rows], key=lambda r: r.history_date, reverse=True)  # stable: ties keep order
    names = [plural(child.label.lower()) for child in children]
    named = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return {**context, "history_rows": merged, "history_children_more": more, "history_children_names": named}


def plural(label: str) -> str:
    """A label's plural: "procedure line" → "procedure lines", "diagnosis" → "diagnoses", "work log entry" →
    "work log entries"."""
    if label.endswith("is"):
        return label[:-2] + "es"
    if label.endswith("y") and label[-2:-1] not in tuple("aeiou"):
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def child_rows(
    model_admin: Any, child: HistoryChild, key: Any, database: str, limit: int, from_date: Any, newer_than: Any
) -> tuple[list[ChildHistoryRow], int]:
    """The newest ``limit`` history rows of ``child`` naming record ``key`` (dated from ``from_date`` and before
    ``newer_than``, when given), worded; and how many there are. One query, a second for the versions before the
    oldest change of each row listed, a count only when there are more than ``limit``."""
    history = child.model.history.model
    pk = child.model._meta.pk.attname
    query = history._default_manager.using(database).filter(**{child.parent: key})
    if from_date is not None:
        query = query.filter(history_date__gte=from_date)
    if newer_than is not None:
        query = query.filter(history_date__lt=newer_than)
    before = history._default_manager.using(database).filter(
        **{pk: OuterRef(pk), "history_id__lt": OuterRef("history_id")}
    )
    found = list(
        query.annotate(before_id=Subquery(before.order_by("-history_id").values("history_id")[:1])).order_by(
            "-history_id"
        )[: limit + 1]
    )
    total = len(found) if len(found) <= limit else query.count()
    found = found[:limit]
    versions = {row.history_id: row for row in found}
    wanted = [row.before_id for row in found if row.history_type == "~" and row.before_id not in versions]
    if wanted:
        versions.update(history._default_manager.using(database).in_bulk([w for w in wanted if w is not None]))
    labels = _labels(model_admin, child.model)
    shown = _shown(labels, child)
    listed = []
    for row in found:
        name = f"{capfirst(child.label)} {child.name(row)}"
        previous = versions.get(row.before_id) if row.before_id is not None else None
        listed.append(
            ChildHistoryRow(
                history_id=row.history_id,
                history_date=row.history_date,
                history_type=row.history_type,
                history_user_id=row.history_user_id,
                object_label=name,
                what=_what(labels, child, name, row, previous, shown),
            )
        )
    return listed, total


def _what(labels: Any, child: HistoryChild, name: str, row: Any, previous: Any, shown: set[str]) -> Any:
    if row.history_type == "-":
        return format_html("{}: deleted", name)
    if row.history_type == "+" or previous is None:
        values = row_values(labels, child.model, row, shown - set(child.name_fields))
        verb = "added" if row.history_type == "+" else "changed"
        if not values:
            return format_html("{}: {}", name, verb)
        return format_html("{}: {} ({})", name, verb, _joined(values))
    changes = row_changes(labels, child.model, row, previous, shown, skip=_skipped(child))
    if not changes:
        return format_html("{}: saved (no field changed)", name)
    return format_html("{}: {}", name, _joined(changes))


def _joined(items: list[Any]) -> Any:
    return format_html_join(", ", "{}", ((item,) for item in items))


def _skipped(child: HistoryChild) -> frozenset[str]:
    return frozenset({*NOT_NAMED, child.model._meta.pk.name, child.parent, child.parent.removesuffix("_id")})


def _labels(model_admin: Any, model: Any) -> Any:
    """What labels ``model``'s fields: the record's inline of it (as its form shows them), else the admin of the
    model in the record's site, else the project's default labels."""
    for inline in model_admin.inlines:
        if inline.model is model and hasattr(inline, "default_label"):
            return inline(model_admin.model, model_admin.admin_site)
    registered = model_admin.admin_site._registry.get(model)
    if registered is not None and hasattr(registered, "default_label"):
        return registered
    return StrictFields()


def _shown(labels: Any, child: HistoryChild) -> set[str]:
    """The fields whose values a change shows: those of the inline (its form), else every field but the key, the
    parent column and the audit stamps."""
    skipped = _skipped(child)
    fields = getattr(labels, "fields", None) if hasattr(labels, "parent_model") else None
    names = fields or [f.name for f in child.model._meta.concrete_fields]
    return {name for name in names if isinstance(name, str) and name not in skipped}
