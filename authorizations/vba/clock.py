"""The decision clock of an Auth (vba-review.md decision 18; the CMS-0057-F time frames).

An Auth is *decided* once its status is APPROVED, DENIED or PARTIAL; VOIDED stops the clock without a decision.
Every other status (PENDED, REVIEW, NEW, null, …) leaves it running. Its *due* time is ``received_Date`` plus
``settings.PA_EXPEDITED_HOURS`` when ``urgent`` (expedited), plus ``settings.PA_STANDARD_DAYS`` calendar days
otherwise (standard); undecided past due is *overdue*. Its *decision time* runs from ``received_Date`` to the
``approved_Date`` it had when it first entered a decided status, read from its history. An Auth without
``received_Date`` has no clock.

The windows are written once, here, both as Python (for one Auth) and as ORM expressions (for querysets: the admin's
list, the metrics of :mod:`authorizations.vba.metrics`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    DurationField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from authorizations.vba.models import Auth

#: The statuses that decide an Auth (decision 18).
DECIDED = ("APPROVED", "DENIED", "PARTIAL")
#: Ends the clock without a decision.
VOIDED = "VOIDED"
#: Statuses that stop the clock: an Auth in one of them is never overdue.
CLOCK_STOPPED = (*DECIDED, VOIDED)


def expedited_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.PA_EXPEDITED_HOURS)


def standard_window() -> dt.timedelta:
    return dt.timedelta(days=settings.PA_STANDARD_DAYS)


def window(urgent: bool) -> dt.timedelta:
    """The time an Auth has to be decided: expedited when ``urgent``, standard otherwise."""
    return expedited_window() if urgent else standard_window()


def due_time(auth: Auth) -> dt.datetime | None:
    """When ``auth`` must be decided by; None without ``received_Date`` (no clock)."""
    if auth.received_date is None:
        return None
    return auth.received_date + window(auth.urgent)


def is_decided(auth: Auth) -> bool:
    return auth.status in DECIDED


def clock_stopped(auth: Auth) -> bool:
    """Decided or voided."""
    return auth.status in CLOCK_STOPPED


def is_overdue(auth: Auth, now: dt.datetime | None = None) -> bool:
    """Not decided (nor voided) and past its due time (strictly: at the due time itself it is not yet late)."""
    due = due_time(auth)
    return due is not None and not clock_stopped(auth) and (now or timezone.now()) > due


def current_history(auth_number: Any = None) -> Any:
    """The history rows of Auth ``auth_number`` (default: the outer query's Auth) since it was last created: a
    deletion row ('-'), and the rows before it, belong to an earlier Auth of the same number (deleted, then created
    again)."""
    history = Auth.history.model._default_manager  # type: ignore[attr-defined]
    key = OuterRef("pk") if auth_number is None else auth_number
    deleted_after = history.filter(
        Q(history_date__gt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__gt=OuterRef("history_id")),
        auth_number=OuterRef("auth_number"),
        history_type="-",
    )
    return history.filter(auth_number=key).exclude(history_type="-").exclude(Exists(deleted_after))


def decided_history(auth_number: Any = None) -> Any:
    """:func:`current_history` rows in a decided status, first first."""
    return current_history(auth_number).filter(status__in=DECIDED).order_by("history_date", "history_id")


def decision_instant(auth: Auth) -> dt.datetime | None:
    """The ``approved_Date`` ``auth`` had when it first entered a decided status (its history), or None when it has
    not been decided. An Auth whose history has no decided row but that is decided now (history missing, e.g. rows
    written before history was kept) falls back to its ``approved_Date`` now."""
    first = decided_history(auth.pk).values_list("approved_date", flat=True)[:1]
    for approved in first:
        return approved
    return auth.approved_date if is_decided(auth) else None


def decision_time(auth: Auth) -> dt.timedelta | None:
    """From ``received_Date`` to :func:`decision_instant`; None without either."""
    decided = decision_instant(auth)
    if decided is None or auth.received_date is None:
        return None
    return decided - auth.received_date


# --- The same rules as expressions (querysets of Auth) -----------------------------------------------------------


def due_time_expression() -> Expression:
    """``received_Date`` + the Auth's window (null without ``received_Date``), for ``annotate(due=…)``."""
    return Case(
        When(urgent=True, then=F("received_date") + Value(expedited_window())),
        default=F("received_date") + Value(standard_window()),
        output_field=DateTimeField(),
    )


def running_q() -> Q:
    """The clock runs: received, and neither decided nor voided (a null status runs)."""
    return Q(received_date__isnull=False) & ~Q(status__in=CLOCK_STOPPED)


def overdue_q(now: dt.datetime | None = None) -> Q:
    """Overdue at ``now``, written on ``received_Date`` itself (``received < now - window`` per window) so that an
    index on it can answer."""
    now = now or timezone.now()
    late = Q(urgent=True, received_date__lt=now - expedited_window()) | Q(
        urgent=False, received_date__lt=now - standard_window()
    )
    return running_q() & late


def overdue_expression(now: dt.datetime | None = None) -> Expression:
    """:func:`overdue_q` as a boolean column, for ``annotate(overdue=…)``."""
    return ExpressionWrapper(Q(overdue_q(now)), output_field=BooleanField())


def decision_instant_expression() -> Expression:
    """:func:`decision_instant` for every Auth of a queryset: one correlated look-up of its history (by the history's
    index on (Auth_Number, history_date)); the fallback's second look-up runs only where the first found nothing."""
    first = Subquery(decided_history().values("approved_date")[:1], output_field=DateTimeField())
    fallback = Case(
        When(Q(status__in=DECIDED) & ~Exists(decided_history()), then=F("approved_date")),
        default=None,
        output_field=DateTimeField(),
    )
    return Coalesce(first, fallback, output_field=DateTimeField())


def first_decisions(auth_numbers: Collection[str]) -> dict[str, dt.datetime | None]:
    """:func:`decision_instant` of each of ``auth_numbers`` (say the decided Auths of an admin page), in one query."""
    if not auth_numbers:
        return {}
    rows = Auth.objects.filter(pk__in=list(auth_numbers)).annotate(first=decision_instant_expression())
    return dict(rows.values_list("pk", "first"))


def decision_time_expression() -> Expression:
    """:func:`decision_time` as a duration column (an interval on PostgreSQL, microseconds on SQLite)."""
    return ExpressionWrapper(
        decision_instant_expression() - F("received_date"),  # type: ignore[operator]
        output_field=DurationField(),
    )
