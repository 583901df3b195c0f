"""Filters of ``GET /care-plans`` and ``GET /care-plans/{carePlanKey}/cases``; query names are VBA's JSON names.

A value that does not parse (a non-integer priority, a bad date) is a 400 envelope, never an ignored filter.
"""

import django_filters

from carecases.models import CareCase, CarePlan
from config.records.filters import APIFilterSet, date_range, int32_filter, updated_since


class CarePlanFilter(APIFilterSet):
    care_Type = django_filters.CharFilter(field_name="care_type")
    description = django_filters.CharFilter(field_name="description", lookup_expr="icontains")
    updated_Since = updated_since()

    class Meta:
        model = CarePlan
        fields: list[str] = []


class CareCaseFilter(APIFilterSet):
    case_Status = django_filters.CharFilter(field_name="case_status")
    case_Priority = int32_filter("case_priority")
    case_Reason = django_filters.CharFilter(field_name="case_reason")
    case_ID = django_filters.CharFilter(field_name="case_id")
    case_Assign_Type = django_filters.CharFilter(field_name="case_assign_type")
    subscriber_ID = django_filters.CharFilter(field_name="subscriber_id")
    member_Seq = django_filters.CharFilter(field_name="member_seq")
    provider_ID = django_filters.CharFilter(field_name="provider_id")
    case_Start_Date_from, case_Start_Date_to = date_range("case_start_date")
    case_End_Date_from, case_End_Date_to = date_range("case_end_date")
    updated_Since = updated_since()

    class Meta:
        model = CareCase
        fields: list[str] = []
