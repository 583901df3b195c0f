"""VBA's ``Auth`` table (a payer's prior authorization), column for column.

Attribute names are snake_case; ``db_column`` is VBA's column; the JSON name is the column put through .NET's
camel-casing (:func:`config.records.specs.vba_json_name`), so the three are declared once, here.
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models.functions import Length

from config.records.fields import MoneyField, VBAHistoricalRecords


def segment_problem(value: str, unaddressable: str) -> str | None:
    """Why ``value`` cannot be one segment of a path once stored, or None: never empty, no ``/`` (a path separator
    even when sent as ``%2F``), not a dot segment. ``unaddressable`` says what could then not be addressed."""
    if not value.strip():
        return "may not be empty"
    if "/" in value:
        return f"may not contain '/': {unaddressable}"
    if value in (".", ".."):
        return f"may not be {value!r}: {unaddressable}"
    return None


def auth_number_problem(value: str) -> str | None:
    """Why ``value`` cannot be an Auth's number (addressed as ``/auths/{authNumber}``), or None."""
    return segment_problem(value, "the Auth could not be addressed as /auths/{authNumber}")


def validate_auth_number(value: str) -> None:
    problem = auth_number_problem(value)
    if problem:
        raise ValidationError(f"Auth number {problem}")


#: The statuses that stop the decision clock (decision 18): decided, or voided. ``clock.CLOCK_STOPPED`` is the same
#: tuple; the partial index of the running Auths is written with it, so the queue's filters match its predicate.
CLOCK_STOPPED_STATUSES = ("APPROVED", "DENIED", "PARTIAL", "VOIDED")


class Auth(models.Model):
    auth_number = models.CharField(
        primary_key=True, max_length=20, db_column="Auth_Number", validators=[validate_auth_number]
    )
    actual_from = models.DateTimeField(null=True, blank=True, db_column="Actual_From")
    actual_location = models.CharField(max_length=4, null=True, blank=True, db_column="Actual_Location")
    actual_thru = models.DateTimeField(null=True, blank=True, db_column="Actual_Thru")
    additional_visits = MoneyField(null=True, blank=True, db_column="Additional_Visits")
    amount_actual = MoneyField(null=True, blank=True, db_column="Amount_Actual")
    amount_approved = MoneyField(null=True, blank=True, db_column="Amount_Approved")
    amount_denied = MoneyField(null=True, blank=True, db_column="Amount_Denied")
    amount_requested = MoneyField(null=True, blank=True, db_column="Amount_Requested")
    approved_by = models.CharField(max_length=50, null=True, blank=True, db_column="Approved_By")
    approved_date = models.DateTimeField(null=True, blank=True, db_column="Approved_Date", db_index=True)
    approved_frequency = models.CharField(max_length=16, null=True, blank=True, db_column="Approved_Frequency")
    approved_from = models.DateTimeField(null=True, blank=True, db_column="Approved_From")
    approved_location = models.CharField(max_length=4, null=True, blank=True, db_column="Approved_Location")
    approved_thru = models.DateTimeField(null=True, blank=True, db_column="Approved_Thru")
    assigned_user = models.CharField(max_length=20, null=True, blank=True, db_column="Assigned_User")
    audit_flag = models.CharField(max_length=1, null=True, blank=True, db_column="Audit_Flag")
    auth_code = models.CharField(max_length=8, null=True, blank=True, db_column="Auth_Code", db_index=True)
    auth_type = models.CharField(max_length=8, null=True, blank=True, db_column="Auth_Type", db_index=True)
    auto_accident = models.CharField(max_length=1, null=True, blank=True, db_column="Auto_Accident")
    body_code_id = models.CharField(max_length=8, null=True, blank=True, db_column="BodyCode_ID")
    care_manager_key = models.IntegerField(null=True, blank=True, db_column="CareManager_Key")
    case_index_actual = models.CharField(max_length=2, null=True, blank=True, db_column="Case_Index_Actual")
    case_index_approved = models.CharField(max_length=2, null=True, blank=True, db_column="Case_Index_Approved")
    case_index_denied = models.CharField(max_length=2, null=True, blank=True, db_column="Case_Index_Denied")
    case_index_requested = models.CharField(max_length=2, null=True, blank=True, db_column="Case_Index_Requested")
    case_number = models.CharField(max_length=64, null=True, blank=True, db_column="Case_Number", db_index=True)
    city_code_id = models.CharField(max_length=8, null=True, blank=True, db_column="CityCode_ID")
    closed = models.BooleanField(default=False, db_default=False, db_column="Closed")
    drg_category = models.CharField(max_length=8, null=True, blank=True, db_column="DRG_Category")
    drg_code = models.CharField(max_length=8, null=True, blank=True, db_column="DRG_Code")
    daily_living = models.IntegerField(null=True, blank=True, db_column="Daily_Living")
    denied_from = models.DateTimeField(null=True, blank=True, db_column="Denied_From")
    denied_thru = models.DateTimeField(null=True, blank=True, db_column="Denied_Thru")
    discharge_date = models.DateTimeField(null=True, blank=True, db_column="Discharge_Date")
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    federal_id = models.CharField(max_length=20, null=True, blank=True, db_column="Federal_ID")
    ivr_flag = models.CharField(max_length=1, null=True, blank=True, db_column="IVR_Flag")
    injury_date = models.DateTimeField(null=True, blank=True, db_column="Injury_Date")
    member_seq = models.CharField(max_length=2, null=True, blank=True, db_column="Member_Seq")
    monthly_amount = MoneyField(null=True, blank=True, db_column="Monthly_Amount")
    narrative = models.TextField(null=True, blank=True, db_column="Narrative")
    new_or_extended = models.BooleanField(default=False, db_default=False, db_column="New_Or_Extended")
    notes = models.TextField(null=True, blank=True, db_column="Notes")
    ordered_by_id = models.CharField(max_length=20, null=True, blank=True, db_column="Ordered_By_ID")
    ordered_by_name = models.CharField(max_length=512, null=True, blank=True, db_column="Ordered_By_Name")
    other_coverage_primary = models.CharField(max_length=1, null=True, blank=True, db_column="Other_Coverage_Primary")
    other_insurance = models.CharField(max_length=2, null=True, blank=True, db_column="Other_Insurance")
    payee_id = models.CharField(max_length=20, null=True, blank=True, db_column="Payee_ID")
    plan_id = models.CharField(max_length=20, null=True, blank=True, db_column="Plan_ID")
    previous_auth = models.CharField(max_length=20, null=True, blank=True, db_column="Previous_Auth")
    previous_treatment = models.BooleanField(default=False, db_default=False, db_column="Previous_Treatment")
    prior_auth = models.CharField(max_length=20, null=True, blank=True, db_column="Prior_Auth", db_index=True)
    provider_id = models.CharField(max_length=20, null=True, blank=True, db_column="Provider_ID", db_index=True)
    radiating_pain = models.IntegerField(null=True, blank=True, db_column="Radiating_Pain")
    range_of_motion = models.IntegerField(null=True, blank=True, db_column="Range_Of_Motion")
    received_date = models.DateTimeField(null=True, blank=True, db_column="Received_Date", db_index=True)
    referred_by_id = models.CharField(max_length=20, null=True, blank=True, db_column="Referred_By_ID")
    referred_by_name = models.CharField(max_length=512, null=True, blank=True, db_column="Referred_By_Name")
    region = models.CharField(max_length=1, null=True, blank=True, db_column="Region")
    reins_notification_date = models.DateTimeField(null=True, blank=True, db_column="ReinsNotification_Date")
    requested_frequency = models.CharField(max_length=16, null=True, blank=True, db_column="Requested_Frequency")
    requested_from = models.DateTimeField(null=True, blank=True, db_column="Requested_From")
    requested_location = models.CharField(max_length=4, null=True, blank=True, db_column="Requested_Location")
    requested_thru = models.DateTimeField(null=True, blank=True, db_column="Requested_Thru")
    service_code = models.CharField(max_length=5, null=True, blank=True, db_column="Service_Code")
    service_type = models.CharField(max_length=10, null=True, blank=True, db_column="Service_Type")
    status = models.CharField(max_length=8, null=True, blank=True, db_column="Status", db_index=True)
    subscriber_id = models.CharField(max_length=9, null=True, blank=True, db_column="Subscriber_ID", db_index=True)
    tplan_downloaded = models.BooleanField(default=False, db_default=False, db_column="TPlan_DownLoaded")
    tplan_downloaded_date = models.DateTimeField(null=True, blank=True, db_column="TPlan_DownLoaded_Date")
    tplan_downloaded_user = models.CharField(max_length=20, null=True, blank=True, db_column="TPlan_DownLoaded_User")
    tplan_printed = models.CharField(max_length=1, db_column="TPlan_Printed", help_text="Exactly one character.")
    tplan_printed_date = models.DateTimeField(null=True, blank=True, db_column="TPlan_Printed_Date")
    total_actual = MoneyField(null=True, blank=True, db_column="Total_Actual")
    total_approved = MoneyField(null=True, blank=True, db_column="Total_Approved")
    total_requested = MoneyField(null=True, blank=True, db_column="Total_Requested")
    total_unit_type = models.CharField(max_length=16, null=True, blank=True, db_column="Total_Unit_Type")
    treatment_type = models.CharField(max_length=8, null=True, blank=True, db_column="Treatment_Type")
    type_of_service = models.CharField(max_length=5, null=True, blank=True, db_column="Type_Of_Service")
    unit_type = models.CharField(max_length=16, null=True, blank=True, db_column="Unit_Type")
    units_actual = MoneyField(null=True, blank=True, db_column="Units_Actual")
    units_approved = MoneyField(null=True, blank=True, db_column="Units_Approved")
    units_denied = MoneyField(null=True, blank=True, db_column="Units_Denied")
    units_requested = MoneyField(null=True, blank=True, db_column="Units_Requested")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")
    urgent = models.BooleanField(default=False, db_default=False, db_column="Urgent")
    visits_actual = MoneyField(null=True, blank=True, db_column="Visits_Actual")
    visits_approved = MoneyField(null=True, blank=True, db_column="Visits_Approved")
    visits_requested = MoneyField(null=True, blank=True, db_column="Visits_Requested")
    visits_to_date = MoneyField(null=True, blank=True, db_column="Visits_To_Date")
    work_related = models.CharField(max_length=1, null=True, blank=True, db_column="Work_Related")

    history = VBAHistoricalRecords()

    class Meta:
        db_table = "Auth"
        ordering = ["auth_number"]
        indexes = [
            models.Index(fields=["subscriber_id", "member_seq"], name="auth_subscriber_member"),
            # The boolean filters of GET /auths and of the admin. Counting "open INPT auths" (closed, auth_type,
            # status) reads this index only; with status or auth_type alone their own indexes answer.
            models.Index(fields=["urgent"], name="auth_urgent"),
            models.Index(fields=["closed", "auth_type", "status"], name="auth_closed_type_status"),
            # The reviewer's queue (issue 23, authorizations.vba.queue). The running Auths (the decision clock's
            # running_q: received, neither decided nor voided) by window and receipt: "overdue" and "due today" are
            # written on received_Date per window, so each is two range scans of this small partial index.
            models.Index(
                fields=["urgent", "received_date"],
                name="auth_running_urgent_received",
                condition=models.Q(received_date__isnull=False) & ~models.Q(status__in=CLOCK_STOPPED_STATUSES),
            ),
            # Several statuses at once, sorted by receipt; an assignee's Auths (and the loose scan of assignees).
            models.Index(fields=["status", "received_date"], name="auth_status_received"),
            models.Index(fields=["assigned_user", "received_date"], name="auth_assigned_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.lookups.Exact(Length("tplan_printed"), 1), name="auth_tplan_printed_one_char"
            )
        ]

    def __str__(self) -> str:
        return f"Auth {self.auth_number}"


#: VBA's AuthAction list (vba-review.md): fixed and read-only. The letters are ours (VBA's are not public); the word
#: is the status an Auth takes when decided with a code of that action (decision 17).
AUTH_ACTIONS: dict[str, tuple[str, str]] = {
    "A": ("APPROVED", "Approved: the whole amount approved"),
    "D": ("DENIED", "Denied: the whole amount denied"),
    "P": ("PENDED", "Pended: held for review"),
    "V": ("VOIDED", "Voided: the Auth removed from use"),
    "R": ("PARTIAL", "Partial Approval: part of the amount approved"),
}


def auth_code_problem(value: str) -> str | None:
    """Why ``value`` cannot be an AuthCode's key, or None: it must be addressable as ``/auth-codes/{authCode}`` and
    ``/auths/{authNumber}/process-status/{newAuthCode}``."""
    return segment_problem(value, "the code could not be addressed in a path")


def auth_action_problem(value: str | None) -> str | None:
    if value is None or value in AUTH_ACTIONS:
        return None
    return f"must be one of {', '.join(AUTH_ACTIONS)} ({', '.join(w for w, _ in AUTH_ACTIONS.values())}), not {value!r}"


def validate_auth_code(value: str) -> None:
    problem = auth_code_problem(value)
    if problem:
        raise ValidationError(f"Auth code {problem}")


def validate_auth_action(value: str | None) -> None:
    problem = auth_action_problem(value)
    if problem:
        raise ValidationError(f"Auth action {problem}")


class AuthCode(models.Model):
    """VBA's ``AuthCode`` table: the payer's decision codes. The audit columns are stored (and kept in the history)
    but not part of VBA's ``AuthCode`` JSON, which has the three fields below only."""

    auth_code = models.CharField(
        primary_key=True,
        max_length=8,
        db_column="Auth_Code",
        validators=[MinLengthValidator(1), validate_auth_code],
    )
    auth_action = models.CharField(
        max_length=1, null=True, blank=True, db_column="Auth_Action", validators=[validate_auth_action]
    )
    description = models.CharField(max_length=64, null=True, blank=True, db_column="Description")
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")

    history = VBAHistoricalRecords()

    class Meta:
        db_table = "AuthCode"
        ordering = ["auth_code"]
        verbose_name = "auth code"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auth_action__isnull=True) | models.Q(auth_action__in=list(AUTH_ACTIONS)),
                name="authcode_auth_action_known",
            )
        ]

    def __str__(self) -> str:
        return f"Auth code {self.auth_code}" + (f": {self.description[:60]}" if self.description else "")


class AuthProcCodes(models.Model):
    """VBA's ``AuthProcCodes`` table: the procedure lines of an Auth (vba-review.md). ``AuthProcCodes_Key`` is an
    int32 the server assigns when 0 or omitted; ``Auth_Number`` names the Auth (checked by the writers; the Auth
    cannot be deleted while it has lines: decision 15). The audit columns are stored (and kept in the history) but
    not part of VBA's ``AuthProcCodes`` JSON."""

    auth_proc_codes_key = models.IntegerField(primary_key=True, db_column="AuthProcCodes_Key")
    auth_number = models.CharField(
        max_length=20, db_column="Auth_Number", validators=[MinLengthValidator(1)], verbose_name="auth number"
    )
    exclude_modifier_match = models.BooleanField(default=False, db_default=False, db_column="Exclude_Modifier_Match")
    modifier1 = models.CharField(max_length=8, null=True, blank=True, db_column="Modifier1")
    modifier2 = models.CharField(max_length=8, null=True, blank=True, db_column="Modifier2")
    modifier3 = models.CharField(max_length=8, null=True, blank=True, db_column="Modifier3")
    modifier4 = models.CharField(max_length=8, null=True, blank=True, db_column="Modifier4")
    procedure_cluster = models.CharField(max_length=32, null=True, blank=True, db_column="Procedure_Cluster")
    procedure_code = models.CharField(max_length=8, null=True, blank=True, db_column="Procedure_Code")
    units_actual = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, db_column="Units_Actual")
    units_approved = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, db_column="Units_Approved"
    )
    units_requested = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, db_column="Units_Requested"
    )
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")

    history = VBAHistoricalRecords(parent_key="auth_number")

    class Meta:
        db_table = "AuthProcCodes"
        ordering = ["auth_proc_codes_key"]
        verbose_name = "procedure line"
        indexes = [models.Index(fields=["auth_number", "auth_proc_codes_key"], name="authproccodes_auth_key")]

    def __str__(self) -> str:
        return f"Procedure line {self.auth_proc_codes_key} of Auth {self.auth_number}"


def diag_key(auth_number: str, diagnostic_code: str, diagnostic_code_type: str) -> str:
    """The one-column key of an AuthDiagCodes row: its three key columns as a JSON array (unambiguous whatever the
    values hold, and read back by :func:`diag_key_parts`)."""
    return json.dumps([auth_number, diagnostic_code, diagnostic_code_type], ensure_ascii=False, separators=(",", ":"))


def diag_key_parts(key: str) -> tuple[str, str, str]:
    auth_number, diagnostic_code, diagnostic_code_type = json.loads(key)
    return auth_number, diagnostic_code, diagnostic_code_type


def path_segment_problem(value: str) -> str | None:
    """Why ``value`` cannot be one segment of a path (a diagnosis code or ICD version in
    ``…/diagnostic-codes/{diagnosticCode}/diagnostic-code-types/{diagnosticCodeType}``), or None."""
    return segment_problem(value, "the diagnosis could not be addressed in a path")


def validate_path_segment(value: str) -> None:
    problem = path_segment_problem(value)
    if problem:
        raise ValidationError(f"The value {problem}")


class AuthDiagCodes(models.Model):
    """VBA's ``AuthDiagCodes`` table: the diagnoses an Auth covers (vba-review.md). VBA's key is ``Auth_Number`` +
    ``Diagnostic_Code`` + ``Diagnostic_Code_Type`` (unique together). The engine writes and serializes concurrent
    writers on one primary-key column, so the row's primary key, ``AuthDiagCodes_Key`` (ours, not part of VBA's JSON),
    is those three values as one text (:func:`diag_key`), set by :meth:`save` and by the writers; the key columns of a
    stored diagnosis never change (a PUT naming another code or ICD version is refused: decision 15). ``Auth_Number``
    names the Auth (checked by the writers; the Auth cannot be deleted while it has diagnoses)."""

    auth_diag_codes_key = models.CharField(primary_key=True, max_length=300, db_column="AuthDiagCodes_Key")
    auth_number = models.CharField(
        max_length=20, db_column="Auth_Number", validators=[MinLengthValidator(1)], verbose_name="auth number"
    )
    diagnostic_code = models.CharField(
        max_length=8, db_column="Diagnostic_Code", validators=[MinLengthValidator(1), validate_path_segment]
    )
    diagnostic_code_type = models.CharField(
        max_length=16, db_column="Diagnostic_Code_Type", validators=[MinLengthValidator(1), validate_path_segment]
    )
    disable_provider_match = models.BooleanField(default=False, db_default=False, db_column="Disable_Provider_Match")
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    primary_diag = models.CharField(max_length=1, null=True, blank=True, db_column="Primary_Diag")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")
    disable_diag_code_match = models.BooleanField(default=False, db_default=False, db_column="Disable_Diag_Code_Match")

    history = VBAHistoricalRecords(parent_key="auth_number")

    class Meta:
        db_table = "AuthDiagCodes"
        ordering = ["auth_number", "diagnostic_code", "diagnostic_code_type"]
        verbose_name = "diagnosis"
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["auth_number", "diagnostic_code", "diagnostic_code_type"], name="authdiagcodes_key"
            )
        ]

    def __str__(self) -> str:
        return f"Diagnosis {self.diagnostic_code} ({self.diagnostic_code_type}) of Auth {self.auth_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        key = diag_key(self.auth_number, self.diagnostic_code, self.diagnostic_code_type)
        if self._state.adding and not self.auth_diag_codes_key:
            self.auth_diag_codes_key = key
        elif self.auth_diag_codes_key != key:
            raise ValueError("A diagnosis's Auth, code and ICD version do not change: delete it and add another")
        super().save(*args, **kwargs)


class AuthReview(models.Model):
    """VBA's ``AuthReview`` table: one review of an Auth (append-style, vba-review.md). ``AuthReview_Key`` is an int32
    the server assigns when 0 or omitted; ``Auth_Number`` must name an existing Auth (checked by the writers; the
    Auth cannot be deleted while it has reviews: decision 15). ``Review_User``/``Review_Date`` are data, not audit
    (decision 17): kept as sent, the caller and now when null. The audit columns are stored (and kept in the
    history) but not part of VBA's ``AuthReview`` JSON."""

    auth_review_key = models.IntegerField(primary_key=True, db_column="AuthReview_Key")
    auth_number = models.CharField(
        max_length=20, db_column="Auth_Number", validators=[MinLengthValidator(1)], verbose_name="auth number"
    )
    review_comment = models.CharField(max_length=512, null=True, blank=True, db_column="Review_Comment")
    review_date = models.DateTimeField(null=True, blank=True, db_column="Review_Date")
    review_level = models.CharField(max_length=32, null=True, blank=True, db_column="Review_Level")
    review_severity = models.CharField(max_length=32, null=True, blank=True, db_column="Review_Severity")
    review_status = models.CharField(max_length=32, null=True, blank=True, db_column="Review_Status")
    review_type = models.CharField(max_length=32, null=True, blank=True, db_column="Review_Type")
    review_urgency_type = models.CharField(max_length=32, null=True, blank=True, db_column="Review_Urgency_Type")
    review_user = models.CharField(max_length=20, null=True, blank=True, db_column="Review_User")
    entry_date = models.DateTimeField(db_column="Entry_Date")
    entry_user = models.CharField(max_length=20, null=True, blank=True, db_column="Entry_User")
    update_date = models.DateTimeField(db_column="Update_Date", db_index=True)
    update_user = models.CharField(max_length=20, null=True, blank=True, db_column="Update_User")

    history = VBAHistoricalRecords(parent_key="auth_number")  # the Auth's history page reads it by Auth

    class Meta:
        db_table = "AuthReview"
        ordering = ["auth_review_key"]
        verbose_name = "auth review"
        indexes = [models.Index(fields=["auth_number", "auth_review_key"], name="authreview_auth_key")]

    def __str__(self) -> str:
        return f"Review {self.auth_review_key} of Auth {self.auth_number}"
