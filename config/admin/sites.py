"""Admin plumbing: one admin site per VBA database, the database switch, the form rules every admin form follows
(no silent change), field labels and help, and the server-owned audit fields.

A VBA page's database is in its URL, ``/admin/db/<alias>/…``, exactly as an API request's is in its header: the site
of that URL checks the staff member's grant and selects the database through the tenancy helpers
(:func:`config.serving.tenancy.select_for_request`), so a page reads and writes that database whatever another tab does.
The default site (``/admin/``) carries no database: users, grants, API clients and Spry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, partial, update_wrapper
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.checks import InlineModelAdminChecks
from django.contrib.admin.filters import AllValuesFieldListFilter
from django.contrib.admin.utils import flatten_fieldsets, quote, unquote
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.admin.widgets import AdminSplitDateTime, AdminTextareaWidget, AdminTextInputWidget
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, router, transaction
from django.db.models import Max, Q, QuerySet
from django.forms.models import BaseModelFormSet, modelformset_factory
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst, smart_split, unescape_string_literal
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin
from simple_history.exceptions import NotHistoricalModelError
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_history_model_for_model

from config.api.models import AdminExport, APIClient, DatabaseGrant
from config.records.batch import allocate_keys, stamp_audit
from config.records.counting import count_rows, is_unfiltered
from config.serving.tenancy import granted_databases, select_for_request, selected_vba_database, vba_database_names

AUDIT_FIELDS = ("entry_date", "entry_user", "update_date", "update_user")
SITE_HEADER = "Records admin"


def granted(request: HttpRequest) -> list[str]:
    """The VBA databases the request's user is granted (asked once per request)."""
    if not hasattr(request, "_vba_granted"):
        request._vba_granted = granted_databases(getattr(request, "user", None))  # type: ignore[attr-defined]
    return request._vba_granted  # type: ignore[attr-defined]


# -- the sites -------------------------------------------------------------------------------------------------


def site_name(database: str) -> str:
    return f"db-{database}"


class VBAAdminSite(admin.AdminSite):
    """The admin of one VBA database, mounted at ``/admin/db/<database>/``. Only staff granted the database may open
    it (anyone else gets the admin's usual "not authorized" login page); every view of it works in that database."""

    site_header = SITE_HEADER
    site_title = SITE_HEADER
    site_url = None  # no "View site" link: there is no public site
    enable_nav_sidebar = False  # the header and breadcrumbs name the database; the lists get the width
    index_template = "admin/records_index.html"
    app_index_template = "admin/records_app_index.html"

    def __init__(self, database: str) -> None:
        super().__init__(name=site_name(database))
        self.database = database
        self.index_title = f"Database {database}"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and self.database in granted(request)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The database's home page, with the counts of :data:`HOME_COUNTS` the user may see."""
        panels = home_panels(request.user, self.database)
        return super().index(request, {**(extra_context or {}), "home_counts": panels})

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Every view of the site, once ``has_permission`` has passed, works in the site's database (for the rest of
        the request, so that the template rendered after the view returns reads the same database)."""

        def in_database(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            select_for_request(self.database)
            return view(request, *args, **kwargs)

        return super().admin_view(update_wrapper(in_database, view), cacheable)


#: Counts shown on the home page of each VBA database's site: (title, the permission needed to see them, a function of
#: the database returning items with ``label``, ``url`` and ``shown``), registered by the apps (e.g. the Auth queue).
HOME_COUNTS: list[tuple[str, str, Callable[[str], list[Any]]]] = []


def home_panels(user: Any, database: str) -> list[dict[str, Any]]:
    """The :data:`HOME_COUNTS` of ``database`` that ``user`` may see, each ``{"title": …, "counts": […]}``: on the
    database's home page and, for every granted database, on the admin's first page."""
    return [
        {"title": title, "counts": counts(database)}
        for title, permission, counts in HOME_COUNTS
        if user.has_perm(permission)
    ]


#: The admin site of each configured VBA database, by database name.
vba_sites: dict[str, VBAAdminSite] = {name: VBAAdminSite(name) for name in vba_database_names()}

admin.site.site_header = admin.site.site_title = SITE_HEADER
admin.site.site_url = None  # type: ignore[assignment]
admin.site.enable_nav_sidebar = False
admin.site.index_template = "admin/records_index.html"


def register_vba(*models_: type[models.Model]) -> Callable[[type[admin.ModelAdmin]], type[admin.ModelAdmin]]:
    """``@register_vba(Model)``: register a VBA model's admin in the site of every VBA database."""

    def register(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
        for site in vba_sites.values():
            site.register(models_, admin_class)
        return admin_class

    return register


def switch_target(path: str, database: str) -> str:
    """Where "switch to ``database``" leads from the page ``path``: from a VBA model's page (list, record, history,
    delete) to that model's list in the other database — never the same key, which is another record there — from
    a VBA app's page to that app, and from anywhere else to the database's home page."""
    site = vba_sites[database]
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        match = None
    if match is not None and match.namespace.startswith("db-") and match.url_name:
        if match.url_name == "app_list":
            return reverse("admin:app_list", kwargs=match.kwargs, current_app=site.name)
        for model in site._registry:
            prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
            if match.url_name.startswith(prefix):
                return reverse(f"admin:{prefix}changelist", current_app=site.name)
    return reverse("admin:index", current_app=site.name)


@staff_member_required
def select_database(request: HttpRequest) -> HttpResponse:
    """The header's database picker: go to the chosen (granted) database's counterpart of the page ``next``. Nothing
    is remembered: the database is in the URL of the page it leads to."""
    chosen = request.GET.get("database", "")
    back = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("admin:index")
    if chosen not in granted(request):
        messages.error(request, "Unknown or unauthorized database")
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(switch_target(back, chosen))


def log_entry_database(entry: Any) -> str | None:
    """The VBA database an admin log entry was written in (kept in its change message), or None."""
    text = entry.change_message or ""
    if not text.startswith("["):
        return None
    try:
        parts = json.loads(text)
    except ValueError:
        return None
    for part in parts:
        if isinstance(part, dict) and isinstance(part.get("database"), str):
            return part["database"]
    return None


def log_entry_url(entry: Any) -> str | None:
    """The admin page of a log entry's object, in the database it was written in."""
    database = log_entry_database(entry)
    if database is None:
        return entry.get_admin_url()
    if database not in vba_sites or entry.content_type is None or not entry.object_id:
        return None
    content_type = entry.content_type
    try:
        return reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change",
            args=(quote(entry.object_id),),
            current_app=site_name(database),
        )
    except NoReverseMatch:
        return None


# -- form rules ------------------------------------------------------------------------------------------------


def moment(value: Any) -> str:
    """A date and time in the server's time zone (``2026-03-01 14:05``), or "…"."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "…"


def problem_text(error: Any) -> str:
    """The message of a service's refusal (an ``APIException``: a 400 naming the field, a 404...) as one line."""

    def flat(detail: Any) -> list[str]:
        if isinstance(detail, dict):
            return [text for value in detail.values() for text in flat(value)]
        if isinstance(detail, list):
            return [text for value in detail for text in flat(value)]
        return [str(detail)]

    return " ".join(flat(error.detail))


def plain_number(value: Any) -> Any:
    """A decimal as a person writes it: ``16.0000`` → ``16``, ``4004.7700`` → ``4004.77`` (never ``1E+2``)."""
    if isinstance(value, Decimal) and value.is_finite():
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return value


class NumberInput(forms.TextInput):
    """A number typed as text. A browser's ``type=number`` input submits "" for what it cannot parse (say
    ``4004.7700e``), which would erase the stored value, and shows an empty box after a server-side error; as text,
    what was typed reaches the form, is refused with an error, and stays in the box. Stored decimals are shown
    without trailing zeros."""

    def __init__(self, attrs: dict[str, Any] | None = None, decimal: bool = True) -> None:
        base = {"inputmode": "decimal" if decimal else "numeric", "class": "vNumberInput", "size": 12}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value: Any) -> Any:
        return super().format_value(plain_number(value))


class _NamesField:
    """Errors of a typed value name the field and repeat what was typed."""

    label: Any
    kind = "number"

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)  # type: ignore[misc]
        except ValidationError as error:
            if error.code != "invalid":
                raise
            raise ValidationError(
                "%(field)s: “%(value)s” is not a valid %(kind)s.",
                code="invalid",
                params={"field": self.label or "This field", "value": value, "kind": self.kind},
            ) from None


class DecimalField(_NamesField, forms.DecimalField):
    pass


class IntegerField(_NamesField, forms.IntegerField):
    kind = "whole number"


class SplitDateTimeField(forms.SplitDateTimeField):
    """Date and time; a date without a time means midnight. A malformed date or time is an error naming the field,
    and what was typed stays in the boxes."""

    def __init__(self, *args: Any, label: Any = None, **kwargs: Any) -> None:
        name = label or "This field"
        kwargs["error_messages"] = {
            "invalid_date": f"{name}: enter a valid date (YYYY-MM-DD).",
            "invalid_time": f"{name}: enter a valid time (HH:MM or HH:MM:SS).",
            **kwargs.get("error_messages", {}),
        }
        super().__init__(*args, label=label, **kwargs)

    def compress(self, data_list: Any) -> Any:
        if data_list and data_list[0] not in self.empty_values and data_list[1] in self.empty_values:
            data_list = [data_list[0], dt.time(0)]
        return super().compress(data_list)


def field_label(name: str) -> str:
    """A snake_case field name as a label: ``subscriber_id`` → "Subscriber ID", ``drg_category`` → "DRG category"."""
    words = [LABEL_WORDS.get(word, word) for word in name.split("_")]
    return capfirst(" ".join(words))


LABEL_WORDS = {
    "id": "ID",
    "ids": "IDs",
    "drg": "DRG",
    "ivr": "IVR",
    "icd": "ICD",
    "cpt": "CPT",
    "edi": "EDI",
    "tplan": "treatment plan",
    "reins": "reinsurance",
    "seq": "sequence",
    "thru": "through",
}

YES_NO = [("Y", "Y – yes"), ("N", "N – no")]


class FieldDoc:
    """What a staff member needs beside a field: a label, the help text, and for a flag its choices."""

    def __init__(self, help_text: str = "", label: str | None = None, choices: list[tuple[str, str]] | None = None):
        self.help_text, self.label, self.choices = help_text, label, choices


class TextField(forms.CharField):
    """Text as typed. Line ends are stored as ``\\n`` (a browser sends a text area's as CRLF); a field counts as
    changed only if its text differs from the stored one as typed — not because the form would strip it, or because
    NULL shows as an empty box."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value

    def has_changed(self, initial: Any, data: Any) -> bool:
        def text(value: Any) -> str:
            return "" if value is None else str(value).replace("\r\n", "\n")

        return not self.disabled and text(initial) != text(data)  # a disabled box is not posted: never a change


class StrictModelForm(forms.ModelForm):
    """Only what the person changed is written to an existing record. A model form otherwise writes every field
    back as it cleaned it — stripped text, "" for NULL, a time without its microseconds — so saving an untouched
    form, or changing one field, would silently rewrite others."""

    def _post_clean(self) -> None:
        if self.instance._state.adding:
            return super()._post_clean()  # type: ignore[misc]
        cleaned, changed = self.cleaned_data, set(self.changed_data)
        self.cleaned_data = {name: value for name, value in cleaned.items() if name in changed}
        try:
            super()._post_clean()  # type: ignore[misc]
        finally:
            self.cleaned_data = cleaned


def column_docs(
    model: type[models.Model], meanings: dict[str, str], choices: dict[str, list[tuple[str, str]]] | None = None
) -> dict[str, FieldDoc]:
    """``field_docs`` of a VBA model: each field's meaning by its column name (``meanings``) and, for flags, their
    choices (by field name)."""
    docs = {}
    for field in model._meta.concrete_fields:
        column = str(field.db_column or field.column)
        docs[field.name] = FieldDoc(meanings.get(column, ""), choices=(choices or {}).get(field.name))
    return docs


class StaffTermsHistory(HistoricalRecordContextHelper):
    """A history row's changes as staff read them: the form's labels, numbers without trailing zeros, dates in the
    server's time zone, Yes/No, the label of a choice, "—" for empty."""

    def __init__(self, model: Any, record: Any, label: Callable[[Any], str]) -> None:
        super().__init__(model, record)
        self.label = label

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        changes = []
        for change in delta.changes:
            formatted = self.format_delta_change(change)
            label = self.label(self.model._meta.get_field(change.field))
            changes.append({"field": label, "old": formatted.old, "new": formatted.new})
        return changes

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, Decimal):
            return plain_number(value)
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return local.strftime("%Y-%m-%d") if local.time() == dt.time(0) else local.strftime("%Y-%m-%d %H:%M")
        if getattr(field, "choices", None):
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)


class StrictFields:
    """The field rules of every records form, the lists inside a form (inlines) included: nothing changes that the
    person did not change.

    - Numbers are typed as text (:class:`NumberInput`): a malformed one is refused with the field named and what was
      typed kept, never stored as empty; stored decimals are shown without trailing zeros.
    - An empty optional text box stays NULL (not "") when the column allows NULL.
    - Only the fields the person changed are written (:class:`StrictModelForm`).
    - Labels are human; ``field_docs`` adds help text and choices (a value outside the choices is kept as a choice,
      so an untouched form never rewrites it).
    """

    field_docs: dict[str, FieldDoc] = {}
    form: Any = StrictModelForm

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        doc = self.field_docs.get(str(db_field.name))
        label = (doc.label if doc and doc.label else None) or self.default_label(db_field)
        if doc and doc.choices and not db_field.choices:
            formfield: Any = forms.TypedChoiceField(
                choices=[("", "—")] + doc.choices if (db_field.null or db_field.blank) else doc.choices,
                coerce=str,
                empty_value=None if db_field.null else "",
                required=not db_field.blank,
                label=label,
                error_messages={
                    "invalid_choice": f"{label}: “%(value)s” is not one of {', '.join(k for k, _ in doc.choices)}."
                },
            )
        elif isinstance(db_field, models.DecimalField) and not db_field.choices:
            formfield = db_field.formfield(form_class=DecimalField, widget=NumberInput(), **kwargs)
        elif isinstance(db_field, models.IntegerField) and not db_field.choices and not db_field.is_relation:
            formfield = db_field.formfield(form_class=IntegerField, widget=NumberInput(decimal=False), **kwargs)
        elif isinstance(db_field, models.TextField) and not db_field.choices:
            formfield = db_field.formfield(form_class=TextField, widget=AdminTextareaWidget, **kwargs)
        elif isinstance(db_field, models.CharField) and not db_field.choices:
            formfield = db_field.formfield(form_class=TextField, widget=AdminTextInputWidget, **kwargs)
        elif isinstance(db_field, models.DateTimeField) and not db_field.choices:
            formfield = db_field.formfield(form_class=SplitDateTimeField, widget=AdminSplitDateTime, **kwargs)
        else:
            formfield = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is None:
            return None
        if isinstance(db_field, models.TextField) and db_field.null and hasattr(formfield, "empty_value"):
            formfield.empty_value = None  # an empty box keeps NULL, as CharField(null=True) already does
        if not db_field.is_relation:
            formfield.label = label
        help_text = self.help_text(db_field, doc)
        if help_text:
            formfield.help_text = help_text
        return formfield

    def default_label(self, db_field: Any) -> str:
        if db_field.verbose_name and db_field.verbose_name != db_field.name.replace("_", " "):
            return capfirst(db_field.verbose_name)
        return field_label(db_field.name)

    def help_text(self, db_field: Any, doc: FieldDoc | None) -> str:
        return " ".join(filter(None, [doc.help_text if doc else "", str(db_field.help_text or "")]))


class StrictInline(StrictFields, admin.TabularInline):
    """A list inside a records form (say an authorization's ICD codes), under the same field rules as the form."""


class ParentKeyFormSet(BaseModelFormSet):
    """The rows of one parent record that name it in a plain column (``parent_attname``, e.g. a procedure line's
    ``auth_number``), not through a ``ForeignKey``: VBA's child tables carry the parent's key as data, and their JSON
    contract keeps it so. It takes the keyword arguments the admin gives an inline formset (``instance``: the parent;
    ``save_as_new`` is ignored). A row's key is posted in a hidden field that accepts only this parent's rows."""

    model: Any
    parent_attname: ClassVar[str]
    resource: ClassVar[Any]
    keys_from_sequence: ClassVar[bool]
    instance: Any

    def __init__(
        self, data: Any = None, files: Any = None, instance: Any = None, save_as_new: bool = False,
        prefix: str | None = None, queryset: Any = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        self.instance = instance
        rows = queryset if queryset is not None else self.model._default_manager.all()
        parent = instance.pk if instance is not None and not instance._state.adding else None
        rows = rows.filter(**{self.parent_attname: parent}) if parent is not None else rows.none()
        if data is not None:
            data = self._without_vanished_rows(data, prefix or self.get_default_prefix(), rows)
        super().__init__(data, files, prefix=prefix, queryset=rows, **kwargs)

    def _without_vanished_rows(self, data: Any, prefix: str, rows: Any) -> Any:
        """The posted rows without those deleted meanwhile (by someone else: the page's version check refuses the
        save and says so). Left in, such a row is neither shown again (the admin pairs the posted rows with the stored
        ones) nor valid, so the page shown again would not save, with no error to see; the other rows are numbered
        again, what was typed in them kept."""
        try:
            initial = int(data.get(f"{prefix}-INITIAL_FORMS", 0))
            total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
        except (TypeError, ValueError):
            return data  # a broken management form: the formset's own error
        key = self.model._meta.pk
        posted: dict[int, Any] = {}
        for index in range(min(initial, total)):
            try:
                posted[index] = key.to_python(data.get(f"{prefix}-{index}-{key.name}"))
            except ValidationError:
                posted[index] = None
        anywhere = self.model._default_manager.db_manager(rows.db)  # a row of another parent is refused, not dropped
        stored = set(anywhere.filter(pk__in=[k for k in posted.values() if k is not None]).values_list("pk", flat=True))
        kept = [index for index, value in posted.items() if value in stored]
        if len(kept) == len(posted) or not hasattr(data, "getlist"):
            return data
        order = kept + list(range(min(initial, total), total))
        fresh = data.copy()
        for name in list(fresh):
            if name.startswith(f"{prefix}-") and name.split("-", 2)[1].isdigit():
                del fresh[name]
        for new, old in enumerate(order):
            for name in data:
                if name.startswith(f"{prefix}-{old}-"):
                    fresh.setlist(f"{prefix}-{new}-{name[len(f'{prefix}-{old}-') :]}", data.getlist(name))
        fresh[f"{prefix}-INITIAL_FORMS"] = str(len(kept))
        fresh[f"{prefix}-TOTAL_FORMS"] = str(len(order))
        return fresh

    @classmethod
    def get_default_prefix(cls) -> str:
        return str(cls.model._meta.model_name)

    def add_fields(self, form: Any, index: Any) -> None:
        super().add_fields(form, index)
        key = form.fields.get(self.model._meta.pk.name)
        if isinstance(key, forms.ModelChoiceField):
            key.queryset = self.get_queryset().order_by()  # another parent's row cannot be named here

    def save_new(self, form: Any, commit: bool = True) -> Any:
        setattr(form.instance, self.parent_attname, self.instance.pk)
        return super().save_new(form, commit)


class ParentKeyInlineChecks(InlineModelAdminChecks):
    """:class:`ParentKeyInline` has no ``ForeignKey`` to check: its parent column is named by ``parent_attname``."""

    def _check_relation(self, obj: Any, parent_model: Any) -> list[Any]:
        return []

    def _check_exclude_of_parent_model(self, obj: Any, parent_model: Any) -> list[Any]:
        return []


class ParentKeyInline(StrictInline):
    """An editable list of a VBA record's child rows that name the parent in a plain column (``parent_attname``)
    rather than a ``ForeignKey`` (procedure lines, diagnoses: ``Auth_Number``). The rows are part of the parent's
    version (:class:`VersionGuard`): a row changed by someone else since the page was read refuses the whole form.
    The parent admin (:class:`VBAModelAdmin`) writes the rows with the engine's rules: audit stamps, history with the
    staff user, a new row's key from the resource's sequence (``resource``). Permissions are the parent's: the rows
    are part of it (whoever may change the parent may add, change and delete its rows)."""

    checks_class = ParentKeyInlineChecks
    formset: Any = ParentKeyFormSet
    parent_attname: ClassVar[str]
    resource: ClassVar[Any]  # the rows' BatchResource (its key sequence)
    keys_from_sequence: ClassVar[bool] = True  # False: the row makes its own key from its fields when saved
    extra = 1
    classes = ["parent-key-lines"]  # narrow boxes: a row fits the page

    # The rows are part of the parent record: whoever may change it may add, change and delete its rows.
    def _parent_admin(self) -> Any:
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._parent_admin().has_change_permission(request, obj))

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        fields = kwargs.pop("fields") if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        exclude = [*self.get_readonly_fields(request, obj), self.model._meta.pk.name, self.parent_attname]
        formset: Any = modelformset_factory(
            self.model,
            form=self.form,
            formset=self.formset,
            fields=fields,
            exclude=exclude,
            formfield_callback=partial(self.formfield_for_dbfield, request=request),
            extra=self.get_extra(request, obj, **kwargs),
            min_num=self.get_min_num(request, obj, **kwargs),
            max_num=self.get_max_num(request, obj, **kwargs),
            can_delete=self.can_delete and self.has_delete_permission(request, obj),
        )
        formset.parent_attname = self.parent_attname
        formset.resource = self.resource
        formset.keys_from_sequence = self.keys_from_sequence
        return formset


# -- no silent overwrite: every form and list carries the version it was read at ------------------------------

#: The hidden field of a change form, a revert form and a delete confirmation: the record's version when the page
#: was read.
VERSION_FIELD = "_record_version"
#: The hidden field of each row of a list (and of an action's confirmation page): "<version> <key>".
ROW_VERSION_FIELD = "_row_version"
MAX_LISTED_CHANGES = 20
KEYS_PER_QUERY = 500
#: Stamped on every save: the entry's who and when already say it.
STAMP_FIELDS = frozenset({"update_date", "update_user", "updated_at"})
#: The audit stamps of a record (a revert never restores them: :meth:`StrictFormAdmin.writes_nothing`).
AUDIT_STAMPS = STAMP_FIELDS | {"entry_date", "entry_user", "created_at"}


@dataclass
class Conflict:
    """What changed a record after a page read it: one entry per history row newer than the page's version (who,
    when, what), newest last; ``more`` entries beyond those listed."""

    name: str  # "Auth A100"
    changes: list[dict[str, Any]]
    users: list[str]
    more: int = 0
    headline: str = ""
    advice: str = ""
    unknown: bool = False  # the page carried no version: what changed since cannot be told

    @property
    def by(self) -> str:
        return ", ".join(self.users) if self.users else "someone else"

    def fields(self) -> list[str]:
        """The labels of the fields (and lists) changed, each once."""
        return list(dict.fromkeys(label for change in self.changes for label in change["labels"]))


@dataclass
class RecordCheck:
    """The version check of one request: the record's version now (which a refused page carries, so that a
    deliberate second save, once the person has seen the change, passes) and the conflict, if the page was stale."""

    token: str
    conflict: Conflict | None = None


def _chunks(keys: list[Any]) -> Any:
    for start in range(0, len(keys), KEYS_PER_QUERY):
        yield keys[start : start + KEYS_PER_QUERY]


def same_version(posted: str, token: str) -> bool:
    """Whether a version a page carried is the record's version ``token`` (the history marker after the dot only
    says where the page's history ends; it is not compared)."""
    return posted.partition(".")[0] == token.partition(".")[0]


def _marker(token: str) -> list[int] | None:
    parts = token.partition(".")[2].split("-")
    return [int(part) for part in parts] if all(part.isdigit() for part in parts) else None


class VersionGuard:
    """No silent overwrite (the API's If-Match rule, in the admin). Every change form, revert form and delete
    confirmation carries the version of the record it showed (:data:`VERSION_FIELD`), every list row and action
    confirmation the version of each row (:data:`ROW_VERSION_FIELD`). A save, revert, delete or writing action is
    checked against the record's version in the transaction that writes it, the record locked
    (``select_for_update`` on its own database): a stale page is refused — the form shown again (HTTP 409) with what
    the person typed, the changes made meanwhile (from the record's history: who, when, which fields, old → new) and
    the record's new version, so that a second save, once they have seen the change, goes through; a writing list
    action does nothing and names the rows changed. Actions that only read (those allowed with the "view"
    permission: the exports) are not checked. A save, revert or delete without a version (a page older than this
    rule, a script) is refused as a stale page is; a list action's rows without one are not checked.

    A version is ``<hash>.<history marker>``: the hash of the record (:meth:`record_hashes`; for a VBA record the
    API's ETag) with the rows of the lists edited inside its form, and the newest history row of each then (which
    tells the changes made since)."""

    model: Any
    admin_site: Any
    inlines: ClassVar[Any]
    opts: Any

    change_form_template: Any = "admin/records_change_form.html"
    delete_confirmation_template: Any = "admin/records_delete_confirmation.html"
    delete_selected_confirmation_template: Any = "admin/records_delete_selected_confirmation.html"
    object_history_form_template = "admin/records_history_form.html"

    # -- versions --------------------------------------------------------------------------------------------

    def record_database(self) -> str:
        return router.db_for_write(self.model)

    def version_inlines(self) -> list[tuple[Any, str]]:
        """The lists edited inside the form (``(model, foreign key attname)``): their rows are part of the version.
        A read-only list (a care plan's recent cases) is not."""
        found = []
        for inline in self.inlines:
            editable = set(inline.fields or ()) - set(inline.readonly_fields) or inline.can_delete
            if not editable:
                continue
            parent = getattr(inline, "parent_attname", None)  # a ParentKeyInline: the parent in a plain column
            if parent is None:
                parent = next(
                    f
                    for f in inline.model._meta.concrete_fields
                    if f.is_relation
                    and f.related_model is self.model
                    and (not inline.fk_name or f.name == inline.fk_name)
                ).attname
            found.append((inline.model, parent))
        return found

    def record_hashes(self, objs: list[Any]) -> dict[Any, str]:
        """The hash of each record's stored values with the rows of its lists (``{key: hash}``)."""
        lists = self.list_rows([obj.pk for obj in objs])
        fields = self.model._meta.concrete_fields
        hashes = {}
        for obj in objs:
            text = json.dumps([[getattr(obj, f.attname) for f in fields], lists[obj.pk]], default=str)
            hashes[obj.pk] = hashlib.sha256(text.encode()).hexdigest()[:32]
        return hashes

    def list_rows(self, keys: list[Any]) -> dict[Any, list[Any]]:
        """The stored rows of the lists edited inside the form of each record (``{key: [rows of each list]}``)."""
        database = self.record_database()
        lists: dict[Any, list[Any]] = {key: [] for key in keys}
        for model, fk in self.version_inlines():
            attnames = [f.attname for f in model._meta.concrete_fields]
            at = attnames.index(fk)
            rows: dict[Any, list[Any]] = defaultdict(list)
            for chunk in _chunks(list(lists)):
                query = model._base_manager.using(database).filter(**{f"{fk}__in": chunk}).order_by("pk")
                for row in query.values_list(*attnames):
                    rows[row[at]].append(row)
            for key, parts in lists.items():
                parts.append(rows.get(key, []))
        return lists

    def history_markers(self, keys: list[Any]) -> dict[Any, list[int]]:
        """The newest history row of each record and of each of its lists (``{key: [id, …]}``; 0: none)."""
        database = self.record_database()
        markers: dict[Any, list[int]] = {key: [] for key in keys}
        for model, fk in [(self.model, self.model._meta.pk.attname), *self.version_inlines()]:
            newest: dict[Any, int] = {}
            history = _history_model(model)
            if history is not None:
                for chunk in _chunks(keys):
                    query = history._default_manager.using(database).filter(**{f"{fk}__in": chunk}).order_by()
                    newest.update(query.values_list(fk).annotate(newest=Max("history_id")))  # type: ignore[arg-type]
            for key, marker in markers.items():
                marker.append(newest.get(key) or 0)
        return markers

    def record_tokens(self, objs: list[Any]) -> dict[Any, str]:
        """The version of each record (``{key: "<hash>.<marker>"}``)."""
        hashes = self.record_hashes(objs)
        markers = self.history_markers(list(hashes))
        return {key: f"{hashes[key]}.{'-'.join(map(str, markers[key]))}" for key in hashes}

    def _locked(self, keys: list[Any]) -> list[Any]:
        """The records of ``keys``, locked until the transaction ends."""
        manager = self.model._base_manager.using(self.record_database())
        return [
            obj for chunk in _chunks(keys) for obj in manager.select_for_update().filter(pk__in=chunk).order_by("pk")
        ]

    def _key(self, object_id: str, *, quoted: bool = True) -> Any:
        """The typed key of ``object_id``: quoted as in an admin URL, or (``quoted=False``) as a list's rows post it
        (the action checkbox and the row version carry the key itself: "auth_40…" must not read as "auth@…")."""
        try:
            return self.model._meta.pk.to_python(unquote(object_id) if quoted else object_id)
        except ValidationError:
            return None

    def check_version(self, request: HttpRequest, object_id: str, what: str) -> RecordCheck | None:
        """Lock the record of ``object_id`` and compare its version with the one the posted page carried; remember
        the outcome for the rest of the request. None if the record does not exist."""
        key = self._key(object_id)
        locked = self._locked([key]) if key is not None else []
        if not locked:
            return None
        obj = locked[0]
        check = RecordCheck(self.record_tokens([obj])[obj.pk])
        posted = request.POST.get(VERSION_FIELD)
        if not posted:  # a page that does not say what it showed (a script, a page older than this rule)
            name = f"{capfirst(self.opts.verbose_name)} {obj.pk}"
            check.conflict = Conflict(name=name, changes=[], users=[], unknown=True)
            check.conflict.headline = (
                f"Not {what}: the page did not say which version of this {name} it showed, so a change made "
                "meanwhile could not be told from yours."
            )
        elif not same_version(posted, check.token):
            check.conflict = self.describe_changes(request, obj.pk, posted, values=True)
            conflict = check.conflict
            conflict.headline = (
                f"Not {what}: this {conflict.name} was changed by {conflict.by} after you opened this page."
            )
        request._record_check = check  # type: ignore[attr-defined]
        return check

    # -- what changed meanwhile -----------------------------------------------------------------------------------

    def describe_changes(self, request: HttpRequest, key: Any, posted: str, *, values: bool) -> Conflict:
        """The history rows of record ``key`` (and of its lists' rows) newer than the version ``posted``: who, when,
        and the fields changed (with old → new values if ``values``: only fields the form shows)."""
        database = self.record_database()
        marker = _marker(posted)
        entries: list[dict[str, Any]] = []
        total = 0
        helper = self._history_labels(request)
        history = _history_model(self.model)
        if history is not None and marker:
            pk_name = self.model._meta.pk.attname
            rows = history._default_manager.using(database).filter(**{pk_name: key, "history_id__gt": marker[0]})
            total += rows.count()
            newest = list(rows.order_by("-history_id")[:MAX_LISTED_CHANGES])[::-1]
            base = newest[0].prev_record if newest else None  # the version before the oldest change listed
            for row in newest:
                entries.append(self._entry(row, self._record_items(row, base, helper, values)))
                base = row
        for (model, fk), since in zip(self.version_inlines(), (marker or [])[1:], strict=False):
            history = _history_model(model)
            if history is None:
                continue
            rows = history._default_manager.using(database).filter(**{fk: key, "history_id__gt": since})
            total += rows.count()
            for row in list(rows.order_by("-history_id")[:MAX_LISTED_CHANGES])[::-1]:
                entries.append(self._entry(row, self._list_items(request, model, row, values)))
        entries.sort(key=lambda entry: (entry["date"], entry["id"]))
        users = _usernames([entry["user_id"] for entry in entries])
        for entry in entries:
            entry["who"] = users.get(entry["user_id"]) or "no staff user (an API client or a command)"
        listed = entries[-MAX_LISTED_CHANGES:]
        return Conflict(
            name=f"{capfirst(self.opts.verbose_name)} {key}",
            changes=listed,
            users=list(dict.fromkeys(users[e["user_id"]] for e in entries if e["user_id"] in users)),
            more=total - len(listed),
        )

    def _history_labels(self, request: HttpRequest) -> Callable[[Any], tuple[str, bool]]:
        """A record field's label, and whether the form shows it."""
        shown = set(flatten_fieldsets(self.get_fieldsets(request)))  # type: ignore[attr-defined]

        def label(db_field: Any) -> tuple[str, bool]:
            doc = self.field_docs.get(str(db_field.name))  # type: ignore[attr-defined]
            text = doc.label if doc and doc.label else self.default_label(db_field)  # type: ignore[attr-defined]
            return text, db_field.name in shown

        return label

    def _entry(self, row: Any, items: tuple[list[Any], list[str]]) -> dict[str, Any]:
        local = timezone.localtime(row.history_date) if timezone.is_aware(row.history_date) else row.history_date
        return {
            "id": row.history_id,
            "date": row.history_date,
            "when": local.strftime("%Y-%m-%d %H:%M:%S"),
            "user_id": row.history_user_id,
            "items": items[0],
            "labels": items[1],
        }

    def _record_items(
        self, row: Any, base: Any, label: Callable[[Any], tuple[str, bool]], values: bool
    ) -> tuple[list[Any], list[str]]:
        if row.history_type == "+":
            return ["created"], []
        if row.history_type == "-":
            return ["deleted"], []
        if base is None:
            return ["changed"], []
        items: list[Any] = []
        labels: list[str] = []
        formatter = StaffTermsHistory(self.model, row, lambda f: label(f)[0])
        for change in row.diff_against(base).changes:
            if change.field in STAMP_FIELDS:
                continue
            text, shown = label(self.model._meta.get_field(change.field))
            labels.append(text)
            if values and shown:
                formatted = formatter.format_delta_change(change)
                items.append(format_html("{}: {} → {}", text, formatted.old, formatted.new))
            else:
                items.append(text)
        if not items:
            items = [row.history_change_reason or "saved"]
        return items, labels

    def _list_items(self, request: HttpRequest, model: Any, row: Any, values: bool) -> tuple[list[Any], list[str]]:
        inline = next(i for i in self.get_inline_instances(request) if i.model is model)  # type: ignore[attr-defined]
        plural = capfirst(str(model._meta.verbose_name_plural))
        name = str(row.instance)
        if row.history_type == "-":
            return [format_html("{}: removed {}", plural, name)], [plural]
        if row.history_type == "+":
            given = row_values(inline, model, row, set(inline.fields or ())) if values else []
            what = format_html("{}: added {}", plural, name)
            return [
                format_html("{} ({})", what, format_html_join(", ", "{}", ((v,) for v in given))) if given else what
            ], [plural]
        previous = row.prev_record
        changes: list[Any] = []
        if previous is not None:
            changes = row_changes(inline, model, row, previous, set(inline.fields or ()) if values else set())
        what = format_html("{}: changed {}", plural, name)
        if changes:
            what = format_html("{} ({})", what, format_html_join(", ", "{}", ((c,) for c in changes)))
        return [what], [plural]

    # -- change form, revert form, delete confirmation ------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        check = getattr(request, "_record_check", None)
        if check is None or check.conflict is None:
            return form
        conflict = check.conflict
        shown = self.shown_rows(self.model, [obj.pk], request) if obj is not None else {}

        class Refused(form):  # type: ignore[misc,valid-type]
            """The page was stale: refused whatever else it holds; what was typed stays in the fields, and a field
            left as the page showed it shows (and keeps) the record's value now."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                if self.instance is not None and self.instance.pk in shown:
                    keep_their_changes(self, shown[self.instance.pk])

            def clean(self) -> Any:
                cleaned = super().clean()
                self.add_error(
                    None,
                    ValidationError(f"{conflict.headline} Nothing was saved: see the changes above.", code="stale"),
                )
                return cleaned

        return Refused

    def shown_rows(self, model: Any, keys: list[Any], request: HttpRequest) -> dict[Any, Any]:
        """The records ``keys`` of ``model`` (the record, or the rows of one of its lists) as the refused page
        showed them (``{key: instance}``): each one's newest history row up to the page's history marker. A row
        without one (created after the page was read, or no marker) is not in the answer."""
        marker = _marker(request.POST.get(VERSION_FIELD, ""))
        lists = [self.model, *(m for m, _fk in self.version_inlines())]
        history = _history_model(model)
        if not marker or history is None or model not in lists or len(marker) <= lists.index(model):
            return {}
        since = marker[lists.index(model)]
        pk_name = model._meta.pk.attname
        manager = history._default_manager.using(self.record_database())
        found: dict[Any, Any] = {}
        for chunk in _chunks([k for k in keys if k is not None]):
            upto = manager.filter(**{f"{pk_name}__in": chunk, "history_id__lte": since}).order_by()
            newest = upto.values(pk_name).annotate(newest=Max("history_id")).values("newest")
            found.update((getattr(row, pk_name), row) for row in manager.filter(history_id__in=newest))
        return {key: row.instance for key, row in found.items() if row.history_type != "-"}

    def _create_formsets(self, request: HttpRequest, obj: Any, change: bool) -> Any:
        """A refused page's lists: in each row, a field left as the page showed it shows (and keeps) the row's value
        now (:func:`keep_their_changes`)."""
        formsets, inlines = super()._create_formsets(request, obj, change)  # type: ignore[misc]
        check = getattr(request, "_record_check", None)
        if request.method == "POST" and check is not None and check.conflict is not None:
            for formset in formsets:
                forms_with_rows = [f for f in formset.initial_forms if f.instance.pk is not None]
                shown = self.shown_rows(formset.model, [f.instance.pk for f in forms_with_rows], request)
                for row_form in forms_with_rows:
                    if row_form.instance.pk in shown:
                        keep_their_changes(row_form, shown[row_form.instance.pk])
        return formsets, inlines

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method != "POST" or object_id is None or "_saveasnew" in request.POST:
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        with transaction.atomic(using=self.record_database()):
            check = self.check_version(request, object_id, "saved")
            if check is not None and check.conflict is not None:
                check.conflict.advice = (
                    "What you typed is still in the form below. Check the changes, then save again to apply your "
                    "input over them, or reload the page to discard it."
                )
            response = super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        return _refused_status(request, response)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False, change: bool = False,
        form_url: str = "", obj: Any = None,
    ) -> Any:  # fmt: skip
        if change and obj is not None and obj.pk is not None:
            context.update(self._version_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def _version_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """The version a page carries: the one checked in this request (a refused page carries the record's new
        version), else the record's as the page reads it."""
        check = getattr(request, "_record_check", None)
        if check is None:
            check = RecordCheck(self.record_tokens([obj])[obj.pk])
        return {"record_version": check.token, "record_version_field": VERSION_FIELD, "record_conflict": check.conflict}

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        with transaction.atomic(using=self.record_database()):
            check = self.check_version(request, object_id, "deleted")
            if check is not None and check.conflict is not None:
                check.conflict.advice = "Check the changes; to delete it as it is now, confirm again."
                request.POST = QueryDict()  # type: ignore[misc]  # shows the confirmation again instead of deleting
            response = super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        return _refused_status(request, response)

    def render_delete_form(self, request: HttpRequest, context: dict[str, Any]) -> Any:
        obj = context.get("object")
        if obj is not None:
            context.update(self._version_context(request, obj))
        return super().render_delete_form(request, context)  # type: ignore[misc]

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """simple-history's "Revert" form writes the record too: it carries the version of the record as it is."""
        if request.method != "POST":
            key = self._key(object_id)
            current = self.model._base_manager.using(self.record_database()).filter(pk=key).first()
            extra = self._version_context(request, current) if current is not None else {}
            return super().history_form_view(request, object_id, version_id, {**(extra_context or {}), **extra})  # type: ignore[misc]
        request._reverting = True  # type: ignore[attr-defined]  # the form is the old version's (writes_nothing)
        with transaction.atomic(using=self.record_database()):
            check = self.check_version(request, object_id, "reverted")
            extra = {}
            if check is not None:
                if check.conflict is not None:
                    check.conflict.advice = "Check the changes; to revert over them, press Revert again."
                extra = {"record_version": check.token, "record_conflict": check.conflict}
            response = super().history_form_view(request, object_id, version_id, {**(extra_context or {}), **extra})  # type: ignore[misc]
        return _refused_status(request, response)

    # -- lists and their actions ----------------------------------------------------------------------------------

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and "action_checkbox" in changelist.list_display:
            rows = list(changelist.result_list)  # the page's rows, read once: the template shows these objects
            tokens = self.record_tokens(rows)
            for row in rows:
                row._record_token = tokens[row.pk]
        return response

    def action_checkbox(self, obj: Any) -> Any:
        box = super().action_checkbox(obj)  # type: ignore[misc]
        token = getattr(obj, "_record_token", None)
        if token is None:
            return box
        return format_html('{}<input type="hidden" name="{}" value="{} {}">', box, ROW_VERSION_FIELD, token, obj.pk)

    def _posted_action(self, request: HttpRequest) -> Any:
        """The function of the action posted (as ``response_action`` picks it), or None."""
        try:
            index = int(request.POST.get("index", 0))
        except ValueError:
            index = 0
        names = request.POST.getlist("action")
        if not 0 <= index < len(names):
            return None
        action = self.get_actions(request).get(names[index])  # type: ignore[attr-defined]
        return action[0] if action else None

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any) -> Any:
        """A writing action runs only if no selected row the page showed has changed since (the rows locked and
        checked in the transaction of the action); its confirmation page carries the rows' versions."""
        action = self._posted_action(request)
        if action is None or set(getattr(action, "allowed_permissions", None) or ()) == {"view"}:
            return super().response_action(request, queryset, *args, **kwargs)  # type: ignore[misc]
        posted = {
            key: token
            for token, _space, key in (value.partition(" ") for value in request.POST.getlist(ROW_VERSION_FIELD))
            if key
        }
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        with transaction.atomic(using=self.record_database()):
            keys = [key for key in dict.fromkeys(selected) if key in posted]
            typed = [k for k in (self._key(key, quoted=False) for key in keys) if k is not None]
            locked = {str(obj.pk): obj for obj in self._locked(typed)}
            tokens = self.record_tokens(list(locked.values()))
            stale = [key for key in keys if key not in locked or not same_version(posted[key], tokens[locked[key].pk])]
            if stale:
                self.message_user(request, self._stale_rows(request, stale, posted, locked), messages.ERROR)  # type: ignore[attr-defined]
                return None
            response = super().response_action(request, queryset, *args, **kwargs)  # type: ignore[misc]
            if isinstance(response, TemplateResponse) and response.context_data is not None:
                if request.POST.get("select_across") != "1":
                    queryset = queryset.filter(pk__in=selected)
                rows = list(queryset)
                current = self.record_tokens(rows)
                response.context_data["row_versions"] = [f"{current[row.pk]} {row.pk}" for row in rows]
                response.context_data["row_version_field"] = ROW_VERSION_FIELD
            return response

    def _stale_rows(
        self, request: HttpRequest, stale: list[str], posted: dict[str, str], locked: dict[str, Any]
    ) -> str:
        """The refusal of an action: each row changed since the list was shown, who changed it and which fields
        (no values: a list shows fewer fields than a form)."""
        parts = []
        for key in stale:
            conflict = self.describe_changes(request, self._key(key, quoted=False), posted[key], values=False)
            what = "deleted" if key not in locked else "changed"
            fields = conflict.fields()
            parts.append(f"{key} was {what} by {conflict.by}" + (f" ({', '.join(fields)})" if fields else ""))
        name = self.opts.verbose_name_plural if len(stale) > 1 else self.opts.verbose_name
        return (
            f"Nothing was done: {'; '.join(parts)} after this list was shown. Check the {name} and run the action "
            f"again."
        )


def row_label(labels: Any, db_field: Any) -> str:
    """A list row's field as ``labels`` (the list's inline, or the admin of the row's model) labels it."""
    doc = labels.field_docs.get(str(db_field.name))
    return doc.label if doc and doc.label else labels.default_label(db_field)


def row_changes(
    labels: Any, model: Any, row: Any, previous: Any, shown: set[str], skip: frozenset[str] = frozenset()
) -> list[Any]:
    """What a list row's history ``row`` changed since ``previous`` (its version before): "Units approved 21 → 0"
    for a field in ``shown``, the label alone for another; fields in ``skip`` are left out. The stale-form message
    (:meth:`VersionGuard.describe_changes`) and a record's history page (:mod:`config.admin.history`) word them so."""
    changes: list[Any] = []
    formatter = StaffTermsHistory(model, row, lambda f: labels.default_label(f))
    for change in row.diff_against(previous).changes:
        if change.field in skip:
            continue
        text = row_label(labels, model._meta.get_field(change.field))
        if change.field in shown:
            formatted = formatter.format_delta_change(change)
            changes.append(format_html("{} {} → {}", text, formatted.old, formatted.new))
        else:
            changes.append(text)
    return changes


def row_values(labels: Any, model: Any, row: Any, shown: set[str]) -> list[Any]:
    """The fields ``shown`` that a new list row was given (not the empty ones): "Units requested 21". The stale-form
    message and a record's history page word an added row so."""
    formatter = StaffTermsHistory(model, row, lambda f: labels.default_label(f))
    values = []
    for db_field in model._meta.concrete_fields:
        value = getattr(row, db_field.attname)
        if db_field.name not in shown or value in (None, "", False):
            continue
        formatted = formatter.format_delta_change(ModelChange(db_field.name, None, value))
        values.append(format_html("{} {}", row_label(labels, db_field), formatted.new))
    return values


def _refused_status(request: HttpRequest, response: Any) -> Any:
    """A page shown again because it was stale answers 409 Conflict."""
    check = getattr(request, "_record_check", None)
    if check is not None and check.conflict is not None and response.status_code == 200:
        response.status_code = 409
    return response


def keep_their_changes(form: Any, shown: Any) -> None:
    """On a refused (stale) page, what someone else changed meanwhile is not undone by a second save: each field of
    the bound model ``form`` whose posted value is what the page showed (``shown``: the record as the page read it)
    shows the record's value now, and counts as unchanged; a field the person changed keeps what they typed."""
    opts = form._meta
    then = forms.models.model_to_dict(shown, fields=opts.fields, exclude=opts.exclude)
    for name, field in form.fields.items():
        if name not in then or field.disabled:
            continue
        value = then[name]
        if isinstance(value, dt.datetime | dt.time) and not field.widget.supports_microseconds:
            value = value.replace(microsecond=0)
        posted = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        try:
            typed = field.has_changed(value, posted)
        except ValidationError:
            typed = True
        if not typed:
            field.bound_data = lambda data, initial: initial
            field.has_changed = lambda initial, data: False


def _history_model(model: Any) -> Any:
    try:
        return get_history_model_for_model(model)
    except NotHistoricalModelError:
        return None


def _usernames(ids: list[Any]) -> dict[Any, str]:
    """Usernames by id (users live in ``default``, whatever database the history is in)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = get_user_model()._default_manager.using("default").filter(pk__in=wanted)
    return {user.pk: user.get_username() for user in users}


class StrictFormAdmin(VersionGuard, StrictFields, admin.ModelAdmin):
    """A records admin: the field rules of :class:`StrictFields`, and a form saved untouched (its lists included)
    writes nothing: no save, no audit stamp, no history row, no log entry. With simple-history's admin, its history
    page is the records' one (an empty change reason an empty cell; ``revert_note`` says what a revert leaves)."""

    object_history_template = "admin/records_history.html"
    object_history_list_template = "admin/records_history_list.html"
    #: What a revert from the history page does not restore (e.g. the lists edited inside the form), said there.
    revert_note = ""

    def render_history_view(self, request: HttpRequest, template: Any, context: Any, **kwargs: Any) -> Any:
        context = {**context, "revert_note": self.revert_note}
        return super().render_history_view(request, template, context, **kwargs)  # type: ignore[misc]

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        def label(db_field: Any) -> str:
            doc = self.field_docs.get(str(db_field.name))
            return doc.label if doc and doc.label else self.default_label(db_field)

        return StaffTermsHistory(self.model, historical_record, label)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            keep_stored_choices(form, obj)
        return form

    def writes_nothing(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> bool:
        """Whether saving ``form`` writes nothing: an untouched change form; a revert (history's "Revert": the form
        is the old version's) whose version is the record as it is now, in every field but the audit stamps."""
        if not change:
            return False
        if getattr(request, "_reverting", False):
            stored = self.model._base_manager.using(self.record_database()).filter(pk=obj.pk).first()
            fields = [f.attname for f in self.model._meta.concrete_fields if f.name not in AUDIT_STAMPS]
            same = stored is not None and all(getattr(stored, name) == getattr(obj, name) for name in fields)
            if same:
                request._nothing_changed = True  # type: ignore[attr-defined]
            return same
        return not form.has_changed()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if self.writes_nothing(request, obj, form, change):
            return  # untouched: nothing to write (no audit stamp, no history row)
        self.stamp(request, obj, change)
        super().save_model(request, obj, form, change)

    def stamp(self, request: HttpRequest, obj: Any, change: bool) -> None:
        """Before a record is written: its audit stamps, where the model has them (:class:`VBAModelAdmin`)."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change and not form.has_changed() and not any(formset.has_changed() for formset in formsets):
            request._nothing_changed = True  # type: ignore[attr-defined]
            return
        super().save_related(request, form, formsets, change)

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        if getattr(request, "_nothing_changed", False):
            return []  # the formsets were not saved: there is nothing to describe
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_nothing_changed", False):
            return None
        return super().log_change(request, obj, message)

    def message_user(
        self, request: HttpRequest, message: Any, level: Any = messages.INFO, *args: Any, **kw: Any
    ) -> None:
        if getattr(request, "_nothing_changed", False) and level == messages.SUCCESS:
            message, level = "Nothing was changed, so nothing was saved.", messages.INFO
        return super().message_user(request, message, level, *args, **kw)


def keep_stored_choices(form: Any, obj: Any) -> None:
    """A stored value outside a choice field's choices (legacy data) is offered as a choice of its own, so the form
    shows it and an untouched save keeps it."""
    for name, field in form.base_fields.items():
        if not isinstance(field, forms.TypedChoiceField) or not hasattr(obj, name):
            continue
        value = getattr(obj, name)
        choices: list[Any] = list(field.choices)  # type: ignore[arg-type]
        if value not in (None, "") and value not in {str(key) for key, _label in choices}:
            field.choices = [*choices, (value, f"{value} (stored value)")]


class EstimatedCountPaginator(Paginator):
    """The changelist's paginator: a list of more than :data:`~config.records.counting.EXACT_UP_TO` rows on PostgreSQL
    is counted by the planner's estimate (:func:`~config.records.counting.count_rows`), which the page shows as "about
    N" (``count_is_estimate``); smaller lists and other backends are counted exactly."""

    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        rows = count_rows(self.object_list)
        self.count_is_estimate = not rows.exact
        return rows.value


class IndexedValuesListFilter(AllValuesFieldListFilter):
    """``list_filter`` of the distinct values of an indexed column, found by a loose index scan (a recursive
    ``MIN(col) … WHERE col > previous``: one index probe per distinct value) instead of ``SELECT DISTINCT``, which
    reads every row. Values beyond ``max_values`` are not offered. For an unfiltered model queryset only; otherwise
    it behaves as Django's filter."""

    max_values = 200
    lookup_choices: Any

    def __init__(self, field: Any, request: Any, params: Any, model: Any, model_admin: Any, field_path: str) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        queryset = model_admin.get_queryset(request)
        if field_path == field.name and queryset.model is model and is_unfiltered(queryset):
            self.lookup_choices = distinct_values(queryset, field, self.max_values)


def distinct_values(queryset: QuerySet, field: Any, limit: int, with_null: bool = True) -> list[Any]:
    """The first ``limit`` distinct values of ``field``'s indexed column, in order (one query), then None if a row
    has none (a second query; not with ``with_null=False``)."""
    connection = connections[queryset.db]
    q = connection.ops.quote_name
    table, column = q(queryset.model._meta.db_table), q(field.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE v(x, n) AS ("
            f"SELECT MIN({column}), 1 FROM {table} "
            f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x), v.n + 1 "
            f"FROM v WHERE v.x IS NOT NULL AND v.n < %s) "
            f"SELECT x FROM v WHERE x IS NOT NULL",
            [limit],
        )
        values = [row[0] for row in cursor.fetchall()]
        if field.null and with_null:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {column} IS NULL LIMIT 1")
            if cursor.fetchone() is not None:
                values.append(None)
    return values


class IndexedSearchMixin:
    """Admin search that a btree index can answer: ``=field`` is an exact match, ``^field`` a case-sensitive
    prefix (``LIKE 'x%'``, served by Django's ``varchar_pattern_ops`` index of a ``db_index`` CharField), each
    tried with the term as typed and upper-cased. Django's own ``iexact``/``istartswith`` compare ``UPPER(column)``,
    which no plain index serves, so on a big table each search read every row."""

    search_fields: ClassVar[Any]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        for term in smart_split(search_term):
            if term[:1] in "\"'" and term[-1:] == term[:1] and len(term) > 1:
                term = unescape_string_literal(term)
            variants = list(dict.fromkeys([term, term.upper()]))
            match = Q()
            for name in self.search_fields:
                if name.startswith("="):
                    values = _exact_values(queryset.model, name[1:], variants)
                    if values:
                        match |= Q(**{f"{name[1:]}__in": values})
                elif name.startswith("^"):
                    for variant in variants:
                        match |= Q(**{f"{name[1:]}__startswith": variant})
                else:
                    raise ValueError(f"IndexedSearchMixin supports '=field' and '^field' only, not {name!r}")
            queryset = queryset.filter(match)
        return queryset, False


def _exact_values(model: type[models.Model], name: str, variants: list[str]) -> list[Any]:
    """The search term's variants that ``model``'s field ``name`` holds as written (a number field: a number written
    the way the list shows it, so "02" is not key 2, as Django's text comparison had it; a related path: all)."""
    if "__" in name:
        return variants
    field = model._meta.get_field(name)
    values = []
    for variant in variants:
        try:
            value = field.to_python(variant)  # type: ignore[union-attr]
        except ValidationError:
            continue
        if str(value) == variant:
            values.append(value)
    return values


class VBAModelAdmin(StrictFormAdmin, SimpleHistoryAdmin):
    """A VBA model in the admin site of one database (register it with :func:`register_vba`): it works only in that
    site's database; audit fields are read-only, stamped on save from the staff user and the clock (the batch
    engine's rule); each admin log entry records its database, so recent actions link to the right one."""

    readonly_fields: ClassVar[list[str] | tuple[str, ...]] = AUDIT_FIELDS
    paginator = EstimatedCountPaginator
    resource: ClassVar[Any]  # the record's BatchResource (its ETag is the record's version)
    #: The child records whose history the record's history page lists with its own, newest first: ``(model, the
    #: child's column naming the record (attname), what a row is called, optionally the fields naming a row)``,
    #: e.g. ``(AuthProcCodes, "auth_number", "Procedure line", ("procedure_code",))`` (:mod:`config.admin.history`).
    history_children: ClassVar[tuple[tuple[Any, ...], ...]] = ()

    def record_hashes(self, objs: list[Any]) -> dict[Any, str]:
        """A VBA record's version is the ETag the API computes for it (without its quotes); with lists edited
        inside its form (:class:`ParentKeyInline`), the hash of that ETag and their rows."""
        tags = {obj.pk: self.resource.etag(obj).strip('"') for obj in objs}
        if not self.version_inlines():
            return tags
        lists = self.list_rows(list(tags))
        return {
            key: hashlib.sha256(json.dumps([tag, lists[key]], default=str).encode()).hexdigest()[:32]
            for key, tag in tags.items()
        }

    def _in_site_database(self) -> bool:
        database = getattr(self.admin_site, "database", None)
        return database is not None and selected_vba_database() == database

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._in_site_database() and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._in_site_database() and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._in_site_database() and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._in_site_database() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._in_site_database() and super().has_delete_permission(request, obj)

    def deletion_refused(self, keys: list[Any]) -> Any:
        """Why the records ``keys`` must not be deleted (others still need them: never a cascade), or None. The
        delete page and the "delete selected" action then show it instead of the objects, and delete nothing."""
        return None

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        reason = self.deletion_refused([obj.pk for obj in objs])
        if reason:
            return [], {}, set(), [reason]
        return super().get_deleted_objects(objs, request)

    def help_text(self, db_field: Any, doc: FieldDoc | None) -> str:
        """The spec's meaning of the column, then VBA's column name, which staff know from VBA's own screens."""
        text = super().help_text(db_field, doc)
        column = getattr(db_field, "db_column", None)
        if column and not db_field.is_relation:
            text = f"{text} VBA column: {column}." if text else f"VBA column: {column}."
        return text

    # -- lists: what they are filtered to, numbers as the forms write them ------------------------------------------

    def title_label(self, obj: Any) -> str:
        """What a list filtered to ``obj`` (a record of this admin's model, e.g. a care plan) names it by after its key
        ("Diabetes program"); none by default."""
        return ""

    def filtered_to(self, params: Any) -> list[str]:
        """What the list of the query ``params`` is filtered to, as its title says it: a member (``subscriber_id``
        and ``member_seq`` exactly: "member 109111276-01", or "subscriber 109111276"), and a record it belongs to
        (a foreign key's exact filter: "care plan 3 · Diabetes program")."""
        fields = {field.name: field for field in self.model._meta.concrete_fields}
        parts = []
        subscriber = params.get("subscriber_id__exact")
        if subscriber and "subscriber_id" in fields:
            seq = params.get("member_seq__exact") if "member_seq" in fields else None
            if seq:
                parts.append(f"member {subscriber}-{seq}")
            elif "member_seq" in fields and params.get("member_seq__isnull") == "True":
                parts.append(f"member {subscriber} (no member sequence)")
            else:
                parts.append(f"subscriber {subscriber}")
        for field in fields.values():
            if not field.is_relation or field.related_model is None:
                continue
            target = field.target_field.name
            names = (f"{field.name}__{target}__exact", f"{field.name}__pk__exact", f"{field.name}__exact",
                     f"{field.attname}__exact")  # fmt: skip
            value = next((params.get(name) for name in names if params.get(name)), None)
            if value is not None:
                parts.append(self._related_title(field, value))
        return parts

    def _related_title(self, field: Any, value: str) -> str:
        related = field.related_model
        text = f"{related._meta.verbose_name} {value}"
        try:
            obj = related._default_manager.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            obj = None
        related_admin = self.admin_site._registry.get(related)
        label = related_admin.title_label(obj) if obj is not None and hasattr(related_admin, "title_label") else ""
        return f"{text} · {label}" if label else text

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """A list filtered to a member or to a record it belongs to says so in its title ("Care cases of care plan 3
        · Diabetes program", "Auths of member 109111276-01")."""
        parts = self.filtered_to(request.GET)
        if parts and not (extra_context or {}).get("title"):
            title = f"{capfirst(self.model._meta.verbose_name_plural)} of {' and '.join(parts)}"
            extra_context = {**(extra_context or {}), "title": title}
        return super().changelist_view(request, extra_context)

    def get_list_display(self, request: HttpRequest) -> Any:
        """A decimal column is shown as its form shows it (:func:`plain_number`: ``1.5``, not ``1.5000``)."""
        return [self._plain_decimal(name) for name in super().get_list_display(request)]

    def get_sortable_by(self, request: HttpRequest) -> Any:
        """The columns of :meth:`get_list_display` (its decimal columns included) sort, as Django's do by default."""
        return self.get_list_display(request) if self.sortable_by is None else self.sortable_by

    def _plain_decimal(self, name: Any) -> Any:
        if not isinstance(name, str):
            return name
        columns = self.__dict__.setdefault("_plain_columns", {})  # one function per column: the list compares them
        if name not in columns:
            columns[name] = self._plain_column(name)
        return columns[name]

    def _plain_column(self, name: str) -> Any:
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        if not isinstance(field, models.DecimalField) or field.choices:
            return name

        def shown(obj: Any) -> Any:
            return plain_number(getattr(obj, name))  # None: the list's empty value

        shown.__name__ = name
        shown.short_description = field.verbose_name  # type: ignore[attr-defined]
        shown.admin_order_field = name  # type: ignore[attr-defined]
        return shown

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The key of an existing record, and the admin's read-only fields, a decimal one shown as its form would
        show it (``1.5``, not ``1.5000``: :meth:`get_fieldsets` names the same column)."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:  # the key of an existing record is fixed: changing it would make a new record
            fields = (self.model._meta.pk.name, *fields)
        return tuple(self._plain_decimal(name) for name in fields)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        readonly = self.get_readonly_fields(request, obj)
        ours = self.__dict__.get("_plain_columns", {})  # filled by get_readonly_fields
        plain = {c.__name__: c for c in readonly if ours.get(getattr(c, "__name__", None)) is c}
        if not plain:
            return fieldsets

        def shown(names: Any) -> Any:
            if isinstance(names, (list, tuple)):
                return type(names)(shown(name) for name in names)
            return plain.get(names, names) if isinstance(names, str) else names

        return [(title, {**options, "fields": shown(options.get("fields", ()))}) for title, options in fieldsets]

    def stamp(self, request: HttpRequest, obj: Any, change: bool) -> None:
        stamp_audit(obj, user=request.user, created=not change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The rows of a :class:`ParentKeyInline` are written as the engine writes them: a new row gets the next
        key of its resource's sequence; each row written is stamped (audit) and leaves a history row with the staff
        user, a deleted one too."""
        if not isinstance(formset, ParentKeyFormSet):
            return super().save_formset(request, form, formset, change)
        rows = formset.save(commit=False)
        for row in formset.deleted_objects:
            row._history_user = request.user
            row.delete()
        new = [row for row in rows if row._state.adding and formset.keys_from_sequence]
        keys = allocate_keys(formset.resource, len(new), self.record_database()) if new else []
        for row, key in zip(new, keys, strict=True):
            row.pk = key
        for row in rows:
            adding = row._state.adding
            setattr(row, formset.parent_attname, formset.instance.pk)
            stamp_audit(row, user=request.user, created=adding)
            row._history_user = request.user
            row.save(force_insert=adding)
        return None

    def get_history_queryset(self, request: HttpRequest, history_manager: Any, pk_name: str, object_id: Any) -> Any:
        """The record's history rows; their users are read from ``default`` (where users live) in one query, not
        joined: a join would look for the user table in the VBA database."""
        rows = history_manager.filter(**{pk_name: object_id})
        tracked = [f.name for f in history_manager.model.tracked_fields if isinstance(f, models.ForeignKey)]
        return (
            rows.select_related(*tracked).prefetch_related("history_user")
            if tracked
            else rows.prefetch_related("history_user")
        )

    def render_history_view(self, request: HttpRequest, template: Any, context: Any, **kwargs: Any) -> Any:
        """The history page, with the history of :attr:`history_children` merged into its rows."""
        from config.admin.history import with_children_history  # that module builds on this one

        return super().render_history_view(request, template, with_children_history(self, context), **kwargs)

    def _with_database(self, message: Any) -> Any:
        database = {"database": getattr(self.admin_site, "database", None)}
        if isinstance(message, list):
            return [*message, database]
        return message or [database]

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_addition(request, obj, self._with_database(message))

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_change(request, obj, self._with_database(message))

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        from django.contrib.admin.models import DELETION, LogEntry

        return LogEntry.objects.log_actions(
            user_id=request.user.pk,  # type: ignore[arg-type]
            queryset=queryset,
            action_flag=DELETION,
            change_message=[{"database": getattr(self.admin_site, "database", None)}],
        )


if admin.site.is_registered(APIKey):  # the library's own key model is not used: API clients replace it
    admin.site.unregister(APIKey)


@admin.register(APIClient)
class APIClientAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "databases", "created", "revoked", "expiry_date")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "hashed_key", "created")
    fields = ("name", "databases", "revoked", "expiry_date", "prefix", "hashed_key", "created")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are created with `manage.py create_api_client`, which shows the key once


@admin.register(AdminExport)
class AdminExportAdmin(admin.ModelAdmin):
    """The record of every download from an admin list (read-only: it is the audit trail)."""

    list_display = ("started", "username", "database", "model", "format", "rows", "completed", "query")
    list_filter = ("database", "model", "completed")
    search_fields = ("=username",)
    date_hierarchy = "started"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DatabaseGrantForm(forms.ModelForm):
    """A grant names one configured VBA database, picked from the list (a typed "Demo" would grant nothing)."""

    database = forms.ChoiceField(
        choices=[],
        help_text="The VBA database this user may work in (through the API and the admin).",
    )

    class Meta:
        model = DatabaseGrant
        fields = ("user", "database")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(name, name) for name in vba_database_names()]
        stored = self.instance.database if self.instance and self.instance.pk else None
        if stored and stored not in vba_database_names():
            choices.append((stored, f"{stored} (not configured: grants nothing)"))
        self.fields["database"].choices = choices  # type: ignore[attr-defined]


@admin.register(DatabaseGrant)
class DatabaseGrantAdmin(admin.ModelAdmin):
    form = DatabaseGrantForm
    list_display = ("user", "database")
    list_filter = ("database",)
    search_fields = ("user__username",)


class DatabaseGrantInline(admin.TabularInline):
    model = DatabaseGrant
    form = DatabaseGrantForm
    extra = 0
    verbose_name = "VBA database grant"
    verbose_name_plural = "VBA database grants (superusers may work in every database)"


admin.site.unregister(get_user_model())  # registered by django.contrib.auth.admin (imported above)


@admin.register(get_user_model())
class RecordsUserAdmin(UserAdmin):
    """Django's user admin, with the user's VBA database grants inline."""

    inlines = (*UserAdmin.inlines, DatabaseGrantInline)


def member_of(obj: Any) -> str:
    """A record's subscriber and member sequence as staff read them (``123456789-01``)."""
    return f"{obj.subscriber_id or '–'}-{obj.member_seq}" if obj.member_seq else obj.subscriber_id or "–"
