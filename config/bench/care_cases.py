"""What ``manage.py bench_batch --resource care-cases`` writes: full synthetic CareCases under one plan."""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.utils import timezone

from carecases.models import CareCase, CarePlan
from carecases.services import CARE_CASE
from config.bench.common import BenchTarget

PLAN = 2_000_000_000  # the benchmark's own care plan and key range, far above real keys
FIRST_KEY = 2_000_000_000


def bench_case(key: int, run: int) -> dict[str, Any]:
    n = key - FIRST_KEY
    date = f"2026-{1 + n % 12:02d}-{1 + (n + run) % 28:02d}T08:00:00"
    return {
        "case_Key": key,
        "carePlan_Key": PLAN,
        "appointment_Date": date,
        "assessment_Date": date,
        "case_Assign_Type": "NURSE",
        "case_End_Date": None,
        "case_ID": f"CASE-{n}",
        "case_Priority": n % 5,
        "case_Reason": ["DIABETES", "CHF", "COPD"][n % 3],
        "case_Score": 12.5 + run,
        "case_Start_Date": date,
        "case_Status": ["OPEN", "CLOSED"][(n + run) % 2],
        "division_ID": "DIV1",
        "do_Not_Contact": run % 2 == 1,
        "eligibility_Verified": date,
        "eligibility_Verified_Comment": f"Verified, run {run}",
        "case_Close_Reason": None,
        "group_ID": f"GRP{n % 20}",
        "member_Seq": "01",
        "provider_ID": f"PRV{n % 100}",
        "subscriber_ID": f"{n % 10**9:09d}",
    }


def setup(using: str) -> None:
    cleanup(using)
    now = timezone.now()
    CarePlan.objects.using(using).create(
        care_plan_key=PLAN, care_type="BENCH", description="Benchmark plan", entry_date=now, update_date=now
    )


def cleanup(using: str) -> None:
    with connections[using].cursor() as cursor:
        for model in (CareCase, CarePlan):
            for table in (model.history.model._meta.db_table, model._meta.db_table):  # type: ignore[attr-defined]
                cursor.execute(f'DELETE FROM "{table}" WHERE "CarePlan_Key" = %s', [PLAN])


BENCHES = {
    "care-cases": BenchTarget(
        resource=CARE_CASE,
        path="/vbasoftware/care-cases-batch",
        make_item=bench_case,
        new_key=lambda n: FIRST_KEY + n,
        setup=setup,
        cleanup=cleanup,
        command="upsert_care_cases",
    )
}
