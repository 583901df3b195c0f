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


class _AllBut:
    """A ``no_db_index`` for simple-history that holds every field name but one."""

    def __init__(self, kept: str) -> None:
        self.kept = kept

    def __contains__(self, name: object) -> bool:
        return name != self.kept


def vba_history(key: str) -> Any:
    """The history of a VBA table (django-simple-history), with :class:`VBAHistoryFields`.

    Its table indexes what history is read by: the record's key ``key`` (a record's history page), besides the
    ``history_date`` and ``history_user`` that simple-history indexes itself. The table's other indexed columns are
    not indexed again in its history: each such index would cost every write one more index entry per row."""
    return HistoricalRecords(user_db_constraint=False, bases=[VBAHistoryFields], no_db_index=_AllBut(key))
