"""A care manager's working record in Chromium (issue 24): log two pieces of work on a case from its page and read
them back as its timeline, newest first; the case list shows the time logged and the last contact; an entry edited
from a page someone else changed meanwhile is refused, and the other person's words are kept."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from carecases.models import CareCaseWorkLog
from carecases.services import care_case_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as
from tests.carecases.conftest import case_item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CASE = 900
PAGE = f"/admin/db/demo/carecases/carecase/{CASE}/change/"


@pytest.fixture
def manager(context: BrowserContext, live_server: Any) -> BrowserContext:
    """The demo data, a case with nothing logged yet (in the demo's plan 1), the demo login."""
    call_command("seed_demo", stdout=io.StringIO())
    with use_vba_database("demo"):
        care_case_batch_upsert(items=[case_item(CASE, case_ID="CM-900", case_Status="OPEN")], user=None)
    log_in_as(context, live_server, "demo")
    return context


def test_log_work_on_a_case_and_read_it_as_a_timeline(manager: BrowserContext) -> None:
    page = manager.new_page()
    page.goto(PAGE)
    expect(page.locator("#vba-database-name")).to_have_text("Database: demo")
    expect(page.locator("#no-work-log")).to_have_text("Nothing logged yet.")
    expect(page.locator("#id_work-work_log_date_0")).to_have_value(timezone.localdate().isoformat())  # now

    page.fill("#id_work-work_log_type", "CALL")
    page.fill("#id_work-work_log_minute", "20")
    page.fill("#id_work-work_log_comment", "Reviewed the care plan goals; follow-up visit agreed.")
    page.click("#log-work")
    expect(page.locator(".messagelist")).to_contain_text(f"Logged CALL (20 min) on care case {CASE}.")

    page.fill("#id_work-work_log_type", "VISIT")
    page.fill("#id_work-work_log_hour", "1")
    page.check("#id_work-work_log_billable")
    page.click("#log-work")
    expect(page.locator(".messagelist")).to_contain_text("Logged VISIT (1 h) on care case")

    entries = page.locator("#work-log li.work-log-entry")
    expect(entries).to_have_count(2)
    expect(entries.nth(0)).to_contain_text("VISIT")  # newest first
    expect(entries.nth(0)).to_contain_text("billable")
    expect(entries.nth(0)).to_contain_text("demo")  # the signed-in user, not typed
    expect(entries.nth(1)).to_contain_text("CALL")
    expect(entries.nth(1)).to_contain_text("follow-up visit agreed")
    expect(page.locator("#work-log-total")).to_contain_text("2 entries · 1 h 20 min logged")

    page.goto(f"/admin/db/demo/carecases/carecase/?q={CASE}")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("1 h 20 min")
    expect(row).to_contain_text(timezone.localdate().isoformat())


def test_an_entry_changed_meanwhile_is_not_overwritten(
    manager: BrowserContext, second: BrowserContext, live_server: Any
) -> None:
    page = manager.new_page()
    page.goto(PAGE)
    page.fill("#id_work-work_log_type", "CALL")
    page.fill("#id_work-work_log_comment", "Left a message.")
    page.click("#log-work")
    page.locator("#work-log li.work-log-entry a").first.click()  # the entry's own page
    expect(page.locator("#id_work_log_comment")).to_have_value("Left a message.")

    other = second.new_page()
    other.goto(page.url)
    other.fill("#id_work_log_comment", "Left a message; the member called back and agreed to a visit.")
    other.click("input[name=_save]")
    expect(other.locator(".messagelist")).to_contain_text("was changed successfully")

    page.fill("#id_work_log_comment", "Left a message twice.")
    page.click("input[name=_save]")
    conflict = page.locator("#record-conflict")
    expect(conflict).to_contain_text("was changed by ben")
    expect(conflict).to_contain_text("the member called back")
    expect(page.locator("#id_work_log_comment")).to_have_value("Left a message twice.")  # what they typed is kept
    with use_vba_database("demo"):
        assert str(CareCaseWorkLog.objects.get(care_case_id=CASE).work_log_comment).endswith("agreed to a visit.")
