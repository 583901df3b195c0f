"""Demo CarePlans, CareCases and their work logs for the README's run command (loaded by ``manage.py seed_demo``),
written through the same engine as the API (each record with its history row)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from carecases.services import CARE_CASE_WORK_LOG, care_case_batch_upsert, care_plan_batch_upsert
from config.records.batch import batch_upsert
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


#: The demo's care managers (nurses and a social worker): each case has one, who logs most of its work.
CARE_MANAGERS = ["cm.alvarez", "cm.jones", "rn.chen", "rn.garcia", "sw.okafor"]
#: Kinds of work: minutes (low, high), and what a manager logs for it: secondary type, comment (about the work,
#: never naming the member), billable.
WORK: dict[str, tuple[tuple[int, int], list[tuple[str, str, bool]]]] = {
    "ASSESSMENT": ((30, 75), [("REASSESSMENT", "Risk score updated after reassessment", True)]),
    "CALL": (
        (5, 30),
        [
            ("OUTBOUND", "Outreach call; member engaged, follow-up set", True),
            ("OUTBOUND", "Left voicemail, will retry in two days", False),
            ("OUTBOUND", "Confirmed upcoming specialist appointment", True),
            ("INBOUND", "Reviewed symptoms and medication adherence", True),
            ("INBOUND", "Answered questions about the care plan", True),
        ],
    ),
    "VISIT": (
        (45, 90),
        [
            ("HOME", "Home safety review completed", True),
            ("HOME", "Medication reconciliation at home", True),
            ("CLINIC", "Joint visit with PCP team; care plan reviewed", True),
        ],
    ),
    "EMAIL": (
        (5, 15),
        [
            ("EDUCATION", "Sent self-management materials", False),
            ("SCHEDULING", "Shared appointment details and reminders", False),
        ],
    ),
    "COORDINATION": (
        (10, 40),
        [
            ("PROVIDER", "Coordinated prior authorization with provider office", False),
            ("PHARMACY", "Arranged refill synchronization", False),
            ("DME", "Arranged home equipment delivery", False),
        ],
    ),
}
INITIAL = ("INITIAL", "Initial assessment completed; goals agreed", True)


def demo_work_logs(case: dict[str, Any]) -> list[dict[str, Any]]:
    """2-6 entries of one demo case (as :func:`demo_cases` makes it), dated within the case's period, the first its
    initial assessment; keys are assigned by the server (0)."""
    rng = random.Random(case["case_Key"] * 7919)
    start = dt.date.fromisoformat(case["case_Start_Date"])
    end = dt.date.fromisoformat(case["case_End_Date"]) if case["case_End_Date"] else start + dt.timedelta(days=60)
    if (dt.date.today() - start).days >= 14:  # an open case's log stops today (nothing logged in the future)
        end = min(end, dt.date.today())
    days = sorted(rng.sample(range(1, (end - start).days), rng.randint(1, 5)))  # (before the end date's midnight)
    manager = rng.choice(CARE_MANAGERS)
    kinds = ["ASSESSMENT"] + [
        rng.choice(["CALL", "CALL", "VISIT", "EMAIL", "COORDINATION", "ASSESSMENT"]) for _ in days
    ]
    items = []
    for n, (kind, day) in enumerate(zip(kinds, [0, *days], strict=True)):
        (low, high), choices = WORK[kind]
        secondary, comment, billable = INITIAL if n == 0 else rng.choice(choices)
        minutes = rng.randint(low, high)
        when = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(rng.randint(8, 16), rng.choice([0, 15, 30])))
        items.append(
            {
                "careCaseWorkLog_Key": 0,
                "case_Key": case["case_Key"],
                "workLog_Type": kind,
                "workLog_SecondaryType": secondary,
                "workLog_Date": when.isoformat(),
                "workLog_User": manager if rng.random() < 0.8 else rng.choice(CARE_MANAGERS),
                "workLog_Hour": minutes // 60,
                "workLog_Minute": minutes % 60,
                "workLog_Units": -(-minutes // 15),  # 15-minute units, rounded up
                "workLog_Billable": billable,
                "workLog_Comment": comment,
                "member_Impact_Score": round(rng.uniform(0, 5), 2),
                "plan_Impact_Score": round(rng.uniform(0, 3), 2),
            }
        )
    return items


def load(*, user: Any) -> str:
    """The plans and their cases that do not exist yet, and the work log of each demo case that has none yet (a plan,
    a case or a case's log a user has changed stays as it is), in every VBA database."""
    loaded = []
    cases_of = {key: demo_cases(key) for key, *_ in PLANS}
    for name in vba_database_names():
        with use_vba_database(name):
            # Only what is missing: a plan or case someone has changed since stays as it is.
            present_plans = set(CarePlan.objects.values_list("pk", flat=True))
            plans = care_plan_batch_upsert(
                items=[p for p in demo_plans() if p["carePlan_Key"] not in present_plans], user=user
            )
            keys = [case["case_Key"] for items in cases_of.values() for case in items]
            present_cases = set(CareCase.objects.filter(pk__in=keys).values_list("pk", flat=True))
            cases = [
                care_case_batch_upsert(
                    items=[c for c in items if c["case_Key"] not in present_cases], user=user, care_plan_key=key
                )
                for key, items in cases_of.items()
            ]
            bare = set(CareCase.objects.filter(pk__in=keys).values_list("pk", flat=True)) - set(
                CareCaseWorkLog.objects.filter(care_case_id__in=keys).values_list("care_case_id", flat=True)
            )
            entries = [
                e for items in cases_of.values() for c in items if c["case_Key"] in bare for e in demo_work_logs(c)
            ]
            if entries:
                cases.append(batch_upsert(CARE_CASE_WORK_LOG, entries, user=user))
            failed = sum(not r.ok for outcome in [plans, *cases] for r in outcome.results)
            loaded.append(
                f"{name}: {CarePlan.objects.count()} CarePlans, {CareCase.objects.count()} CareCases, "
                f"{CareCaseWorkLog.objects.count()} work log entries" + (f" ({failed} failed)" if failed else "")
            )
    return "; ".join(loaded)
