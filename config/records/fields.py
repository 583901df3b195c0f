"""Model field types shared by the VBA tables, and their history."""

from typing import Any

from django.db import models
from simple_history.models import HistoricalRecords


class MoneyField(models.DecimalField):
    """A VBA ``number`` column (amounts, units, visits, scores): exact decimal, never a float.

    19 digits with 4 decimals, like SQL Server's ``money``; a value that does not fit is refused, not rounded.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 19)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == 19:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == 4:
            del kwargs["decimal_places"]
        return name, path, args, kwargs


class VBAHistoryFields(models.Model):
    """Extra columns on every VBA history row: the request (activity id) that made the change."""

    activity_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        abstract = True


class _Every:
    """A ``no_db_index`` for simple-history that holds every field name."""

    def __contains__(self, name: object) -> bool:
        return True


class VBAHistoricalRecords(HistoricalRecords):
    """The history of a VBA table (django-simple-history), with :class:`VBAHistoryFields`.

    Its table has one index besides its primary key: (record key, ``history_date``), what a record's history is read
    by, newest first. Neither the table's indexed columns, nor the key alone, nor ``history_date`` or
    ``history_user`` alone are indexed in the history: each index costs every write one more entry per row, and a
    batch writes a history row for every record it changes.

    ``parent_key``: a child table's column naming its parent record (a procedure line's ``auth_number``) gets a
    second index, (that column, ``history_id``): the parent's admin page reads the newest history row of its
    children, and what changed since, by it (:class:`config.admin.sites.VersionGuard`)."""

    def __init__(self, parent_key: str | None = None) -> None:
        super().__init__(user_db_constraint=False, bases=[VBAHistoryFields], no_db_index=_Every())
        self.parent_key = parent_key

    def get_extra_fields(self, model: Any, fields: Any) -> dict[str, Any]:
        extra: dict[str, Any] = super().get_extra_fields(model, fields)
        extra["history_date"].db_index = False
        extra["history_user"].db_index = False
        return extra

    def get_meta_options(self, model: Any) -> dict[str, Any]:
        meta: dict[str, Any] = super().get_meta_options(model)
        name = f"{model._meta.db_table.lower()}_history_record"[:30]
        meta["indexes"] = [models.Index(fields=[model._meta.pk.attname, "history_date"], name=name)]
        if self.parent_key is not None:
            parent = f"{model._meta.db_table.lower()}_history_parent"[:30]
            meta["indexes"].append(models.Index(fields=[self.parent_key, "history_id"], name=parent))
        return meta
