"""Filters of ``GET /auths`` and ``GET /auth-reviews``; query names are VBA's JSON names."""

import django_filters

from authorizations.vba.models import Auth, AuthReview
from config.records.filters import APIFilterSet, date_range, strict_boolean, updated_since


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


class AuthReviewFilter(APIFilterSet):
    """``GET /auth-reviews``: VBA's one filter, the Auth the reviews belong to."""

    authNumber = django_filters.CharFilter(field_name="auth_number")  # noqa: N815 - VBA's spelling

    class Meta:
        model = AuthReview
        fields: list[str] = []
