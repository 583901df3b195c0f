"""``seed_demo``'s care case work logs (issue 24): each demo case has a realistic log of 2-6 entries (its initial
assessment first, then calls, visits, emails…) dated within the case's period, logged by the demo care managers,
billable and not, with short comments that name no member; every entry has its history row, the summary counts them,
and running it again adds nothing and keeps what a user changed."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from carecases.demo import CARE_MANAGERS
from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from config.serving.tenancy import use_vba_database

pytestmark = pytest.mark.django_db(databases="__all__")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("database", ["demo", "other"])
def test_every_demo_case_has_a_work_log_within_its_period(database: str) -> None:
    text = seed()
    with use_vba_database(database):
        cases = {c.pk: c for c in CareCase.objects.all()}
        log: dict[int, list[Any]] = defaultdict(list)
        for entry in CareCaseWorkLog.objects.order_by("work_log_date", "pk"):
            log[entry.care_case_id].append(entry)
        history = list(CareCaseWorkLog.history.values_list("care_case_work_log_key", "history_type"))  # type: ignore[attr-defined]
    total = sum(map(len, log.values()))
    assert re.search(
        rf"Demo data of carecases: .*{database}: 4 CarePlans, 32 CareCases, {total} work log entries", text
    )
    assert set(log) == set(cases) and all(2 <= len(entries) <= 6 for entries in log.values())
    assert sorted(history) == sorted((e.pk, "+") for entries in log.values() for e in entries)
    for key, entries in log.items():
        case = cases[key]
        first = entries[0]
        assert (first.work_log_type, first.work_log_secondary_type) == ("ASSESSMENT", "INITIAL")
        end = case.case_end_date or timezone.now()
        assert all(case.case_start_date <= e.work_log_date <= end for e in entries), key
        assert all(e.work_log_user in CARE_MANAGERS for e in entries)
        assert all(e.work_log_hour * 60 + e.work_log_minute > 0 and e.work_log_units for e in entries)
        for identifier in (case.case_id, case.subscriber_id, case.group_id, case.provider_id):
            assert not any(identifier in e.work_log_comment for e in entries), (key, identifier)
    entries = [e for es in log.values() for e in es]
    assert {e.work_log_type for e in entries} >= {"ASSESSMENT", "CALL", "VISIT", "EMAIL"}
    assert {e.work_log_billable for e in entries} == {True, False}
    assert len({e.work_log_comment for e in entries}) >= 10
    assert all(e.work_log_comment and len(e.work_log_comment) <= 60 for e in entries)


def test_running_it_again_adds_nothing_and_keeps_a_changed_or_emptied_log() -> None:
    seed()
    with use_vba_database("demo"):
        counts = (CareCaseWorkLog.objects.count(), CareCaseWorkLog.history.count())  # type: ignore[attr-defined]
        changed = CareCaseWorkLog.objects.filter(care_case_id=101).order_by("pk").first()
        assert changed is not None
        CareCaseWorkLog.objects.filter(pk=changed.pk).update(work_log_comment="Changed by a user")
        emptied = list(CareCaseWorkLog.objects.filter(care_case_id=102).values_list("work_log_type", flat=True))
        CareCaseWorkLog.objects.filter(care_case_id=102).delete()
    seed()
    with use_vba_database("demo"):
        assert CareCaseWorkLog.objects.get(pk=changed.pk).work_log_comment == "Changed by a user"
        again = CareCaseWorkLog.objects.filter(care_case_id=102).order_by("work_log_date", "pk")
        assert [e.work_log_type for e in again] == emptied  # a case left without entries gets its demo log back
        assert CareCaseWorkLog.objects.count() == counts[0]
        # (the deleted entries left their "-" rows; the new ones their "+")
        assert CareCaseWorkLog.history.count() == counts[1] + 2 * len(emptied)  # type: ignore[attr-defined]
    with use_vba_database("other"):
        assert CareCaseWorkLog.objects.count() == counts[0]


def test_running_it_again_keeps_a_plan_and_a_case_changed_since() -> None:
    """``make run`` seeds on every start: a case a care manager closed, or a plan they renamed, stays so."""
    seed()
    with use_vba_database("demo"):
        CareCase.objects.filter(pk=101).update(case_status="CLOSED", case_reason="GOALS_MET")
        CarePlan.objects.filter(pk=1).update(description="Renamed by a user")
        history = (CareCase.history.count(), CarePlan.history.count())  # type: ignore[attr-defined]
    seed()
    with use_vba_database("demo"):
        case = CareCase.objects.get(pk=101)
        assert (case.case_status, case.case_reason) == ("CLOSED", "GOALS_MET")
        assert CarePlan.objects.get(pk=1).description == "Renamed by a user"
        assert (CareCase.history.count(), CarePlan.history.count()) == history  # type: ignore[attr-defined]
