"""VBA Auths and their decision codes in the admin site of each VBA database (``/admin/db/<database>/…``).

An Auth's change page is the reviewer's page: its procedure lines as an editable list, its reviews (newest first,
added one at a time), and a Decide control that calls the one decision service (``auth_process_status``, decision
17). Status, code and decision stamps are read-only: only a decision writes them."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from rest_framework import exceptions

from authorizations.vba import clock, metrics, queue
from authorizations.vba.admin_help import AUTH_COLUMNS
from authorizations.vba.models import AUTH_ACTIONS, Auth, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.review_admin import review_list_url
from authorizations.vba.services import (
    AUTH,
    AUTH_CODE,
    AUTH_DIAG_CODES,
    AUTH_PROC_CODES,
    AUTH_REVIEW,
    auth_adjust,
    auth_children_problem,
    auth_code_use_problem,
    auth_process_status,
)
from config.admin.codes import CodedFieldsMixin, CodedForm
from config.admin.export import EXPORT_ACTIONS, ExportAdminMixin
from config.admin.members import MemberRecordsMixin
from config.admin.sites import (
    AUDIT_FIELDS,
    HOME_COUNTS,
    YES_NO,
    FieldDoc,
    IndexedSearchMixin,
    IndexedValuesListFilter,
    ParentKeyFormSet,
    ParentKeyInline,
    StrictModelForm,
    VBAModelAdmin,
    column_docs,
    member_of,
    moment,
    plain_number,
    problem_text,
    register_vba,
    site_name,
)
from config.records.batch import CALLER
from config.records.files import RecordText, vba_text
from config.records.services import record_create

#: One-character flags that VBA's screens show as check boxes: Y or N.
FLAGS = ("audit_flag", "auto_accident", "ivr_flag", "other_coverage_primary", "work_related", "tplan_printed")
#: The Auth's decision: written by ``auth_process_status`` only (read-only in the admin, on the add form too).
DECISION_FIELDS = ("status", "auth_code", "approved_by", "approved_date")
#: The status of an Auth created in the admin: undecided, waiting in the pended queue (decision stamps empty).
NEW_AUTH_STATUS = "PENDED"

#: The home page of each database counts its Auths by status, overdue and due today (issue 23).
HOME_COUNTS.append(("Auths", "authorizations.view_auth", queue.home_counts))


def metrics_link(database: str) -> list[dict[str, str]]:
    """The home page's link to the database's prior-authorization metrics (decision 19)."""
    url = reverse("admin:authorizations_auth_metrics", current_app=site_name(database))
    return [{"label": "Prior-authorization metrics (by year)", "url": url, "shown": ""}]


HOME_COUNTS.append(("Reports", "authorizations.view_auth", metrics_link))

CHILDREN_SHOWN = 100  # reviews shown on an Auth's page


def plain(value: object) -> str:
    """A number of units as typed (4, 2.5), or nothing."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def table(heads: tuple[str, ...], rows: str, table_id: str = "") -> str:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in heads))
    return format_html('<table id="{}"><tr>{}</tr>{}</table>', table_id, head, rows)


def day(value: object) -> str:
    return timezone.localdate(value).isoformat() if value else "…"  # type: ignore[arg-type]


def action_name(letter: str | None) -> str:
    """An action letter as staff read it: ``D`` → "Denied", ``R`` → "Partial Approval"."""
    if letter in AUTH_ACTIONS:
        return AUTH_ACTIONS[letter][1].partition(":")[0]
    return "no action (cannot decide)" if letter is None else letter


ACTION_CHOICES = [(letter, f"{letter} – {action_name(letter)}") for letter in AUTH_ACTIONS]


def add_review(auth_number: str, user: Any, **fields: Any) -> AuthReview:
    """One new review of Auth ``auth_number`` through the ``AUTH_REVIEW`` resource (the API's rules: next key,
    audit stamps, history; ``review_User``/``review_Date`` the caller and now). Refused: an ``APIException``."""
    item = {"authReview_Key": 0, "auth_Number": auth_number, **fields}
    return record_create(AUTH_REVIEW, item, user=user, context={CALLER: user})  # type: ignore[no-any-return]


#: Actions that deny (all or part of) an Auth: a decision code with one of them must say why (its description is the
#: denial's specific reason, CMS-0057-F), in the admin (issue 22).
DENIAL_ACTIONS = ("D", "R")


def needs_reason(code: AuthCode) -> bool:
    """A denial code (action D or R) without a description: the admin does not decide with it."""
    return code.auth_action in DENIAL_ACTIONS and not (code.description or "").strip()


def decision_choices() -> tuple[list[Any], list[str]]:
    """The decision codes that can decide (those with an action; a denial code only with its reason), grouped by
    action in the order of VBA's list, each with its description; and the denial codes left out for want of one."""
    groups: dict[str, list[tuple[str, str]]] = {letter: [] for letter in AUTH_ACTIONS}
    without_reason: list[str] = []
    for code in AuthCode.objects.filter(auth_action__in=list(AUTH_ACTIONS)).order_by("auth_code"):
        if needs_reason(code):
            without_reason.append(code.auth_code)
            continue
        label = f"{code.auth_code} – {code.description}" if code.description else code.auth_code
        groups[str(code.auth_action)].append((code.auth_code, label))
    choices = [("", "Choose a decision code…")] + [
        (action_name(letter), codes) for letter, codes in groups.items() if codes
    ]
    return choices, without_reason


class DecisionCodeField(forms.ChoiceField):
    def validate(self, value: Any) -> None:
        try:
            super().validate(value)
        except forms.ValidationError:
            code = AuthCode.objects.filter(pk=value).first() if value else None
            if code is not None and needs_reason(code):
                raise forms.ValidationError(
                    f"{value} is a denial code ({action_name(code.auth_action)}) without a description: a denial "
                    "must give its specific reason. Give the code its description on the decision codes page, "
                    "then decide.",
                    code="no_reason",
                ) from None
            raise


class DecideForm(forms.Form):
    auth_code = DecisionCodeField(
        label="Decision code",
        choices=[],
        error_messages={
            "required": "Choose a decision code.",
            "invalid_choice": "%(value)s is not a decision code "
            "that can decide an Auth (unknown, or without an action).",
        },
        help_text="Sets the status to the code's action, stamps who decided and when; the code's description is the "
        "reason kept in the history.",
    )
    review_comment = forms.CharField(
        label="Review comment",
        required=False,
        max_length=AuthReview._meta.get_field("review_comment").max_length,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional: added as a review (by you, now) with the decision.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["auth_code"]
        field.choices, without_reason = decision_choices()  # type: ignore[attr-defined]
        if without_reason:
            field.help_text += f" Not offered, for want of a reason (a description): {', '.join(without_reason)}."


def _review_field(name: str, label: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=AuthReview._meta.get_field(name).max_length,  # type: ignore[union-attr]
        **kwargs,
    )


class ReviewForm(CodedForm):
    """One new review: what the reviewer typed; who and when are stamped (the signed-in user and now). Its codes
    offer the values in use among the database's reviews and refuse a fork (config.admin.codes: "l1 nurse review"
    beside "L1 NURSE REVIEW")."""

    coded_model = AuthReview
    coded_fields = ("review_level", "review_status", "review_type", "review_severity", "review_urgency_type")

    review_level = _review_field("review_level", "Level")
    review_status = _review_field("review_status", "Status")
    review_type = _review_field("review_type", "Type")
    review_severity = _review_field("review_severity", "Severity")
    review_urgency_type = _review_field("review_urgency_type", "Urgency")
    review_comment = _review_field("review_comment", "Comment", widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    def clean(self) -> Any:
        cleaned = super().clean()
        if not any((cleaned or {}).values()):
            raise forms.ValidationError("Type a comment or fill in at least one field of the review.")
        return cleaned

    def review_fields(self) -> dict[str, Any]:
        """The review's fields by their JSON names (empty boxes are null)."""
        return {AUTH_REVIEW.spec.json_names[name]: value or None for name, value in self.cleaned_data.items()}


class AdjustForm(forms.Form):
    """An adjustment of the Auth (``auth_adjust``, decision 20): a new Auth under the next number copying this one,
    with a new approval period, and its procedure lines and diagnoses copied (or one line with a procedure code)."""

    approved_from = forms.DateField(
        label="Approved from", required=False, widget=AdminDateWidget, help_text="Empty: the original's."
    )
    approved_thru = forms.DateField(
        label="Approved thru", required=False, widget=AdminDateWidget, help_text="Empty: the original's."
    )
    copy_proc_codes = forms.BooleanField(label="Copy the procedure lines", required=False, initial=True)
    copy_diag_codes = forms.BooleanField(label="Copy the diagnoses", required=False, initial=True)
    procedure_code = forms.CharField(
        label="Or one procedure code",
        required=False,
        max_length=AuthProcCodes._meta.get_field("procedure_code").max_length,
        help_text="When the lines are not copied: the new Auth gets one line with this code.",
    )

    def clean(self) -> Any:
        cleaned = super().clean() or {}
        start, end = cleaned.get("approved_from"), cleaned.get("approved_thru")
        if start and end and start > end:
            self.add_error("approved_thru", "The approval period ends before it starts.")
        if cleaned.get("copy_proc_codes") and cleaned.get("procedure_code"):
            self.add_error("procedure_code", "Either copy the procedure lines or give one procedure code, not both.")
        return cleaned

    def adjustment(self, auth_number: str) -> dict[str, Any]:
        """The body of the API's adjustment (VBA's ``AuthAdjustment``)."""
        data = self.cleaned_data

        def moment_of(value: Any) -> str | None:
            return f"{value.isoformat()}T00:00:00" if value else None

        return {
            "auth_Number": auth_number,
            "approved_From": moment_of(data.get("approved_from")),
            "approved_Thru": moment_of(data.get("approved_thru")),
            "recalcIBNR": False,
            "copyProcCodes": bool(data.get("copy_proc_codes")),
            "copyDiagCodes": bool(data.get("copy_diag_codes")),
            "procedure_Code": data.get("procedure_code") or None,
        }


def decision_of(auth: Auth) -> dict[str, Any]:
    """What the page says about the Auth's decision: status, code and its description, who and when."""
    code = AuthCode.objects.filter(pk=auth.auth_code).first() if auth.auth_code else None
    return {
        "status": auth.status,
        "code": auth.auth_code,
        "description": code.description if code is not None else None,
        "by": auth.approved_by,
        "when": moment(auth.approved_date) if auth.approved_date else None,
        "clock": queue.clock_summary(auth),
    }


PROC_CODE_DOCS = {
    "procedure_code": FieldDoc("The procedure (CPT/HCPCS) this line authorizes.", label="Procedure code"),
    "procedure_cluster": FieldDoc("A named group of procedures, instead of one code.", label="Cluster"),
    **{
        f"modifier{n}": FieldDoc("A modifier a claim must carry to match this line.", label=f"Modifier {n}")
        for n in range(1, 5)
    },
    "units_requested": FieldDoc("Units asked for.", label="Units requested"),
    "units_approved": FieldDoc("Units granted.", label="Units approved"),
    "units_actual": FieldDoc("Units used so far.", label="Units used"),
    "exclude_modifier_match": FieldDoc("When set, a claim need not match the modifiers.", label="Exclude modifiers"),
}


class ProcedureLineForm(StrictModelForm):
    """A procedure line as a reviewer types it: a count of units is never below 0 (a value stored below 0, say by
    the API, which keeps VBA's contract, is refused only once someone changes it)."""

    UNITS = ("units_requested", "units_approved", "units_actual")

    def clean(self) -> Any:
        cleaned = super().clean() or {}
        for name in self.UNITS:
            value = cleaned.get(name)
            if name in self.changed_data and value is not None and value < 0:
                self.add_error(name, f"{self.fields[name].label}: {plain_number(value)} is below 0; units are counted.")
        return cleaned


class ProcedureLineInline(ParentKeyInline):
    """The Auth's procedure lines, editable: a new line's key is assigned on save; each write is stamped and leaves
    a history row; a line someone else changed since the page was read refuses the save (the Auth's version)."""

    model = AuthProcCodes
    form = ProcedureLineForm
    resource = AUTH_PROC_CODES
    parent_attname = "auth_number"
    field_docs = PROC_CODE_DOCS
    fields = (
        "procedure_code",
        "procedure_cluster",
        "modifier1",
        "modifier2",
        "modifier3",
        "modifier4",
        "units_requested",
        "units_approved",
        "units_actual",
        "exclude_modifier_match",
    )
    verbose_name = "procedure line"
    verbose_name_plural = "procedure lines"


DIAG_CODE_DOCS = {
    "diagnostic_code": FieldDoc(
        "The diagnosis (ICD) code. Fixed once saved: delete the row to change it.", label="Code"
    ),
    "diagnostic_code_type": FieldDoc(
        "Which ICD version the code belongs to (e.g. ICD10). Fixed once saved.", label="ICD version"
    ),
    "primary_diag": FieldDoc("Y for the primary diagnosis (one per Auth).", label="Primary", choices=YES_NO),
    "disable_provider_match": FieldDoc(
        "When set, claims need not match the provider to apply the Auth.", label="No provider match"
    ),
    "disable_diag_code_match": FieldDoc(
        "When set, claims need not carry this diagnosis to apply the Auth.", label="No diagnosis match"
    ),
}


class DiagnosisForm(StrictModelForm):
    """A diagnosis row: its code and ICD version are its key (VBA's), fixed once saved."""

    KEY = ("diagnostic_code", "diagnostic_code_type")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            for name in self.KEY:
                if name in self.fields:
                    self.fields[name].disabled = True


class DiagnosisFormSet(ParentKeyFormSet):
    def clean(self) -> None:
        """One row per code and ICD version (the table's key): a second one is an error naming it, not a 500."""
        super().clean()
        seen: set[tuple[str, str]] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not all(data.get(name) for name in DiagnosisForm.KEY):
                continue
            key = (data["diagnostic_code"], data["diagnostic_code_type"])
            if key in seen:
                form.add_error("diagnostic_code", f"{key[0]} ({key[1]}) is already a diagnosis of this Auth")
            seen.add(key)
        primary = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("primary_diag") == "Y"
        ]
        if len(primary) > 1 and any(form.has_changed() for form in primary):  # two stored by the API: kept as they are
            first = primary[0].cleaned_data.get("diagnostic_code") or "another row"
            for form in primary[1:]:
                form.add_error("primary_diag", f"Only one diagnosis is primary; {first} already is: set this one to N.")


class DiagnosisInline(CodedFieldsMixin, ParentKeyInline):
    """The Auth's diagnoses, editable: code and ICD version are the row's key (fixed once saved); each write is
    stamped and leaves a history row; a row someone else changed since the page was read refuses the save. A new
    row's code and ICD version offer those in use and refuse a fork (config.admin.codes: "i50.9" beside "I50.9",
    "ICD-10" beside "ICD10"); a final S is part of an ICD code (S72.001S is not S72.001), so no plural rule."""

    model = AuthDiagCodes
    form = DiagnosisForm
    formset = DiagnosisFormSet
    resource = AUTH_DIAG_CODES
    parent_attname = "auth_number"
    keys_from_sequence = False  # the key is the code and ICD version (AuthDiagCodes.save)
    field_docs = DIAG_CODE_DOCS
    coded_fields = ("diagnostic_code", "diagnostic_code_type")
    coded_plurals = False
    fields = (
        "diagnostic_code",
        "diagnostic_code_type",
        "primary_diag",
        "disable_provider_match",
        "disable_diag_code_match",
    )
    verbose_name = "diagnosis"
    verbose_name_plural = "diagnoses"


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "auth_action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*((letter, action_name(letter)) for letter in AUTH_ACTIONS), ("none", "No action")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(auth_action__isnull=True)
        return queryset.filter(auth_action=value) if value else queryset


class AuthCodeForm(StrictModelForm):
    """A decision code: one that denies (action D or R) must say why. Its description is the denial's specific
    reason (CMS-0057-F), which the Decide control keeps in the history; the API keeps decision 17's rules."""

    def clean(self) -> Any:
        cleaned = super().clean()
        action = (cleaned or {}).get("auth_action")
        if action in DENIAL_ACTIONS and not ((cleaned or {}).get("description") or "").strip():
            self.add_error(
                "description",
                f"Description: a code with the action {action} – {action_name(action)} needs its reason here "
                "(the specific reason every denial must give).",
            )
        return cleaned


@register_vba(AuthCode)
class AuthCodeAdmin(CodedFieldsMixin, VBAModelAdmin):
    """The payer's decision codes: the action is picked from VBA's five (shown with their words); the code's key and
    action follow the API's rules (``AUTH_CODE``: the model's validators and the table's check). A new code may not
    differ from an existing one only by case, spaces or punctuation (config.admin.codes: "appr" beside "APPR")."""

    resource = AUTH_CODE
    form = AuthCodeForm
    coded_fields = ("auth_code",)
    coded_plurals = False  # a code, not words: "PENDS" is not "PEND"
    field_docs = {
        "auth_code": FieldDoc("The decision code (up to 8 characters, no '/')."),
        "auth_action": FieldDoc(
            "What deciding an Auth with this code does to its status; a code without an action cannot decide.",
            label="Action",
            choices=ACTION_CHOICES,
        ),
        "description": FieldDoc(
            "The code's meaning, shown to people; for a denial (action D or R), the specific reason: required."
        ),
    }
    list_display = ("auth_code", "action", "description")
    list_filter = (ActionFilter,)
    search_fields = ("auth_code", "description")
    search_help_text = "Code or description (contains)."
    fieldsets = (
        ("Decision code", {"fields": ("auth_code", "auth_action", "description")}),
        ("Audit", {"fields": (("entry_date", "entry_user"), ("update_date", "update_user"))}),
    )

    def deletion_refused(self, keys: list[Any]) -> Any:
        """A code that Auths are decided with is not deleted: the page names them instead."""
        return auth_code_use_problem(keys)

    @admin.display(description="action", ordering="auth_action")
    def action(self, obj: AuthCode) -> str:
        word = action_name(obj.auth_action)
        return f"{obj.auth_action} – {word}" if obj.auth_action in AUTH_ACTIONS else word


@register_vba(Auth)
class AuthAdmin(MemberRecordsMixin, CodedFieldsMixin, ExportAdminMixin, IndexedSearchMixin, VBAModelAdmin):
    resource = AUTH
    export_name = "auths"
    export_columns = list(AUTH.spec.json_names.values())
    actions = EXPORT_ACTIONS
    field_docs = column_docs(Auth, AUTH_COLUMNS, {name: YES_NO for name in FLAGS})
    # Codes without forks (issue 24, config.admin.codes): the short code columns offer the values in use in the
    # database and refuse a fork ("inpt" beside "INPT"). The decision's status and code are read-only.
    coded_fields = (
        "auth_type",
        "treatment_type",
        "service_type",
        "service_code",
        "unit_type",
        "requested_location",
        "approved_location",
        "actual_location",
        "requested_frequency",
        "approved_frequency",
    )
    # What a person scans first; everything else is in the form.
    list_display = (
        "auth_number",
        "member",
        "status",
        "auth_type",
        "received",
        "due",
        "time_left",
        "assigned_user",
        "approved_period",
        "visits",
        "urgent",
    )
    # At a million rows every query of the changelist must be answered by an index: the value filters list their
    # values by a loose index scan, the search matches exactly or by prefix (IndexedSearchMixin), the unfiltered
    # count is the planner's estimate (EstimatedCountPaginator), and facet counts (which count every row) are off.
    # The queue (issue 23, authorizations.vba.queue): the decision clock, several statuses, urgency, assignee and
    # received date; each answered by an index (migration 0014's partial indexes of the running Auths).
    list_filter = (
        queue.ClockFilter,
        queue.StatusesFilter,
        ("status", IndexedValuesListFilter),
        queue.UrgencyFilter,
        queue.AssignedToMeFilter,
        ("assigned_user", queue.AssigneeFilter),
        ("received_date", admin.DateFieldListFilter),
        ("auth_type", IndexedValuesListFilter),
        "urgent",
        "closed",
    )
    search_fields = ("=auth_number", "^subscriber_id", "^provider_id", "=case_number")
    search_help_text = (
        "Auth number or case number (exact), subscriber or provider ID (starts with), or a member as the list shows "
        "it (109111276-01 or 109111276 01); as typed or in capitals."
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
    #: Written only by a decision (the Decide control: ``auth_process_status``, decision 17), never typed.
    readonly_fields = (*AUDIT_FIELDS, *DECISION_FIELDS)
    inlines = [ProcedureLineInline, DiagnosisInline]
    #: Its history page lists the changes of its lines, diagnoses and reviews too (config.admin.history).
    history_children = (
        (AuthProcCodes, "auth_number", "Procedure line", ("procedure_code",)),
        (AuthDiagCodes, "auth_number", "Diagnosis", ("diagnostic_code", "diagnostic_code_type")),
        (AuthReview, "auth_number", "Review"),
    )
    change_form_template = "admin/authorizations/auth/change_form.html"  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """No form writes a decision (decision 17: the Decide control is the one way): a new Auth waits for one, in
        the queue of pended Auths with no decision stamps; a save or a revert from the history keeps the decision the
        Auth has (a revert restores the other fields of the older version, never its status)."""
        if not change:
            obj.status, obj.auth_code, obj.approved_by, obj.approved_date = NEW_AUTH_STATUS, None, None, None
        else:
            stored = type(obj).objects.filter(pk=obj.pk).values(*DECISION_FIELDS).first() or {}
            if getattr(request, "_reverting", False) and any(getattr(obj, n) != v for n, v in stored.items()):
                self.message_user(
                    request,
                    "The version's decision (status, auth code, approved by and date) is not restored by a revert: "
                    "a decision is made only with Decide.",
                    messages.WARNING,
                )
            for name, value in stored.items():
                setattr(obj, name, value)
        super().save_model(request, obj, form, change)

    # -- the reviewer's page: decide, add a review ---------------------------------------------------------

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("metrics/", wrap(self.metrics_view), name="{}_{}_metrics".format(*info)),
            path("<path:object_id>/decide/", wrap(self.decide_view), name="{}_{}_decide".format(*info)),
            path("<path:object_id>/add-review/", wrap(self.add_review_view), name="{}_{}_add_review".format(*info)),
            path("<path:object_id>/adjust/", wrap(self.adjust_view), name="{}_{}_adjust".format(*info)),
            *super().get_urls(),
        ]

    def metrics_view(self, request: HttpRequest) -> HttpResponse:
        """The prior-authorization metrics of one year (decision 19) in this database: the rows and figures of
        :func:`~authorizations.vba.metrics.pa_metrics`, as ``report_pa_metrics`` prints them; the year is chosen
        from a select (the current year by default). A year that is not a number in range is said so (400)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        database = self.admin_site.database  # type: ignore[attr-defined]
        this_year = timezone.localdate().year
        asked = request.GET.get("year", "").strip() or str(this_year)
        year, error = None, None
        try:
            year = metrics.parse_year(asked)
        except ValueError as refused:
            error = str(refused)
        years = sorted({*range(this_year, this_year - 10, -1), *([year] if year else [])}, reverse=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Prior-authorization metrics",
            "subtitle": None,
            "years": years,
            "year": year,
            "error": error,
        }
        if year is not None:
            rows = metrics.pa_metrics(database=database, year=year)
            context["table_title"] = metrics.table_title(database, year)
            context["headings"] = [metrics.HEADINGS[f] for f in metrics.FIELDS]
            context["rows"] = [[metrics.cell(v) for v in row.as_dict().values()] for row in rows]
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/authorizations/auth/pa_metrics.html", context, status=200 if error is None else 400
        )

    def _url(self, name: str, key: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=(quote(key),),
            current_app=self.admin_site.name,
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False, change: bool = False,
        form_url: str = "", obj: Any = None,
    ) -> Any:  # fmt: skip
        if change and obj is not None and obj.pk is not None:
            writable = self.has_change_permission(request, obj)
            context.setdefault("decide_form", DecideForm(prefix="decide") if writable else None)
            context.setdefault("review_form", ReviewForm(prefix="review") if writable else None)
            context.setdefault("adjust_form", AdjustForm(prefix="adjust") if writable else None)
            context["decide_url"] = self._url("decide", obj.pk)
            context["review_url"] = self._url("add_review", obj.pk)
            context["adjust_url"] = self._url("adjust", obj.pk)
            context["adjusts"] = self.adjusts(obj)
            context["adjusted_by"] = self.adjusted_by(obj)
            context["original_period"] = f"{day(obj.approved_from)} – {day(obj.approved_thru)}"
            context["decision"] = decision_of(obj)
            context["reviews_table"] = self.reviews(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _page_again(self, request: HttpRequest, object_id: str, status: int, **forms: Any) -> HttpResponse:
        """The Auth's page again, with the decide or review form as posted (its errors shown), answering ``status``."""
        request.method = "GET"
        response = self.change_view(request, object_id, extra_context=forms)
        response.status_code = status
        return response

    def _writable(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Decide the Auth with a decision code (``auth_process_status``, decision 17), and, with a comment, add a
        review saying why, in one transaction. The page's version must be the Auth's (as for a save): otherwise
        nothing is done and the page is shown again (409) with what changed meanwhile and the choice kept."""
        obj = self._writable(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", obj.pk))
        form = DecideForm(request.POST, prefix="decide")
        if not form.is_valid():
            return self._page_again(request, object_id, 400, decide_form=form)
        code, comment = form.cleaned_data["auth_code"], form.cleaned_data["review_comment"]
        try:
            with transaction.atomic(using=self.record_database()):
                check = self.check_version(request, object_id, "decided")
                if check is None:
                    return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
                if check.conflict is not None:
                    check.conflict.advice = (
                        "Your choice is still in the Decide form. Check the changes, then confirm again to decide "
                        "over them, or reload the page to discard it."
                    )
                    form.add_error(None, f"{check.conflict.headline} Nothing was decided: see the changes below.")
                    return self._page_again(request, object_id, 409, decide_form=form)
                before = Auth.objects.filter(pk=obj.pk).values_list("status", "auth_code").first()
                auth = auth_process_status(auth_number=obj.pk, code=code, user=request.user)
                if comment:
                    add_review(obj.pk, request.user, review_Comment=comment, review_Status=auth.status)
        except exceptions.APIException as error:
            form.add_error(None, problem_text(error))
            return self._page_again(request, object_id, 400, decide_form=form)
        decision = AuthCode.objects.get(pk=code)
        name = f"{code} – {decision.description}" if decision.description else code
        if before == (auth.status, auth.auth_code):
            message = f"Auth {obj.pk} already had the decision {name} ({auth.status}): nothing changed."
        else:
            message = f"Auth {obj.pk} decided: {name} ({auth.status})."
        if comment:
            message += " Your comment was added as a review."
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(self._url("change", obj.pk))

    def add_review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add one review to the Auth (the ``AUTH_REVIEW`` resource: a new row with the next key; reviewer and date
        are the signed-in user and now, decision 17). Reviews are only added here, never edited: nothing can be
        overwritten, so no version is needed."""
        obj = self._writable(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", obj.pk))
        form = ReviewForm(request.POST, prefix="review")
        if not form.is_valid():
            return self._page_again(request, object_id, 400, review_form=form)
        try:
            review = add_review(obj.pk, request.user, **form.review_fields())
        except exceptions.APIException as error:
            form.add_error(None, problem_text(error))
            return self._page_again(request, object_id, 400, review_form=form)
        self.message_user(request, f"Review {review.pk} was added to Auth {obj.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(self._url("change", obj.pk))

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Adjust the Auth (``auth_adjust``, decision 20): a new Auth under the next number copying this one, with
        the new approval period and the lines and diagnoses asked for; then the new Auth's page. The page's version
        must be the Auth's (as for a decision): otherwise nothing is written and the page is shown again (409) with
        what changed meanwhile and the adjustment kept. A refusal of the service is shown on the page (400)."""
        obj = self._writable(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", obj.pk))
        form = AdjustForm(request.POST, prefix="adjust")
        if not form.is_valid():
            return self._page_again(request, object_id, 400, adjust_form=form)
        try:
            with transaction.atomic(using=self.record_database()):
                check = self.check_version(request, object_id, "adjusted")
                if check is None:
                    return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
                if check.conflict is not None:
                    check.conflict.advice = (
                        "Your adjustment is still in the Adjust form. Check the changes, then adjust again, or "
                        "reload the page to discard it."
                    )
                    form.add_error(None, f"{check.conflict.headline} Nothing was adjusted: see the changes below.")
                    return self._page_again(request, object_id, 409, adjust_form=form)
                new = auth_adjust(auth_number=obj.pk, adjustment=form.adjustment(obj.pk), user=request.user)
        except exceptions.APIException as error:
            form.add_error(None, problem_text(error))
            return self._page_again(request, object_id, 400, adjust_form=form)
        self.message_user(request, f"Auth {new.pk} adjusts Auth {obj.pk}.", messages.SUCCESS)
        return HttpResponseRedirect(self._url("change", new.pk))

    def adjusts(self, obj: Auth) -> Any:
        """The Auth this one adjusts (its ``prior_auth``): a link to its page, or its number if it is not here."""
        if not obj.prior_auth:
            return None
        if Auth.objects.filter(pk=obj.prior_auth).exists():
            return format_html('<a href="{}">{}</a>', self._url("change", obj.prior_auth), obj.prior_auth)
        return format_html("{} (not in this database)", obj.prior_auth)

    def adjusted_by(self, obj: Auth) -> list[Any]:
        """Links to the Auths adjusting this one (their ``prior_auth`` is its number; read by the index of
        ``prior_auth``, unordered in SQL so no other index is tempting), at most ``CHILDREN_SHOWN``."""
        numbers = sorted(
            Auth.objects.filter(prior_auth=obj.pk).order_by().values_list("auth_number", flat=True)[:CHILDREN_SHOWN]
        )
        return [format_html('<a href="{}">{}</a>', self._url("change", number), number) for number in numbers]

    def reviews(self, obj: Auth) -> Any:
        """The Auth's reviews, newest first (at most ``CHILDREN_SHOWN``)."""
        found = AuthReview.objects.filter(auth_number=obj.pk).order_by(
            F("review_date").desc(nulls_last=True), "-auth_review_key"
        )[:CHILDREN_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.pk,
                    moment(r.review_date),
                    r.review_user or "",
                    " / ".join(v for v in (r.review_level, r.review_status, r.review_type) if v),
                    " / ".join(v for v in (r.review_severity, r.review_urgency_type) if v),
                    r.review_comment or "",
                )
                for r in found
            ),
        )
        if not rows:
            return mark_safe('<p id="no-reviews">No reviews yet.</p>')
        heads = ("key", "date", "by", "level / status / type", "severity / urgency", "comment")
        shown = table(heads, rows, table_id="auth-reviews")
        total = AuthReview.objects.filter(auth_number=obj.pk).count() if len(found) == CHILDREN_SHOWN else len(found)
        if total <= CHILDREN_SHOWN:
            return shown
        return format_html(
            '{}<p id="more-reviews">The newest {} of {} reviews: <a href="{}">all {} reviews of Auth {}</a></p>',
            shown,
            CHILDREN_SHOWN,
            total,
            review_list_url(self.admin_site, obj.pk),
            total,
            obj.pk,
        )

    def deletion_refused(self, keys: list[Any]) -> Any:
        """An Auth that still has procedure lines, diagnoses or reviews (decision 15: never a cascade): how many."""
        return auth_children_problem(keys)

    def export_text(self, queryset: QuerySet, fmt: str) -> RecordText:
        return vba_text(AUTH.spec, queryset, fmt, self.export_chunk_size)

    # -- the queue (issue 23) ----------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(due_time=clock.due_time_expression())

    def get_paginator(self, request: HttpRequest, queryset: QuerySet, per_page: int, *args: Any, **kwargs: Any) -> Any:
        direction = queue.due_direction(queryset)
        if direction is not None:  # sorted by due time: a merge of index-ordered lists (queue.DueOrderedRows)
            return queue.DueOrderPaginator(queue.DueOrderedRows(queryset, direction), per_page, *args, **kwargs)
        return super().get_paginator(request, queryset, per_page, *args, **kwargs)

    @admin.display(description="received", ordering="received_date")
    def received(self, obj: Auth) -> str:
        return moment(obj.received_date) if obj.received_date else "–"

    @admin.display(description="due", ordering="due_time")
    def due(self, obj: Auth) -> str:
        due = clock.due_time(obj)
        return moment(due) if due else "–"

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """The page's decided Auths show their decision time as decision 18 defines it (to their first decision, read
        from their history in one query), as ``report_pa_metrics`` counts it."""
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            rows = list(changelist.result_list)  # the page's rows, read once: the template shows these objects
            first = clock.first_decisions([row.pk for row in rows if clock.is_decided(row)])
            for row in rows:
                row._decided_at = first.get(row.pk)
        return response

    @admin.display(description="time left")
    def time_left(self, obj: Auth) -> str:
        if hasattr(obj, "_decided_at"):  # read for the whole page by changelist_view
            return queue.time_left(obj, obj._decided_at)
        return queue.time_left(obj, clock.decision_instant(obj) if clock.is_decided(obj) else None)

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
