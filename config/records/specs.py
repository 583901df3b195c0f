"""One declaration of a VBA record, three faces: model attribute, table column, JSON name.

:class:`RecordSpec` reads a model's fields once and derives from them the strict input validator (pydantic, with
VBA's JSON names as aliases), the JSON rendering and the OpenAPI component, so that a rule about a field (its
length, its type, whether it may be null) lives in the model and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import operator
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import chain, compress, repeat
from typing import (
    Annotated,
    Any,
    Required,  # pydantic needs typing_extensions' TypedDict before 3.12
)

from django.db import connections, models
from django.utils import timezone
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    create_model,
)
from typing_extensions import TypedDict

from config.records.dates import parse_datetime, render_datetime  # the one date parser and renderer
from config.records.parsers import StorableText, Text, check_text

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def vba_json_name(column: str) -> str:
    """.NET's camel-casing of a column name, as VBA's API applies it: ``DRG_Category`` → ``drG_Category``,
    ``IVR_Flag`` → ``ivR_Flag``, ``TPlan_Printed`` → ``tPlan_Printed``, ``Auth_Number`` → ``auth_Number``."""
    chars = list(column)
    for i, ch in enumerate(chars):
        if i == 1 and not ch.isupper():
            break
        has_next = i + 1 < len(chars)
        if i > 0 and has_next and not chars[i + 1].isupper():
            break
        chars[i] = ch.lower()
    return "".join(chars)


def _decimal(max_digits: int, places: int) -> Any:
    """A validator of exact numbers: a JSON number (int, or float parsed as Decimal) that fits ``max_digits`` digits
    with at most ``places`` decimals; never rounded."""
    whole_digits = max_digits - places
    limit = 10**whole_digits

    def check(value: Any) -> Any:
        if value.__class__ is int and -limit < value < limit:  # the common case first: one comparison
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ValueError("must be a JSON number")
        if isinstance(value, int):
            if -limit < value < limit:
                return value
            raise ValueError(f"must have at most {whole_digits} digits before the decimal point")
        if isinstance(value, float):
            value = Decimal(repr(value))
        if not value.is_finite():
            raise ValueError("must be a finite number")
        _sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        if not any(digits):  # zero, however written (0.0000000, 0e20)
            return value
        while exponent < -places and digits and digits[-1] == 0:  # 1.50000 has 1 decimal
            digits, exponent = digits[:-1], exponent + 1
        if exponent < -places:
            raise ValueError(f"must have at most {places} decimal places")
        if len(digits) + exponent > whole_digits:
            raise ValueError(f"must have at most {whole_digits} digits before the decimal point")
        return value

    return check


def _input_annotation(f: models.Field, required: bool, fast: bool = False) -> tuple[Any, Any]:
    """The strict pydantic type of a model field and its default (``...`` = required).

    ``fast``: the type of the validator that :meth:`RecordSpec.validate` tries first, with no Python callback per
    string or number: the :data:`~config.records.parsers.Text` rule was checked on all of the item's strings at once
    (a lone surrogate also fails pydantic's own string check), and numbers are pydantic's own exact integers and
    decimals. It accepts a subset of what the other validator accepts, with the same values; whatever it refuses
    goes through the other one, which accepts it or names the field and the reason."""
    if isinstance(f, models.BooleanField):
        ann: Any = StrictBool
    elif isinstance(f, (models.ForeignKey, models.IntegerField)) and not isinstance(f, models.DecimalField):
        ann = Annotated[StrictInt, Field(ge=INT32_MIN, le=INT32_MAX)]
    elif isinstance(f, models.DecimalField):
        digits, places = f.max_digits or 19, f.decimal_places or 0
        if fast:  # an int in range, or a finite Decimal (the JSON reader's floats) of at most digits/places
            limit = 10 ** (digits - places)
            ann = (
                Annotated[StrictInt, Field(gt=-limit, lt=limit)]
                | Annotated[Decimal, Strict(), Field(max_digits=digits, decimal_places=places, allow_inf_nan=False)]
            )
        else:
            ann = Annotated[Any, PlainValidator(_decimal(digits, places))]
    elif isinstance(f, models.DateTimeField):  # fast: the string, parsed once validated (FastValidator)
        ann = StrictStr if fast else Annotated[dt.datetime, BeforeValidator(parse_datetime)]
    elif isinstance(f, models.CharField):
        min_length = f.max_length if f.max_length == 1 and required else None
        ann = Annotated[StrictStr, Field(max_length=f.max_length, min_length=min_length)]
        if not fast:
            ann = Annotated[ann, StorableText]
    elif isinstance(f, models.TextField):
        ann = StrictStr if fast else Text
    else:  # pragma: no cover - a new field type must be mapped before it is exposed
        raise TypeError(f"No API type for {f!r}")
    if required:
        return ann, ...
    return ann | None, None


def _output_annotation(f: models.Field) -> Any:
    if isinstance(f, models.BooleanField):
        ann: Any = bool
    elif isinstance(f, models.DecimalField):
        ann = float
    elif isinstance(f, (models.ForeignKey, models.IntegerField)):
        ann = int
    elif isinstance(f, models.DateTimeField):
        ann = Annotated[str, Field(json_schema_extra={"format": "date-time", "example": "2024-01-01T00:00:00"})]
    else:
        ann = Annotated[str, Field(max_length=getattr(f, "max_length", None))]
    return ann if not f.null else ann | None


def field_error(error: Any) -> str:
    """One pydantic error as the API says it: ``field: why`` (the JSON name; "is required", "may not be null")."""
    name = ".".join(str(part) for part in error["loc"]) or "item"
    kind = error["type"]
    if kind == "missing":
        return f"{name}: is required"
    if error.get("input", 0) is None:
        return f"{name}: may not be null"
    text = error["msg"]
    if text.startswith("Value error, "):
        text = text[len("Value error, ") :]
    return f"{name}: {text}"


@dataclass
class RecordSpec:
    """Everything the API needs to know about one VBA model; built once per model."""

    model: type[models.Model]
    server_fields: tuple[str, ...] = ("entry_date", "entry_user", "update_date", "update_user")
    #: Columns that are NOT NULL in the table but may be omitted or null on input (the server fills them).
    optional_inputs: tuple[str, ...] = ()
    #: NOT NULL columns with a default that a client may omit (VBA's non-nullable, not-required fields, e.g.
    #: ``disable_Diag_Code_Match``): documented as not nullable and not required; omitted or null, they take the
    #: model field's default.
    defaulted: tuple[str, ...] = ()
    #: Columns stored (and kept in the history) but not part of the record's JSON: neither accepted, rendered nor
    #: documented (AuthCode's audit columns: VBA's ``AuthCode`` has none). The writers still write every column.
    hidden: tuple[str, ...] = ()
    json_names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.json_names = {f.attname: vba_json_name(f.column or f.attname) for f in self.concrete_fields}

    @cached_property
    def concrete_fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields if f.attname not in self.hidden]

    @cached_property
    def input_fields(self) -> list[models.Field]:
        return [f for f in self.concrete_fields if f.attname not in self.server_fields]

    @cached_property
    def attname_by_json(self) -> dict[str, str]:
        return {json: attname for attname, json in self.json_names.items()}

    @cached_property
    def input_model(self) -> type[BaseModel]:
        return self._validator(keep_audit=False)

    @cached_property
    def import_model(self) -> type[BaseModel]:
        """:attr:`input_model` plus the four audit fields, each optional: what a staff import that keeps a file's
        audit values (decisions.md 9) validates."""
        return self._validator(keep_audit=True)

    @cached_property
    def _fast_validators(self) -> dict[bool, FastValidator]:
        """The same two validators without a Python callback per value, tried first (:meth:`validate_fast`)."""
        return {keep_audit: FastValidator(self, keep_audit=keep_audit) for keep_audit in (False, True)}

    def _fields(self, keep_audit: bool) -> list[tuple[models.Field, bool]]:
        """The fields an item may hold, each with whether it is required."""
        return [
            (
                f,
                f.attname not in self.server_fields
                and not f.null
                and f.attname not in self.optional_inputs
                and f.attname not in self.defaulted,
            )
            for f in (self.concrete_fields if keep_audit else self.input_fields)
        ]

    def _validator(self, *, keep_audit: bool, fast: bool = False) -> type[BaseModel]:
        definitions: dict[str, Any] = {}
        for f, required in self._fields(keep_audit):
            ann, default = _input_annotation(f, required=required, fast=fast)
            definitions[f.attname] = (ann, Field(default, alias=self.json_names[f.attname]))
        return create_model(  # type: ignore[call-overload,no-any-return]
            f"{self.model.__name__}{'Import' if keep_audit else 'Input'}",
            __config__=ConfigDict(extra="ignore", populate_by_name=False, str_strip_whitespace=False),
            **definitions,
        )

    @cached_property
    def output_model(self) -> type[BaseModel]:
        """The record as the API renders it (for the OpenAPI schema)."""
        definitions = {
            f.attname: (_output_annotation(f), Field(alias=self.json_names[f.attname])) for f in self.concrete_fields
        }
        return create_model(self.model.__name__, **definitions)  # type: ignore[call-overload,no-any-return]

    @cached_property
    def request_model(self) -> type[BaseModel]:
        """The record as a client sends it (for the OpenAPI schema; :attr:`input_model` validates)."""
        definitions: dict[str, Any] = {}
        for f in self.input_fields:
            required = not f.null and f.attname not in self.optional_inputs and f.attname not in self.defaulted
            ann = _output_annotation(f)
            definitions[f.attname] = (
                ann if required else ann | None,
                Field(... if required else None, alias=self.json_names[f.attname]),
            )
        return create_model(self.model.__name__, **definitions)  # type: ignore[call-overload,no-any-return]

    def validate(
        self, item: Any, *, keep_audit: bool = False, text_checked: bool = False
    ) -> tuple[dict[str, Any] | None, str | None]:
        """``(attributes by attname, None)`` for a valid item, ``(None, message naming the JSON fields)`` if not.

        With ``keep_audit`` the item's audit fields are validated and kept (a staff import); otherwise ignored.
        ``text_checked``: :func:`all_text_storable` passed a batch holding the item."""
        if not isinstance(item, dict):
            return None, f"Each item must be a JSON object, not {_json_type(item)}"
        attrs = self._fast_validators[keep_audit](item, text_checked=text_checked)
        if attrs is None:
            try:  # the precise validator decides what the fast one refused, and names the fields
                attrs = (self.import_model if keep_audit else self.input_model).model_validate(item).__dict__
            except ValidationError as exc:
                return None, "; ".join(field_error(e) for e in exc.errors(include_url=False))
        for name, default in self._defaults:
            if attrs[name] is None:
                attrs[name] = default
        return attrs, None

    @cached_property
    def _defaults(self) -> list[tuple[str, Any]]:
        return [(f.attname, f.get_default()) for f in self.model._meta.concrete_fields if f.attname in self.defaulted]

    def validate_fast(self, item: dict[str, Any], *, keep_audit: bool = False) -> dict[str, Any] | None:
        """The attributes of ``item`` if the fast validator accepts it, else None (:meth:`validate` then asks the
        precise one)."""
        return self._fast_validators[keep_audit](item)

    @cached_property
    def attnames(self) -> list[str]:
        return [f.attname for f in self.concrete_fields]

    def render_row(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row of ``values_list(*attnames)`` rendered exactly as :meth:`render` renders the instance (bulk reads
        skip building model instances)."""
        values = list(row)
        tz = timezone.get_current_timezone()
        for i in self._datetime_positions:
            if values[i] is not None:
                values[i] = render_datetime(values[i], tz)
        return dict(zip(self._rendered_names, values, strict=True))

    @cached_property
    def _datetime_positions(self) -> list[int]:
        return [i for i, f in enumerate(self.concrete_fields) if isinstance(f, models.DateTimeField)]

    @cached_property
    def _rendered_names(self) -> list[str]:
        return [self.json_names[a] for a in self.attnames]

    def render(self, instance: models.Model) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.concrete_fields:
            value = getattr(instance, f.attname)
            if isinstance(value, dt.datetime):
                value = render_datetime(value)
            out[self.json_names[f.attname]] = value
        return out


class RowReader:
    """One record by its key (and equality filters, e.g. a care case's plan) as a :meth:`RecordSpec.render_row`
    row: every column, with the ORM's own converters, by SQL built once per connection instead of compiling a
    94-column query for each request."""

    def __init__(self, spec: RecordSpec, filters: tuple[str, ...] = ()) -> None:
        self.spec = spec
        model = spec.model
        self.fields: list[Any] = [model._meta.pk, *(model._meta.get_field(name) for name in filters)]
        self._compiled: weakref.WeakKeyDictionary[Any, tuple[str, list[tuple[int, tuple[list[Any], Any]]]]] = (
            weakref.WeakKeyDictionary()
        )

    def _compile(self, connection: Any) -> tuple[str, list[tuple[int, tuple[list[Any], Any]]]]:
        compiled = self._compiled.get(connection)
        if compiled is None:
            manager = self.spec.model._default_manager.db_manager(connection.alias)
            query = manager.order_by().values_list(*self.spec.attnames).query
            compiler = query.get_compiler(connection=connection)
            select, params = compiler.as_sql()
            if params or " WHERE " in select:  # pragma: no cover - a default manager that filters is not supported
                raise TypeError(f"{self.spec.model.__name__}'s default manager filters its rows")
            quote = connection.ops.quote_name
            table = quote(self.spec.model._meta.db_table)
            where = " AND ".join(f"{table}.{quote(f.column)} = %s" for f in self.fields)
            converters = list(compiler.get_converters([column for column, _sql, _alias in compiler.select]).items())
            compiled = (f"{select} WHERE {where}", converters)
            self._compiled[connection] = compiled
        return compiled

    def read(self, using: str, *values: Any) -> list[Any] | None:
        """The row whose key and filters equal ``values`` (in the order given), or None."""
        connection = connections[using]
        sql, converters = self._compile(connection)
        params = [f.get_db_prep_value(v, connection, prepared=False) for f, v in zip(self.fields, values, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchone()
        if found is None:
            return None
        row = list(found)
        for position, (functions, expression) in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return row


class PageReader:
    """The rows of a filtered, ordered, sliced queryset of a record type as :meth:`RecordSpec.render_row` rows.

    The SQL of the queryset's keys alone is compiled for each request (its filters, order and slice vary), and its
    one-column select is swapped for every column, built once per connection: compiling a 94-column select is
    most of what the ORM spends on a page. Anything that does not start as that plain select (a join, DISTINCT)
    goes through the ORM as it is."""

    def __init__(self, spec: RecordSpec) -> None:
        self.spec = spec
        self._compiled: weakref.WeakKeyDictionary[Any, tuple[str, str, list[Any]]] = weakref.WeakKeyDictionary()

    def _compile(self, connection: Any) -> tuple[str, str, list[Any]]:
        compiled = self._compiled.get(connection)
        if compiled is None:
            manager = self.spec.model._default_manager.db_manager(connection.alias)
            keys_sql, _ = manager.order_by().values_list("pk").query.get_compiler(connection=connection).as_sql()
            compiler = manager.order_by().values_list(*self.spec.attnames).query.get_compiler(connection=connection)
            full_sql, _ = compiler.as_sql()
            converters = list(compiler.get_converters([column for column, _sql, _alias in compiler.select]).items())
            compiled = (keys_sql, full_sql, converters)
            self._compiled[connection] = compiled
        return compiled

    def rows(self, queryset: Any) -> list[Any]:
        connection = connections[queryset.db]
        keys_select, full_select, converters = self._compile(connection)
        sql, params = queryset.values_list("pk").query.get_compiler(connection=connection).as_sql()
        rest = sql[len(keys_select) :]
        if not sql.startswith(keys_select) or (rest and not rest.startswith((" WHERE ", " ORDER BY ", " LIMIT "))):
            return list(queryset.values_list(*self.spec.attnames))
        with connection.cursor() as cursor:
            cursor.execute(full_select + rest, params)
            found = cursor.fetchall()
        if not converters:
            return found
        rows = []
        for row in map(list, found):
            for position, (functions, expression) in converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            rows.append(row)
        return rows


def all_text_storable(items: Iterable[Any]) -> bool:
    """Whether every string of the objects ``items`` passes the text rule (:func:`~config.records.parsers.check_text`:
    no NUL, no lone surrogate): all their strings joined and checked at once, in C."""
    values = list(chain.from_iterable(item.values() for item in items if type(item) is dict))
    try:
        check_text("".join(compress(values, map(operator.is_, map(type, values), repeat(str)))))
    except ValueError:
        return False
    return True


class FastValidator:
    """The validator :meth:`RecordSpec.validate` tries first, with no Python callback per value: pydantic-core
    checks the item as a typed dict (``fast`` in :func:`_input_annotation`: exact integers and decimals, strings
    and their lengths, dates as strings), the text rule is checked on all the item's strings at once (or,
    ``text_checked``, was checked on a whole batch's: :func:`all_text_storable`), and the dates are parsed afterwards
    by the one date parser.

    It accepts a subset of what the precise validator accepts, giving the same attributes (absent fields are None):
    ``tests/config/test_record_validators.py`` compares the two on generated values."""

    def __init__(self, spec: RecordSpec, *, keep_audit: bool) -> None:
        annotations: dict[str, Any] = {}
        for f, required in spec._fields(keep_audit):
            ann, _default = _input_annotation(f, required=required, fast=True)
            ann = Annotated[ann, Field(alias=spec.json_names[f.attname])]
            annotations[f.attname] = Required[ann] if required else ann
        shape: Any = TypedDict(f"{spec.model.__name__}Fast", annotations, total=False)  # type: ignore[misc]
        shape.__pydantic_config__ = ConfigDict(  # type: ignore[attr-defined]
            extra="ignore", populate_by_name=False, str_strip_whitespace=False
        )
        self.validator: TypeAdapter[Any] = TypeAdapter(shape)
        self.absent = dict.fromkeys(annotations)
        self.dates = [f.attname for f, _ in spec._fields(keep_audit) if isinstance(f, models.DateTimeField)]

    def __call__(self, item: dict[str, Any], *, text_checked: bool = False) -> dict[str, Any] | None:
        if not text_checked and not all_text_storable([item]):
            return None
        try:
            attrs: dict[str, Any] = self.validator.validate_python(item)
            if len(attrs) < len(self.absent):  # absent fields are None
                attrs = {**self.absent, **attrs}
            for name in self.dates:
                if attrs[name] is not None:
                    attrs[name] = parse_datetime(attrs[name])
        except ValueError:  # (pydantic's ValidationError is a ValueError)
            return None
        return attrs


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__
