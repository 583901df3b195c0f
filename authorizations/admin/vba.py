"""VBA Auths in the admin, in the database the staff member picked."""

from django.contrib import admin

from authorizations.models import Auth
from config.api.admin import AUDIT_FIELDS, IndexedSearchMixin, IndexedValuesListFilter, VBAModelAdmin


@admin.register(Auth)
class AuthAdmin(IndexedSearchMixin, VBAModelAdmin):
    list_display = (
        "auth_number",
        "status",
        "auth_type",
        "subscriber_id",
        "member_seq",
        "provider_id",
        "case_number",
        "received_date",
        "approved_thru",
        "urgent",
        "update_date",
    )
    # At a million rows every query of the changelist must be answered by an index: the value filters list their
    # values by a loose index scan, the search matches exactly or by prefix (IndexedSearchMixin), the unfiltered
    # count is the planner's estimate (EstimatedCountPaginator), and facet counts (which count every row) are off.
    list_filter = (("status", IndexedValuesListFilter), ("auth_type", IndexedValuesListFilter), "urgent", "closed")
    search_fields = ("=auth_number", "^subscriber_id", "^provider_id", "=case_number")
    search_help_text = (
        "Auth number or case number (exact), subscriber or provider ID (starts with); as typed or in capitals."
    )
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fieldsets = (
        (
            "Status and type",
            {
                "fields": (
                    ("auth_number", "status", "auth_code"),
                    ("auth_type", "treatment_type", "service_type", "service_code"),
                    ("urgent", "closed", "new_or_extended", "previous_treatment"),
                    ("assigned_user", "approved_by", "approved_date"),
                )
            },
        ),
        (
            "Requested",
            {
                "fields": (
                    ("requested_from", "requested_thru"),
                    ("requested_location", "requested_frequency", "case_index_requested"),
                    ("units_requested", "visits_requested", "amount_requested"),
                )
            },
        ),
        (
            "Approved",
            {
                "fields": (
                    ("approved_from", "approved_thru"),
                    ("approved_location", "approved_frequency", "case_index_approved"),
                    ("units_approved", "visits_approved", "amount_approved"),
                )
            },
        ),
        (
            "Denied",
            {"fields": (("denied_from", "denied_thru"), ("units_denied", "amount_denied", "case_index_denied"))},
        ),
        (
            "Actual",
            {
                "fields": (
                    ("actual_from", "actual_thru", "actual_location"),
                    ("units_actual", "visits_actual", "visits_to_date"),
                    ("amount_actual", "case_index_actual", "monthly_amount"),
                )
            },
        ),
        (
            "Member and provider",
            {
                "fields": (
                    ("subscriber_id", "member_seq", "plan_id"),
                    ("provider_id", "federal_id", "payee_id"),
                    ("ordered_by_id", "ordered_by_name"),
                    ("referred_by_id", "referred_by_name"),
                    ("care_manager_key", "case_number", "prior_auth"),
                )
            },
        ),
        (
            "Dates and clinical details",
            {
                "fields": (
                    ("received_date", "injury_date", "discharge_date", "reins_notification_date"),
                    ("drg_category", "drg_code", "unit_type"),
                    ("daily_living", "radiating_pain", "range_of_motion"),
                    ("auto_accident", "work_related", "other_insurance", "other_coverage_primary"),
                    ("audit_flag", "region", "ivr_flag"),
                    "notes",
                )
            },
        ),
        (
            "Treatment plan",
            {
                "fields": (
                    ("tplan_printed", "tplan_printed_date"),
                    ("tplan_downloaded", "tplan_downloaded_date", "tplan_downloaded_user"),
                )
            },
        ),
        (
            "Legacy fields (no longer used by VBA)",
            {
                "classes": ("collapse",),
                "fields": (
                    ("additional_visits", "previous_auth", "narrative"),
                    ("total_requested", "total_approved", "total_actual", "total_unit_type"),
                    ("body_code_id", "city_code_id", "type_of_service"),
                ),
            },
        ),
        ("Audit", {"fields": (("entry_date", "entry_user"), ("update_date", "update_user"))}),
    )
    readonly_fields = AUDIT_FIELDS
