"""Demo CarePlans and CareCases for the README's run command (loaded by ``manage.py seed_demo``), written through
the same engine as the API."""

from __future__ import annotations

import random
from typing import Any

from carecases.models import CareCase, CarePlan
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.serving.tenancy import use_vba_database, vba_database_names

PLANS = [
    (1, "DIABETES", 1.5, "Diabetes management program"),
    (2, "CARDIAC", 2.0, "Cardiac rehabilitation"),
    (3, "MATERNITY", 1.0, "High-risk maternity"),
    (4, "BEHAVIORAL", 1.25, "Behavioral health follow-up"),
]
STATUSES = ["OPEN", "ACTIVE", "PENDING", "CLOSED"]
REASONS = ["REFERRAL", "HIGH_RISK", "READMIT", "SELF"]


def demo_plans() -> list[dict[str, Any]]:
    return [
        {"carePlan_Key": key, "care_Type": care_type, "care_Weight": weight, "description": text}
        for key, care_type, weight, text in PLANS
    ]


def demo_cases(plan_key: int, count: int = 8, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed * 100 + plan_key)
    items = []
    for n in range(1, count + 1):
        key = plan_key * 100 + n
        month = rng.randint(1, 10)
        status = rng.choice(STATUSES)
        items.append(
            {
                "case_Key": key,
                "carePlan_Key": plan_key,
                "case_ID": f"CM-{key:06d}",
                "case_Status": status,
                "case_Priority": rng.randint(1, 5),
                "case_Reason": rng.choice(REASONS),
                "case_Score": round(rng.uniform(0, 100), 2),
                "case_Assign_Type": "USER",
                "subscriber_ID": f"{100000000 + key * 37 % 900:09d}",
                "member_Seq": "01",
                "group_ID": f"GRP{rng.randint(1, 9):02d}",
                "provider_ID": f"PRV{rng.randint(1, 25):04d}",
                "case_Start_Date": f"2026-{month:02d}-{rng.randint(1, 28):02d}",
                "case_End_Date": f"2026-{month + 2:02d}-28" if status == "CLOSED" else None,
                "case_Close_Reason": "GOALS_MET" if status == "CLOSED" else None,
                "do_Not_Contact": rng.random() < 0.1,
            }
        )
    return items


def load(*, user: Any) -> str:
    loaded = []
    for name in vba_database_names():
        with use_vba_database(name):
            plans = care_plan_batch_upsert(items=demo_plans(), user=user)
            cases = [care_case_batch_upsert(items=demo_cases(key), user=user, care_plan_key=key) for key, *_ in PLANS]
            failed = sum(not r.ok for outcome in [plans, *cases] for r in outcome.results)
            loaded.append(
                f"{name}: {CarePlan.objects.count()} CarePlans, {CareCase.objects.count()} CareCases"
                + (f" ({failed} failed)" if failed else "")
            )
    return "; ".join(loaded)
