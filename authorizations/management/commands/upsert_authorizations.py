from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError

from authorizations.spry.api.serializers import AuthorizationCreate, validate_body
from authorizations.spry.services import authorization_import
from config.records.batch import ItemResult
from config.records.commands import ImportCommand
from config.records.dbfaults import is_unavailable, refusal
from config.records.files import json_cell, whole_number
from config.spry.protocol import SpryValidationError

INTEGERS = ("authorized_visit_count", "current_visit_count", "previous_consumed_visit_count", "patient_id", "clinic_id")


class Command(ImportCommand):
    help = (
        "Create or replace Spry authorizations from a file in the shape export_authorizations writes (a JSON array, "
        "NDJSON or CSV of Spry's response objects), each keeping its authorization_id and organisation_id, "
        "validated as the API validates a create; prints counts per status and each failure, exits non-zero if any "
        "record failed."
    )
    label = "Spry authorization"
    key_json = "authorization_id"
    keep_audit_help = "keep each record's created_at and updated_at as the file has them (staff copies)"

    def csv_types(self) -> dict[str, Any]:
        types: dict[str, Any] = {name: whole_number for name in (*INTEGERS, "organisation_id")}
        for name in ("insurance_payer", "icd_codes", "cpt_code_authorization_details"):
            types[name] = json_cell
        return types

    def import_chunk(self, items: list[Any], user: Any, options: dict[str, Any]) -> list[ItemResult]:
        return [self._one(item, user, options["keep_audit"]) for item in items]

    def _one(self, record: Any, user: Any, keep_audit: bool) -> ItemResult:
        key = record.get("authorization_id") if isinstance(record, dict) else None
        try:
            data = validate_body(AuthorizationCreate, record)
            authorization, created = authorization_import(record=record, data=data, user=user, keep_audit=keep_audit)
        except SpryValidationError as exc:
            return ItemResult(key, 400, str(exc.detail))
        except ValidationError as exc:
            return ItemResult(key, 400, "; ".join(f"{f}: {m}" for f, ms in exc.message_dict.items() for m in ms))
        except DatabaseError as exc:
            if is_unavailable(exc):
                raise  # the whole run stops (ImportCommand.handle says what was written); no record is to blame
            return ItemResult(key, 400, f"The database refused this authorization: {refusal(exc).message}")
        return ItemResult(authorization.pk, 201 if created else 200, "Created" if created else "Updated")
