"""Spry's ``Authorization`` (soap-enrichment API) with its payer registry, ICD codes and CPT code limits.

These tables live in the ``default`` database (they are not VBA tenant models). Every write leaves history:
``Authorization``, ``Payer`` and both child lists have simple-history tables, and a list replacement also leaves a
history row on its authorization (with a change reason naming the replaced lists).

Maximum lengths are the API's limits too (``authorizations.spry.api.serializers`` reads them from here).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings
from simple_history.models import HistoricalRecords

#: Longest ``comments`` text accepted (a TextField; the limit is the API's and the admin form's).
COMMENTS_MAX_LENGTH = 4000
#: Most items accepted in ``icd_codes`` or ``cpt_code_authorization_details``.
LIST_MAX_ITEMS = 200


class UpdatedAtField(models.DateTimeField):
    """``auto_now``, except on an instance whose ``keep_updated_at`` is set: a staff import keeping the value its
    file holds (decisions.md 9)."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if getattr(model_instance, "keep_updated_at", False):
            return getattr(model_instance, self.attname)
        return super().pre_save(model_instance, add)


def new_authorization_id() -> str:
    """``auth_`` + 24 lowercase hex digits (decisions.md Spry 9)."""
    return f"auth_{secrets.token_hex(12)}"


class AuthorizationStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"
    EXPIRED = "EXPIRED", "Expired"


class Payer(models.Model):
    """Spry's shared payer registry, keyed by Spry's ``payer_reg_id`` (shared by every organisation)."""

    payer_reg_id = models.BigIntegerField(primary_key=True, verbose_name="payer registry id")
    name = models.CharField(max_length=255, null=True, blank=True)
    payer_id = models.CharField(max_length=50, null=True, blank=True, verbose_name="EDI payer id")
    payer_type = models.CharField(max_length=50, null=True, blank=True, help_text="COMMERCIAL, MEDICARE, MEDICAID...")
    payer_state = models.CharField(max_length=10, null=True, blank=True, help_text="State code, e.g. UT")
    history = HistoricalRecords(table_name="spry_payer_history")

    class Meta:
        db_table = "spry_payer"
        ordering = ["name", "payer_reg_id"]

    def __str__(self) -> str:
        return f"{self.name or 'Payer'} ({self.payer_reg_id})"


class Authorization(models.Model):
    """A payer's authorization of visits for one Spry patient case."""

    authorization_id = models.CharField(primary_key=True, max_length=64, default=new_authorization_id, editable=False)
    authorization_reference_number = models.CharField(max_length=100, db_index=True)
    spry_case_id = models.CharField(max_length=100, db_index=True, verbose_name="Spry case id")
    case_title = models.CharField(max_length=255, null=True, blank=True)
    plan_start_date = models.DateTimeField(null=True, blank=True)
    plan_end_date = models.DateTimeField(null=True, blank=True)
    effective_start_date = models.DateTimeField(null=True, blank=True)
    effective_end_date = models.DateTimeField(null=True, blank=True, db_index=True)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="authorizations", verbose_name="payer"
    )
    authorized_visit_count = models.PositiveIntegerField(null=True, blank=True)
    current_visit_count = models.PositiveIntegerField(default=0)
    previous_consumed_visit_count = models.PositiveIntegerField(default=0)
    phone_number = models.CharField(max_length=32, null=True, blank=True)
    fax_number = models.CharField(max_length=32, null=True, blank=True)
    comments = models.TextField(max_length=COMMENTS_MAX_LENGTH, null=True, blank=True)
    authorization_status = models.CharField(
        max_length=8, choices=AuthorizationStatus.choices, default=AuthorizationStatus.ACTIVE, db_index=True
    )
    patient_id = models.BigIntegerField(null=True, blank=True)
    patient_name = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    organisation_id = models.BigIntegerField(db_index=True)
    clinic_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = UpdatedAtField(auto_now=True)
    history = HistoricalRecords(table_name="spry_authorization_history")

    class Meta:
        db_table = "spry_authorization"
        ordering = ["created_at", "authorization_id"]
        indexes = [models.Index(fields=["organisation_id", "spry_case_id"], name="spry_auth_org_case")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_start_date__isnull=True)
                | Q(effective_end_date__isnull=True)
                | Q(effective_end_date__gte=F("effective_start_date")),
                name="spry_auth_effective_period",
            ),
            models.CheckConstraint(
                condition=Q(plan_start_date__isnull=True)
                | Q(plan_end_date__isnull=True)
                | Q(plan_end_date__gte=F("plan_start_date")),
                name="spry_auth_plan_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authorization_id} ({self.authorization_reference_number})"

    @property
    def final_consumed_visit_count(self) -> int:
        """Visits used: this period's plus prior periods' (computed, never stored)."""
        return (self.current_visit_count or 0) + (self.previous_consumed_visit_count or 0)

    @property
    def visits_left(self) -> int | None:
        if self.authorized_visit_count is None:
            return None
        return self.authorized_visit_count - self.final_consumed_visit_count

    def period_errors(self) -> dict[str, list[str]]:
        """The rules that span fields (decisions.md Spry 7), as ``{field: [messages]}``."""
        errors: dict[str, list[str]] = {}
        pairs = (("effective_start_date", "effective_end_date"), ("plan_start_date", "plan_end_date"))
        for start_name, end_name in pairs:
            start, end = getattr(self, start_name), getattr(self, end_name)
            if start is not None and end is not None and end < start:
                errors[end_name] = [f"must be on or after {start_name}"]
        return errors

    def clean(self) -> None:
        super().clean()
        if errors := self.period_errors():
            raise ValidationError(errors)


class AuthorizationIcdCode(models.Model):
    """One ICD code of an authorization, stored as sent; ``position`` keeps the order of the list."""

    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="icd_codes")
    position = models.PositiveSmallIntegerField(default=0)
    icd_id = models.BigIntegerField(verbose_name="ICD id", help_text="Spry's id of the ICD code")
    code = models.CharField(max_length=20, null=True, blank=True)
    description = models.CharField(max_length=500, null=True, blank=True)
    revision = models.CharField(max_length=20, null=True, blank=True, help_text="e.g. ICD10")
    history = HistoricalRecords(table_name="spry_authorization_icd_code_history")

    class Meta:
        db_table = "spry_authorization_icd_code"
        ordering = ["authorization", "position", "id"]
        verbose_name = "ICD code"

    def __str__(self) -> str:
        return f"{self.code or self.icd_id}"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.icd_id, "code": self.code, "description": self.description, "revision": self.revision}


class AuthorizationCptCode(models.Model):
    """One CPT code limit of an authorization (decisions.md Spry 3); ``position`` keeps the order of the list."""

    authorization = models.ForeignKey(
        Authorization, on_delete=models.CASCADE, related_name="cpt_code_authorization_details"
    )
    position = models.PositiveSmallIntegerField(default=0)
    cpt_code = models.CharField(max_length=10, verbose_name="CPT code")
    description = models.CharField(max_length=500, null=True, blank=True)
    units_requested = models.PositiveIntegerField(null=True, blank=True)
    units_approved = models.PositiveIntegerField(null=True, blank=True)
    history = HistoricalRecords(table_name="spry_authorization_cpt_code_history")

    class Meta:
        db_table = "spry_authorization_cpt_code"
        ordering = ["authorization", "position", "id"]
        verbose_name = "CPT code authorization detail"

    def __str__(self) -> str:
        return self.cpt_code

    def as_json(self) -> dict[str, Any]:
        return {
            "cpt_code": self.cpt_code,
            "description": self.description,
            "units_requested": self.units_requested,
            "units_approved": self.units_approved,
        }


class SpryClient(models.Model):
    """Binds an OAuth application (client credentials) to one Spry organisation and its clinics."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="spry_client"
    )
    organisation_id = models.BigIntegerField(db_index=True)
    clinic_ids = models.JSONField(default=list, blank=True, help_text="Clinic ids reported in clinic_id_list.")

    class Meta:
        db_table = "spry_client"
        verbose_name = "Spry API client"

    def __str__(self) -> str:
        return f"{self.application} (organisation {self.organisation_id})"
