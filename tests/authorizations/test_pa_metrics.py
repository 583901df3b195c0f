"""The prior-authorization metrics (vba-review.md decision 19) and ``report_pa_metrics``: a year of Auths built through
the real write paths (``PUT /auths``, ``process-status`` by the API, the service and the ``process_status`` command,
``adjust`` by the API and the ``adjust_auth`` command) at known times (time-machine), and every figure checked
exactly, in the three formats. An adjustment (``prior_Auth`` set, decision 20) is counted on its own line, never as a
new request."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from authorizations.models import Auth
from authorizations.vba import clock
from authorizations.vba.metrics import FIELDS, GROUPS, PAMetricsRow, pa_metrics
from authorizations.vba.services import auth_adjust, auth_process_status
from config.serving.tenancy import use_vba_database
from config.vba.authentication import issue_tokens
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient

pytestmark = pytest.mark.django_db(databases=ALL)

UTC = dt.UTC
H = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)
#: when the standard and the expedited requests of 2025 are received
RS = dt.datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
RE = dt.datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
#: the body of an adjustment that keeps the original's period and copies no line
ADJUST = {"recalcIBNR": False, "copyProcCodes": False, "copyDiagCodes": False}
CODES = [("CA", "A"), ("CD", "D"), ("CP", "P"), ("CV", "V"), ("CR", "R")]


def wire(moment: dt.datetime) -> str:
    """A datetime as a VBA client sends it (naive, in the server's time zone: UTC in the tests)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def request(number: str, received: dt.datetime | None, *, urgent: bool = False, **fields: Any) -> dict[str, Any]:
    return auth_item(number, received_Date=wire(received) if received else None, urgent=urgent, **fields)


class Desk:
    """Where the changes come from: a VBA client (tokens issued at the travelled time), the decision service, and
    the ``process_status`` command, each at a moment of its own."""

    def __init__(self, api_key: str, user: Any) -> None:
        self.api_key, self.user = api_key, user

    @contextmanager
    def at(self, moment: dt.datetime) -> Iterator[VBAClient]:
        with time_machine.travel(moment, tick=False):
            token = issue_tokens(self.user, "demo")["authenticationResult"]["idToken"]
            yield VBAClient(self.api_key, token)

    def put(self, moment: dt.datetime, *items: dict[str, Any]) -> None:
        with self.at(moment) as vba:
            response = vba.call("PUT", "auths", list(items))
            assert response.status_code == 207, response.content
            assert all(r["status"] in (200, 201) for r in response.json()["data"]), response.json()

    def api_decides(self, moment: dt.datetime, number: str, code: str) -> None:
        with self.at(moment) as vba:
            response = vba.call("POST", f"auths/{number}/process-status/{code}")
            assert response.status_code == 200, response.content

    def service_decides(self, moment: dt.datetime, number: str, code: str) -> None:
        with time_machine.travel(moment, tick=False), use_vba_database("demo"):
            auth_process_status(auth_number=number, code=code, user=self.user)

    def command_decides(self, moment: dt.datetime, number: str, code: str) -> None:
        with time_machine.travel(moment, tick=False):
            call_command("process_status", number, code, database="demo", user=self.user.username, stdout=io.StringIO())

    def api_adjusts(self, moment: dt.datetime, number: str) -> str:
        """``POST /auths/{number}/adjust`` (the original's period kept); the new Auth's number."""
        body = ADJUST | {"auth_Number": number}
        with self.at(moment) as vba:
            response = vba.call("POST", f"auths/{number}/adjust", body)
            assert response.status_code == 200, response.content
            new = response.json()["data"]
            assert new["prior_Auth"] == number
            return str(new["auth_Number"])

    def command_adjusts(self, moment: dt.datetime, number: str) -> str:
        out = io.StringIO()
        with time_machine.travel(moment, tick=False):
            call_command("adjust_auth", number, database="demo", user=self.user.username, stdout=out)
        new, adjusts = out.getvalue().split()[1], out.getvalue().split()[-1]
        assert adjusts == number
        return new


@pytest.fixture
def desk(api_key: str, user: Any) -> Desk:
    desk = Desk(api_key, user)
    # (every test travels forward only: the rate limiter's buckets, on the wall clock, refuse a clock set back)
    with desk.at(dt.datetime(2024, 1, 1, tzinfo=UTC)) as vba:
        items = [{"auth_Code": code, "auth_Action": action, "description": code} for code, action in CODES]
        assert [r["status"] for r in vba.call("PUT", "auth-codes-batch", items).json()["data"]] == [201] * 5
    return desk


@pytest.fixture
def year_2025(desk: Desk) -> None:
    """Standard requests S1-S8 received at RS, expedited E1-E6 at RE, N1-N2 without received_Date (keyed in 2025),
    X1-X3 that belong to 2024 and 2026, and two adjustments (of S8 and of E1, received when their originals were).
    Decision times in hours are noted per Auth."""
    desk.put(
        RS + H,
        *(request(f"S{n}", RS, status="NEW") for n in (1, 2, 3, 4, 6, 7)),
        request("N1", None, status="APPROVED", approved_Date=wire(RS + H)),
        request("N2", None, status="NEW"),
        request("X1", dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC), status="APPROVED", approved_Date=wire(RS)),
        request("X2", dt.datetime(2026, 1, 1, tzinfo=UTC), status="NEW"),
    )
    desk.service_decides(RS + 5 * H, "S4", "CP")  # pended: still pending (no decision time)
    desk.api_decides(RS + 10 * H, "S3", "CV")  # voided: no decision
    desk.api_decides(RS + 24 * H, "S2", "CD")  # S2: 24 h (its first decision), denied…
    desk.service_decides(RS + 40 * H, "N2", "CD")
    desk.api_decides(RS + 48 * H, "S1", "CA")  # S1: 48 h
    desk.command_decides(RS + 168 * H, "S6", "CR")  # S6: 168 h exactly, within the due time (inclusive)
    # S7 decided by a client's PUT (VBA's contract: the status and approved_Date as sent): 168 h + 1 s, late
    desk.put(RS + 170 * H, request("S7", RS, status="DENIED", approved_Date=wire(RS + 168 * H + SECOND)))
    desk.service_decides(RS + 200 * H, "S2", "CA")  # … then approved: approved after an earlier denial
    # created already decided: their approved_Date as sent (S5: 150 h, S8: 30 h)
    desk.put(
        RS + 300 * H,
        request("S5", RS, status="APPROVED", approved_Date=wire(RS + 150 * H)),
        request("S8", RS, status="DENIED", approved_Date=wire(RS + 30 * H)),
    )
    # a later change of S1's approved_Date does not move its decision time (its first decided status counts)
    desk.put(RS + 500 * H, request("S1", RS, status="APPROVED", approved_Date=wire(RS + 400 * H)))
    # S8 (denied) adjusted, the adjustment (created DENIED, a copy) then approved: on the adjustment line only
    desk.api_decides(RS + 600 * H, desk.api_adjusts(RS + 550 * H, "S8"), "CA")

    desk.put(RE + H, *(request(f"E{n}", RE, urgent=True, status="NEW") for n in range(1, 7)))
    desk.api_decides(RE + 10 * H, "E3", "CD")  # E3: 10 h
    desk.command_decides(RE + 20 * H, "E6", "CD")  # E6: 20 h
    desk.service_decides(RE + 30 * H, "E5", "CR")  # E5: 30 h
    desk.api_decides(RE + 72 * H, "E1", "CA")  # E1: 72 h exactly, within
    desk.api_decides(RE + 72 * H + SECOND, "E2", "CA")  # E2: 72 h + 1 s, late; E4 stays pending
    desk.command_adjusts(RE + 100 * H, "E1")  # E1 adjusted: the adjustment stays APPROVED (a copy)

    desk.put(dt.datetime(2026, 2, 1, tzinfo=UTC), request("X3", None, status="NEW"))


def row(group: str, received: int, *figures: str | None) -> PAMetricsRow:
    values = [None if f is None else Decimal(f) for f in figures]
    return PAMetricsRow(group, received, *values)


EXPECTED_2025 = [
    # 8 received; approved S1 S2 S5 S6; denied S7 S8; approved after denial S2; times 24 30 48 150 168 168h+1s:
    # mean 588.0003/6 = 98.0, median (48 + 150)/2 = 99.0; within 168 h: S1 S2 S5 S6 S8
    row("standard", 8, "50.0", "25.0", "12.5", "98.0", "99.0", "62.5"),
    # 6 received; approved E1 E2 E5; denied E3 E6; times 10 20 30 72 72h+1s: mean 204.0003/5 = 40.8, median 30;
    # within 72 h: E1 E3 E5 E6
    row("expedited", 6, "50.0", "33.3", "0.0", "40.8", "30.0", "66.7"),
    # N1 approved, N2 denied: no clock
    row("no_received_date", 2, "50.0", "50.0", "0.0", None, None, None),
    # the adjustments of S8 (denied when created, as S8 was, then approved) and of E1 (approved): no clock
    row("adjustment", 2, "100.0", "0.0", "50.0", None, None, None),
]


def test_a_year_of_auths_gives_every_figure_exactly(year_2025: None) -> None:
    assert pa_metrics(database="demo", year=2025) == EXPECTED_2025


def test_the_years_around_hold_only_their_own_auths(year_2025: None) -> None:
    assert pa_metrics(database="demo", year=2024) == [
        row("standard", 1, "100.0", "0.0", "0.0", "1472.0", "1472.0", "0.0"),  # X1, decided 61 d 8 h + 1 s later
        row("expedited", 0, None, None, None, None, None, None),
        row("no_received_date", 0, None, None, None, None, None, None),
        row("adjustment", 0, None, None, None, None, None, None),
    ]
    assert pa_metrics(database="demo", year=2026) == [
        row("standard", 1, "0.0", "0.0", "0.0", None, None, "0.0"),  # X2, pending
        row("expedited", 0, None, None, None, None, None, None),
        row("no_received_date", 1, "0.0", "0.0", "0.0", None, None, None),  # X3, keyed in 2026
        row("adjustment", 0, None, None, None, None, None, None),
    ]


def test_metrics_of_one_database_ignore_the_others(year_2025: None) -> None:
    assert [r.received for r in pa_metrics(database="other", year=2025)] == [0, 0, 0, 0]


def test_a_decision_time_that_moves_after_the_first_decision_keeps_the_first(year_2025: None) -> None:
    """S1's approved_Date was changed by a later PUT; its decision time stays the one of its first decision."""
    with use_vba_database("demo"):
        s1 = Auth.objects.get(pk="S1")
        assert s1.approved_date == RS + 400 * H
        assert clock.decision_instant(s1) == RS + 48 * H
        assert clock.decision_time(s1) == 48 * H
        assert clock.decision_time(Auth.objects.get(pk="S5")) == 150 * H  # created decided: as sent
        assert clock.decision_time(Auth.objects.get(pk="S3")) is None  # voided
        assert clock.decision_time(Auth.objects.get(pk="N1")) is None  # no clock


def test_the_year_is_the_year_of_received_date_in_the_server_time_zone(desk: Desk) -> None:
    new_york_new_year = dt.datetime(2025, 1, 1, 5, 0, tzinfo=UTC)  # 00:00 in New York
    desk.put(
        new_york_new_year + H,
        request("Y1", new_york_new_year - SECOND, status="NEW"),  # 2024-12-31 23:59:59 in New York
        request("Y2", new_york_new_year, status="NEW"),
    )
    assert [r.received for r in pa_metrics(database="demo", year=2025)] == [2, 0, 0, 0]  # UTC
    with override_settings(TIME_ZONE="America/New_York"):
        assert [r.received for r in pa_metrics(database="demo", year=2024)] == [1, 0, 0, 0]
        assert [r.received for r in pa_metrics(database="demo", year=2025)] == [1, 0, 0, 0]


@override_settings(PA_EXPEDITED_HOURS=24, PA_STANDARD_DAYS=2)
def test_the_windows_are_configurable(year_2025: None) -> None:
    rows = {r.group: r for r in pa_metrics(database="demo", year=2025)}
    assert rows["standard"].decided_within_due_pct == Decimal("37.5")  # S1 48 h, S2 24 h, S8 30 h of 8
    assert rows["expedited"].decided_within_due_pct == Decimal("33.3")  # E3 10 h, E6 20 h of 6


def test_an_import_gives_the_same_figures_as_the_api(desk: Desk, tmp_path: Path) -> None:
    """The same changes through ``upsert_auths`` (a file, into ``other``) and through ``PUT /auths`` (into ``demo``)."""
    created = [
        request("I1", RS, status="APPROVED", approved_Date=wire(RS + 10 * H)),
        request("I2", RS, urgent=True, status="DENIED", approved_Date=wire(RS + 80 * H)),
        request("I3", RS, urgent=True, status="NEW"),
    ]
    changed = [request("I3", RS, urgent=True, status="PARTIAL", approved_Date=wire(RS + 70 * H))]
    desk.put(RS + 100 * H, *created)
    desk.put(RS + 101 * H, *changed)
    for name, items, moment in (("created", created, RS + 100 * H), ("changed", changed, RS + 101 * H)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(items))
        with time_machine.travel(moment, tick=False):
            call_command("upsert_auths", str(path), "--database", "other", "--user", "alice", stdout=io.StringIO())
    expected = [
        row("standard", 1, "100.0", "0.0", "0.0", "10.0", "10.0", "100.0"),
        row("expedited", 2, "50.0", "50.0", "0.0", "75.0", "75.0", "50.0"),  # I2 80 h (late), I3 70 h
        row("no_received_date", 0, None, None, None, None, None, None),
        row("adjustment", 0, None, None, None, None, None, None),
    ]
    assert pa_metrics(database="demo", year=2025) == expected
    assert pa_metrics(database="other", year=2025) == expected


def test_an_auth_deleted_and_created_again_starts_a_new_history(desk: Desk) -> None:
    """The history rows of an earlier Auth of the same number (before its deletion) are not this Auth's: neither its
    denial nor its decision time count."""
    desk.put(RS + H, request("D1", RS, status="NEW"))
    desk.api_decides(RS + 2 * H, "D1", "CD")
    with desk.at(RS + 3 * H) as vba:
        assert vba.call("DELETE", "auths/D1").status_code == 204
    desk.put(RS + 4 * H, request("D1", RS, status="NEW"))
    desk.api_decides(RS + 50 * H, "D1", "CA")
    assert pa_metrics(database="demo", year=2025)[0] == row(
        "standard", 1, "100.0", "0.0", "0.0", "50.0", "50.0", "100.0"
    )
    with use_vba_database("demo"):
        assert clock.decision_time(Auth.objects.get(pk="D1")) == 50 * H


def test_an_adjustment_is_not_a_second_request(desk: Desk) -> None:
    """At the user's edge: a request denied, then adjusted (the adjustment copies its received_Date, status DENIED,
    code and approved_Date), the adjustment approved. The request is counted once, denied, never approved after
    denial; the adjustment is counted on its own line, approved."""
    desk.put(RS + H, request("R1", RS, status="NEW"))
    desk.api_decides(RS + 20 * H, "R1", "CD")
    adjustment = desk.api_adjusts(RS + 30 * H, "R1")
    with desk.at(RS + 31 * H) as vba:
        copied = vba.call("GET", f"auths/{adjustment}").json()["data"]
    assert (copied["prior_Auth"], copied["status"], copied["received_Date"]) == ("R1", "DENIED", wire(RS))
    desk.api_decides(RS + 40 * H, adjustment, "CA")
    assert pa_metrics(database="demo", year=2025) == [
        row("standard", 1, "0.0", "100.0", "0.0", "20.0", "20.0", "100.0"),  # R1: its denial at 20 h stays
        row("expedited", 0, None, None, None, None, None, None),
        row("no_received_date", 0, None, None, None, None, None, None),
        # approved now; DENIED earlier in its own history (created as a copy of R1), hence approved after denial
        row("adjustment", 1, "100.0", "0.0", "100.0", None, None, None),
    ]


def test_an_auth_sent_with_prior_auth_is_an_adjustment_whichever_path(desk: Desk, tmp_path: Path) -> None:
    """``prior_Auth`` set by a client (``PUT /auths``, into ``demo``) or by a file (``upsert_auths``, into ``other``):
    the same adjustment line. An empty ``prior_Auth`` names no Auth: a request. An adjustment without received_Date
    is an adjustment too (in the year of its entry_Date)."""
    items = [
        request("P1", RS, status="DENIED", approved_Date=wire(RS + 5 * H)),
        request("P2", RS, status="APPROVED", approved_Date=wire(RS + 10 * H), prior_Auth="P1"),
        request("P3", RS, urgent=True, status="APPROVED", approved_Date=wire(RS + 50 * H), prior_Auth=""),
        request("P4", None, urgent=True, status="NEW", prior_Auth="P1"),
    ]
    desk.put(RS + 100 * H, *items)
    path = tmp_path / "auths.json"
    path.write_text(json.dumps(items))
    with time_machine.travel(RS + 100 * H, tick=False):
        call_command("upsert_auths", str(path), "--database", "other", "--user", "alice", stdout=io.StringIO())
    expected = [
        row("standard", 1, "0.0", "100.0", "0.0", "5.0", "5.0", "100.0"),  # P1
        row("expedited", 1, "100.0", "0.0", "0.0", "50.0", "50.0", "100.0"),  # P3
        row("no_received_date", 0, None, None, None, None, None, None),
        row("adjustment", 2, "50.0", "0.0", "0.0", None, None, None),  # P2 approved, P4 new
    ]
    assert pa_metrics(database="demo", year=2025) == expected
    assert pa_metrics(database="other", year=2025) == expected


def _tenth(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)


def group_of(auth: Auth) -> str:
    """An adjustment (``prior_auth`` not null nor empty) first, whatever its received_Date and urgency."""
    if auth.prior_auth:
        return "adjustment"
    return "no_received_date" if auth.received_date is None else "expedited" if auth.urgent else "standard"


def reference_metrics(database: str, year: int) -> list[PAMetricsRow]:
    """Decision 19 computed in Python, one Auth at a time, with :mod:`authorizations.vba.clock`."""
    rows = []
    with use_vba_database(database):
        auths = [a for a in Auth.objects.all() if (a.received_date or a.entry_date).year == year]
        for group in GROUPS:
            mine = [a for a in auths if group == group_of(a)]
            n = len(mine)
            approved = [a for a in mine if a.status in ("APPROVED", "PARTIAL")]
            after = [a for a in approved if clock.current_history(a.pk).filter(status="DENIED").exists()]
            times = [t for a in mine if (t := clock.decision_time(a)) is not None]
            us = [t // dt.timedelta(microseconds=1) for t in times]
            within = [a for a in mine if (t := clock.decision_time(a)) is not None and t <= clock.window(a.urgent)]
            hours = Decimal(3_600_000_000)
            clocked = group in ("standard", "expedited")
            rows.append(
                PAMetricsRow(
                    group,
                    n,
                    _tenth(Decimal(len(approved) * 100) / n) if n else None,
                    _tenth(Decimal(sum(a.status == "DENIED" for a in mine) * 100) / n) if n else None,
                    _tenth(Decimal(len(after) * 100) / n) if n else None,
                    _tenth(Decimal(sum(us)) / len(us) / hours) if us and clocked else None,
                    _tenth(Decimal(statistics.median(us)) / hours) if us and clocked else None,
                    _tenth(Decimal(len(within) * 100) / n) if n and clocked else None,
                )
            )
    return rows


def test_generated_auths_give_the_figures_of_the_python_reference(desk: Desk) -> None:
    """``generate_auths`` (its '+' history rows written by SQL), then some decisions and re-decisions, adjustments
    (some then decided) and empty ``prior_auth`` values, against the same definitions computed one Auth at a time in
    Python."""
    call_command("generate_auths", "--count", "1500", "--database", "demo", "--seed", "7", stdout=io.StringIO())
    with use_vba_database("demo"):
        keys = list(
            Auth.objects.filter(received_date__year=2024, status="PENDED")  # the generator's undecided ones
            .order_by("pk")
            .values_list("pk", "received_date")[:16]
        )
    assert len(keys) == 16
    for i, (key, received) in enumerate(keys):
        assert received is not None
        moment = received + dt.timedelta(hours=7 * i + 1)
        desk.service_decides(moment, key, ("CD", "CA", "CR", "CV")[i % 4])
        if i % 4 == 0:  # denied, then approved a day later
            desk.service_decides(moment + 24 * H, key, "CA")
        if i % 3 == 0:  # adjusted; half of the adjustments then decided again
            with time_machine.travel(moment + 48 * H, tick=False), use_vba_database("demo"):
                new = auth_adjust(auth_number=key, adjustment=ADJUST | {"auth_Number": key}, user=desk.user).pk
            if i % 2 == 0:
                desk.service_decides(moment + 72 * H, new, ("CA", "CD")[i % 4 // 2])
    with use_vba_database("demo"):  # an empty prior_auth names no Auth: these stay requests
        Auth.objects.filter(pk__in=[key for key, _ in keys[1:16:3]]).update(prior_auth="")
    reference = reference_metrics("demo", 2024)
    assert reference[0].received > 150 and reference[1].received > 10 and reference[3].received == 6
    assert reference[0].approved_after_denial_pct and reference[0].approved_after_denial_pct > 0
    assert pa_metrics(database="demo", year=2024) == reference


def test_a_year_without_auths_has_null_figures(db: Any) -> None:
    assert pa_metrics(database="demo", year=2025) == [
        row(group, 0, None, None, None, None, None, None) for group in GROUPS
    ]


# --- The command ---------------------------------------------------------------------------------------------------


def report(*args: str) -> str:
    out = io.StringIO()
    call_command("report_pa_metrics", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_a_table_by_default(year_2025: None) -> None:
    assert report("--database", "demo", "--year", "2025") == (
        "Prior-authorization metrics, database demo, year 2025 (received_Date in UTC); "
        "due within 72 h expedited, 168 h standard\n"
        "group             received  approved %  denied %  approved after denial %  avg decision h"
        "  median decision h  decided within due %\n"
        "standard                 8        50.0      25.0                     12.5            98.0"
        "               99.0                  62.5\n"
        "expedited                6        50.0      33.3                      0.0            40.8"
        "               30.0                  66.7\n"
        "no_received_date         2        50.0      50.0                      0.0               -"
        "                  -                     -\n"
        "adjustment               2       100.0       0.0                     50.0               -"
        "                  -                     -\n"
    )


def test_the_command_writes_json_with_stable_names(year_2025: None) -> None:
    document = json.loads(report("--database", "demo", "--year", "2025", "--format", "json"))
    assert document == {
        "database": "demo",
        "year": 2025,
        "time_zone": "UTC",
        "expedited_hours": 72,
        "standard_hours": 168,
        "rows": [
            {
                "group": "standard",
                "received": 8,
                "approved_pct": 50.0,
                "denied_pct": 25.0,
                "approved_after_denial_pct": 12.5,
                "avg_decision_hours": 98.0,
                "median_decision_hours": 99.0,
                "decided_within_due_pct": 62.5,
            },
            {
                "group": "expedited",
                "received": 6,
                "approved_pct": 50.0,
                "denied_pct": 33.3,
                "approved_after_denial_pct": 0.0,
                "avg_decision_hours": 40.8,
                "median_decision_hours": 30.0,
                "decided_within_due_pct": 66.7,
            },
            {
                "group": "no_received_date",
                "received": 2,
                "approved_pct": 50.0,
                "denied_pct": 50.0,
                "approved_after_denial_pct": 0.0,
                "avg_decision_hours": None,
                "median_decision_hours": None,
                "decided_within_due_pct": None,
            },
            {
                "group": "adjustment",
                "received": 2,
                "approved_pct": 100.0,
                "denied_pct": 0.0,
                "approved_after_denial_pct": 50.0,
                "avg_decision_hours": None,
                "median_decision_hours": None,
                "decided_within_due_pct": None,
            },
        ],
    }


def test_the_command_writes_csv_with_stable_names(year_2025: None) -> None:
    text = report("--database", "demo", "--year", "2025", "--format", "csv")
    assert text == (
        "database,year,group,received,approved_pct,denied_pct,approved_after_denial_pct,avg_decision_hours,"
        "median_decision_hours,decided_within_due_pct\n"
        "demo,2025,standard,8,50.0,25.0,12.5,98.0,99.0,62.5\n"
        "demo,2025,expedited,6,50.0,33.3,0.0,40.8,30.0,66.7\n"
        "demo,2025,no_received_date,2,50.0,50.0,0.0,,,\n"
        "demo,2025,adjustment,2,100.0,0.0,50.0,,,\n"
    )
    assert list(csv.reader(io.StringIO(text)))[0][2:] == list(FIELDS)


def test_the_command_requires_a_year_and_a_known_database(db: Any) -> None:
    with pytest.raises(CommandError, match="--year"):
        report("--database", "demo")
    with pytest.raises(CommandError, match="Unknown VBA database 'nope'"):
        report("--database", "nope", "--year", "2025")
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        report("--database", "demo", "--year", "2025", "--format", "xml")


@pytest.mark.parametrize("year", ["0", "-5", "1899", "9999", "99999", "20x5", "٢٠٢٥"])
def test_a_year_out_of_range_is_refused_naming_the_range_as_the_page_does(db: Any, year: str) -> None:
    with pytest.raises(CommandError, match=f"The year must be a whole number from 1900 to 2999, not '{year}'"):
        report("--database", "demo", "--year", year)
