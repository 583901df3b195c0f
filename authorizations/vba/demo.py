"""Demo records for the README's run command (loaded by ``manage.py seed_demo``): a reviewer's queue. In every VBA
database: the payer's decision codes (a specific reason for each denial, as CMS-0057-F requires), 40 Auths each
decided with one of them (its status the word of the code's action), 1–4 procedure lines per Auth (CPT/HCPCS codes
with modifiers; units requested, approved and used as its decision allows), 1–3 diagnoses per Auth (ICD-10-CM codes
that justify its procedures, the first one primary) and 0–3 reviews per Auth.

Everything goes through the batch engine, so every record has its history row. Run again (``make run`` does, on every
start) it only adds what is missing: a decision code or an Auth that exists is left as it is (a decision someone made
on a demo Auth, a code's changed description, stay), and an Auth's lines, diagnoses or reviews are added only when it
has none (the ones someone has added, changed or deleted since are kept)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from authorizations.vba.models import AUTH_ACTIONS, Auth, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.services import AUTH_CODE, AUTH_DIAG_CODES, AUTH_PROC_CODES, AUTH_REVIEW, auth_batch_upsert
from config.records.batch import BatchOutcome, batch_upsert
from config.serving.tenancy import use_vba_database, vba_database_names

#: The payer's decision codes: (code, action, description). A denial's description is its specific reason.
DECISION_CODES: list[tuple[str, str, str]] = [
    ("APPR", "A", "Approved as requested"),
    ("APMOD", "A", "Approved: alternate setting or schedule, same units"),
    ("PART", "R", "Approved in part: fewer units than requested"),
    ("PEND", "P", "Pended: clinical information requested"),
    ("PENDMD", "P", "Pended: physician review required"),
    ("DNMN", "D", "Denied: not medically necessary per criteria"),
    ("DNCV", "D", "Denied: service not covered by the plan"),
    ("DNIN", "D", "Denied: insufficient clinical documentation"),
    ("DNNP", "D", "Denied: out-of-network provider, no exception"),
    ("VOID", "V", "Voided: request withdrawn"),
]
#: How often each code decides a demo Auth (most are approved; a fifth are still pended: the queue).
CODE_WEIGHTS = {
    **{"APPR": 14, "APMOD": 2, "PART": 5, "PEND": 6, "PENDMD": 3},
    **{"DNMN": 3, "DNCV": 2, "DNIN": 2, "DNNP": 1, "VOID": 2},
}

#: Procedure lines by the Auth's type: (CPT/HCPCS code, modifiers, lowest and highest units requested).
LINES: dict[str, list[tuple[str, tuple[str, ...], int, int]]] = {
    "THERAPY": [
        ("97110", ("GP",), 8, 24),  # therapeutic exercise, 15 min
        ("97140", ("GP", "59"), 6, 16),  # manual therapy
        ("97530", ("GP",), 6, 16),  # therapeutic activities
        ("97112", ("GP",), 4, 12),  # neuromuscular re-education
        ("97161", ("GP",), 1, 1),  # PT evaluation, low complexity
    ],
    "OUTPT": [
        ("73721", ("RT",), 1, 1),  # MRI knee without contrast
        ("29881", ("RT",), 1, 1),  # knee arthroscopy, meniscectomy
        ("70553", (), 1, 1),  # MRI brain with and without contrast
        ("93306", ("26",), 1, 1),  # echocardiography, professional component
        ("45378", ("PT",), 1, 1),  # diagnostic colonoscopy
    ],
    "INPT": [
        ("27447", ("LT",), 1, 1),  # total knee arthroplasty
        ("99223", ("AI",), 1, 1),  # initial hospital care, attending
        ("99232", (), 2, 6),  # subsequent hospital care, per day
        ("97116", ("GP",), 2, 8),  # gait training
    ],
    "DME": [
        ("E0601", ("RR", "KX"), 3, 13),  # CPAP device, monthly rental
        ("A7030", ("NU",), 1, 4),  # full face mask
        ("E0114", ("NU",), 1, 1),  # crutches
        ("K0001", ("RR",), 3, 13),  # standard wheelchair, monthly rental
    ],
}
TYPES = list(LINES)

#: The ICD-10-CM diagnoses that justify each procedure (most likely first): an Auth's primary diagnosis is one of its
#: first line's, the others come from its other lines or are a common comorbidity.
DIAGNOSES: dict[str, tuple[str, ...]] = {
    "97110": ("M54.50", "M62.81", "M25.561"),  # low back pain; muscle weakness; pain in right knee
    "97140": ("M54.50", "M54.2", "M54.16"),  # low back pain; cervicalgia; radiculopathy, lumbar
    "97530": ("M62.81", "R26.89", "I69.351"),  # muscle weakness; gait abnormality; hemiplegia after stroke
    "97112": ("R26.81", "I69.351", "G20.A1"),  # unsteadiness on feet; hemiplegia after stroke; Parkinson's disease
    "97161": ("M54.50", "M25.561", "S33.5XXA"),  # low back pain; knee pain; lumbar sprain, initial encounter
    "73721": ("M25.561", "S83.241A", "M23.221"),  # knee pain; medial meniscus tear; old meniscus tear
    "29881": ("S83.241A", "M23.221"),  # medial meniscus tear, right knee; derangement from an old tear
    "70553": ("R51.9", "G43.909", "R42"),  # headache; migraine; dizziness
    "93306": ("I50.9", "R01.1", "R06.02"),  # heart failure; cardiac murmur; shortness of breath
    "45378": ("K92.1", "K63.5", "R19.5"),  # melena; polyp of colon; other fecal abnormalities
    "27447": ("M17.12", "M25.562"),  # primary osteoarthritis, left knee; pain in left knee
    "99223": ("M17.12", "J18.9"),  # osteoarthritis, left knee (admitted for the arthroplasty); pneumonia
    "99232": ("M17.12", "J18.9"),
    "97116": ("R26.89", "Z96.652"),  # gait abnormality; presence of left artificial knee joint
    "E0601": ("G47.33",),  # obstructive sleep apnea
    "A7030": ("G47.33",),
    "E0114": ("S82.101A", "S93.401A"),  # fracture of the upper end of the right tibia; sprain of right ankle
    "K0001": ("G35", "R26.2", "M62.81"),  # multiple sclerosis; difficulty in walking; muscle weakness
}
#: Common comorbidities, added when an Auth's procedures justify fewer diagnoses than it gets.
COMORBIDITIES = ("I10", "E11.9", "E66.9")  # essential hypertension; type 2 diabetes; obesity

REVIEWERS = {"1": ["rn.garcia", "rn.chen", "rn.patel"], "2": ["md.okafor", "md.lindqvist"], "3": ["md.appeals"]}
LEVEL_NAMES = {"1": "L1 NURSE REVIEW", "2": "L2 PHYSICIAN REVIEW", "3": "L3 APPEAL REVIEW"}
#: What each review level says for an Auth decided with an action (the last review is the deciding one).
COMMENTS = {
    "A": "Criteria met (InterQual); approved as requested.",
    "R": "Criteria met for part of the units; approved in part, the rest denied with reason.",
    "P": "Clinical notes requested from the provider; pended until received.",
    "D": "Criteria not met; denial reason: {reason}.",
    "V": "Provider withdrew the request by phone; voided.",
}
#: The levels of an Auth's 1, 2 or 3 reviews by its decision's action: a denial or a partial approval is always
#: decided by a physician (level 2), a denial reviewed three times was appealed (level 3).
REVIEW_LEVELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "A": (("1",), ("1", "1"), ("1", "1", "2")),
    "R": (("2",), ("1", "2"), ("1", "2", "2")),
    "P": (("1",), ("1", "2"), ("1", "1", "2")),
    "D": (("2",), ("1", "2"), ("1", "2", "3")),
    "V": (("1",), ("1", "1"), ("1", "1", "1")),
}
FIRST_LOOK = "Received; intake complete, routed for clinical review."


@dataclass
class DemoAuth:
    """One demo Auth and its children, as a client would send them."""

    auth: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


def _code_pool() -> list[str]:
    return [code for code, weight in CODE_WEIGHTS.items() for _ in range(weight)]


def _stamp(day: dt.datetime) -> str:
    return day.strftime("%Y-%m-%dT%H:%M:%S")


def demo_records(count: int = 40, seed: int = 7) -> list[DemoAuth]:
    """The demo Auths with their lines, diagnoses and reviews (keys 0: assigned when written); the same every run.
    The diagnoses have a random source of their own (the Auths, lines and reviews are those they were before)."""
    rng, diagnosis_rng = random.Random(seed), random.Random(seed + 1)
    codes = {code: (action, description) for code, action, description in DECISION_CODES}
    pool = _code_pool()
    records = []
    for n in range(1, count + 1):
        month = rng.randint(1, 11)
        received = dt.datetime(2026, month, rng.randint(1, 28), rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
        code = rng.choice(pool)
        action, description = codes[code]
        auth_type = rng.choice(TYPES)
        urgent = rng.random() < 0.2
        decided = received + dt.timedelta(hours=rng.randint(4, 20) if urgent else rng.randint(24, 160))
        lines = _lines(rng, n, auth_type, action)
        requested = sum(line["units_Requested"] for line in lines)
        approved = sum(line["units_Approved"] or 0 for line in lines)
        auth: dict[str, Any] = {
            "auth_Number": f"DEMO{n:04d}",
            "auth_Type": auth_type,
            "auth_Code": code,
            "status": AUTH_ACTIONS[action][0],
            "subscriber_ID": f"{100000000 + n * 37 % 900:09d}",
            "member_Seq": "01",
            "provider_ID": f"PRV{rng.randint(1, 25):04d}",
            "case_Number": f"CASE-{n:05d}",
            "received_Date": _stamp(received),
            "requested_From": f"2026-{month + 1:02d}-01",
            "requested_Thru": f"2026-{month + 1:02d}-28",
            "units_Requested": requested,
            "units_Approved": approved if action in ("A", "R") else None,
            "units_Denied": requested - approved if action in ("R", "D") else None,
            "visits_Requested": rng.randint(6, 24),
            "amount_Requested": round(rng.uniform(100, 5000), 2),
            "approved_By": rng.choice(REVIEWERS["2" if action in ("D", "R") else "1"]),
            "approved_Date": _stamp(decided),
            "urgent": urgent,
            "closed": action in ("D", "V") and month < 6,
            "new_Or_Extended": rng.random() < 0.5,
            "previous_Treatment": False,
            "tPlan_DownLoaded": False,
            "tPlan_Printed": "N",
            "notes": f"Demo record: {description}",
        }
        reviews = _reviews(rng, auth["auth_Number"], action, description, (received, decided), urgent)
        records.append(DemoAuth(auth, lines, _diagnoses(diagnosis_rng, auth["auth_Number"], lines), reviews))
    return records


def _lines(rng: random.Random, n: int, auth_type: str, action: str) -> list[dict[str, Any]]:
    """1–4 lines; approved units: all of them (A), fewer on at least one line (R), 0 (D), none yet (P, V); used units
    only on approved lines, at most what was approved."""
    chosen = rng.sample(LINES[auth_type], rng.randint(1, min(4, len(LINES[auth_type]))))
    lines = []
    for i, (code, modifiers, low, high) in enumerate(chosen):
        requested = rng.randint(low, high)
        approved: int | None = {"A": requested, "D": 0}.get(action)
        if action == "R":
            approved = requested // 2 if i == 0 or rng.random() < 0.5 else requested
        used = rng.randint(0, approved) if approved else None
        mods = list(modifiers) + [None] * (4 - len(modifiers))
        lines.append(
            {
                "authProcCodes_Key": 0,
                "auth_Number": f"DEMO{n:04d}",
                "procedure_Code": code,
                "modifier1": mods[0],
                "modifier2": mods[1],
                "modifier3": mods[2],
                "modifier4": mods[3],
                "exclude_Modifier_Match": not modifiers,
                "units_Requested": requested,
                "units_Approved": approved,
                "units_Actual": used,
            }
        )
    return lines


def _diagnoses(rng: random.Random, number: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """1–3 distinct ICD-10-CM diagnoses that justify the Auth's procedure ``lines``: the first one (primary, "Y") is
    the first line's most likely diagnosis, the others those of its lines, then common comorbidities."""
    candidates = list(dict.fromkeys(code for line in lines for code in DIAGNOSES[line["procedure_Code"]]))
    wanted = rng.randint(1, 3)
    chosen = candidates[:1] + rng.sample(candidates[1:], min(wanted - 1, len(candidates) - 1))
    chosen += rng.sample(COMORBIDITIES, wanted - len(chosen))
    return [
        {
            "auth_Number": number,
            "diagnostic_Code": code,
            "diagnostic_Code_Type": "ICD10",
            "disable_Provider_Match": False,
            "primary_Diag": "Y" if i == 0 else "N",
        }
        for i, code in enumerate(chosen)
    ]


def _reviews(
    rng: random.Random,
    number: str,
    action: str,
    description: str,
    dates: tuple[dt.datetime, dt.datetime],
    urgent: bool,
) -> list[dict[str, Any]]:
    """0–3 reviews, oldest first, at the levels of :data:`REVIEW_LEVELS`, between the Auth's receipt and its decision;
    the last one, at the decision's time, says it (a pended Auth's last review is still open)."""
    wanted = rng.randint(0, 3)
    if not wanted:
        return []
    levels = REVIEW_LEVELS[action][wanted - 1]
    reviews = []
    received, decided = dates
    step = (decided - received) / len(levels)
    for i, level in enumerate(levels):
        last = i == len(levels) - 1
        when = decided if last else received + step * i + dt.timedelta(minutes=rng.randint(30, 90))
        reason = description.split(": ", 1)[-1]
        reviews.append(
            {
                "authReview_Key": 0,
                "auth_Number": number,
                "review_Level": LEVEL_NAMES[level],
                "review_Type": "APPEAL" if level == "3" else rng.choice(["PROSPECTIVE", "PROSPECTIVE", "CONCURRENT"]),
                "review_Status": ("OPEN" if action == "P" else "COMPLETE") if last else "COMPLETE",
                "review_Severity": rng.choice(["LOW", "MODERATE", "HIGH"]),
                "review_Urgency_Type": "EXPEDITED" if urgent else "STANDARD",
                "review_User": rng.choice(REVIEWERS[level]),
                "review_Date": _stamp(when),
                "review_Comment": COMMENTS[action].format(reason=reason) if last else FIRST_LOOK,
            }
        )
    return reviews


def _without_children(model: Any, numbers: list[str]) -> set[str]:
    have = set(model.objects.filter(auth_number__in=numbers).values_list("auth_number", flat=True).distinct())
    return set(numbers) - have


def _counts(outcome: BatchOutcome) -> dict[int, int]:
    failed = [r for r in outcome.results if not r.ok]
    if failed:
        raise RuntimeError(f"demo records refused: {[(r.key, r.status, r.body) for r in failed[:3]]}")
    return outcome.counts()


def load(*, user: Any) -> str:
    """The decision codes, the Auths, and their lines, diagnoses and reviews (each where an Auth has none) in every VBA
    database."""
    loaded = []
    records = demo_records()
    code_items = [{"auth_Code": c, "auth_Action": a, "description": d} for c, a, d in DECISION_CODES]
    for name in vba_database_names():
        with use_vba_database(name):
            codes = set(
                AuthCode.objects.filter(pk__in=[c["auth_Code"] for c in code_items]).values_list("pk", flat=True)
            )
            missing_codes = [c for c in code_items if c["auth_Code"] not in codes]
            if missing_codes:
                _counts(batch_upsert(AUTH_CODE, missing_codes, user=user))
            numbers = [r.auth["auth_Number"] for r in records]
            present = set(Auth.objects.filter(pk__in=numbers).values_list("pk", flat=True))
            missing_auths = [r.auth for r in records if r.auth["auth_Number"] not in present]
            if missing_auths:
                _counts(auth_batch_upsert(items=missing_auths, user=user))
            for resource, model, children in (
                (AUTH_PROC_CODES, AuthProcCodes, lambda r: r.lines),
                (AUTH_DIAG_CODES, AuthDiagCodes, lambda r: r.diagnoses),
                (AUTH_REVIEW, AuthReview, lambda r: r.reviews),
            ):
                bare = _without_children(model, numbers)
                items = [item for r in records if r.auth["auth_Number"] in bare for item in children(r)]
                if items:
                    _counts(batch_upsert(resource, items, user=user))
            loaded.append(
                f"{name}: {AuthCode.objects.count()} decision codes, {Auth.objects.count()} Auths, "
                f"{AuthProcCodes.objects.count()} procedure lines, {AuthDiagCodes.objects.count()} diagnoses, "
                f"{AuthReview.objects.count()} reviews"
            )
    return "; ".join(loaded)
