"""On PostgreSQL the JSON and NDJSON exports are rendered by the database (``config.records.sql``). The records
rendered in Python (``RecordSpec.render_row`` then ``RecordEncoder``: what SQLite and CSV use, and what the exports
wrote before) are the reference: these tests store values of every kind in every field of every VBA record, in
several server time zones, and compare the two files byte for byte."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import models, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authorizations.vba.services import AUTH
from carecases.models import CarePlan
from carecases.services import CARE_CASE, CARE_PLAN
from config.records.files import RecordText, vba_records, vba_text
from config.records.specs import RecordSpec
from config.records.sql import database_json_lines
from config.serving.tenancy import use_vba_database
from tests.conftest import ALL

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=ALL)]

SPECS = {"Auth": AUTH.spec, "CarePlan": CARE_PLAN.spec, "CareCase": CARE_CASE.spec}
#: UTC (rendered by PostgreSQL), a DST zone, a zone a quarter-hour off, and one whose old offsets have seconds
#: (Amsterdam's +00:19:32 before 1937): the three others are converted by Python behind PostgreSQL's UTC text.
ZONES = ["UTC", "America/New_York", "Asia/Kathmandu", "Europe/Amsterdam"]

CONTROL = "".join(map(chr, range(1, 32)))
EDGE_TEXT = CONTROL + "\"\\/'%s%%{}[],: é€😀\u2028\u2029\x7f\ufeff"
EDGE_DECIMALS = [
    "0",
    "0.0001",
    "-0.0001",
    "0.1",
    "0.5",
    "100",
    "-100",
    "1.5",
    "12345678901.2345",  # 15 digits: always a float exactly
    "123456789012.3456",  # 16 digits
    "1234567890123.4567",  # 17 digits
    "999999999999999.9999",
    "-999999999999999.9999",
    "999999999999999",
    "0.3",
    "9007199254740.993",
    "4503599627370.4961",
]
EDGE_DATES = [
    dt.datetime(1, 1, 2, 0, 0, 0, tzinfo=dt.UTC),
    dt.datetime(999, 6, 15, 12, 0, 0, 700000, tzinfo=dt.UTC),
    dt.datetime(1900, 1, 1, 0, 0, 0, tzinfo=dt.UTC),
    dt.datetime(1937, 6, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 8, 7, 30, 0, tzinfo=dt.UTC),  # 02:30 New York does not exist that night
    dt.datetime(2026, 11, 1, 5, 30, 0, tzinfo=dt.UTC),  # 01:30 New York happens twice
    dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
]

texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
edge_texts = st.text(st.sampled_from(EDGE_TEXT), max_size=20)
decimals = st.one_of(
    st.sampled_from(EDGE_DECIMALS).map(Decimal),
    st.decimals(min_value=Decimal("-999999999999999.9999"), max_value=Decimal("999999999999999.9999"), places=4),
    st.decimals(min_value=-(10**6), max_value=10**6, places=2),
    st.integers(-(10**15) + 1, 10**15 - 1).map(Decimal),
)
dates = st.one_of(
    st.sampled_from(EDGE_DATES),
    st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)),
)


def values(f: models.Field) -> st.SearchStrategy[Any]:
    if isinstance(f, models.BooleanField):
        kind: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(f, models.DecimalField):
        kind = decimals
    elif isinstance(f, models.IntegerField):
        kind = st.integers(-(2**31), 2**31 - 1)
    elif isinstance(f, models.DateTimeField):
        kind = dates
    else:
        limit = f.max_length or 600
        kind = st.one_of(texts, edge_texts).map(lambda text: text[:limit])
        if limit == 1 and not f.null:  # a NOT NULL one-character column holds exactly one (Auth.tplan_printed)
            kind = st.one_of(texts, edge_texts).map(lambda text: (text + "Y")[:1])
    return st.one_of(st.none(), kind) if f.null else kind


def records(spec: RecordSpec) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Up to four rows of ``spec``'s model (attribute → value) with distinct keys."""
    fields = [f for f in spec.concrete_fields if not f.primary_key and not isinstance(f, models.ForeignKey)]
    row = st.fixed_dictionaries({f.attname: values(f) for f in fields})
    return st.lists(row, min_size=1, max_size=4)


def store(spec: RecordSpec, rows: list[dict[str, Any]]) -> None:
    with use_vba_database("demo"), transaction.atomic(using="demo"):
        _store(spec, rows)


def _store(spec: RecordSpec, rows: list[dict[str, Any]]) -> None:
    model = spec.model._default_manager.using("demo")
    model.all().delete()
    pk = spec.model._meta.pk
    keys: list[Any] = [f"K-{i}" for i in range(len(rows))]
    if isinstance(pk, models.IntegerField):
        keys = [-(2**31) + i for i in range(len(rows))]
    extra: dict[str, Any] = {}
    if spec is CARE_CASE.spec:
        now = dt.datetime.now(dt.UTC)
        plan = CarePlan.objects.using("demo").get_or_create(pk=7, defaults={"entry_date": now, "update_date": now})
        extra = {"care_plan_id": plan[0].pk}
    model.bulk_create(spec.model(**{pk.attname: key, **row, **extra}) for key, row in zip(keys, rows, strict=True))


def files(spec: RecordSpec, fmt: str) -> tuple[str, str]:
    """(what the export writes, the reference rendering) of the rows in demo."""
    queryset = spec.model._default_manager.using("demo").order_by("pk")
    assert database_json_lines(spec, queryset) is not None  # the database renders them: the path under test
    exported = "".join(vba_text(spec, queryset, fmt, 2))
    reference = "".join(RecordText.of_records(vba_records(spec, queryset, 2), fmt, list(spec.json_names.values())))
    return exported, reference


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", SPECS)
def test_edge_values_are_written_as_the_python_renderer_writes_them(name: str, zone: str) -> None:
    spec = SPECS[name]
    rows = []
    for i in range(len(EDGE_DECIMALS)):
        row: dict[str, Any] = {}
        for j, f in enumerate(spec.concrete_fields):
            if f.primary_key or isinstance(f, models.ForeignKey):
                continue
            if isinstance(f, models.BooleanField):
                row[f.attname] = (i + j) % 2 == 0
            elif isinstance(f, models.DecimalField):
                row[f.attname] = Decimal(EDGE_DECIMALS[(i + j) % len(EDGE_DECIMALS)])
            elif isinstance(f, models.IntegerField):
                row[f.attname] = [-(2**31), 2**31 - 1, 0, -1][(i + j) % 4]
            elif isinstance(f, models.DateTimeField):
                row[f.attname] = EDGE_DATES[(i + j) % len(EDGE_DATES)]
            else:
                row[f.attname] = (EDGE_TEXT[(i + j) % len(EDGE_TEXT) :] + EDGE_TEXT)[: f.max_length or 600]
        rows.append(row)
    store(spec, rows)
    with override_settings(TIME_ZONE=zone):
        for fmt in ("json", "ndjson"):
            exported, reference = files(spec, fmt)
            assert exported == reference
            assert exported.count("\n") == len(rows) + (2 if fmt == "json" else 0)


@pytest.mark.parametrize("name", SPECS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_values_are_written_as_the_python_renderer_writes_them(name: str, data: Any) -> None:
    spec = SPECS[name]
    rows = data.draw(records(spec))
    zone = data.draw(st.sampled_from(ZONES))
    store(spec, rows)
    with override_settings(TIME_ZONE=zone):
        exported, reference = files(spec, data.draw(st.sampled_from(["json", "ndjson"])))
    assert exported == reference


def test_no_rows_make_an_empty_array() -> None:
    queryset = AUTH.spec.model._default_manager.using("demo").order_by("pk")
    assert "".join(vba_text(AUTH.spec, queryset, "json", 2)) == "[]\n"
    assert "".join(vba_text(AUTH.spec, queryset.none(), "json", 2)) == "[]\n"
    assert "".join(vba_text(AUTH.spec, queryset, "ndjson", 2)) == ""
