"""Filters of ``GET /auths``; query names are VBA's JSON names."""

import django_filters

from authorizations.models import Auth

BOOLEAN_CHOICES = (("true", "true"), ("false", "false"))


def strict_boolean(field_name: str) -> django_filters.TypedChoiceFilter:
    return django_filters.TypedChoiceFilter(
        field_name=field_name, choices=BOOLEAN_CHOICES, coerce=lambda value: value == "true"
    )


class AuthFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(field_name="status")
    auth_Type = django_filters.CharFilter(field_name="auth_type")
    auth_Code = django_filters.CharFilter(field_name="auth_code")
    subscriber_ID = django_filters.CharFilter(field_name="subscriber_id")
    member_Seq = django_filters.CharFilter(field_name="member_seq")
    provider_ID = django_filters.CharFilter(field_name="provider_id")
    case_Number = django_filters.CharFilter(field_name="case_number")
    urgent = strict_boolean("urgent")
    closed = strict_boolean("closed")
    received_Date_from = django_filters.IsoDateTimeFilter(field_name="received_date", lookup_expr="gte")
    received_Date_to = django_filters.IsoDateTimeFilter(field_name="received_date", lookup_expr="lte")
    approved_Date_from = django_filters.IsoDateTimeFilter(field_name="approved_date", lookup_expr="gte")
    approved_Date_to = django_filters.IsoDateTimeFilter(field_name="approved_date", lookup_expr="lte")
    updated_Since = django_filters.IsoDateTimeFilter(field_name="update_date", lookup_expr="gte")

    class Meta:
        model = Auth
        fields: list[str] = []
