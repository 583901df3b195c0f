"""The decision clock (vba-review.md decision 18): due time, decided, overdue, for one Auth and as expressions of a
queryset, which must agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from authorizations.models import Auth
from authorizations.vba import clock
from config.serving.tenancy import use_vba_database

pytestmark = pytest.mark.django_db(databases="__all__")

R = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


def make(number: str, received: dt.datetime | None, *, urgent: bool = False, status: str | None = "NEW") -> Auth:
    now = timezone.now()
    auth = Auth(
        auth_number=number,
        received_date=received,
        urgent=urgent,
        status=status,
        tplan_printed="N",
        entry_date=now,
        update_date=now,
    )
    auth.save()
    return auth


@pytest.fixture
def auths(in_demo: str) -> dict[str, Auth]:
    return {
        a.pk: a
        for a in (
            make("STD", R),
            make("EXP", R, urgent=True),
            make("PEND", R, urgent=True, status="PENDED"),
            make("NULL", R, urgent=True, status=None),
            make("VOID", R, urgent=True, status="VOIDED"),
            make("APPR", R, urgent=True, status="APPROVED"),
            make("DENY", R, status="DENIED"),
            make("PART", R, status="PARTIAL"),
            make("VOIDWORD", R, urgent=True, status="VOID"),  # not VOIDED: the clock runs (decision 18's words only)
            make("NORCV", None, urgent=True),
        )
    }


def test_due_is_received_plus_72_hours_expedited_and_7_days_standard(auths: dict[str, Auth]) -> None:
    assert clock.due_time(auths["EXP"]) == R + 72 * H
    assert clock.due_time(auths["STD"]) == R + dt.timedelta(days=7)
    assert clock.due_time(auths["NORCV"]) is None
    due = dict(Auth.objects.annotate(due=clock.due_time_expression()).values_list("pk", "due"))
    assert due == {pk: clock.due_time(auth) for pk, auth in auths.items()}


def test_decided_statuses_are_approved_denied_and_partial(auths: dict[str, Auth]) -> None:
    assert {pk for pk, a in auths.items() if clock.is_decided(a)} == {"APPR", "DENY", "PART"}
    assert {pk for pk, a in auths.items() if clock.clock_stopped(a)} == {"APPR", "DENY", "PART", "VOID"}


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (R + 72 * H, set()),  # at the due time: not late yet
        (R + 72 * H + SECOND, {"EXP", "PEND", "NULL", "VOIDWORD"}),
        (R + dt.timedelta(days=7), {"EXP", "PEND", "NULL", "VOIDWORD"}),
        (R + dt.timedelta(days=7) + SECOND, {"EXP", "PEND", "NULL", "VOIDWORD", "STD"}),
    ],
)
def test_overdue_is_undecided_strictly_past_due(auths: dict[str, Auth], now: dt.datetime, overdue: set[str]) -> None:
    assert {pk for pk, a in auths.items() if clock.is_overdue(a, now)} == overdue
    assert set(Auth.objects.filter(clock.overdue_q(now)).values_list("pk", flat=True)) == overdue
    flagged = Auth.objects.annotate(late=clock.overdue_expression(now)).filter(late=True)
    assert set(flagged.values_list("pk", flat=True)) == overdue


@override_settings(PA_EXPEDITED_HOURS=24, PA_STANDARD_DAYS=2)
def test_the_windows_come_from_settings(auths: dict[str, Auth]) -> None:
    assert clock.due_time(auths["EXP"]) == R + 24 * H
    assert clock.due_time(auths["STD"]) == R + 48 * H
    now = R + 24 * H + SECOND
    assert set(Auth.objects.filter(clock.overdue_q(now)).values_list("pk", flat=True)) == {
        "EXP",
        "PEND",
        "NULL",
        "VOIDWORD",
    }


def test_an_auth_decided_without_history_falls_back_to_its_approved_date(in_demo: str) -> None:
    """History missing (rows written before it was kept): a decided Auth's decision time is its approved_Date now."""
    auth = make("OLD", R, status="APPROVED")
    Auth.objects.filter(pk="OLD").update(approved_date=R + 5 * H)  # (no history row for this change)
    Auth.history.filter(auth_number="OLD").delete()  # type: ignore[attr-defined]
    auth.refresh_from_db()
    assert clock.decision_time(auth) == 5 * H
    annotated: Any = Auth.objects.annotate(t=clock.decision_time_expression()).get(pk="OLD")
    assert annotated.t == 5 * H


def test_decision_time_expression_reads_the_first_decided_history_row(in_demo: str) -> None:
    auth = make("HIST", R)
    for status, approved in (("DENIED", R + 3 * H), ("PENDED", R + 4 * H), ("APPROVED", R + 9 * H)):
        auth.status, auth.approved_date = status, approved
        auth.save()
    annotated: Any = Auth.objects.annotate(t=clock.decision_time_expression()).get(pk="HIST")
    assert annotated.t == clock.decision_time(auth) == 3 * H
    with use_vba_database("other"):
        assert not Auth.objects.exists()
