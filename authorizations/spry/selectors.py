"""Reads of Spry Authorizations. Every API read is scoped to one organisation (decisions.md Spry 2)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
)


def authorization_queryset(*, organisation_id: int | None = None) -> QuerySet[Authorization]:
    """Authorizations with their payer and both lists loaded (three queries for any number of rows), oldest first."""
    queryset = with_lists(Authorization.objects.all())
    if organisation_id is not None:
        queryset = queryset.filter(organisation_id=organisation_id)
    return queryset.order_by("created_at", "authorization_id")


def with_lists(queryset: QuerySet[Authorization]) -> QuerySet[Authorization]:
    """``queryset`` with each authorization's payer and ICD and CPT lists loaded (in their order) as the API renders
    them: three queries for any number of rows (per chunk of ``iterator(chunk_size=…)``)."""
    return queryset.select_related("payer").prefetch_related(
        Prefetch("icd_codes", queryset=AuthorizationIcdCode.objects.order_by("position", "id")),
        Prefetch("cpt_code_authorization_details", queryset=AuthorizationCptCode.objects.order_by("position", "id")),
    )


def authorization_get(*, organisation_id: int, authorization_id: str) -> Authorization | None:
    """The organisation's authorization, or ``None`` (for another organisation's id too)."""
    return authorization_queryset(organisation_id=organisation_id).filter(authorization_id=authorization_id).first()


def case_is_known(*, organisation_id: int, spry_case_id: str) -> bool:
    """Whether the organisation ever had an authorization for this case (its history remembers deleted ones)."""
    if Authorization.objects.filter(organisation_id=organisation_id, spry_case_id=spry_case_id).exists():
        return True
    history = Authorization.history.model  # type: ignore[attr-defined]
    return bool(history.objects.filter(organisation_id=organisation_id, spry_case_id=spry_case_id).exists())


def authorizations_for_case(*, organisation_id: int, spry_case_id: str) -> list[Authorization] | None:
    """The case's authorizations, oldest first; ``[]`` for a case whose authorizations were all deleted and
    ``None`` for a case this organisation never had."""
    rows = list(authorization_queryset(organisation_id=organisation_id).filter(spry_case_id=spry_case_id))
    if rows or case_is_known(organisation_id=organisation_id, spry_case_id=spry_case_id):
        return rows
    return None


def authorization_search(
    *,
    organisation_id: int,
    patient_name: str | None = None,
    authorization_reference_number: str | None = None,
) -> list[Authorization]:
    """Filters combine with AND: ``patient_name`` is a case-insensitive substring, the reference number exact."""
    queryset = authorization_queryset(organisation_id=organisation_id)
    if patient_name:
        queryset = queryset.filter(patient_name__icontains=patient_name)
    if authorization_reference_number:
        queryset = queryset.filter(authorization_reference_number=authorization_reference_number)
    return list(queryset)


def authorizations_due_to_expire(*, now: dt.datetime | None = None) -> QuerySet[Authorization]:
    """ACTIVE authorizations whose effective end date has passed (decisions.md Spry 8)."""
    return Authorization.objects.filter(
        authorization_status=AuthorizationStatus.ACTIVE,
        effective_end_date__lt=now or timezone.now(),
    ).order_by("effective_end_date", "authorization_id")
