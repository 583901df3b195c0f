"""A VBA history table indexes what history is read by (the record's key, the date and the user), not every indexed
column of its table: each extra index would cost every batch one more index entry per row written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections

from authorizations.models import Auth
from carecases.models import CareCase, CarePlan


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize(
    ("model", "key"), [(Auth, "Auth_Number"), (CareCase, "Case_Key"), (CarePlan, "CarePlan_Key")], ids=str
)
def test_a_history_table_indexes_the_record_key_and_date_only(model: Any, key: str) -> None:
    history = model.history.model._meta.db_table
    with connections["demo"].cursor() as cursor:
        constraints = connections["demo"].introspection.get_constraints(cursor, history)
    indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"] or c["primary_key"]}
    assert indexed == {("history_id",), (key, "history_date")}
    with connections["demo"].cursor() as cursor:
        table = connections["demo"].introspection.get_constraints(cursor, model._meta.db_table)
    assert len([c for c in table.values() if c["index"]]) > 1  # the table itself keeps its read indexes
