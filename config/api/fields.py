"""Model field types shared by the VBA tables."""

from django.db import models


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
