"""The care case list as it is read at a million cases (bench_reads' care pages): sorted by its work log column
without computing every case's last contact, searched by member or prefix through indexes, filtered by values
listed by a loose index scan. Each gives the rows the plain query gives."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client

from carecases import work_log_admin
from carecases.admin import CareCaseAdmin
from carecases.models import CareCase, CareCaseWorkLog
from config.serving.tenancy import use_vba_database

pytestmark = pytest.mark.django_db(databases="__all__")

CASES = "/admin/db/demo/carecases/carecase/"
#: ``o`` of the work log column (the action checkbox is column 0)
WORK_LOG = ("action_checkbox", *CareCaseAdmin.list_display).index("work_logged")


@pytest.fixture
def cases() -> None:
    args = ("--plans", "3", "--cases-per-plan", "60", "--work-logs-per-case", "2", "--database", "demo")
    call_command("generate_care_cases", *args, stdout=io.StringIO())


def listed(staff: Client, query: str) -> list[int]:
    response = staff.get(CASES + query)
    assert response.status_code == 200, response.content[:500]
    return [case.pk for case in response.context["cl"].result_list]


def by_last_contact(newest_first: bool) -> list[int]:
    """Every case's key in the order of the work log column, computed the plain way."""
    with use_vba_database("demo"):
        last: dict[int, Any] = {c: None for c in CareCase.objects.values_list("pk", flat=True)}
        for case, when in CareCaseWorkLog.objects.values_list("care_case_id", "work_log_date"):
            if when is not None and (last[case] is None or when > last[case]):
                last[case] = when
    never = sorted((c for c, when in last.items() if when is None), reverse=True)  # the list's tie-break: -key
    contacted = sorted((c for c, when in last.items() if when is not None), key=lambda c: (last[c], c))
    return [*reversed(contacted), *never] if newest_first else [*never, *contacted]


@pytest.mark.parametrize("newest_first", [True, False])
def test_sorted_by_work_log_each_page_is_the_plain_sorts(
    staff: Client, cases: None, newest_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = by_last_contact(newest_first)
    order = f"-{WORK_LOG}" if newest_first else str(WORK_LOG)
    shortcuts = []
    real = work_log_admin.by_contact

    def spy(*args: Any) -> Any:
        shortcuts.append(result := real(*args))
        return result

    monkeypatch.setattr(work_log_admin, "by_contact", spy)
    pages = [listed(staff, f"?o={order}&p={page}") for page in range(1, 5)]  # 180 cases: 50, 50, 50, 30
    assert [key for page in pages for key in page] == expected
    assert shortcuts[0] is not None or not newest_first  # page 1 newest first: read from the newest entries
    # filtered to a plan (a window of the newest entries seldom holds a page of its cases: the plain query then)
    with use_vba_database("demo"):
        plan_cases = set(CareCase.objects.filter(care_plan_id=2).values_list("pk", flat=True))
    first_page = listed(staff, f"?o={order}&care_plan__care_plan_key__exact=2")
    assert first_page == [c for c in expected if c in plan_cases][:50]


def test_the_column_sorts_cases_never_contacted_first_oldest_first_and_last_newest_first(
    staff: Client, cases: None
) -> None:
    with use_vba_database("demo"):
        never = CareCase.objects.filter(work_logs__isnull=True).order_by("-pk").values_list("pk", flat=True).first()
        newest = CareCaseWorkLog.objects.order_by(F("work_log_date").desc(nulls_last=True)).first()
    assert never is not None and newest is not None
    assert listed(staff, f"?o={WORK_LOG}")[0] == never
    assert listed(staff, f"?o=-{WORK_LOG}")[0] == newest.care_case_id


def test_search_by_member_case_id_and_prefixes_and_filters(staff: Client, cases: None) -> None:
    with use_vba_database("demo"):
        case = CareCase.objects.order_by("pk")[7]
        member = CareCase.objects.filter(subscriber_id=case.subscriber_id, member_seq=case.member_seq)
        same_member = sorted(member.values_list("pk", flat=True))
        statuses = sorted({s for s in CareCase.objects.values_list("case_status", flat=True) if s})
    assert sorted(listed(staff, f"?q={case.subscriber_id}-{case.member_seq}")) == same_member
    assert case.pk in listed(staff, f"?q={(case.subscriber_id or '')[:6]}")
    assert listed(staff, f"?q={case.case_id}") == [case.pk]
    assert listed(staff, f"?q={case.pk}") == [case.pk]  # a key (a number: the text fields match no other case)
    page = staff.get(CASES).content.decode()
    for status in statuses:  # the status filter offers the values in use
        assert f"?case_status={status}" in page
    assert "case_start_date__gte" in page  # a date filter instead of a hierarchy of years
