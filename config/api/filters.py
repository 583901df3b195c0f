"""django-filter helpers shared by the VBA list endpoints: a bad value is a 400, never an ignored filter."""

import django_filters

from config.api.records import INT32_MAX, INT32_MIN

BOOLEAN_CHOICES = (("true", "true"), ("false", "false"))


def strict_boolean(field_name: str) -> django_filters.TypedChoiceFilter:
    """``true`` or ``false`` only (django-filter's BooleanFilter would ignore anything else)."""
    return django_filters.TypedChoiceFilter(
        field_name=field_name, choices=BOOLEAN_CHOICES, coerce=lambda value: value == "true"
    )


def int32_filter(field_name: str) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(field_name=field_name, min_value=INT32_MIN, max_value=INT32_MAX, step_size=1)


def date_range(field_name: str) -> tuple[django_filters.IsoDateTimeFilter, django_filters.IsoDateTimeFilter]:
    """``<name>_from`` / ``<name>_to`` (inclusive), ISO 8601."""
    return (
        django_filters.IsoDateTimeFilter(field_name=field_name, lookup_expr="gte"),
        django_filters.IsoDateTimeFilter(field_name=field_name, lookup_expr="lte"),
    )


def updated_since() -> django_filters.IsoDateTimeFilter:
    return django_filters.IsoDateTimeFilter(field_name="update_date", lookup_expr="gte")
