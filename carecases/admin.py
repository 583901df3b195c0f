"""CarePlans (with their most recent cases inline) and CareCases in the admin site of each VBA database
(``/admin/db/<database>/carecases/…``). Audit fields are read-only and stamped on save."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from carecases.admin_help import CARE_CASE_COLUMNS, CARE_PLAN_COLUMNS
from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from carecases.rules import PRIORITIES, PRIORITY_CHOICES, close_problems, priority_label
from carecases.services import CARE_CASE, CARE_PLAN
from carecases.work_log_admin import CaseWorkLogMixin
from config.admin.codes import CodedFieldsMixin, add_form_check
from config.admin.export import EXPORT_ACTIONS, ExportAdminMixin
from config.admin.members import MemberRecordsMixin
from config.admin.sites import (
    AUDIT_FIELDS,
    IndexedSearchMixin,
    IndexedValuesListFilter,
    VBAModelAdmin,
    column_docs,
    member_of,
    register_vba,
)
from config.records.batch import allocate_keys
from config.records.files import RecordText, vba_text
from config.serving.tenancy import current_vba_database

CLOSING = ("case_status", "case_end_date", "case_close_reason")
INLINE_CASES = 20  # a plan with thousands of cases still opens fast: the rest are one click away
KEY_HELP = "0 assigns the next free key."


def cases_url(site: admin.AdminSite, plan_key: int | None = None) -> str:
    """The case list of ``site`` (the plan's cases only, if ``plan_key`` is given)."""
    url = reverse("admin:carecases_carecase_changelist", current_app=site.name)
    return url if plan_key is None else f"{url}?care_plan__care_plan_key__exact={plan_key}"


PRIORITY_HELP = "1 is the most urgent, 5 routine: " + ", ".join(f"{n} = {m}" for n, m in PRIORITIES.items()) + "."


class PriorityFilter(IndexedValuesListFilter):
    """The case list's priority filter, each value with its meaning ("2 – High"); the values by a loose index scan."""

    def choices(self, changelist: Any) -> Any:
        for choice in super().choices(changelist):
            display = str(choice["display"])
            if display.isdigit():
                choice = {**choice, "display": priority_label(int(display))}
            yield choice


class RecentCasesFormSet(BaseInlineFormSet):
    """Only the ``INLINE_CASES`` most recently updated cases of the plan."""

    def get_queryset(self) -> Any:
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset().order_by("-update_date", "-case_key")[:INLINE_CASES]
        return self._recent


class CareCaseInline(admin.TabularInline):
    model = CareCase
    formset = RecentCasesFormSet
    fields = ("case_key", "case_id", "case_status", "priority", "case_reason", "subscriber_id", "update_date")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"care cases (the {INLINE_CASES} most recently updated; open them to edit)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="priority")
    def priority(self, obj: CareCase) -> str:
        return priority_label(obj.case_priority)


class KeyedVBAAdmin(VBAModelAdmin):
    """A new record's key may be left at 0: the next key of the database's sequence is assigned on save."""

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {self.model._meta.pk.name: 0, **super().get_changeform_initial_data(request)}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        key = self.model._meta.pk.name
        if obj is None and key in form.base_fields:
            form.base_fields[key].help_text = f"{KEY_HELP} {form.base_fields[key].help_text}".strip()
            form.base_fields[key].min_value = 0
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and not obj.pk:
            (obj.pk,) = allocate_keys(self.resource, 1, current_vba_database())
        super().save_model(request, obj, form, change)


@register_vba(CarePlan)
class CarePlanAdmin(KeyedVBAAdmin):
    resource = CARE_PLAN
    field_docs = column_docs(CarePlan, CARE_PLAN_COLUMNS)
    list_display = ("care_plan_key", "care_type", "description", "care_weight", "case_count", "update_date")
    list_filter = ("care_type",)
    search_fields = ("=care_plan_key", "care_type", "description")
    search_help_text = "Care plan key (exact), care type or description (contains)."
    list_per_page = 50
    fieldsets = (
        ("Care plan", {"fields": ("care_plan_key", ("care_type", "care_weight"), "description", "all_cases")}),
        ("Audit", {"fields": (("entry_date", "entry_user"), ("update_date", "update_user"))}),
    )
    readonly_fields = (*AUDIT_FIELDS, "all_cases")
    inlines = [CareCaseInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        cases = (
            CareCase.objects.filter(care_plan=OuterRef("pk"))
            .order_by()
            .values("care_plan")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(n_cases=Coalesce(Subquery(cases), 0))

    def title_label(self, obj: CarePlan) -> str:
        """A list of the plan's cases is titled "Care cases of care plan 3 · Diabetes program"."""
        return obj.description or obj.care_type or ""

    def deletion_refused(self, keys: list[Any]) -> Any:
        """A plan that still has cases: how many (with a link), instead of listing thousands."""
        count = CareCase.objects.filter(care_plan_id__in=keys).count()
        if not count:
            return None
        url = cases_url(self.admin_site, keys[0] if len(keys) == 1 else None)
        return format_html('{} care case(s) still belong to this plan: <a href="{}">see them</a>', count, url)

    @admin.display(description="cases", ordering="n_cases")
    def case_count(self, obj: CarePlan) -> Any:
        return format_html('<a href="{}">{}</a>', cases_url(self.admin_site, obj.pk), obj.n_cases)  # type: ignore[attr-defined]

    @admin.display(description="all cases")
    def all_cases(self, obj: CarePlan | None) -> Any:
        if obj is None or obj.pk is None:
            return "-"
        count = getattr(obj, "n_cases", None)
        if count is None:
            count = obj.cases.count()
        everything = format_html(
            '<a href="{}">All {} case(s) of this plan</a>', cases_url(self.admin_site, obj.pk), count
        )
        return format_html("{}<br>{}", everything, self.cases_by_status(obj))

    def cases_by_status(self, obj: CarePlan) -> Any:
        """The plan's cases counted by status (one query), each count a link to those cases."""
        counts = (
            CareCase.objects.filter(care_plan_id=obj.pk)
            .order_by("case_status")
            .values_list("case_status")
            .annotate(n=Count("pk"))
        )
        url = cases_url(self.admin_site, obj.pk)
        return format_html_join(
            " · ",
            '<a class="status-count" href="{}&amp;{}">{}: {}</a>',
            (
                (url, urlencode({"case_status": status} if status else {"case_status__isnull": "True"}),
                 status or "no status", n)
                for status, n in counts
            ),
        )  # fmt: skip


@register_vba(CareCase)
class CareCaseAdmin(
    CaseWorkLogMixin, MemberRecordsMixin, CodedFieldsMixin, ExportAdminMixin, IndexedSearchMixin, KeyedVBAAdmin
):
    resource = CARE_CASE
    export_name = "care-cases"
    export_columns = list(CARE_CASE.spec.json_names.values())
    actions = EXPORT_ACTIONS
    field_docs = column_docs(CareCase, CARE_CASE_COLUMNS, {"case_priority": PRIORITY_CHOICES})
    # Codes without forks (issue 24, config.admin.codes): the values in use are offered, a fork is refused.
    coded_fields = ("case_status", "case_reason", "case_close_reason", "case_assign_type")
    #: The history page lists the changes of the case's work log with its own (config.admin.history).
    history_children = ((CareCaseWorkLog, "care_case_id", "Work log entry"),)
    # What a person scans first (key, subject, status, period); the rest is in the form.
    list_display = (
        "case_key",
        "case_id",
        "plan",
        "case_status",
        "priority",
        "member",
        "period",
        "work_logged",
    )
    list_select_related = ("care_plan",)
    # At a million cases every query of the list is answered by an index (as the Auth list's): the value filters
    # list their values by a loose index scan, the search matches exactly or by prefix (IndexedSearchMixin), the
    # start date is a date filter (a date hierarchy lists the years of every row) and facet counts are off.
    list_filter = (
        ("case_status", IndexedValuesListFilter),
        ("case_priority", PriorityFilter),
        ("case_reason", IndexedValuesListFilter),
        ("case_start_date", admin.DateFieldListFilter),
        "do_not_contact",
    )
    search_fields = ("=case_key", "=case_id", "^subscriber_id", "^provider_id")
    search_help_text = (
        "Case key or case ID (exact), subscriber or provider ID (starts with), or a member as the list shows it "
        "(109111276-01 or 109111276 01); as typed or in capitals."
    )
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    raw_id_fields = ("care_plan",)
    fieldsets = (
        (
            "Case",
            {
                "fields": (
                    ("case_key", "case_id", "care_plan"),
                    ("case_status", "case_priority", "case_reason"),
                    ("case_assign_type", "case_score", "case_close_reason"),
                )
            },
        ),
        ("Member", {"fields": (("subscriber_id", "member_seq"), ("group_id", "division_id"), "do_not_contact")}),
        ("Provider", {"fields": ("provider_id",)}),
        (
            "Dates",
            {
                "fields": (
                    ("case_start_date", "case_end_date"),
                    ("assessment_date", "appointment_date"),
                    ("eligibility_verified", "eligibility_verified_comment"),
                )
            },
        ),
        ("Audit", {"fields": (("entry_date", "entry_user"), ("update_date", "update_user"))}),
    )

    def export_text(self, queryset: QuerySet, fmt: str) -> RecordText:
        return vba_text(CARE_CASE.spec, queryset, fmt, self.export_chunk_size)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name == "case_priority":
            formfield.help_text = f"{PRIORITY_HELP} {formfield.help_text}"
        return formfield

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """Closing a case (a closed status, :func:`carecases.rules.is_closed_status`) needs an end date and a close
        reason: a changed case saved closed without them is refused, the missing ones named on their fields."""
        form = super().get_form(request, obj, change, **kwargs)

        def closing_rule(bound: Any) -> None:
            if not bound.has_changed():
                return
            data = {**{name: getattr(bound.instance, name, None) for name in CLOSING}, **bound.cleaned_data}
            problems = close_problems(data["case_status"], data["case_end_date"], data["case_close_reason"])
            for name, problem in problems.items():
                if name in bound.fields and name not in bound.errors:
                    bound.add_error(name, ValidationError(problem, code="closing"))

        return add_form_check(form, closing_rule)

    @admin.display(description="priority", ordering="case_priority")
    def priority(self, obj: CareCase) -> str:
        return priority_label(obj.case_priority)

    @admin.display(description="care plan", ordering="care_plan")
    def plan(self, obj: CareCase) -> str:
        plan = obj.care_plan
        return f"{plan.pk} · {plan.care_type}" if plan.care_type else str(plan.pk)

    @admin.display(description="member (subscriber-seq)", ordering="subscriber_id")
    def member(self, obj: CareCase) -> str:
        return member_of(obj)

    @admin.display(description="period", ordering="case_start_date")
    def period(self, obj: CareCase) -> str:
        if not obj.case_start_date and not obj.case_end_date:
            return "–"
        start = timezone.localdate(obj.case_start_date).isoformat() if obj.case_start_date else "…"
        end = timezone.localdate(obj.case_end_date).isoformat() if obj.case_end_date else "…"
        return f"{start} – {end}"
