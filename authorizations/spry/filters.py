"""Filters of Spry authorizations' exports (``export_authorizations``)."""

import django_filters

from authorizations.spry.models import Authorization, AuthorizationStatus
from config.records.filters import APIFilterSet


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
