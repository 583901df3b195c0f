"""Codes without forks (issue 24): a coded text field of a VBA record (a case's status, an Auth's type) offers the
values already in use in the page's database, and refuses a new value that differs from one of them only by case,
spaces, punctuation or a plural "s" ("Closed" beside "CLOSED", "goals met" or "GOALMET" beside "GOALS_MET"), naming
the value in use. A value equal to one in use, or genuinely new, is accepted. The API keeps VBA's free-text contract:
only the admin's forms apply this.

- :func:`values_in_use` (:func:`codes_in_use` for several fields) / :func:`code_problem`: the rule on its own, for
  any form field (``model``, field name, database).
- :class:`CodedFieldsMixin`: for a records ModelAdmin, declared as ``coded_fields = ("case_status", …)``: the text box
  gets a ``<datalist>`` of the values in use and the form refuses a fork, on the field.

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
from django.db import connections, models
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


def code_key(value: str) -> str:
    """What a code is once case, spaces, punctuation and a plural "s" are ignored: ``"Goals met"``, ``"GOALS_MET"``,
    ``"GOALMET"`` and ``"goal-met"`` are all ``"goalmet"`` (a word of more than three letters loses a final "s",
    not "ss")."""
    words = re.findall(r"[^\W_]+", value.casefold())
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


def code_problem(
    model: type[models.Model], field_name: str, value: Any, using: str, in_use: list[str] | None = None
) -> str | None:
    """Why ``value`` may not be stored in ``model.field_name`` of the database ``using``, or None: it differs from a
    value in use only by case, spaces, punctuation or a plural "s" (:func:`code_key`). ``in_use``: the values in
    use, if already read."""
    if value in (None, "") or not isinstance(value, str):
        return None
    key = code_key(value)
    if not key:
        return None
    values = values_in_use(model, field_name, using) if in_use is None else in_use
    if value in values:
        return None
    same = [existing for existing in values if code_key(existing) == key]
    if not same:
        return None
    if model._default_manager.using(using).filter(**{field_name: value}).exists():
        return None  # in use already, beyond the values offered
    written = " or ".join(f"“{existing}”" for existing in same)
    return f"“{value}” is written {written} in this database: use that value."


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


class CodedFieldsMixin:
    """For a records ModelAdmin (:class:`~config.admin.sites.VBAModelAdmin`): each field of ``coded_fields`` (text
    columns) offers the values in use in the page's database and refuses a changed value that forks one of them
    (:func:`code_problem`), the error on the field. An unchanged value (legacy data) is never refused."""

    coded_fields: ClassVar[tuple[str, ...]] = ()
    model: Any
    record_database: Any  # VersionGuard's: the database the page reads and writes

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is None or db_field.name not in self.coded_fields or db_field.choices:
            return formfield
        codes = self._codes_in_use(request)[db_field.name]
        formfield.widget = CodeInput(codes, attrs=formfield.widget.attrs)
        formfield.help_text = " ".join(filter(None, [str(formfield.help_text or ""), CODE_HELP]))
        return formfield

    def _codes_in_use(self, request: HttpRequest) -> dict[str, list[str]]:
        """The values in use of every coded field, read once per request (one query for the unindexed columns)."""
        read: dict[Any, dict[str, list[str]]] = request.__dict__.setdefault("_codes_in_use", {})
        key = (self.model, self.record_database())
        if key not in read:
            read[key] = codes_in_use(self.model, list(self.coded_fields), key[1])
        return read[key]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        coded = [name for name in self.coded_fields if name in form.base_fields]
        if not coded:
            return form
        model, using = self.model, self.record_database()

        def refuse_forks(bound: Any) -> None:
            for name in coded:
                if name not in bound.changed_data or name not in bound.cleaned_data:
                    continue
                widget = bound.fields[name].widget
                in_use = widget.codes if isinstance(widget, CodeInput) else None
                problem = code_problem(model, name, bound.cleaned_data[name], using, in_use)
                if problem:
                    bound.add_error(name, forms.ValidationError(f"{bound.fields[name].label}: {problem}", "fork"))

        return add_form_check(form, refuse_forks)


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
