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

from tests.authorizations.test_auth_queue import NOW, make_queue
from tests.browser.conftest import log_in_as

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
    expect(page.locator("#changelist")).to_be_visible()
