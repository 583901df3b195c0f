"""The reviewer's queue in Chromium (issue 23): the filters of the Auth list, the overdue marking with "now" frozen
(time-machine, in this process: the live server runs in one of its threads), the home page's counts and the member
search with the links of an Auth to its member's records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from playwright.sync_api import BrowserContext, Page, expect

from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.authorizations.test_auth_queue import NOW, make_queue
from tests.browser.conftest import log_in_as
from tests.carecases.conftest import case_item, plan_item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

LIST = "/admin/db/demo/authorizations/auth/"


@pytest.fixture
def reviewer(context: BrowserContext, live_server: Any, settings: Any) -> Iterator[BrowserContext]:
    """Now is 2026-03-10 12:00 UTC (ticking from there); the queue's Auths; "staffer" logged in."""
    settings.VBA_COUNT_CACHE_SECONDS = 0  # the setup writes with .update() (no signal): count afresh
    with time_machine.travel(NOW, tick=True):
        get_user_model().objects.create_superuser("staffer", password="staffer-password")
        make_queue()
        log_in_as(context, live_server, "staffer")
        yield context


def follow(page: Page, link: Any) -> None:
    """Click a link and wait for the page it leads to."""
    with page.expect_navigation():
        link.click()


def numbers(page: Page) -> list[str]:
    return page.locator("#result_list th.field-auth_number a").all_inner_texts()


def test_queue_filters_and_the_overdue_marking(reviewer: BrowserContext) -> None:
    page = reviewer.new_page()
    page.goto(LIST)
    late = page.locator("#result_list tr", has_text="LATE1").locator(".queue-overdue")
    expect(late).to_have_text("overdue 1 d")
    color = late.evaluate("element => getComputedStyle(element).backgroundColor")
    assert color == "rgb(186, 33, 33)"  # the red badge
    expect(page.locator("#result_list tr", has_text="LATE2").locator(".queue-overdue")).to_have_text("overdue 3 h")
    expect(page.locator("#result_list tr", has_text="TODAY")).to_contain_text(re.compile(r"[45] h left"))  # ticking
    expect(page.locator("#result_list tr", has_text="DONE1")).to_contain_text("APPROVED in 1 d")

    follow(page, page.get_by_role("link", name="Overdue", exact=True))
    assert sorted(numbers(page)) == ["LATE1", "LATE2"]
    follow(page, page.get_by_role("link", name="+ REVIEW"))  # several statuses: REVIEW …
    assert numbers(page) == ["LATE2"]
    follow(page, page.get_by_role("link", name="+ PENDED"))  # … and PENDED
    assert sorted(numbers(page)) == ["LATE1", "LATE2"]
    assert "status__in=REVIEW%2CPENDED" in page.url or "status__in=PENDED%2CREVIEW" in page.url
    follow(page, page.get_by_role("link", name="✓ REVIEW"))  # a selected status's link removes it
    assert numbers(page) == ["LATE1"]

    page.goto(LIST)
    follow(page, page.get_by_role("link", name="Assigned to me"))
    assert numbers(page) == ["TODAY"]
    page.goto(LIST)
    follow(page, page.get_by_role("link", name="Expedited (urgent)"))
    assert sorted(numbers(page)) == ["DONE1", "LATE2"]
    page.goto(LIST + "?clock=running")
    follow(page, page.locator("#result_list th.column-due a").first)  # sort by due time
    assert numbers(page) == ["LATE1", "LATE2", "TODAY"]


def test_home_counts_link_to_their_lists(reviewer: BrowserContext) -> None:
    page = reviewer.new_page()
    page.goto("/admin/db/demo/")
    counts = page.locator("#home-counts-auths")
    expect(counts.locator("tr", has_text="Overdue").locator(".home-count")).to_have_text("2")
    expect(counts.locator("tr", has_text="Due today").locator(".home-count")).to_have_text("2")
    expect(counts.locator("tr", has_text="PENDED").locator(".home-count")).to_have_text("3")
    follow(page, counts.get_by_role("link", name="Overdue"))
    assert sorted(numbers(page)) == ["LATE1", "LATE2"]
    with page.expect_navigation():
        page.go_back()
    follow(page, counts.get_by_role("link", name="PENDED"))
    assert sorted(numbers(page)) == ["LATE1", "NOREC", "TODAY"]


def test_member_search_and_the_members_records(reviewer: BrowserContext) -> None:
    with use_vba_database("demo"):  # member 111222333-01 has cases 71 and 72; 111222333-02 has 73
        care_plan_batch_upsert(items=[plan_item(1)], user=None)
        cases = [case_item(k, subscriber_ID="111222333", member_Seq=m) for k, m in ((71, "01"), (72, "01"), (73, "02"))]
        care_case_batch_upsert(items=cases, user=None, care_plan_key=1)
    page = reviewer.new_page()
    page.goto(LIST)
    for written in ("111222333-01", "111222333 01"):
        page.fill("#searchbar", written)
        with page.expect_navigation():
            page.press("#searchbar", "Enter")
        assert sorted(numbers(page)) == ["DONE1", "LATE1"], written
    follow(page, page.get_by_role("link", name="LATE1"))
    follow(page, page.locator("#member-auths"))
    expect(page.locator("h1")).to_have_text("Auths of member 111222333-01")
    assert sorted(numbers(page)) == ["DONE1", "LATE1"]
    with page.expect_navigation():
        page.go_back()
    follow(page, page.locator("#member-care-cases"))
    assert "/admin/db/demo/carecases/carecase/?subscriber_id__exact=111222333&member_seq__exact=01" in page.url
    expect(page.locator("h1")).to_have_text("Care cases of member 111222333-01")
    case_keys = page.locator("#result_list th.field-case_key a")
    expect(case_keys).to_have_count(2)
    assert sorted(case_keys.all_inner_texts()) == ["71", "72"]
    follow(page, page.get_by_role("link", name="72", exact=True))  # a care case's page …
    follow(page, page.locator("#member-auths"))  # … links back to the member's Auths
    expect(page.locator("h1")).to_have_text("Auths of member 111222333-01")
    assert sorted(numbers(page)) == ["DONE1", "LATE1"]
    with page.expect_navigation():
        page.go_back()
    follow(page, page.locator("#member-care-cases"))  # and to the member's care cases
    expect(page.locator("h1")).to_have_text("Care cases of member 111222333-01")
    page.goto("/admin/db/demo/carecases/carecase/")  # the whole care case list finds a member exactly too
    page.fill("#searchbar", "111222333 02")
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    expect(case_keys).to_have_text(["73"])


def test_from_the_first_page_to_an_overdue_auth_and_its_clock(reviewer: BrowserContext) -> None:
    """Where login lands, each database's queue is counted; its Overdue count leads to the list, and an overdue
    Auth's own page says it is late, in the Decision box, before the reviewer decides."""
    page = reviewer.new_page()
    page.goto("/admin/")
    line = page.locator("#home-counts-demo-auths")
    expect(line).to_contain_text("Overdue 2")
    follow(page, line.get_by_role("link", name="Overdue", exact=True))
    assert sorted(numbers(page)) == ["LATE1", "LATE2"]
    follow(page, page.get_by_role("link", name="LATE1"))
    clock = page.locator("#decision-clock")
    expect(clock).to_contain_text("Standard (168 h) · received 2026-03-02 12:00 · due 2026-03-09 12:00")
    expect(clock.locator(".queue-overdue")).to_have_text("overdue 1 d")
