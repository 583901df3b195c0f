"""Codes without forks (issue 24): a coded text field of a VBA record (a case's status, an Auth's type) offers the
values already in use in the page's database, and refuses a new value that differs from one of them only by case,
spaces, punctuation or a plural "s" ("Closed" beside "CLOSED", "goals met" or "GOALMET" beside "GOALS_MET"), naming
the value in use. A value equal to one in use, or genuinely new, is accepted. The API keeps VBA's free-text contract:
only the admin's forms apply this.

- :func:`values_in_use` (:func:`codes_in_use` for several fields) / :func:`code_problem`: the rule on its own, for
  any form field (``model``, field name, database).
- :class:`CodedFieldsMixin`: for a records ModelAdmin or an inline (a list inside a form), declared as
  ``coded_fields = ("case_status", …)``: the text box gets a ``<datalist>`` of the values in use and the form refuses
  a fork, on the field.
- :class:`CodedForm`: the same for a plain form (not a model form) whose fields are written to a model's columns
  (an Auth's "Add review").

A record's key that is a code (a decision code) is compared with every key of the table, not only the values
offered. An identifier whose final "S" is part of it (an ICD code: S72.001S is not S72.001) is declared with
``coded_plurals = False``: only case, spaces and punctuation are ignored.

Reading the values stays fast at a million rows, at most :data:`CODES_OFFERED` values per field: an indexed column
is read by a loose index scan (one index probe per distinct value, in order), and the columns without an index
together, in one query over the :data:`RECENT_ROWS` most recently updated records (by the ``update_date`` index), so
a value used only in older records is not offered, and a fork of it is not caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib.admin.widgets import AdminTextInputWidget
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

#: The most values a coded field offers (and compares a new value with).
CODES_OFFERED = 200
#: A column without an index: the values of this many most recently updated records are the values in use.
RECENT_ROWS = 5_000

CODE_HELP = (
    "Pick a value already used in this database; a new one may not differ from one in use only by case, spaces, "
    "punctuation or a plural s."
)
#: :data:`CODE_HELP` of a field whose final "S" counts (``plural=False``).
CODE_HELP_EXACT = (
    "Pick a value already used in this database; a new one may not differ from one in use only by case, spaces or "
    "punctuation."
)
#: The help of a record's key that is a code: a new record's code is new, not one of those offered.
KEY_HELP = (
    "The box lists the codes of this database; a new one may not differ from one of them only by case, spaces or "
    "punctuation."
)


def code_key(value: str, plural: bool = True) -> str:
    """What a code is once case, spaces, punctuation and a plural "s" are ignored: ``"Goals met"``, ``"GOALS_MET"``,
    ``"GOALMET"`` and ``"goal-met"`` are all ``"goalmet"`` (a word of more than three letters loses a final "s",
    not "ss"). ``plural=False``: the final "s" is kept (``"S72.001S"`` is ``"s72001s"``, not ``"s72001"``)."""
    words = re.findall(r"[^\W_]+", value.casefold())
    if not plural:
        return "".join(words)
    return "".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def _indexed(model: type[models.Model], field: Any) -> bool:
    if field.primary_key or field.unique or field.db_index:
        return True
    return any(
        index.fields and index.fields[0] == field.name and index.condition is None for index in model._meta.indexes
    )


def _newest_first(model: type[models.Model]) -> Any:
    """The column the newest records are read by: an indexed ``update_date`` (VBA's records have one), else the key."""
    try:
        field = model._meta.get_field("update_date")
    except FieldDoesNotExist:
        return model._meta.pk
    return field if _indexed(model, field) else model._meta.pk


def values_in_use(model: type[models.Model], field_name: str, using: str, limit: int = CODES_OFFERED) -> list[str]:
    """The distinct non-empty values of ``model.field_name`` in the database ``using``, sorted (at most ``limit``):
    one query; an indexed column by a loose index scan, another from the :data:`RECENT_ROWS` most recently updated
    records."""
    return codes_in_use(model, [field_name], using, limit)[field_name]


def codes_in_use(
    model: type[models.Model], field_names: list[str], using: str, limit: int = CODES_OFFERED
) -> dict[str, list[str]]:
    """:func:`values_in_use` of several fields at once: each indexed column by its own loose index scan, the columns
    without an index together, in one query that reads the :data:`RECENT_ROWS` most recently updated records once."""
    from config.admin.sites import distinct_values  # the admin site module imports the apps' admins

    found: dict[str, list[Any]] = {}
    fields: list[Any] = [model._meta.get_field(name) for name in field_names]
    for field in fields:
        if _indexed(model, field):
            found[field.name] = distinct_values(model._default_manager.using(using).all(), field, limit, False)
    recent = [field for field in fields if field.name not in found]
    if recent:
        connection = connections[using]
        q = connection.ops.quote_name
        table, key = q(model._meta.db_table), q(_newest_first(model).column)
        columns = ", ".join(f"{q(field.column)} AS c{n}" for n, field in enumerate(recent))
        branches = " UNION ALL ".join(
            f"SELECT * FROM (SELECT DISTINCT {n} AS f, c{n} AS v FROM recent WHERE c{n} IS NOT NULL "
            f"ORDER BY v LIMIT {int(limit) + 1}) d{n}"
            for n in range(len(recent))
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH recent AS (SELECT {columns} FROM {table} ORDER BY {key} DESC LIMIT %s) {branches}",
                [RECENT_ROWS],
            )
            for field in recent:
                found[field.name] = []
            for number, value in cursor.fetchall():
                found[recent[number].name].append(value)
    return {name: sorted({str(v) for v in values if v not in (None, "")})[:limit] for name, values in found.items()}


def is_key(model: type[models.Model], field_name: str) -> bool:
    """Whether ``model.field_name`` is a key of its table (the primary key, or unique): each row has its own value."""
    field: Any = model._meta.get_field(field_name)
    return bool(field.primary_key or field.unique)


def code_problem(
    model: type[models.Model],
    field_name: str,
    value: Any,
    using: str,
    in_use: list[str] | None = None,
    plural: bool = True,
) -> str | None:
    """Why ``value`` may not be stored in ``model.field_name`` of the database ``using``, or None: it differs from a
    value in use only by case, spaces, punctuation or (``plural``) a plural "s" (:func:`code_key`). ``in_use``: the
    values in use, if already read. A key of the table (a code table's code) is compared with every key: when the
    values offered may not be all of them, the keys are read (an index-only read of a code table)."""
    if value in (None, "") or not isinstance(value, str):
        return None
    key = code_key(value, plural)
    if not key:
        return None
    values = values_in_use(model, field_name, using) if in_use is None else in_use
    keyed = is_key(model, field_name)
    if keyed and len(values) >= CODES_OFFERED:
        rows = model._default_manager.using(using).exclude(**{f"{field_name}__isnull": True}).order_by()
        values = sorted({str(v) for v in rows.values_list(field_name, flat=True)})
    if value in values:
        return None
    same = [existing for existing in values if code_key(existing, plural) == key]
    if not same:
        return None
    if not keyed and model._default_manager.using(using).filter(**{field_name: value}).exists():
        return None  # in use already, beyond the values offered
    written = " or ".join(f"“{existing}”" for existing in same)
    if keyed:
        return f"“{value}” is written {written} in this database: that code exists already, use it."
    return f"“{value}” is written {written} in this database: use that value."


def offer_codes(formfield: Any, codes: list[str], help_text: str = CODE_HELP) -> Any:
    """``formfield`` (a text field) offering ``codes`` (:class:`CodeInput`), with ``help_text`` after its own."""
    formfield.widget = CodeInput(codes, attrs=formfield.widget.attrs)
    formfield.help_text = " ".join(filter(None, [str(formfield.help_text or ""), help_text]))
    return formfield


def refuse_forks(bound: Any, model: type[models.Model], names: Any, using: str, plural: bool = True) -> None:
    """The rule on a bound form (after its ``clean``): each field of ``names`` the person changed that forks a value
    of ``model``'s column of the same name (:func:`code_problem`) gets the error, its label first. An unchanged
    value (legacy data, a disabled box) is never refused."""
    for name in names:
        if name not in bound.fields or name not in bound.changed_data or name not in bound.cleaned_data:
            continue
        widget = bound.fields[name].widget
        in_use = widget.codes if isinstance(widget, CodeInput) else None
        problem = code_problem(model, name, bound.cleaned_data[name], using, in_use, plural)
        if problem:
            bound.add_error(name, forms.ValidationError(f"{bound.fields[name].label}: {problem}", "fork"))


class CodeInput(AdminTextInputWidget):
    """A text box offering ``codes`` (an HTML ``<datalist>``): the browser proposes them as one types, and any text
    may still be typed."""

    def __init__(self, codes: list[str], attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.codes = codes

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["list"] = self._list_id(context["widget"]["attrs"].get("id") or name)
        return context

    @staticmethod
    def _list_id(field_id: str) -> str:
        return f"{field_id}_codes"

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        box = super().render(name, value, attrs, renderer)
        field_id = (attrs or {}).get("id") or self.attrs.get("id") or name
        options = format_html_join("", '<option value="{}"></option>', ((code,) for code in self.codes))
        return format_html('{}<datalist id="{}">{}</datalist>', box, self._list_id(field_id), options)


def field_help(model: type[models.Model], field_name: str, plural: bool = True) -> str:
    """The help a coded field gets: :data:`KEY_HELP` for a key of the table, else :data:`CODE_HELP` (or
    :data:`CODE_HELP_EXACT` without the plural rule)."""
    if is_key(model, field_name):
        return KEY_HELP
    return CODE_HELP if plural else CODE_HELP_EXACT


class CodedFieldsMixin:
    """For a records ModelAdmin (:class:`~config.admin.sites.VBAModelAdmin`) or one of its inlines: each field of
    ``coded_fields`` (text columns) offers the values in use in the page's database and refuses a changed value that
    forks one of them (:func:`code_problem`), the error on the field (in an inline: on the row's field). An unchanged
    value (legacy data) is never refused. ``coded_plurals = False``: a final "s" counts (identifiers)."""

    coded_fields: ClassVar[tuple[str, ...]] = ()
    coded_plurals: ClassVar[bool] = True
    model: Any
    record_database: Any  # VersionGuard's: the database the page reads and writes (an inline: its model's router)

    def _coded_database(self) -> str:
        database = getattr(self, "record_database", None)
        return str(database()) if callable(database) else str(router.db_for_write(self.model))

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is None or db_field.name not in self.coded_fields or db_field.choices:
            return formfield
        codes = self._codes_in_use(request)[db_field.name]
        return offer_codes(formfield, codes, field_help(self.model, db_field.name, self.coded_plurals))

    def _codes_in_use(self, request: HttpRequest) -> dict[str, list[str]]:
        """The values in use of every coded field, read once per request (one query for the unindexed columns)."""
        read: dict[Any, dict[str, list[str]]] = request.__dict__.setdefault("_codes_in_use", {})
        key = (self.model, self._coded_database())
        if key not in read:
            read[key] = codes_in_use(self.model, list(self.coded_fields), key[1])
        return read[key]

    def _refusing_forks(self, form: Any) -> Any:
        coded = [name for name in self.coded_fields if name in form.base_fields]
        if not coded:
            return form
        model, using, plural = self.model, self._coded_database(), self.coded_plurals
        return add_form_check(form, lambda bound: refuse_forks(bound, model, coded, using, plural))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return self._refusing_forks(super().get_form(request, obj, change, **kwargs))  # type: ignore[misc]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        """An inline's rows: each row's form refuses a fork (its class is the one the formset made for this request)."""
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        self._refusing_forks(formset.form)
        return formset


class CodedForm(forms.Form):
    """A plain form whose fields are written to columns of ``coded_model`` (the same names): each field of
    ``coded_fields`` offers the values in use in the database ``using`` (by default the one the model's rows are
    written to: the page's) and refuses a fork, on the field (:func:`refuse_forks`)."""

    coded_model: ClassVar[type[models.Model]]
    coded_fields: ClassVar[tuple[str, ...]] = ()
    coded_plurals: ClassVar[bool] = True

    def __init__(self, *args: Any, using: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.coded_database = using or str(router.db_for_write(self.coded_model))
        codes = codes_in_use(self.coded_model, list(self.coded_fields), self.coded_database)
        for name in self.coded_fields:
            offer_codes(self.fields[name], codes[name], field_help(self.coded_model, name, self.coded_plurals))

    def _post_clean(self) -> None:
        """After the form's ``clean`` (a subclass's sees every value typed, a fork included): the forks refused."""
        super()._post_clean()  # type: ignore[misc]
        refuse_forks(self, self.coded_model, self.coded_fields, self.coded_database, self.coded_plurals)


def add_form_check(form: Any, check: Callable[[Any], None]) -> Any:
    """``form`` (the class a ModelAdmin's ``get_form`` made for this request) with ``check(bound_form)`` run after
    its ``clean``, to add errors. The class is changed, not subclassed: a model form's subclass would build its fields
    again (reading the database again, and losing what ``get_form`` set on them, such as a stored value's choice)."""
    base = form.clean

    def clean(self: Any) -> Any:
        cleaned = base(self)
        check(self)
        return cleaned

    form.clean = clean
    return form
