"""Spry Authorizations in the admin (``default`` database): payer, ICD codes, CPT limits, visits used / authorized."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import update_change_reason

from authorizations.spry.api.serializers import SpryAuthorizationOut, authorization_json
from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from authorizations.spry.selectors import with_lists
from authorizations.spry.services import REASON_MAX_LENGTH, authorizations_expire
from config.admin.export import EXPORT_ACTIONS, ExportAdminMixin
from config.admin.sites import FieldDoc, StrictFormAdmin, StrictInline

EXPIRING_DAYS = 14
FEW_VISITS_LEFT = 2


class ExpiresSoonFilter(admin.SimpleListFilter):
    title = "effective end"
    parameter_name = "expires"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("14d", f"Expires within {EXPIRING_DAYS} days"), ("passed", "Effective end has passed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "14d":
            return queryset.filter(
                effective_end_date__gte=now, effective_end_date__lte=now + dt.timedelta(days=EXPIRING_DAYS)
            )
        if self.value() == "passed":
            return queryset.filter(effective_end_date__lt=now)
        return queryset


class VisitsLeftFilter(admin.SimpleListFilter):
    title = "visits left"
    parameter_name = "visits_left"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("few", f"{FEW_VISITS_LEFT} or fewer visits left"), ("used_up", "Used up (used ≥ authorized)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        used = F("current_visit_count") + F("previous_consumed_visit_count")
        if self.value() == "few":
            return queryset.filter(authorized_visit_count__isnull=False).filter(
                authorized_visit_count__lte=used + FEW_VISITS_LEFT
            )
        if self.value() == "used_up":
            return queryset.filter(authorized_visit_count__isnull=False, authorized_visit_count__lte=used)
        return queryset


class OrganisationFilter(admin.SimpleListFilter):
    title = "organisation"
    parameter_name = "organisation"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        ids = Authorization.objects.order_by("organisation_id").values_list("organisation_id", flat=True).distinct()
        return [(str(i), str(i)) for i in ids]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(organisation_id=int(value))
        return queryset


#: Help from spry.md and decisions.md (Spry 3, 4) for each field of an ICD code and of a CPT code limit.
ICD_CODE_DOCS = {
    "position": FieldDoc("Order of the code in the authorization's list (0 first), as the API returns it."),
    "icd_id": FieldDoc("The ICD object's id in Spry (required)."),
    "code": FieldDoc("The ICD code, e.g. M72.1."),
    "description": FieldDoc("What the code means, e.g. Knuckle pads."),
    "revision": FieldDoc("The ICD revision of the code."),
}
CPT_CODE_DOCS = {
    "position": FieldDoc("Order of the code in the authorization's list (0 first), as the API returns it."),
    "cpt_code": FieldDoc("The CPT code the payer authorized, e.g. 97110 (at most 10 characters)."),
    "description": FieldDoc("What the code means, e.g. Therapeutic exercise."),
    "units_requested": FieldDoc("Units of this code requested from the payer (a whole number, 0 or more)."),
    "units_approved": FieldDoc("Units of this code the payer approved (a whole number, 0 or more)."),
}
PAYER_DOCS = {
    "payer_reg_id": FieldDoc("Spry's payer registry id of the payer (insurance_payer.payer_reg_id)."),
    "name": FieldDoc("The payer's name."),
    "payer_id": FieldDoc("The payer's EDI payer id."),
    "payer_type": FieldDoc("The kind of payer."),
    "payer_state": FieldDoc("The payer's state."),
}


class IcdCodeInline(StrictInline):
    model = AuthorizationIcdCode
    field_docs = ICD_CODE_DOCS
    fields = ("position", "icd_id", "code", "description", "revision")
    extra = 0


class CptCodeInline(StrictInline):
    model = AuthorizationCptCode
    field_docs = CPT_CODE_DOCS
    fields = ("position", "cpt_code", "description", "units_requested", "units_approved")
    extra = 0


#: Help from spry.md (and decisions.md) for each field of the form.
AUTHORIZATION_DOCS = {
    "authorization_id": FieldDoc("Spry's id of the authorization (auth_ + 24 hex digits); assigned on create."),
    "authorization_reference_number": FieldDoc("Reference number issued by the payer."),
    "spry_case_id": FieldDoc("The Spry patient case this authorization belongs to; fixed after create."),
    "case_title": FieldDoc("Title of the patient case; fixed after create."),
    "plan_start_date": FieldDoc("Start of the insurance plan period."),
    "plan_end_date": FieldDoc("End of the insurance plan period (on or after its start)."),
    "effective_start_date": FieldDoc("First day the authorization covers."),
    "effective_end_date": FieldDoc("Last day the authorization covers (on or after its start)."),
    "payer": FieldDoc("The payer, from Spry's payer registry (type to search by name or EDI payer id)."),
    "authorized_visit_count": FieldDoc("Visits the payer authorized; empty when not limited."),
    "current_visit_count": FieldDoc("Visits used in this authorization's period."),
    "previous_consumed_visit_count": FieldDoc("Visits used before this period; used = current + previous."),
    "phone_number": FieldDoc("The payer's phone number for this authorization."),
    "fax_number": FieldDoc("The payer's fax number for this authorization."),
    "comments": FieldDoc("Free text shown to clinic staff."),
    "authorization_status": FieldDoc("ACTIVE, INACTIVE or EXPIRED."),
    "patient_id": FieldDoc("Spry's id of the patient; fixed after create."),
    "patient_name": FieldDoc("The patient's name, as Spry shows it; fixed after create."),
    "organisation_id": FieldDoc("The Spry organisation that owns the authorization; fixed after create."),
    "clinic_id": FieldDoc("The clinic of the organisation; fixed after create."),
}


@admin.register(Authorization)
class AuthorizationAdmin(ExportAdminMixin, StrictFormAdmin, SimpleHistoryAdmin):
    # What a person scans first (key, patient, status, period, visits, payer); case, reference number, organisation
    # and the rest are in the form (the search finds reference numbers and cases; the organisation is a filter).
    list_display = ("authorization_id", "patient_name", "status", "effective_period", "visits", "payer_name")
    list_filter = (
        "authorization_status",
        ("payer", admin.RelatedOnlyFieldListFilter),
        OrganisationFilter,
        ExpiresSoonFilter,
        VisitsLeftFilter,
    )
    search_fields = ("patient_name", "=authorization_reference_number", "=spry_case_id")
    search_help_text = "Patient name (contains), reference number or case id (exact)."
    field_docs = AUTHORIZATION_DOCS
    revert_note = (
        "A revert restores the authorization's own fields; its ICD codes and CPT code authorization details stay as "
        "they are now (change them in the form)."
    )
    list_select_related = ("payer",)
    list_per_page = 50
    date_hierarchy = "effective_end_date"
    autocomplete_fields = ("payer",)
    inlines = (IcdCodeInline, CptCodeInline)
    readonly_fields = ("authorization_id", "visits_used", "created_at", "updated_at")
    actions = ("expire_selected", *EXPORT_ACTIONS)
    export_name = "authorizations"
    export_columns = list(SpryAuthorizationOut.model_fields)
    fieldsets = (
        (
            "Case and patient",
            {
                "fields": (
                    ("authorization_id", "authorization_status"),
                    ("spry_case_id", "case_title"),
                    ("patient_id", "patient_name"),
                    ("organisation_id", "clinic_id"),
                )
            },
        ),
        (
            "Payer",
            {"fields": (("authorization_reference_number", "payer"), ("phone_number", "fax_number"))},
        ),
        (
            "Periods",
            {"fields": (("effective_start_date", "effective_end_date"), ("plan_start_date", "plan_end_date"))},
        ),
        (
            "Visits",
            {
                "fields": (
                    ("authorized_visit_count", "current_visit_count", "previous_consumed_visit_count"),
                    "visits_used",
                )
            },
        ),
        ("Notes", {"fields": ("comments", ("created_at", "updated_at"))}),
    )

    def export_records(self, queryset: QuerySet) -> Iterator[dict[str, Any]]:
        for authorization in with_lists(queryset).iterator(chunk_size=self.export_chunk_size):
            yield authorization_json(authorization)

    @admin.display(description="effective period", ordering="effective_end_date")
    def effective_period(self, obj: Authorization) -> str:
        start = timezone.localdate(obj.effective_start_date).isoformat() if obj.effective_start_date else "…"
        end = timezone.localdate(obj.effective_end_date).isoformat() if obj.effective_end_date else "…"
        return f"{start} – {end}"

    @admin.display(description="status", ordering="authorization_status")
    def status(self, obj: Authorization) -> str:
        return obj.get_authorization_status_display()

    @admin.display(description="payer", ordering="payer__name")
    def payer_name(self, obj: Authorization) -> str:
        return (obj.payer.name or str(obj.payer.pk)) if obj.payer else "–"

    @admin.display(description="visits used / authorized")
    def visits(self, obj: Authorization) -> str:
        used, authorized = obj.final_consumed_visit_count, obj.authorized_visit_count
        if authorized is None:
            return f"{used} / –"
        if used >= authorized:
            return format_html('<strong title="used up">⚠ {} / {}</strong>', used, authorized)
        return f"{used} / {authorized}"

    @admin.display(description="visits used / authorized")
    def visits_used(self, obj: Authorization) -> str:
        return self.visits(obj)

    @admin.action(description="Expire the selected authorizations (status EXPIRED)…")
    def expire_selected(self, request: HttpRequest, queryset: QuerySet[Authorization]) -> TemplateResponse | None:
        """First a confirmation page listing the selection (and which are still in their effective period);
        then, once confirmed, each one not already EXPIRED is expired with a history row."""
        if request.POST.get("post") != "yes":
            return self.expire_confirmation(request, queryset)
        expired = authorizations_expire(
            authorizations=queryset, user=request.user, reason="expired by staff in the admin"
        )
        skipped = queryset.count() - len(expired)
        text = f"{len(expired)} authorization(s) set to EXPIRED"
        if skipped:
            text += f"; {skipped} already expired"
        self.message_user(request, text, messages.SUCCESS)
        return None

    def expire_confirmation(self, request: HttpRequest, queryset: QuerySet[Authorization]) -> TemplateResponse:
        now = timezone.now()
        rows = []
        for authorization in queryset.select_related("payer").order_by("effective_end_date", "pk"):
            start, end = authorization.effective_start_date, authorization.effective_end_date
            rows.append(
                {
                    "authorization": authorization,
                    "period": self.effective_period(authorization),
                    "visits": self.visits(authorization),
                    "already_expired": authorization.authorization_status == AuthorizationStatus.EXPIRED,
                    "in_period": (start is None or start <= now)
                    and (end is None or now <= end)
                    and authorization.authorization_status != AuthorizationStatus.EXPIRED,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Expire authorizations?",
            "opts": self.model._meta,
            "rows": rows,
            "to_expire": [row for row in rows if not row["already_expired"]],
            "in_period": [row for row in rows if row["in_period"]],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/authorizations/authorization/expire_confirmation.html", context)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """ICD and CPT edits leave a history row on the authorization too, whose change reason names them (the
        API's list replacements do the same), so the authorization's history shows every change."""
        changed = [formset for formset in formsets if formset.has_changed()]
        super().save_related(request, form, formsets, change)
        if not change or not changed:
            return
        reason = "; ".join(list_change(formset) for formset in changed)[:REASON_MAX_LENGTH]
        authorization = form.instance
        if form.has_changed():  # the authorization's own save has just left its history row: name the lists there
            update_change_reason(authorization, reason)
        else:
            authorization._history_user = request.user
            authorization._change_reason = reason
            authorization.save(update_fields=["updated_at"])


def list_change(formset: Any) -> str:
    """What a staff member changed in an inline list, in a few words: "ICD codes: added X1; removed M72.1"."""
    added = [str(obj) for obj in getattr(formset, "new_objects", [])]
    removed = [str(obj) for obj in getattr(formset, "deleted_objects", [])]
    edited = [str(obj) for obj, _fields in getattr(formset, "changed_objects", [])]
    parts = [
        f"{verb} {', '.join(names)}"
        for verb, names in (("added", added), ("changed", edited), ("removed", removed))
        if names
    ]
    return f"{formset.model._meta.verbose_name_plural}: {'; '.join(parts) or 'changed'}"


@admin.register(Payer)
class PayerAdmin(StrictFormAdmin, SimpleHistoryAdmin):
    field_docs = PAYER_DOCS
    list_display = ("payer_reg_id", "name", "payer_id", "payer_type", "payer_state")
    list_filter = ("payer_type",)
    search_fields = ("name", "payer_id", "=payer_reg_id")
    ordering = ("name", "payer_reg_id")


@admin.register(SpryClient)
class SpryClientAdmin(admin.ModelAdmin):
    """Which organisation (and clinics) each OAuth client acts for. Create clients with
    ``manage.py create_oauth_client`` (it prints the secret once)."""

    list_display = ("application", "organisation_id", "clinic_ids")
    list_filter = ("organisation_id",)
    search_fields = ("application__name", "application__client_id")
    raw_id_fields = ("application",)
