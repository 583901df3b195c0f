"""Demo data of the Spry Authorization API: an OAuth client of organisation 638 and a few authorizations.

Called from ``authorizations/demo.py`` (``manage.py seed_demo``). Safe to run again: a fresh demo client is made each
run (its secret is printed once), those of earlier runs keep working, and existing demo authorizations are kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from authorizations.spry.api.serializers import AuthorizationCreate, validate_body
from authorizations.spry.models import Authorization
from authorizations.spry.services import authorization_create, spry_client_create
from config.records.dates import parse_datetime, render_datetime

DEMO_CLIENT = "spry demo client"
DEMO_ORGANISATION = 638
DEMO_CLINICS = [44, 58]
EXAMPLE_ID = "auth_69cd0c97abc123"
PEHP = {
    "payer_reg_id": 2207,
    "name": "PEHP - Utah Public Employee Health Plan",
    "payer_id": "SX106",
    "payer_type": "COMMERCIAL",
}
MEDICARE = {"payer_reg_id": 31, "name": "Medicare Utah", "payer_id": "SMUT0", "payer_type": "MEDICARE"}


def _example() -> dict[str, Any]:
    """spry.md's Get example (as a create body)."""
    return {
        "authorization_reference_number": "AUTH-2026-001",
        "spry_case_id": "SPRY_CASE_69cd0c97e7562d613ea89bc7",
        "case_title": "Stable Burst Fracture",
        "plan_start_date": "2026-04-01T00:00:00",
        "plan_end_date": "2026-07-01T00:00:00",
        "effective_start_date": "2026-04-01T00:00:00",
        "effective_end_date": "2026-07-01T00:00:00",
        "insurance_payer": PEHP,
        "authorized_visit_count": 20,
        "current_visit_count": 5,
        "previous_consumed_visit_count": 0,
        "phone_number": "8015551234",
        "fax_number": "8015555678",
        "comments": "Prior auth approved for MSK therapy",
        "authorization_status": "ACTIVE",
        "patient_id": 1172416,
        "patient_name": "John Doe",
        "clinic_id": 101,
        "icd_codes": [{"id": 9676, "code": "M72.1", "description": "Knuckle pads", "revision": "ICD10"}],
        "cpt_code_authorization_details": [],
    }


def _others(now: dt.datetime) -> list[tuple[str, dict[str, Any]]]:
    def day(offset: int) -> str | None:
        return render_datetime(now + dt.timedelta(days=offset))

    return [
        (
            "auth_d3e0000000000000000000a1",
            {
                "authorization_reference_number": "AUTH-2026-014",
                "spry_case_id": "SPRY_CASE_DEMO_ACL",
                "case_title": "ACL reconstruction rehab",
                "effective_start_date": day(-60),
                "effective_end_date": day(10),  # expires within 14 days
                "insurance_payer": MEDICARE,
                "authorized_visit_count": 24,
                "current_visit_count": 22,  # 2 visits left
                "patient_id": 1172500,
                "patient_name": "Jane Roe",
                "clinic_id": 44,
                "icd_codes": [{"id": 4410, "code": "S83.511D", "description": "ACL sprain", "revision": "ICD10"}],
                "cpt_code_authorization_details": [
                    {"cpt_code": "97110", "description": "Therapeutic exercise", "units_requested": 24},
                    {"cpt_code": "97140", "description": "Manual therapy", "units_approved": 12},
                ],
            },
        ),
        (
            "auth_d3e0000000000000000000a2",
            {
                "authorization_reference_number": "AUTH-2025-311",
                "spry_case_id": "SPRY_CASE_DEMO_SHOULDER",
                "case_title": "Rotator cuff repair",
                "effective_start_date": day(-120),
                "effective_end_date": day(-5),  # ACTIVE but past its end: expire_authorizations changes it
                "insurance_payer": PEHP,
                "authorized_visit_count": 12,
                "current_visit_count": 9,
                "previous_consumed_visit_count": 4,  # over-used: 13 of 12
                "patient_id": 1172601,
                "patient_name": "Johnny Appleseed",
                "clinic_id": 58,
            },
        ),
    ]


def load(*, user: Any) -> str:
    """Create the demo OAuth client and authorizations; the one-line summary includes the client's credentials."""
    application, secret = spry_client_create(
        name=DEMO_CLIENT, organisation_id=DEMO_ORGANISATION, clinic_ids=DEMO_CLINICS
    )
    now = timezone.now()
    wanted = [(EXAMPLE_ID, _example()), *_others(now)]
    created = 0
    for authorization_id, body in wanted:
        if Authorization.objects.filter(pk=authorization_id).exists():
            continue
        authorization_create(
            organisation_id=DEMO_ORGANISATION,
            data=validate_body(AuthorizationCreate, body),
            user=user,
            reason="demo data",
            authorization_id=authorization_id,
            created_at=parse_datetime("2026-04-01T12:00:00") if authorization_id == EXAMPLE_ID else now,
        )
        created += 1
    return (
        f"{created} Spry authorizations created ({len(wanted)} demo ones in organisation {DEMO_ORGANISATION}); "
        f"OAuth client: export SPRY_CLIENT_ID='{application.client_id}' SPRY_CLIENT_SECRET='{secret}'"
    )
