"""A care case's working record in the admin (issue 24): the case's page is a timeline of its work log, newest
first, with a **Log work** form (type, date defaulting to now, time spent, billable, comment; the user is the
signed-in one, never typed); each entry opens on its own page, where the version guard refuses a stale save. The
case list shows the time logged on each case and its last contact (its newest entry's date).

Entries are written through the API's resource (:data:`~carecases.services.CARE_CASE_WORK_LOG`): the next key, the
audit stamps and a history row, as ``POST /cases/{caseKey}/work-logs`` writes them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, IntegerField, Max, OrderBy, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from rest_framework import exceptions

from carecases.models import CareCase, CareCaseWorkLog
from carecases.services import CARE_CASE_WORK_LOG, PATH_CASE
from config.admin.codes import CodedFieldsMixin, CodeInput, code_problem, values_in_use
from config.admin.sites import (
    IndexedValuesListFilter,
    NumberInput,
    SplitDateTimeField,
    TextField,
    VBAModelAdmin,
    moment,
    problem_text,
    register_vba,
)
from config.admin.sites import IntegerField as NumberField
from config.records.batch import CALLER
from config.records.services import record_create

#: Entries shown on a case's page; the rest are one click away (the work log list, filtered to the case).
ENTRIES_SHOWN = 100
#: The case list sorted by its work log column: the newest entries read to find the page's cases (:func:`by_contact`).
WINDOWS = (4, 32, 256)


def last_contact_order(queryset: QuerySet) -> OrderBy | None:
    """The queryset's first ordering if it is by the last contact (the work log column), else None."""
    order = queryset.query.order_by
    first = order[0] if order else None
    expression = first.expression if isinstance(first, OrderBy) else None
    if isinstance(expression, F) and expression.name == "last_contact":  # type: ignore[attr-defined]
        return first  # type: ignore[return-value]
    return None


def by_contact(queryset: QuerySet, offset: int, limit: int) -> list[Any] | None:
    """Rows ``offset`` … ``offset + limit - 1`` of the case list ``queryset`` sorted by last contact, read without
    computing every case's last contact (a subquery per case: seconds at a million cases); None when this cannot
    tell them (the caller then runs the query as it is).

    Newest first (nulls last): the cases of the newest entries (the work-log date index, read backwards) whose entries
    are newer than the oldest one read rank before every other case, so if at least ``offset + limit`` of them are in
    the list, its first rows are theirs, sorted the same way; the window of entries read grows (:data:`WINDOWS`)
    until they are. Oldest first (nulls first): the cases without any entry come first, in the list's other order (a
    key index walk that stops at the page's end), as long as there are enough of them."""
    order = last_contact_order(queryset)
    if order is None:
        return None
    need = offset + limit
    if not order.descending:
        rest = queryset.query.order_by[1:]
        never = list(queryset.filter(last_contact__isnull=True).order_by(*rest)[:need])
        return never[offset:] if len(never) == need else None
    entries = CareCaseWorkLog.objects.using(queryset.db).filter(work_log_date__isnull=False)
    for factor in WINDOWS:
        window = factor * need
        newest = list(entries.order_by("-work_log_date").values_list("care_case_id", "work_log_date")[:window])
        if len(newest) < window:
            return None  # every entry read: the rows left are the cases without entries; the plain query is fine
        edge: Any = newest[-1][1]
        keys = {case for case, when in newest if when is not None and when > edge}
        found = list(queryset.filter(pk__in=keys)[:need])
        if len(found) == need:
            return found[offset:]
    return None


class WorkLogChangeList(ChangeList):
    """The case list; sorted by its work log column, its page is read by :func:`by_contact`."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if self.multi_page and not (self.show_all and self.can_show_all):
            page = by_contact(self.queryset, (self.page_num - 1) * self.list_per_page, self.list_per_page)
            if page is not None:
                self.result_list = page  # type: ignore[assignment]


def spent(minutes: int | None) -> str:
    """Time spent as a person reads it: ``85`` → "1 h 25 min", ``0``/None → "–"."""
    if not minutes:
        return "–"
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part)


def secondary_types(entry: CareCaseWorkLog) -> tuple[str | None, ...]:
    return (
        entry.work_log_secondary_type,
        entry.work_log_secondary_type2,
        entry.work_log_secondary_type3,
        entry.work_log_secondary_type4,
        entry.work_log_secondary_type5,
    )


def minutes_spent() -> Sum:
    """The time logged by a set of entries, in minutes (an empty hour or minute counts 0), as SQL."""
    return Sum(Coalesce("work_log_hour", 0) * 60 + Coalesce("work_log_minute", 0), output_field=IntegerField())


def entry_minutes(entry: CareCaseWorkLog) -> int:
    return (entry.work_log_hour or 0) * 60 + (entry.work_log_minute or 0)


def work_log_list_url(site: admin.AdminSite, case_key: int | None = None) -> str:
    url = reverse("admin:carecases_carecaseworklog_changelist", current_app=site.name)
    return url if case_key is None else f"{url}?care_case__case_key__exact={case_key}"


class WorkLogForm(forms.Form):
    """One new work log entry, in a few fields: what the care manager did, when, how long, billable, and what was
    agreed. The user is the signed-in one (stamped, decision 17)."""

    work_log_type = TextField(
        label="Type",
        max_length=CareCaseWorkLog._meta.get_field("work_log_type").max_length,  # type: ignore[union-attr]
        help_text="What was done: a call, a visit, an assessment… (the types in use in this database are offered).",
    )
    work_log_date = SplitDateTimeField(
        label="When",
        widget=admin.widgets.AdminSplitDateTime,
        help_text="Now unless you log earlier work.",
    )
    work_log_hour = NumberField(
        label="Hours", required=False, min_value=0, max_value=24, widget=NumberInput(decimal=False)
    )
    work_log_minute = NumberField(
        label="Minutes", required=False, min_value=0, max_value=59, widget=NumberInput(decimal=False)
    )
    work_log_billable = forms.BooleanField(label="Billable", required=False)
    work_log_comment = TextField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="What happened and what was agreed.",
    )

    def __init__(self, *args: Any, using: str, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"work_log_date": timezone.localtime().replace(second=0, microsecond=0)})
        super().__init__(*args, **kwargs)
        self.using = using
        self.types = values_in_use(CareCaseWorkLog, "work_log_type", using)
        field = self.fields["work_log_type"]
        field.widget = CodeInput(self.types, attrs={"autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("work_log_hour") == 24 and data.get("work_log_minute"):
            self.add_error("work_log_minute", "Minutes: at most 24 h in all for one entry.")
        problem = code_problem(CareCaseWorkLog, "work_log_type", data.get("work_log_type"), self.using, self.types)
        if problem:
            self.add_error("work_log_type", f"Type: {problem}")
        return data

    def item(self, case_key: int) -> dict[str, Any]:
        """The entry by its JSON names, as the API takes it (empty boxes are null)."""
        data = self.cleaned_data
        return {
            "careCaseWorkLog_Key": 0,
            "case_Key": case_key,
            "workLog_Type": data["work_log_type"],
            "workLog_Date": data["work_log_date"].isoformat(),
            "workLog_Hour": data.get("work_log_hour"),
            "workLog_Minute": data.get("work_log_minute"),
            "workLog_Billable": bool(data.get("work_log_billable")),
            "workLog_Comment": data.get("work_log_comment") or None,
        }


def add_work_log(case_key: int, user: Any, item: dict[str, Any]) -> CareCaseWorkLog:
    """One new entry of case ``case_key`` through the API's resource (next key, audit, history; the user is the
    caller). Refused: an ``APIException``."""
    context = {CALLER: user, PATH_CASE: case_key}
    return record_create(CARE_CASE_WORK_LOG, item, user=user, context=context)  # type: ignore[no-any-return]


class CaseWorkLogMixin:
    """The work log on a care case's admin page (timeline + Log work) and its columns in the case list."""

    admin_site: admin.AdminSite
    opts: Any
    change_form_template: Any = "admin/carecases/carecase/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        entries = CareCaseWorkLog.objects.filter(care_case=OuterRef("pk")).order_by().values("care_case")
        minutes = entries.annotate(m=minutes_spent()).values("m")
        last = entries.annotate(d=Max("work_log_date")).values("d")
        return (
            super()  # type: ignore[misc]
            .get_queryset(request)
            .annotate(minutes_logged=Subquery(minutes), last_contact=Subquery(last))
        )

    def deletion_refused(self, keys: list[Any]) -> Any:
        """A case that still has work log entries (decision 15: never a cascade): how many, with a link."""
        count = CareCaseWorkLog.objects.filter(care_case_id__in=keys).count()
        if not count:
            return None
        return format_html(
            '{} work log entr{} still belong to {}: <a href="{}">see them</a>',
            count,
            "y" if count == 1 else "ies",
            "this case" if len(keys) == 1 else "these cases",
            work_log_list_url(self.admin_site, keys[0] if len(keys) == 1 else None),
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> Any:
        return WorkLogChangeList

    # oldest contact first (cases never contacted before all others), or newest first (those last)
    @admin.display(description="work log", ordering=F("last_contact").asc(nulls_first=True))
    def work_logged(self, obj: CareCase) -> Any:
        """The case's time logged, and under it the date of its newest entry (its last contact)."""
        when = getattr(obj, "last_contact", None)
        if when is None:
            return "–"
        logged = spent(getattr(obj, "minutes_logged", None))
        last = timezone.localdate(when).isoformat()
        return format_html(
            '{}<br><span class="quiet" title="last contact: the newest entry">last {}</span>', logged, last
        )

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.add_work_log_view)
        return [
            path("<path:object_id>/log-work/", view, name="{}_{}_log_work".format(*info)),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False, change: bool = False,
        form_url: str = "", obj: Any = None,
    ) -> Any:  # fmt: skip
        if change and obj is not None and obj.pk is not None:
            if self.has_change_permission(request, obj):  # type: ignore[attr-defined]
                context.setdefault("work_log_form", WorkLogForm(prefix="work", using=self.record_database()))  # type: ignore[attr-defined]
            context["work_log_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_log_work",
                args=(quote(obj.pk),),
                current_app=self.admin_site.name,
            )
            context["timeline"] = self.timeline(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def timeline(self, obj: CareCase) -> Any:
        """The case's entries newest first (at most ``ENTRIES_SHOWN``), each linking to its own page, with the total
        time logged."""
        entries = list(
            CareCaseWorkLog.objects.filter(care_case=obj.pk).order_by(
                F("work_log_date").desc(nulls_last=True), "-care_case_work_log_key"
            )[: ENTRIES_SHOWN + 1]
        )
        more = len(entries) > ENTRIES_SHOWN
        entries = entries[:ENTRIES_SHOWN]
        if not entries:
            return mark_safe('<p id="no-work-log">Nothing logged yet.</p>')
        items = format_html_join("", "{}", ((self.timeline_entry(e),) for e in entries))
        total = CareCaseWorkLog.objects.filter(care_case=obj.pk).aggregate(
            n=Count("pk"),
            m=minutes_spent(),
        )
        summary = format_html(
            '<p id="work-log-total">{} entr{} · {} logged · <a href="{}">all entries of this case</a>{}</p>',
            total["n"],
            "y" if total["n"] == 1 else "ies",
            spent(total["m"]),
            work_log_list_url(self.admin_site, obj.pk),
            f" (the newest {ENTRIES_SHOWN} are shown here)" if more else "",
        )
        return format_html('{}<ol class="work-log" id="work-log">{}</ol>', summary, items)

    def timeline_entry(self, entry: CareCaseWorkLog) -> Any:
        """One entry: when (a link to its page), who, what (with its secondary types), time spent, billable, and
        the comment under it."""
        url = reverse(
            "admin:carecases_carecaseworklog_change", args=(quote(entry.pk),), current_app=self.admin_site.name
        )
        secondary = ", ".join(t for t in secondary_types(entry) if t)
        return format_html(
            '<li class="work-log-entry" id="work-log-{}"><div class="work-log-head"><a href="{}">{}</a> · {} · '
            "<strong>{}</strong>{} · {}{}</div>{}</li>",
            entry.pk,
            url,
            moment(entry.work_log_date),
            entry.work_log_user or "–",
            entry.work_log_type or "(no type)",
            f" ({secondary})" if secondary else "",
            spent(entry_minutes(entry)),
            mark_safe(' · <span class="billable">billable</span>') if entry.work_log_billable else "",
            format_html('<div class="work-log-comment">{}</div>', entry.work_log_comment)
            if entry.work_log_comment
            else "",
        )

    def add_work_log_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Log one piece of work on the case (a new entry: nothing existing is written, so no version is needed;
        the case itself is not changed)."""
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(quote(obj.pk),),
            current_app=self.admin_site.name,
        )
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        form = WorkLogForm(request.POST, prefix="work", using=self.record_database())  # type: ignore[attr-defined]
        if form.is_valid():
            try:
                entry = add_work_log(obj.pk, request.user, form.item(obj.pk))
            except exceptions.APIException as error:
                form.add_error(None, problem_text(error))
            else:
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    f"Logged {entry.work_log_type} ({spent(entry_minutes(entry))}) on care case {obj.pk}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url + "#work-log")
        request.method = "GET"
        response = self.change_view(request, object_id, extra_context={"work_log_form": form})  # type: ignore[attr-defined]
        response.status_code = 400
        return response


@register_vba(CareCaseWorkLog)
class CareCaseWorkLogAdmin(CodedFieldsMixin, VBAModelAdmin):
    """Every work log entry of the database; an entry's own page edits it (a stale page is refused, as for any
    record). Its case is fixed once saved: an entry is never moved to another case."""

    resource = CARE_CASE_WORK_LOG
    coded_fields = ("work_log_type", *(f"work_log_secondary_type{n}" for n in ("", "2", "3", "4", "5")))
    list_display = ("care_case_work_log_key", "case", "when", "work_log_user", "work_log_type", "time", "billable")
    # the types by a loose index scan (a million entries' DISTINCT reads them all), and no facet counts
    list_filter = (("work_log_type", IndexedValuesListFilter), "work_log_billable")
    show_facets = admin.ShowFacets.NEVER
    list_select_related = ("care_case",)
    search_fields = ("=care_case__case_key", "^work_log_user")
    search_help_text = "Care case key (exact) or user (starts with)."
    list_per_page = 50
    show_full_result_count = False
    raw_id_fields = ("care_case",)
    fieldsets = (
        (
            "Work",
            {
                "fields": (
                    ("care_case_work_log_key", "care_case"),
                    ("work_log_date", "work_log_user"),
                    ("work_log_type", "work_log_billable"),
                    ("work_log_hour", "work_log_minute", "work_log_units"),
                    "work_log_comment",
                )
            },
        ),
        (
            "More types and scores",
            {
                "classes": ("collapse",),
                "fields": (
                    ("work_log_secondary_type", "work_log_secondary_type2", "work_log_secondary_type3"),
                    ("work_log_secondary_type4", "work_log_secondary_type5"),
                    ("member_impact_score", "plan_impact_score"),
                ),
            },
        ),
        ("Audit", {"fields": (("entry_date", "entry_user"), ("update_date", "update_user"))}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "care_case") if obj is not None else fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # an entry is logged from its case's page (Log work)

    @admin.display(description="care case", ordering="care_case")
    def case(self, obj: CareCaseWorkLog) -> Any:
        url = reverse(
            "admin:carecases_carecase_change", args=(quote(obj.care_case_id),), current_app=self.admin_site.name
        )
        return format_html('<a href="{}">{}</a>', url, obj.care_case)

    @admin.display(description="date", ordering="work_log_date")
    def when(self, obj: CareCaseWorkLog) -> str:
        return moment(obj.work_log_date)

    @admin.display(description="time spent")
    def time(self, obj: CareCaseWorkLog) -> str:
        return spent(entry_minutes(obj))

    @admin.display(description="billable", boolean=True, ordering="work_log_billable")
    def billable(self, obj: CareCaseWorkLog) -> bool:
        return obj.work_log_billable
