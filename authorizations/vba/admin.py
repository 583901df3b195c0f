"""VBA Auths in the admin site of each VBA database (``/admin/db/<database>/authorizations/auth/``)."""

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from authorizations.vba.admin_help import AUTH_COLUMNS
from authorizations.vba.models import Auth, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.services import AUTH, auth_children_problem
from config.admin.export import EXPORT_ACTIONS, ExportAdminMixin
from config.admin.sites import (
    AUDIT_FIELDS,
    YES_NO,
    IndexedSearchMixin,
    IndexedValuesListFilter,
    VBAModelAdmin,
    column_docs,
    member_of,
    plain_number,
    register_vba,
)
from config.records.files import RecordText, vba_text

#: One-character flags that VBA's screens show as check boxes: Y or N.
FLAGS = ("audit_flag", "auto_accident", "ivr_flag", "other_coverage_primary", "work_related", "tplan_printed")


CHILDREN_SHOWN = 100  # lines or reviews shown on an Auth's page


def plain(value: object) -> str:
    """A number of units as typed (4, 2.5), or nothing."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def table(heads: tuple[str, ...], rows: str) -> str:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in heads))
    return format_html("<table><tr>{}</tr>{}</table>", head, rows)


def day(value: object) -> str:
    return timezone.localdate(value).isoformat() if value else "…"  # type: ignore[arg-type]


@register_vba(Auth)
class AuthAdmin(ExportAdminMixin, IndexedSearchMixin, VBAModelAdmin):
    resource = AUTH
    export_name = "auths"
    export_columns = list(AUTH.spec.json_names.values())
    actions = EXPORT_ACTIONS
    field_docs = column_docs(Auth, AUTH_COLUMNS, {name: YES_NO for name in FLAGS})
    # What a person scans first; everything else is in the form.
    list_display = ("auth_number", "member", "status", "auth_type", "approved_period", "visits", "urgent")
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
    #: Shown on an Auth's change page, read-only, after the record's own fields (not columns of the Auth).
    CHILDREN = ("Procedure lines, diagnoses and reviews", {"fields": ("procedure_lines", "diagnoses", "reviews")})

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        return [*fieldsets[:-1], self.CHILDREN, fieldsets[-1]] if obj is not None else fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "procedure_lines", "diagnoses", "reviews") if obj is not None else fields

    @admin.display(description="procedure lines")
    def procedure_lines(self, obj: Auth | None) -> Any:
        """The Auth's procedure lines (read-only here: they are written through the API)."""
        if obj is None or obj.pk is None:
            return "-"
        lines = AuthProcCodes.objects.filter(auth_number=obj.pk).order_by("auth_proc_codes_key")[:CHILDREN_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line.pk,
                    line.procedure_code or line.procedure_cluster or "",
                    " ".join(m for m in (line.modifier1, line.modifier2, line.modifier3, line.modifier4) if m),
                    plain(line.units_requested),
                    plain(line.units_approved),
                    plain(line.units_actual),
                )
                for line in lines
            ),
        )
        if not rows:
            return "none"
        return table(("key", "procedure", "modifiers", "requested", "approved", "actual"), rows)

    @admin.display(description="diagnoses")
    def diagnoses(self, obj: Auth | None) -> Any:
        """The Auth's diagnoses (read-only here: they are written through the API)."""
        if obj is None or obj.pk is None:
            return "-"
        found = AuthDiagCodes.objects.filter(auth_number=obj.pk).order_by("diagnostic_code", "diagnostic_code_type")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    d.diagnostic_code,
                    d.diagnostic_code_type,
                    d.primary_diag or "",
                    "yes" if d.disable_provider_match else "no",
                    "yes" if d.disable_diag_code_match else "no",
                )
                for d in found[:CHILDREN_SHOWN]
            ),
        )
        if not rows:
            return "none"
        return table(("code", "ICD version", "primary", "no provider match", "no diagnosis match"), rows)

    @admin.display(description="reviews (newest first)")
    def reviews(self, obj: Auth | None) -> Any:
        if obj is None or obj.pk is None:
            return "-"
        found = AuthReview.objects.filter(auth_number=obj.pk).order_by(
            F("review_date").desc(nulls_last=True), "-auth_review_key"
        )[:CHILDREN_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.pk,
                    day(r.review_date),
                    r.review_user or "",
                    " / ".join(v for v in (r.review_level, r.review_status, r.review_type) if v),
                    r.review_severity or "",
                    r.review_comment or "",
                )
                for r in found
            ),
        )
        if not rows:
            return "none"
        return table(("key", "date", "by", "level / status / type", "severity", "comment"), rows)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """An Auth that still has procedure lines, diagnoses or reviews is protected (decision 15: never a cascade):
        the page says how many instead of deleting."""
        problem = auth_children_problem([obj.pk for obj in objs])
        if problem:
            return [], {}, set(), [problem]
        return super().get_deleted_objects(objs, request)

    def export_text(self, queryset: QuerySet, fmt: str) -> RecordText:
        return vba_text(AUTH.spec, queryset, fmt, self.export_chunk_size)

    @admin.display(description="member (subscriber-seq)", ordering="subscriber_id")
    def member(self, obj: Auth) -> str:
        return member_of(obj)

    @admin.display(description="approved period", ordering="approved_thru")
    def approved_period(self, obj: Auth) -> str:
        if not obj.approved_from and not obj.approved_thru:
            return "–"
        return f"{day(obj.approved_from)} – {day(obj.approved_thru)}"

    @admin.display(description="visits used / approved")
    def visits(self, obj: Auth) -> str:
        if obj.visits_actual is None and obj.visits_approved is None:
            return "–"
        used = plain_number(obj.visits_actual) if obj.visits_actual is not None else "–"
        approved = plain_number(obj.visits_approved) if obj.visits_approved is not None else "–"
        return f"{used} / {approved}"
