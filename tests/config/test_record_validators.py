"""Each VBA record has two validators (``config.records.specs``): the fast one, tried first, with no Python callback
per string or number, and the precise one, which decides whatever the fast one refuses and names the field. The
fast one must never accept a value the precise one refuses, nor give a different value: these tests generate
values of every kind for every field of every record and compare the two."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from authorizations.vba.services import AUTH
from carecases.services import CARE_CASE, CARE_PLAN
from config.records.specs import RecordSpec

SPECS = {"Auth": AUTH.spec, "CareCase": CARE_CASE.spec, "CarePlan": CARE_PLAN.spec}

edge_decimals = st.sampled_from(
    [
        "0",
        "-0",
        "0E-10",
        "0e20",
        "1.50000",
        "1.12345",
        "999999999999999.9999",
        "1000000000000000",
        "123456789012345.12340",
        "1E+14",
        "1E+15",
        "1e-4",
        "1e-5",
        "NaN",
        "Infinity",
        "-Infinity",
        "2147483647",
        "2147483648",
        "-2147483649",
    ]
).map(Decimal)
decimals = st.one_of(
    edge_decimals,
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.builds(lambda digits, exp: Decimal(digits).scaleb(exp), st.integers(-(10**22), 10**22), st.integers(-12, 22)),
)
integers = st.one_of(
    st.integers(-(10**20), 10**20), st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 10**15, -(10**15)])
)
texts = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(["a", "\x00", "\ud800", "\udfff", "é", " "]), max_size=4),
    st.integers(0, 260).map(lambda n: "x" * n),
)
dates = st.sampled_from(
    [
        "2026-11-20",
        "2026-11-20T10:15:00",
        "2026-11-20 10:15:00 +0000",
        "2026-11-20T10:15:00.1234567Z",
        "2026-11-20T10:15:00 UTC",
        "2026-11-20T10:15",
        "2026-13-01",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "2026-11-20T10:15:00+16:00",
    ]
)
any_value = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True),
    decimals,
    texts,
    dates,
    st.just([]),
    st.just({}),
    st.just(dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)),
)


def values_for(f: models.Field) -> st.SearchStrategy[Any]:
    """Values aimed at a field's own bounds, mixed with values of every kind."""
    if isinstance(f, models.DecimalField):
        limit = 10 ** ((f.max_digits or 19) - (f.decimal_places or 0))
        bounds = [limit - 1, limit, -limit + 1, -limit]
        aimed = st.one_of(
            st.sampled_from(bounds),
            st.sampled_from(bounds).map(Decimal),
            st.sampled_from(bounds).map(lambda n: Decimal(n) - Decimal("0.0001")),
            decimals,
        )
    elif isinstance(f, models.IntegerField | models.ForeignKey):
        aimed = st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, True, Decimal(5), 5.0])
    elif isinstance(f, models.CharField):
        n = f.max_length or 1
        aimed = st.sampled_from(["", "x" * n, "x" * (n + 1), "é" * n, "\x00" * min(n, 2), "\ud800"])
    else:
        aimed = any_value
    return st.one_of(aimed, any_value)


def valid_item(spec: RecordSpec) -> dict[str, Any]:
    """A minimal item both validators accept: every required field set."""
    item: dict[str, Any] = {}
    for f in spec.input_fields:
        if f.null or f.attname in spec.optional_inputs:
            continue
        if isinstance(f, models.BooleanField):
            item[spec.json_names[f.attname]] = False
        elif isinstance(f, models.CharField | models.TextField):
            item[spec.json_names[f.attname]] = "N"
        else:
            item[spec.json_names[f.attname]] = 1
    return item


def outcome(model: Any, item: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return model.model_validate(item).__dict__  # type: ignore[no-any-return]
    except ValidationError:
        return None


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("keep_audit", [False, True], ids=["api", "import"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_the_fast_validator_accepts_nothing_the_precise_one_refuses(name: str, keep_audit: bool, data: Any) -> None:
    spec = SPECS[name]
    precise = spec.import_model if keep_audit else spec.input_model
    fields = spec.concrete_fields if keep_audit else spec.input_fields
    item = valid_item(spec)
    for f in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True)):
        item[spec.json_names[f.attname]] = data.draw(values_for(f))
    fast_result = spec.validate_fast(item, keep_audit=keep_audit)
    if fast_result is not None:
        assert outcome(precise, item) == fast_result


@pytest.mark.parametrize("name", SPECS)
def test_both_validators_agree_on_a_valid_item(name: str) -> None:
    spec = SPECS[name]
    item = valid_item(spec)
    assert spec.validate_fast(item) == outcome(spec.input_model, item) is not None


def test_an_item_the_fast_validator_refuses_is_decided_by_the_precise_one() -> None:
    """A float (a Python caller's number, not the JSON reader's Decimal) fails the fast validator: the precise one
    accepts it with its exact decimal value; a bad value is named by field."""
    item = valid_item(AUTH.spec) | {"amount_Approved": 1250.75}
    attrs, error = AUTH.spec.validate(item)
    assert error is None and attrs is not None and attrs["amount_approved"] == Decimal("1250.75")
    attrs, error = AUTH.spec.validate(item | {"amount_Approved": Decimal("1.12345"), "tPlan_Printed": "\x00"})
    assert attrs is None
    assert error == (
        "amount_Approved: must have at most 4 decimal places; "
        "tPlan_Printed: may not contain the NUL character (\\u0000)"
    )


@pytest.mark.parametrize("zero", ["0E-10", "0e20", "-0.000000"])
def test_zero_is_a_valid_amount_however_it_is_written(zero: str) -> None:
    attrs, error = AUTH.spec.validate(valid_item(AUTH.spec) | {"amount_Approved": Decimal(zero)})
    assert error is None and attrs is not None and attrs["amount_approved"] == 0
