"""What ``manage.py bench_batch --resource auths`` writes: full synthetic Auths (every field set)."""

from __future__ import annotations

from typing import Any

from django.db import connections

from authorizations.vba.models import Auth
from authorizations.vba.services import AUTH
from config.bench.common import BenchTarget

PREFIX = "BENCH"


def bench_auth(key: str, run: int) -> dict[str, Any]:
    n = int(key[len(PREFIX) :])
    day = 1 + (n + run) % 28
    date = f"2026-{1 + n % 12:02d}-{day:02d}T{run % 24:02d}:30:00"
    return {
        "auth_Number": key,
        "actual_From": date,
        "actual_Location": "HOSP",
        "actual_Thru": date,
        "additional_Visits": run,
        "amount_Actual": 100.25 + run,
        "amount_Approved": 2500.5,
        "amount_Denied": 0,
        "amount_Requested": 3000,
        "approved_By": f"reviewer{n % 50}",
        "approved_Date": date,
        "approved_Frequency": "WEEKLY",
        "approved_From": date,
        "approved_Location": "OFFC",
        "approved_Thru": date,
        "assigned_User": "nurse1",
        "audit_Flag": "N",
        "auth_Code": f"C{n % 9}",
        "auth_Type": ["INPT", "OUTPT", "DME"][n % 3],
        "auto_Accident": "N",
        "bodyCode_ID": "B1",
        "careManager_Key": n % 1000,
        "case_Index_Actual": "1",
        "case_Index_Approved": "1",
        "case_Index_Denied": "0",
        "case_Index_Requested": "1",
        "case_Number": f"CASE-{n}",
        "cityCode_ID": "SLC",
        "closed": False,
        "drG_Category": "MED",
        "drG_Code": "470",
        "daily_Living": 1,
        "denied_From": None,
        "denied_Thru": None,
        "discharge_Date": date,
        "federal_ID": "87-1234567",
        "ivR_Flag": "N",
        "injury_Date": date,
        "member_Seq": "01",
        "monthly_Amount": 125.75,
        "narrative": f"Run {run} narrative",
        "new_Or_Extended": run % 2 == 0,
        "notes": f"Benchmark record {n}, run {run}",
        "ordered_By_ID": f"PRV{n % 300}",
        "ordered_By_Name": "Dr. Ordering",
        "other_Coverage_Primary": "N",
        "other_Insurance": "N",
        "payee_ID": f"PAY{n % 40}",
        "plan_ID": "PLAN-A",
        "previous_Auth": None,
        "previous_Treatment": False,
        "prior_Auth": None,
        "provider_ID": f"PRV{n % 500}",
        "radiating_Pain": 0,
        "range_Of_Motion": 1,
        "received_Date": date,
        "referred_By_ID": f"PRV{n % 200}",
        "referred_By_Name": "Dr. Referring",
        "region": "W",
        "reinsNotification_Date": None,
        "requested_Frequency": "WEEKLY",
        "requested_From": date,
        "requested_Location": "OFFC",
        "requested_Thru": date,
        "service_Code": "PT",
        "service_Type": "THERAPY",
        "status": ["APPROVED", "PENDED", "DENIED"][(n + run) % 3],
        "subscriber_ID": f"{n % 10**9:09d}",
        "tPlan_DownLoaded": False,
        "tPlan_DownLoaded_Date": None,
        "tPlan_DownLoaded_User": None,
        "tPlan_Printed": "N",
        "tPlan_Printed_Date": None,
        "total_Actual": 4,
        "total_Approved": 12,
        "total_Requested": 12,
        "total_Unit_Type": "VISITS",
        "treatment_Type": "PT",
        "type_Of_Service": "1",
        "unit_Type": "VISITS",
        "units_Actual": 4,
        "units_Approved": 12,
        "units_Denied": 0,
        "units_Requested": 12,
        "urgent": n % 7 == 0,
        "visits_Actual": 4,
        "visits_Approved": 12 + run,
        "visits_Requested": 12,
        "visits_To_Date": 4,
        "work_Related": "N",
    }


def cleanup(using: str) -> None:
    with connections[using].cursor() as cursor:
        for table in (Auth.history.model._meta.db_table, Auth._meta.db_table):  # type: ignore[attr-defined]
            cursor.execute(f'DELETE FROM "{table}" WHERE "Auth_Number" LIKE %s', [f"{PREFIX}%"])


BENCHES = {
    "auths": BenchTarget(
        resource=AUTH,
        path="/vbasoftware/auths",
        make_item=bench_auth,
        new_key=lambda n: f"{PREFIX}{n:012d}",
        setup=cleanup,
        cleanup=cleanup,
        command="upsert_auths",
    )
}
