"""django-filter helpers shared by the VBA list endpoints: a bad value is a 400, never an ignored filter."""

import copy
from typing import Any

import django_filters
from django import forms
from django.http import QueryDict

from config.records.dates import parse_datetime
from config.records.specs import INT32_MAX, INT32_MIN

BOOLEAN_CHOICES = (("true", "true"), ("false", "false"))
EMPTY = "is empty; leave the parameter out for no filter"


class APIFilterSet(django_filters.FilterSet):
    """A FilterSet of the API and the export commands: a filter that is sent must have a value (``?status=`` is a
    400 naming it, not a silently dropped filter).

    Built for each list request, so built cheaply: django-filter deep-copies every filter (and so rebuilds its form
    field) and makes a new form class per instance, a millisecond per request; here each filter is copied
    shallowly and the form class is made once per FilterSet class. (The filters' form fields must therefore not
    depend on the request; Django's forms copy their fields per form anyway.)"""

    _api_form_class: Any = None

    def __init__(self, data: Any = None, queryset: Any = None, *, request: Any = None, prefix: Any = None) -> None:
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self

    def get_form_class(self) -> Any:
        cls = type(self)
        form_class = cls.__dict__.get("_api_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._api_form_class = form_class
        return form_class

    def is_valid(self) -> bool:
        valid = super().is_valid()
        empty = [name for name in self.filters if name in self.data and self.data.get(name) == ""]
        for name in empty:
            self.form.add_error(name, EMPTY)
        return valid and not empty


def strict_boolean(field_name: str) -> django_filters.TypedChoiceFilter:
    """``true`` or ``false`` only (django-filter's BooleanFilter would ignore anything else)."""
    return django_filters.TypedChoiceFilter(
        field_name=field_name, choices=BOOLEAN_CHOICES, coerce=lambda value: value == "true"
    )


def int32_filter(field_name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(field_name=field_name, min_value=INT32_MIN, max_value=INT32_MAX, step_size=1)


class APIDateTimeField(forms.Field):
    """A date-time query parameter read by the API's one date parser (the forms a record accepts)."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class APIDateTimeFilter(django_filters.Filter):
    field_class = APIDateTimeField


def date_range(field_name: str) -> tuple[APIDateTimeFilter, APIDateTimeFilter]:
    """``<name>_from`` / ``<name>_to`` (inclusive), any date form the records accept."""
    return (
        APIDateTimeFilter(field_name=field_name, lookup_expr="gte"),
        APIDateTimeFilter(field_name=field_name, lookup_expr="lte"),
    )


def updated_since() -> APIDateTimeFilter:
    return APIDateTimeFilter(field_name="update_date", lookup_expr="gte")
