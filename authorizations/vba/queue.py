"""The reviewer's queue (issue 23): the Auth list's clock columns and filters and the counts of the
admin's home page of a VBA database (member search and links: config.admin.members).

Every rule of the clock comes from :mod:`authorizations.vba.clock` (decision 18). At a million Auths each query here
is answered by an index: the running Auths (received, neither decided nor voided) have partial indexes on
(urgent, received_date) and (status, received_date) (migration 0014), "overdue" and "due today" are written on
``received_Date`` per window, and every count is capped (:func:`config.records.counting.count_rows`) and reused
through the shared cache for ``VBA_COUNT_CACHE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from authorizations.vba import clock
from authorizations.vba.models import CLOCK_STOPPED_STATUSES, Auth
from config.admin.sites import EstimatedCountPaginator, distinct_values, moment, site_name
from config.records.counting import count_rows, count_rows_reused

# The running Auths' partial index (Auth.Meta, migration 0014) is written with the clock's stopping statuses.
assert tuple(clock.CLOCK_STOPPED) == CLOCK_STOPPED_STATUSES

# -- moments ------------------------------------------------------------------------------------------------------


def minute_now() -> dt.datetime:
    """Now, to the minute: the instant the queue's filters and counts compare with, so that the same list's count
    (its SQL and parameters) can be reused within the minute."""
    return timezone.now().replace(second=0, microsecond=0)


def today_bounds(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Start of today and of tomorrow in the server's time zone."""
    day = timezone.localtime(now or timezone.now()).date()
    start = dt.datetime.combine(day, dt.time())
    return timezone.make_aware(start), timezone.make_aware(start + dt.timedelta(days=1))


def due_between_q(start: dt.datetime, end: dt.datetime) -> Q:
    """Running Auths due in [start, end), written on ``received_Date`` per window (index-friendly)."""
    expedited, standard = clock.expedited_window(), clock.standard_window()
    return clock.running_q() & (
        Q(urgent=True, received_date__gte=start - expedited, received_date__lt=end - expedited)
        | Q(urgent=False, received_date__gte=start - standard, received_date__lt=end - standard)
    )


def due_today_q(now: dt.datetime | None = None) -> Q:
    return due_between_q(*today_bounds(now))


# -- list columns -------------------------------------------------------------------------------------------------


def span(delta: dt.timedelta) -> str:
    """A duration as a reviewer reads it: "3 d 4 h", "5 h", "12 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{mins} min"


def time_left(auth: Auth, decided_at: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """The "time left" cell: a red "overdue 5 h" badge, "2 d 3 h left", a decided Auth's decision time, "voided",
    or "–" without a clock. ``decided_at`` is :func:`clock.decision_instant` (None: no decision time, e.g. decided
    without an ``approved_Date``; the status alone is shown, as the metrics count no time for it)."""
    due = clock.due_time(auth)
    if due is None:
        return "–"
    if clock.is_decided(auth):
        if decided_at is None:
            return format_html('<span class="queue-decided">{}</span>', auth.status)
        return format_html(
            '<span class="queue-decided" title="decided {}">{} in {}</span>',
            moment(decided_at),
            auth.status,
            span(decided_at - auth.received_date),  # type: ignore[operator]
        )
    if clock.clock_stopped(auth):
        return format_html('<span class="queue-voided">{}</span>', auth.status)
    now = now or timezone.now()
    if clock.is_overdue(auth, now):
        return format_html(
            '<span class="queue-overdue" style="background:#ba2121;color:#fff;padding:1px 6px;border-radius:3px">'
            "overdue {}</span>",
            span(now - due),
        )
    return format_html('<span class="queue-left">{} left</span>', span(due - now))


def clock_summary(auth: Auth, now: dt.datetime | None = None) -> str:
    """The decision clock on an Auth's own page: its window, received and due times and :func:`time_left`."""
    due = clock.due_time(auth)
    if due is None:
        return "No received date: no decision clock."
    decided_at = clock.decision_instant(auth) if clock.is_decided(auth) else None
    hours = int(clock.window(auth.urgent).total_seconds() // 3600)
    return format_html(
        "{} ({} h) · received {} · due {} · {}",
        "Expedited" if auth.urgent else "Standard",
        hours,
        moment(auth.received_date),
        moment(due),
        time_left(auth, decided_at, now),
    )


# -- ordering by due time ------------------------------------------------------------------------------------------


def due_direction(queryset: QuerySet) -> str | None:
    """ "asc" or "desc" when the list is sorted by due time first (the "due" column), else None."""
    ordering = queryset.query.order_by
    if not ordering or not isinstance(ordering[0], str):
        return None
    return {"due_time": "asc", "-due_time": "desc"}.get(ordering[0])


class DueOrderedRows:
    """A list sorted by due time, read as the merge of three index-ordered lists: expedited Auths by
    ``received_Date``, standard ones by ``received_Date`` (within each the due time is ``received_Date`` plus a
    constant, so their order is the due order), and those without a clock (no ``received_Date``: last ascending,
    first descending, as PostgreSQL sorts nulls). Sorting by the due expression itself reads and sorts every matching
    row (0.6 s for 120,000 overdue Auths); each of these reads at most the page's end from an index
    (``auth_running_urgent_received`` for the running Auths). A page n reads n pages of each list."""

    def __init__(self, queryset: QuerySet, direction: str) -> None:
        self.queryset = queryset
        self.descending = direction == "desc"

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Any:  # the whole list (sorted by the database)
        return iter(self.queryset)

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        if stop is None or stop < start or (index.step or 1) != 1:
            raise ValueError("a due-ordered list is read by page")
        sign = "-" if self.descending else ""
        base = self.queryset.order_by()
        timed = [
            list(
                base.filter(urgent=urgent, received_date__isnull=False).order_by(sign + "received_date", sign + "pk")[
                    :stop
                ]
            )
            for urgent in (True, False)
        ]
        untimed = list(base.filter(received_date__isnull=True).order_by(sign + "pk")[:stop])
        merged = list(heapq.merge(*timed, key=lambda auth: (clock.due_time(auth), auth.pk), reverse=self.descending))
        rows = [*untimed, *merged] if self.descending else [*merged, *untimed]
        return rows[start:stop]


class DueOrderPaginator(EstimatedCountPaginator):
    """The changelist's paginator (its capped, estimated count) over :class:`DueOrderedRows`."""

    @cached_property
    def count(self) -> int:
        assert isinstance(self.object_list, DueOrderedRows)
        rows = count_rows(self.object_list.queryset)
        self.count_is_estimate = not rows.exact
        return rows.value


# -- list filters -------------------------------------------------------------------------------------------------


class StatusesFilter(admin.ListFilter):
    """Several statuses at once: ``status__in=PENDED,REVIEW``; each status a link that adds it to, or removes it
    from, the selection. The statuses offered are the table's (a loose index scan of the status index)."""

    title = "statuses (several)"
    parameter_name = "status__in"
    max_values = 200

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        raw = params.pop(self.parameter_name, None)
        value = raw[-1] if isinstance(raw, list) else raw
        self.selected = [part for part in dict.fromkeys((value or "").split(",")) if part][:50]
        queryset = model.objects.using(model_admin.admin_site.database)
        self.offered = [
            v for v in distinct_values(queryset, model._meta.get_field("status"), self.max_values) if v is not None
        ]

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [self.parameter_name]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.selected:
            return queryset.filter(status__in=self.selected)
        return queryset

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": not self.selected,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
        }
        for status in dict.fromkeys([*self.offered, *self.selected]):
            chosen = status in self.selected
            toggled = [s for s in self.selected if s != status] if chosen else [*self.selected, status]
            query = (
                changelist.get_query_string({self.parameter_name: ",".join(toggled)})
                if toggled
                else changelist.get_query_string(remove=[self.parameter_name])
            )
            yield {"selected": chosen, "query_string": query, "display": ("✓ " if chosen else "+ ") + status}


class ClockFilter(admin.SimpleListFilter):
    """The decision clock: overdue, due today, running (not decided)."""

    title = "decision clock"
    parameter_name = "clock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("overdue", "Overdue"), ("today", "Due today"), ("running", "Not decided (clock running)"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "overdue":
            return queryset.filter(clock.overdue_q(minute_now()))
        if value == "today":
            return queryset.filter(due_today_q(minute_now()))
        if value == "running":
            return queryset.filter(clock.running_q())
        return queryset  # an unknown value lists every Auth (never an error)


class UrgencyFilter(admin.SimpleListFilter):
    title = "expedited / standard"
    parameter_name = "urgency"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("expedited", "Expedited (urgent)"), ("standard", "Standard"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value in ("expedited", "standard"):
            return queryset.filter(urgent=value == "expedited")
        return queryset


class AssignedToMeFilter(admin.SimpleListFilter):
    """``assigned_User`` is the staff user's name (at most 20 characters, as the column holds)."""

    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return (("me", "Assigned to me"), ("nobody", "Not assigned"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_user=request.user.get_username()[:20])
        if value == "nobody":
            return queryset.filter(assigned_user__isnull=True)
        return queryset


class AssigneeFilter(admin.AllValuesFieldListFilter):
    """Any assignee: the distinct values of ``assigned_User`` by a loose scan of the (assigned_user, received_date)
    index."""

    max_values = 200
    lookup_choices: Any

    def __init__(self, field: Any, request: Any, params: Any, model: Any, model_admin: Any, field_path: str) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        queryset = model.objects.using(model_admin.admin_site.database)
        self.lookup_choices = distinct_values(queryset, field, self.max_values)
        self.title = "any assignee"


# -- the home page's counts ---------------------------------------------------------------------------------------


@dataclass
class QueueCount:
    label: str
    url: str
    value: int
    exact: bool

    @property
    def shown(self) -> str:
        return f"{self.value:,}" if self.exact else f"about {self.value:,}"


def home_counts(database: str) -> list[QueueCount]:
    """Counts of one database's Auths by status, overdue and due today, each with the link to that list. Each count
    reads an index (capped, estimated beyond, reused from the cache within ``VBA_COUNT_CACHE_SECONDS``)."""
    changelist = reverse("admin:authorizations_auth_changelist", current_app=site_name(database))
    auths = Auth.objects.using(database).order_by()
    now = minute_now()
    counts: list[QueueCount] = []

    def add(label: str, queryset: QuerySet, query: dict[str, str]) -> None:
        rows = count_rows_reused(queryset)
        counts.append(QueueCount(label, changelist + "?" + urlencode(query), rows.value, rows.exact))

    add("Overdue", auths.filter(clock.overdue_q(now)), {"clock": "overdue"})
    add("Due today", auths.filter(due_today_q(now)), {"clock": "today"})
    for status in distinct_values(auths, Auth._meta.get_field("status"), 50):
        # (the list's status filter's own parameters, so that its sidebar shows the status chosen)
        if status is None:
            add("(no status)", auths.filter(status__isnull=True), {"status__isnull": "True"})
        else:
            add(status, auths.filter(status=status), {"status": status})
    return counts
