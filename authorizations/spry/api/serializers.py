"""Spry Authorization JSON: strict input models (pydantic), the response rendering and the OpenAPI components.

Validation is never silent (decisions.md VBA 8, Spry 7): ``"30"`` for an integer, ``true`` for a count, a negative
count, an overlong string or a bad date is a 4000 naming the field; nothing is coerced or truncated. Unknown fields
and response-only fields (``authorization_id``, ``final_consumed_visit_count``, ``created_at``...) are ignored.
String limits are the model's ``max_length`` (see :mod:`authorizations.spry.models`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from authorizations.spry.models import (
    COMMENTS_MAX_LENGTH,
    LIST_MAX_ITEMS,
    Authorization,
    AuthorizationCptCode,
    AuthorizationIcdCode,
    Payer,
)
from config.records.dates import parse_datetime, render_datetime, render_utc
from config.records.parsers import StorableText
from config.spry.protocol import SpryValidationError

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
STATUSES = ("ACTIVE", "INACTIVE", "EXPIRED")


def _max(model: Any, name: str) -> int:
    return model._meta.get_field(name).max_length  # type: ignore[no-any-return]


def _len(model: Any, name: str, *, required: bool = False) -> Any:
    """The length limits of a strict string: no longer than the column (``required``: also non-empty)."""
    return Field(max_length=_max(model, name), min_length=1 if required else None)


Count = Annotated[StrictInt, Field(ge=0, le=INT32_MAX)]
Id = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
DateTime = Annotated[
    dt.datetime,
    BeforeValidator(parse_datetime),
    Field(json_schema_extra={"example": "2026-04-01T00:00:00"}),
]
Status = Literal["ACTIVE", "INACTIVE", "EXPIRED"]

_CONFIG = ConfigDict(extra="ignore", str_strip_whitespace=False)


class InsurancePayer(BaseModel):
    """A payer of the shared registry; the registry entry is created or updated with the fields sent."""

    model_config = _CONFIG
    payer_reg_id: Id
    name: Annotated[StrictStr, _len(Payer, "name"), StorableText] | None = None
    payer_id: Annotated[StrictStr, _len(Payer, "payer_id"), StorableText] | None = None
    payer_type: Annotated[StrictStr, _len(Payer, "payer_type"), StorableText] | None = None
    payer_state: Annotated[StrictStr, _len(Payer, "payer_state"), StorableText] | None = None


class IcdCode(BaseModel):
    model_config = _CONFIG
    id: Id
    code: Annotated[StrictStr, _len(AuthorizationIcdCode, "code"), StorableText] | None = None
    description: Annotated[StrictStr, _len(AuthorizationIcdCode, "description"), StorableText] | None = None
    revision: Annotated[StrictStr, _len(AuthorizationIcdCode, "revision"), StorableText] | None = None


class CptCodeAuthorizationDetail(BaseModel):
    model_config = _CONFIG
    cpt_code: Annotated[StrictStr, _len(AuthorizationCptCode, "cpt_code", required=True), StorableText]
    description: Annotated[StrictStr, _len(AuthorizationCptCode, "description"), StorableText] | None = None
    units_requested: Count | None = None
    units_approved: Count | None = None


class _AuthorizationFields(BaseModel):
    """Fields accepted by both create and update. A field without ``| None`` may be omitted but not null."""

    model_config = _CONFIG
    authorization_reference_number: Annotated[
        StrictStr, _len(Authorization, "authorization_reference_number", required=True), StorableText
    ] = Field(None)  # type: ignore[assignment]
    plan_start_date: DateTime | None = None
    plan_end_date: DateTime | None = None
    effective_start_date: DateTime | None = None
    effective_end_date: DateTime | None = None
    insurance_payer: InsurancePayer | None = None
    authorized_visit_count: Count | None = None
    current_visit_count: Count = 0
    previous_consumed_visit_count: Count = 0
    phone_number: Annotated[StrictStr, _len(Authorization, "phone_number"), StorableText] | None = None
    fax_number: Annotated[StrictStr, _len(Authorization, "fax_number"), StorableText] | None = None
    comments: Annotated[StrictStr, Field(max_length=COMMENTS_MAX_LENGTH), StorableText] | None = None
    authorization_status: Status = "ACTIVE"
    icd_codes: Annotated[list[IcdCode], Field(max_length=LIST_MAX_ITEMS)] = []
    cpt_code_authorization_details: Annotated[list[CptCodeAuthorizationDetail], Field(max_length=LIST_MAX_ITEMS)] = []
    case_title: Annotated[StrictStr, _len(Authorization, "case_title"), StorableText] | None = None
    patient_id: Id | None = None
    patient_name: Annotated[StrictStr, _len(Authorization, "patient_name"), StorableText] | None = None
    organisation_id: Id | None = None
    clinic_id: Id | None = None


class AuthorizationCreate(_AuthorizationFields):
    """``POST /authorization``: ``spry_case_id`` and ``authorization_reference_number`` are required;
    ``organisation_id``, when sent, must be the token's organisation."""

    spry_case_id: Annotated[StrictStr, _len(Authorization, "spry_case_id", required=True), StorableText]
    authorization_reference_number: Annotated[
        StrictStr, _len(Authorization, "authorization_reference_number", required=True), StorableText
    ]


class AuthorizationUpdate(_AuthorizationFields):
    """``POST /authorization/{authorizationId}``: every field optional; only the fields sent change.

    ``spry_case_id``, ``case_title``, ``patient_id``, ``patient_name``, ``organisation_id`` and ``clinic_id`` are fixed
    after create: sending the stored value is accepted (a client may send back what it read), another is a 4000.
    ``icd_codes`` and ``cpt_code_authorization_details`` replace the whole list when sent."""

    spry_case_id: Annotated[StrictStr, _len(Authorization, "spry_case_id", required=True), StorableText] = Field(None)  # type: ignore[assignment]


# -- errors ----------------------------------------------------------------------------------------------------


def _field_name(loc: tuple[Any, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if error.get("input", 0) is None:
        return "may not be null"
    messages = {
        "int_type": "must be an integer",
        "string_type": "must be a string",
        "list_type": "must be an array",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "dict_type": "must be an object",
        "literal_error": f"must be one of {', '.join(STATUSES)}",
        "string_too_short": "may not be empty",
    }
    if kind in messages:
        return messages[kind]
    if kind == "greater_than_equal":
        return f"must be {ctx['ge']} or more"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters long"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


def validate_body(model: type[BaseModel], body: Any) -> dict[str, Any]:
    """The fields the client sent, validated (``{attribute: value}``; lists and the payer as plain dicts).

    Raises :class:`SpryValidationError` (code 4000) naming each failing field."""
    if not isinstance(body, dict):
        raise SpryValidationError({"body": ["must be a JSON object"]})
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False):
            errors.setdefault(_field_name(error["loc"]), []).append(_message(error))
        raise SpryValidationError(errors) from None
    data = parsed.model_dump(exclude_unset=True)
    if "insurance_payer" in data and data["insurance_payer"] is not None:
        # keep only the payer keys that were sent: the registry entry changes only those
        payer: InsurancePayer = getattr(parsed, "insurance_payer")  # noqa: B009
        data["insurance_payer"] = payer.model_dump(include=payer.model_fields_set | {"payer_reg_id"})
    for name in ("icd_codes", "cpt_code_authorization_details"):
        if name in data:
            data[name] = [item.model_dump() for item in getattr(parsed, name)]
    return data


# -- rendering -------------------------------------------------------------------------------------------------


def payer_json(payer: Payer | None) -> dict[str, Any] | None:
    """The payer as Spry shows it; ``payer_state`` only when known (Spry's examples carry none)."""
    if payer is None:
        return None
    out: dict[str, Any] = {
        "payer_reg_id": payer.payer_reg_id,
        "name": payer.name,
        "payer_id": payer.payer_id,
        "payer_type": payer.payer_type,
    }
    if payer.payer_state is not None:
        out["payer_state"] = payer.payer_state
    return out


def authorization_json(a: Authorization) -> dict[str, Any]:
    """The response object of spry.md (Get, and ``data`` of create/update; lists are arrays of it)."""
    return {
        "authorization_id": a.authorization_id,
        "authorization_reference_number": a.authorization_reference_number,
        "spry_case_id": a.spry_case_id,
        "case_title": a.case_title,
        "plan_start_date": render_datetime(a.plan_start_date),
        "plan_end_date": render_datetime(a.plan_end_date),
        "effective_start_date": render_datetime(a.effective_start_date),
        "effective_end_date": render_datetime(a.effective_end_date),
        "insurance_payer": payer_json(a.payer),
        "authorized_visit_count": a.authorized_visit_count,
        "current_visit_count": a.current_visit_count,
        "previous_consumed_visit_count": a.previous_consumed_visit_count,
        "final_consumed_visit_count": a.final_consumed_visit_count,
        "phone_number": a.phone_number,
        "fax_number": a.fax_number,
        "comments": a.comments,
        "authorization_status": a.authorization_status,
        "patient_id": a.patient_id,
        "patient_name": a.patient_name,
        "organisation_id": a.organisation_id,
        "clinic_id": a.clinic_id,
        "icd_codes": [row.as_json() for row in a.icd_codes.all()],
        "cpt_code_authorization_details": [row.as_json() for row in a.cpt_code_authorization_details.all()],
        "created_at": render_datetime(a.created_at),
        "updated_at": render_datetime(a.updated_at),
        "created_date": render_utc(a.created_at),
    }


# -- OpenAPI components (responses) ----------------------------------------------------------------------------

#: Rendered without an offset (server time zone), so not an RFC 3339 ``date-time``: a pattern says exactly what comes.
_DATE = Field(
    json_schema_extra={
        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
        "example": "2026-04-01T00:00:00",
        "description": "YYYY-MM-DDTHH:MM:SS in the server's time zone, no offset",
    }
)


class SpryInsurancePayerOut(BaseModel):
    payer_reg_id: int
    name: str | None
    payer_id: str | None
    payer_type: str | None
    payer_state: str | None = Field(None, description="Only present when known.")


class SpryIcdCodeOut(BaseModel):
    id: int
    code: str | None
    description: str | None
    revision: str | None


class SpryCptCodeAuthorizationDetailOut(BaseModel):
    cpt_code: str
    description: str | None
    units_requested: int | None
    units_approved: int | None


class SpryAuthorizationOut(BaseModel):
    authorization_id: str = Field(examples=["auth_69cd0c97e7562d613ea89bc7"])
    authorization_reference_number: str
    spry_case_id: str
    case_title: str | None
    plan_start_date: Annotated[str | None, _DATE]
    plan_end_date: Annotated[str | None, _DATE]
    effective_start_date: Annotated[str | None, _DATE]
    effective_end_date: Annotated[str | None, _DATE]
    insurance_payer: SpryInsurancePayerOut | None
    authorized_visit_count: int | None
    current_visit_count: int
    previous_consumed_visit_count: int
    final_consumed_visit_count: int = Field(description="current_visit_count + previous_consumed_visit_count")
    phone_number: str | None
    fax_number: str | None
    comments: str | None
    authorization_status: Status
    patient_id: int | None
    patient_name: str | None
    organisation_id: int
    clinic_id: int | None
    icd_codes: list[SpryIcdCodeOut]
    cpt_code_authorization_details: list[SpryCptCodeAuthorizationDetailOut]
    created_at: Annotated[str, _DATE]
    updated_at: Annotated[str, _DATE]
    created_date: str = Field(
        examples=["2026-04-01T12:00:00Z"],
        description="created_at in UTC, with Z",
        json_schema_extra={"format": "date-time"},
    )


class _SpryEnvelope(BaseModel):
    code: int = Field(examples=[2000], ge=2000, le=2000)
    message: str = Field(examples=["Success"])


class SpryAuthorizationEnvelope(_SpryEnvelope):
    data: SpryAuthorizationOut


class SpryAuthorizationListEnvelope(_SpryEnvelope):
    data: list[SpryAuthorizationOut]


class SpryDeletedEnvelope(_SpryEnvelope):
    data: str = Field(examples=["Authorization deleted successfully"])


class SpryErrorEnvelope(BaseModel):
    """Any failure. HTTP 200 for 4000 (with ``errors``) and 4004; 401 for 4001, 403 for 4003, 429 for 4029,
    500 for 5000."""

    code: int = Field(examples=[4004], ge=4000, le=5000)
    data: None = None
    message: str = Field(examples=["Authorization not found"])
    errors: dict[str, list[str]] | None = Field(None, description="Only with code 4000: {field: [messages]}")
