"""Filters of ``GET /auths``; query names are VBA's JSON names."""

import django_filters

from authorizations.models import Auth, Authorization
from authorizations.models.spry import AuthorizationStatus
from config.api.filters import APIFilterSet, date_range, strict_boolean, updated_since


class AuthFilter(APIFilterSet):
    status = django_filters.CharFilter(field_name="status")
    auth_Type = django_filters.CharFilter(field_name="auth_type")
    auth_Code = django_filters.CharFilter(field_name="auth_code")
    subscriber_ID = django_filters.CharFilter(field_name="subscriber_id")
    member_Seq = django_filters.CharFilter(field_name="member_seq")
    provider_ID = django_filters.CharFilter(field_name="provider_id")
    case_Number = django_filters.CharFilter(field_name="case_number")
    urgent = strict_boolean("urgent")
    closed = strict_boolean("closed")
    received_Date_from, received_Date_to = date_range("received_date")
    approved_Date_from, approved_Date_to = date_range("approved_date")
    updated_Since = updated_since()

    class Meta:
        model = Auth
        fields: list[str] = []


class AuthorizationFilter(APIFilterSet):
    """Filters of Spry authorizations for exports: the search's ``patientName`` (case-insensitive substring) and
    ``authorization_reference_number`` (exact), and a case and a status."""

    patientName = django_filters.CharFilter(field_name="patient_name", lookup_expr="icontains")
    authorization_reference_number = django_filters.CharFilter(field_name="authorization_reference_number")
    spry_case_id = django_filters.CharFilter(field_name="spry_case_id")
    authorization_status = django_filters.ChoiceFilter(
        field_name="authorization_status", choices=AuthorizationStatus.choices
    )

    class Meta:
        model = Authorization
        fields: list[str] = []
