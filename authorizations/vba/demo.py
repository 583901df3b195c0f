"""Demo Auths for the README's run command (loaded by ``manage.py seed_demo``)."""

from __future__ import annotations

import random
from typing import Any

from authorizations.vba.models import Auth
from authorizations.vba.services import auth_batch_upsert
from config.serving.tenancy import use_vba_database, vba_database_names

STATUSES = ["APPROVED", "PENDED", "DENIED", "CLOSED"]
TYPES = ["INPT", "OUTPT", "DME", "THERAPY"]


def demo_auths(count: int = 40, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    items = []
    for n in range(1, count + 1):
        month = rng.randint(1, 12)
        items.append(
            {
                "auth_Number": f"DEMO{n:04d}",
                "auth_Type": rng.choice(TYPES),
                "auth_Code": rng.choice(["A1", "B2", "C3"]),
                "status": rng.choice(STATUSES),
                "subscriber_ID": f"{100000000 + n * 37 % 900:09d}",
                "member_Seq": "01",
                "provider_ID": f"PRV{rng.randint(1, 25):04d}",
                "case_Number": f"CASE-{n:05d}",
                "received_Date": f"2026-{month:02d}-{rng.randint(1, 28):02d}T09:00:00",
                "requested_From": f"2026-{month:02d}-01",
                "requested_Thru": f"2026-{month:02d}-28",
                "visits_Requested": rng.randint(6, 24),
                "amount_Requested": round(rng.uniform(100, 5000), 2),
                "urgent": rng.random() < 0.2,
                "closed": False,
                "new_Or_Extended": rng.random() < 0.5,
                "previous_Treatment": False,
                "tPlan_DownLoaded": False,
                "tPlan_Printed": "N",
                "notes": "Demo record",
            }
        )
    return items


def load(*, user: Any) -> str:
    """VBA Auths in every VBA database."""
    loaded = []
    for name in vba_database_names():
        with use_vba_database(name):
            outcome = auth_batch_upsert(items=demo_auths(), user=user)
            loaded.append(f"{name}: {Auth.objects.count()} Auths ({outcome.counts()})")
    return "; ".join(loaded)
