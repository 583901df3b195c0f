"""The prior-authorization metrics page in Chromium (issue 23, decision 19): from the home page's link, the year's
table shows exactly the figures `report_pa_metrics` prints for the same database and year; another year is chosen
from the select."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import log_in_as

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def command_rows(year: int) -> list[list[str]]:
    """The rows of `report_pa_metrics --database demo --year Y` (its table: a title, the headings, a row a group)."""
    out = io.StringIO()
    call_command("report_pa_metrics", "--database", "demo", "--year", str(year), stdout=out)
    return [line.split() for line in out.getvalue().splitlines()[2:] if line.strip()]


def page_rows(page: Any) -> list[list[str]]:
    rows = page.locator("#pa-metrics tbody tr")
    return [[cell.strip() for cell in rows.nth(n).locator("th, td").all_inner_texts()] for n in range(rows.count())]


def test_the_metrics_page_shows_the_commands_figures_for_the_year_chosen(
    context: BrowserContext, live_server: Any
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    log_in_as(context, live_server, "demo")
    page = context.new_page()
    page.goto("/admin/db/demo/")
    page.get_by_role("link", name="Prior-authorization metrics (by year)").click()
    year = timezone.localdate().year
    expect(page.locator("#pa-metrics caption")).to_contain_text(f"database demo, year {year}")
    expect(page.locator("#vba-database-name")).to_have_text("Database: demo")
    shown = page_rows(page)
    assert shown == command_rows(year)

    page.select_option("#id_year", str(year - 1))
    page.click("#pa-metrics-year input[type=submit]")
    expect(page.locator("#pa-metrics caption")).to_contain_text(f"year {year - 1}")
    before = page_rows(page)
    assert before == command_rows(year - 1)
    received = sum(int(row[1]) for rows in (shown, before) for row in rows[:2])
    assert received == 40  # every demo Auth is counted in one of the two years (the comparison is not of empty tables)
