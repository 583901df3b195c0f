"""The prior-authorization metrics of one calendar year (vba-review.md decision 19; CMS-0057-F's public report),
computed in the database: one statement of SQL aggregates (and a window for the median) over the Auths of the year
and their history, on SQLite and PostgreSQL.

Per group (standard, expedited, a line of its own for Auths without ``received_Date``, and a line of its own for
adjustments):

- ``received``: the Auths of the year and group (whatever their status: pending and voided ones count here only);
- ``approved_pct``: status now APPROVED or PARTIAL; ``denied_pct``: status now DENIED;
- ``approved_after_denial_pct``: status now APPROVED or PARTIAL, and DENIED in an earlier history row (the closest
  the records come to "approved after appeal");
- ``avg_decision_hours``, ``median_decision_hours``: decision times (:mod:`authorizations.vba.clock`: from
  ``received_Date`` to the ``approved_Date`` of the first history row in a decided status) of the Auths that have
  one; the median of an even number of times is the mean of the two middle ones;
- ``decided_within_due_pct``: a decision time of at most the group's window (72 h, 168 h by default), inclusive.

An Auth whose ``prior_auth`` is set (not null, not empty) is an *adjustment* of the Auth it names (decision 20:
``adjust`` writes it, and so may ``PUT /auths``, a batch, an import or the admin), a change to an authorization
already requested, not a new request: it is counted on the ``adjustment`` line only, never as standard, expedited or
without ``received_Date``. Otherwise an adjusted Auth would be counted twice (adjust copies the original's
``received_Date``, status and ``approved_Date``), and an adjustment of a denied Auth, then approved, would be
"approved after denial" beside the original's denial.

Percentages are of ``received``, 0-100 with one decimal (half up), hours with one decimal; a figure whose
denominator is 0 is None, and the lines without ``received_Date`` and of adjustments have no clock (their hours and
within-due are None). An Auth belongs to the year of its ``received_Date`` in ``settings.TIME_ZONE``; one without
``received_Date``, to the year of its ``entry_Date`` (when it was keyed in), the only date every Auth has; an
adjustment likewise.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import NotSupportedError, connections, transaction
from django.db.models import BigIntegerField, Case, Exists, Func, IntegerField, Q, Value, When

from authorizations.vba.clock import current_history, decision_time_expression, expedited_window, standard_window
from authorizations.vba.models import Auth

STANDARD, EXPEDITED, NO_RECEIVED_DATE, ADJUSTMENT = "standard", "expedited", "no_received_date", "adjustment"
GROUPS = (STANDARD, EXPEDITED, NO_RECEIVED_DATE, ADJUSTMENT)
#: The groups with a decision clock (the others' hours and within-due are None).
CLOCKED = (STANDARD, EXPEDITED)
#: Statuses counted as approved (decision 19).
APPROVED_NOW = ("APPROVED", "PARTIAL")
DENIED = "DENIED"
#: The figures of a row, in order: the field names of the JSON and CSV formats.
FIELDS = (
    "group",
    "received",
    "approved_pct",
    "denied_pct",
    "approved_after_denial_pct",
    "avg_decision_hours",
    "median_decision_hours",
    "decided_within_due_pct",
)

#: The years the report covers (the page and the command refuse any other with a message).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_year(text: str) -> int:
    """A year as the page or the command was given it: a whole number from FIRST_YEAR to LAST_YEAR, or ValueError
    saying so."""
    text = text.strip()
    if text.isascii() and text.isdigit() and FIRST_YEAR <= int(text) <= LAST_YEAR:
        return int(text)
    raise ValueError(f"The year must be a whole number from {FIRST_YEAR} to {LAST_YEAR}, not {text!r}.")


#: The column headings of a table of the figures (the command's table, the admin's page), one per field of FIELDS.
HEADINGS = {
    "group": "group",
    "received": "received",
    "approved_pct": "approved %",
    "denied_pct": "denied %",
    "approved_after_denial_pct": "approved after denial %",
    "avg_decision_hours": "avg decision h",
    "median_decision_hours": "median decision h",
    "decided_within_due_pct": "decided within due %",
}


def cell(value: Any) -> str:
    """A figure as a table shows it: "-" for None (no denominator, or no clock)."""
    return "-" if value is None else str(value)


def window_hours(window: dt.timedelta) -> int:
    return int(window.total_seconds() // 3600)


def table_title(database: str, year: int) -> str:
    """The title of a table of the figures of ``year``: what the year means and the due windows."""
    return (
        f"Prior-authorization metrics, database {database}, year {year} (received_Date in {settings.TIME_ZONE}); "
        f"due within {window_hours(expedited_window())} h expedited, {window_hours(standard_window())} h standard"
    )


_TENTH = Decimal("0.1")
_US_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class PAMetricsRow:
    group: str
    received: int
    approved_pct: Decimal | None
    denied_pct: Decimal | None
    approved_after_denial_pct: Decimal | None
    avg_decision_hours: Decimal | None
    median_decision_hours: Decimal | None
    decided_within_due_pct: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Microseconds(Func):
    """A duration expression as a whole number of microseconds (exact on both databases)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="%(expressions)s")  # django_timestamp_diff: microseconds

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        raise NotSupportedError(f"PA metrics support SQLite and PostgreSQL, not {connection.vendor}")


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``year`` and of the next, in the server's time zone (``settings.TIME_ZONE``)."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


def is_adjustment() -> Q:
    """An Auth that adjusts another: its ``prior_auth`` is set (not null, not empty), whatever path wrote it."""
    return Q(prior_auth__isnull=False) & ~Q(prior_auth="")


def per_auth(using: str, year: int) -> Any:
    """One row per Auth of ``year``: its group, 0/1 flags, its decision time in microseconds (or null) and its
    window in microseconds."""
    start, end = year_bounds(year)
    denied_before = Exists(current_history().filter(status=DENIED))
    flag: dict[str, Any] = {"default": Value(0), "output_field": IntegerField()}
    window_us = {
        urgent: int(w / dt.timedelta(microseconds=1))
        for urgent, w in ((True, expedited_window()), (False, standard_window()))
    }
    return (
        Auth.objects.using(using)
        .filter(
            Q(received_date__gte=start, received_date__lt=end)
            | Q(received_date__isnull=True, entry_date__gte=start, entry_date__lt=end)
        )
        .order_by()
        .annotate(
            grp=Case(
                When(is_adjustment(), then=Value(ADJUSTMENT)),
                When(received_date__isnull=True, then=Value(NO_RECEIVED_DATE)),
                When(urgent=True, then=Value(EXPEDITED)),
                default=Value(STANDARD),
            ),
            is_approved=Case(When(status__in=APPROVED_NOW, then=Value(1)), **flag),
            is_denied=Case(When(status=DENIED, then=Value(1)), **flag),
            after_denial=Case(When(Q(status__in=APPROVED_NOW) & denied_before, then=Value(1)), **flag),
            us=Microseconds(decision_time_expression()),
            win=Case(When(urgent=True, then=Value(window_us[True])), default=Value(window_us[False])),
        )
        .values("grp", "is_approved", "is_denied", "after_denial", "us", "win")
    )


_AGGREGATE = """
WITH per_auth AS ({per_auth}),
ranked AS (
    SELECT grp, us, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY us) AS k, COUNT(*) OVER (PARTITION BY grp) AS n
    FROM per_auth WHERE us IS NOT NULL
),
middle AS (
    SELECT grp, SUM(us) AS mid_sum, COUNT(*) AS mid_n FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY grp
),
totals AS (
    SELECT grp, COUNT(*) AS received, SUM(is_approved) AS approved, SUM(is_denied) AS denied,
        SUM(after_denial) AS after_denial, COUNT(us) AS timed, SUM(us) AS us_sum,
        SUM(CASE WHEN us <= win THEN 1 ELSE 0 END) AS within
    FROM per_auth GROUP BY grp
)
SELECT t.grp, t.received, t.approved, t.denied, t.after_denial, t.timed, t.us_sum, t.within, m.mid_sum, m.mid_n
FROM totals t LEFT JOIN middle m ON m.grp = t.grp
"""


def _pct(part: Any, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / whole).quantize(_TENTH, ROUND_HALF_UP)


def _hours(total_us: Any, count: Any) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total_us) / (Decimal(count) * _US_PER_HOUR)).quantize(_TENTH, ROUND_HALF_UP)


def pa_metrics(*, database: str, year: int) -> list[PAMetricsRow]:
    """The metrics of ``year`` in VBA database ``database``: one row per group of :data:`GROUPS`, in that order (a
    group without Auths has ``received`` 0 and every figure None)."""
    inner, params = per_auth(database, year).query.get_compiler(using=database).as_sql()
    with transaction.atomic(using=database), connections[database].cursor() as cursor:
        if cursor.db.vendor == "postgresql":
            # PostgreSQL's JIT compiles this statement's deep expressions for longer than it then runs (8 of 10 s
            # for a year of 160,000 Auths): off for this transaction only.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_AGGREGATE.format(per_auth=inner), params)
        found = {row[0]: row for row in cursor.fetchall()}
    rows = []
    for group in GROUPS:
        _, received, approved, denied, after, timed, us_sum, within, mid_sum, mid_n = found.get(
            group, (group, 0, 0, 0, 0, 0, None, 0, None, None)
        )
        clock = group in CLOCKED
        rows.append(
            PAMetricsRow(
                group=group,
                received=received,
                approved_pct=_pct(approved, received),
                denied_pct=_pct(denied, received),
                approved_after_denial_pct=_pct(after, received),
                avg_decision_hours=_hours(us_sum, timed) if clock else None,
                median_decision_hours=_hours(mid_sum, mid_n) if clock else None,
                decided_within_due_pct=_pct(within, received) if clock else None,
            )
        )
    return rows
