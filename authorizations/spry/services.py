"""Writes of Spry Authorizations, shared by the API, the admin and the management commands.

Each service is atomic and leaves history (simple-history rows on the authorization, its payer and its list rows;
``user`` becomes the history user and ``reason`` the change reason). Input is already type-checked (see
``authorizations.spry.api.serializers``); the services check the rules that need the stored record, on the record as
it would be after the change (decisions.md Spry 7), and raise Django's ``ValidationError({field: [messages]})``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model
from simple_history.utils import bulk_create_with_history

from authorizations.spry.models import (
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    AuthorizationStatus,
    Payer,
    SpryClient,
)
from config.records.dates import parse_datetime

#: Fields fixed after create (decisions.md Spry 10); an update may repeat their stored value but not change it.
FIXED_AFTER_CREATE = ("spry_case_id", "case_title", "patient_id", "patient_name", "organisation_id", "clinic_id")
LISTS = {"icd_codes": AuthorizationIcdCode, "cpt_code_authorization_details": AuthorizationCptCode}
REASON_MAX_LENGTH = 100


def _reason(text: str | None) -> str | None:
    return text[:REASON_MAX_LENGTH] if text else None


def _save(instance: Any, *, user: Any, reason: str | None) -> None:
    instance._history_user = user
    instance._change_reason = _reason(reason)
    instance.save()


def _delete(instance: Any, *, user: Any, reason: str | None) -> None:
    instance._history_user = user
    instance._change_reason = _reason(reason)
    instance.delete()


# -- payer registry --------------------------------------------------------------------------------------------


def payer_upsert(*, data: dict[str, Any], user: Any = None, reason: str | None = None) -> Payer:
    """The registry entry ``data["payer_reg_id"]``, created if new; the other keys sent overwrite its values."""
    payer = Payer.objects.select_for_update().filter(pk=data["payer_reg_id"]).first()
    created = payer is None
    if payer is None:
        payer = Payer(payer_reg_id=data["payer_reg_id"])
    changed = False
    for name in ("name", "payer_id", "payer_type", "payer_state"):
        if name in data and getattr(payer, name) != data[name]:
            setattr(payer, name, data[name])
            changed = True
    if created or changed:
        _save(payer, user=user, reason=reason)
    return payer


# -- lists -----------------------------------------------------------------------------------------------------


def _list_json(authorization: Authorization, name: str) -> list[dict[str, Any]]:
    return [row.as_json() for row in getattr(authorization, name).order_by("position", "id")]


def _list_rows(authorization: Authorization, name: str, items: list[dict[str, Any]]) -> list[Any]:
    if name == "icd_codes":
        return [
            AuthorizationIcdCode(
                authorization=authorization,
                position=position,
                icd_id=item["id"],
                code=item.get("code"),
                description=item.get("description"),
                revision=item.get("revision"),
            )
            for position, item in enumerate(items)
        ]
    return [
        AuthorizationCptCode(
            authorization=authorization,
            position=position,
            cpt_code=item["cpt_code"],
            description=item.get("description"),
            units_requested=item.get("units_requested"),
            units_approved=item.get("units_approved"),
        )
        for position, item in enumerate(items)
    ]


def _replace_list(
    authorization: Authorization, name: str, items: list[dict[str, Any]], *, user: Any, reason: str | None
) -> None:
    """Replace the whole list (each removed row and each new row leaves a history row)."""
    for row in getattr(authorization, name).all():
        _delete(row, user=user, reason=reason)
    rows = _list_rows(authorization, name, items)
    if rows:
        bulk_create_with_history(rows, LISTS[name], default_user=user, default_change_reason=_reason(reason))


def _normalised(name: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row.as_json() for row in _list_rows(Authorization(), name, items)]


# -- authorizations --------------------------------------------------------------------------------------------


def _check(authorization: Authorization) -> None:
    if errors := authorization.period_errors():
        raise ValidationError(errors)


@transaction.atomic
def authorization_create(
    *,
    organisation_id: int,
    data: dict[str, Any],
    user: Any = None,
    reason: str | None = None,
    authorization_id: str | None = None,
    created_at: dt.datetime | None = None,
    updated_at: dt.datetime | None = None,
) -> Authorization:
    """Create an authorization of ``organisation_id`` from validated ``data`` (status ACTIVE unless sent).

    ``authorization_id``, ``created_at`` and ``updated_at`` are server-owned; only imports and demo data pass them."""
    fields = {k: v for k, v in data.items() if k not in LISTS and k not in ("insurance_payer", "organisation_id")}
    authorization = Authorization(organisation_id=organisation_id, **fields)
    if authorization_id is not None:
        authorization.authorization_id = authorization_id
    if created_at is not None:
        authorization.created_at = created_at
    _keep_updated_at(authorization, updated_at)
    _check(authorization)
    payer = data.get("insurance_payer")
    if payer is not None:
        authorization.payer = payer_upsert(data=payer, user=user, reason=reason)
    _save(authorization, user=user, reason=reason)
    for name in LISTS:
        if data.get(name):
            _replace_list(authorization, name, data[name], user=user, reason=reason)
    return authorization


def _keep_updated_at(authorization: Authorization, updated_at: dt.datetime | None) -> None:
    if updated_at is not None:
        authorization.updated_at = updated_at
        authorization.keep_updated_at = True  # type: ignore[attr-defined]


@transaction.atomic
def authorization_update(
    *,
    authorization: Authorization,
    data: dict[str, Any],
    user: Any = None,
    reason: str | None = None,
    updated_at: dt.datetime | None = None,
) -> tuple[Authorization, bool]:
    """Apply a partial update: only the fields in ``data`` change; a list sent replaces the whole list; a payer
    object points at (and updates) its registry entry, ``None`` clears it. Validated on the merged record; on any
    error nothing changes. Returns the authorization and whether anything changed (no change, no history row)."""
    locked = Authorization.objects.select_for_update().get(pk=authorization.pk)
    errors: dict[str, list[str]] = {}
    for name in FIXED_AFTER_CREATE:
        if name in data and data[name] != getattr(locked, name):
            errors[name] = ["is fixed after create and cannot be changed"]
    if errors:
        raise ValidationError(errors)
    changed: list[str] = []
    for name, value in data.items():
        if name in LISTS or name == "insurance_payer" or name in FIXED_AFTER_CREATE:
            continue
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    _check(locked)
    if "insurance_payer" in data:
        payer_data = data["insurance_payer"]
        payer = None if payer_data is None else payer_upsert(data=payer_data, user=user, reason=reason)
        if locked.payer_id != (payer.pk if payer else None):
            locked.payer = payer
            changed.append("insurance_payer")
    replaced = [name for name in LISTS if name in data and _normalised(name, data[name]) != _list_json(locked, name)]
    if not changed and not replaced:
        return locked, False
    what = [_field_label(name) for name in changed] + [_list_change(locked, name, data[name]) for name in replaced]
    for name in replaced:
        _replace_list(locked, name, data[name], user=user, reason=reason)
    _keep_updated_at(locked, updated_at)
    note = f"{reason}: " if reason else ""
    _save(locked, user=user, reason=f"{note}changed {', '.join(what)}")
    return locked, True


def _field_label(name: str) -> str:
    """A field of an authorization as staff read it in its history ("effective end date", "payer")."""
    field = Authorization._meta.get_field("payer" if name == "insurance_payer" else name)
    return str(getattr(field, "verbose_name", name))


def _list_change(authorization: Authorization, name: str, items: list[dict[str, Any]]) -> str:
    """A list replacement as staff read it in the history: "ICD codes M72.1 → S83.511D, M25.561"."""

    def codes(rows: Iterable[Any]) -> str:
        return ", ".join(str(row) for row in rows) or "none"

    before = codes(getattr(authorization, name).order_by("position", "id"))
    after = codes(_list_rows(Authorization(), name, items))
    return f"{LISTS[name]._meta.verbose_name_plural} {before} → {after}"


@transaction.atomic
def authorization_delete(*, authorization: Authorization, user: Any = None, reason: str | None = None) -> None:
    """Delete the authorization and its lists (history rows for each)."""
    for name in LISTS:
        for row in getattr(authorization, name).all():
            _delete(row, user=user, reason=reason)
    _delete(authorization, user=user, reason=reason)


def authorizations_expire(
    *, authorizations: Iterable[Authorization], user: Any = None, reason: str | None = None
) -> list[Authorization]:
    """Set each authorization that is not already EXPIRED to EXPIRED (one history row each); the changed ones.

    Rows are re-read under a lock, so a concurrent API update of other fields is never overwritten."""
    expired = []
    keys = [a.pk for a in authorizations]
    with transaction.atomic():
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for authorization in Authorization.objects.select_for_update().filter(pk__in=chunk).order_by("pk"):
                if authorization.authorization_status == AuthorizationStatus.EXPIRED:
                    continue
                authorization.authorization_status = AuthorizationStatus.EXPIRED
                _save(authorization, user=user, reason=reason or "expired")
                expired.append(authorization)
    return expired


# -- OAuth clients ---------------------------------------------------------------------------------------------


@transaction.atomic
def spry_client_create(*, name: str, organisation_id: int, clinic_ids: list[int] | None = None) -> tuple[Any, str]:
    """A confidential client-credentials OAuth application of one organisation; returns it and its secret, which
    is stored hashed and cannot be shown again."""
    application_model = get_application_model()
    secret = generate_client_secret()
    application = application_model(
        name=name,
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    application.save()
    SpryClient.objects.create(application=application, organisation_id=organisation_id, clinic_ids=clinic_ids or [])
    return application, secret


IMPORT_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@transaction.atomic
def authorization_import(
    *, record: dict[str, Any], data: dict[str, Any], user: Any = None, keep_audit: bool = False
) -> tuple[Authorization, bool]:
    """Create or replace one authorization from an exported ``record`` (Spry's response shape) whose fields
    ``data`` holds validated: the staff path of ``upsert_authorizations``. The record keeps its
    ``authorization_id`` and organisation; with ``keep_audit`` its ``created_at`` (on create: it is fixed after)
    and ``updated_at`` too.
    Returns the authorization and whether it was created. Raises ``ValidationError`` naming the field."""
    organisation_id = data.pop("organisation_id", None)
    if organisation_id is None:
        raise ValidationError({"organisation_id": ["is required"]})
    authorization_id = record.get("authorization_id")
    if authorization_id is not None and not (isinstance(authorization_id, str) and IMPORT_ID.match(authorization_id)):
        raise ValidationError({"authorization_id": ["must be 1 to 64 letters, digits or underscores"]})
    stamps = {name: _stamp(record, name) for name in ("created_at", "updated_at")} if keep_audit else {}
    existing = Authorization.objects.select_for_update().filter(pk=authorization_id).first()
    if existing is None:
        created = authorization_create(
            organisation_id=organisation_id,
            data=data,
            user=user,
            reason="imported",
            authorization_id=authorization_id,
            created_at=stamps.get("created_at"),
            updated_at=stamps.get("updated_at"),
        )
        return created, True
    if existing.organisation_id != organisation_id:
        raise ValidationError({"organisation_id": [f"{authorization_id} belongs to another organisation"]})
    updated, _changed = authorization_update(
        authorization=existing, data=data, user=user, reason="imported", updated_at=stamps.get("updated_at")
    )
    return updated, False


def _stamp(record: dict[str, Any], name: str) -> dt.datetime | None:
    value = record.get(name)
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: [str(exc)]}) from None
