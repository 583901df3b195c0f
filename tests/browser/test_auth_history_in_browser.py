"""An Auth's history in Chromium (from an audit, a reviewer's view): a line's units edited on the reviewer's page are
read on the Auth's History page — who, the line and old → new — with no revert link for the line's rows."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import BrowserContext, expect

from authorizations.vba.models import AuthProcCodes
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PAGE = "/admin/db/demo/authorizations/auth/DEMO0007/change/"


@pytest.fixture
def reviewer(context: BrowserContext, live_server: Any) -> BrowserContext:
    """The demo data and the demo login; the Auth starts with no procedure line."""
    call_command("seed_demo", stdout=io.StringIO())
    with use_vba_database("demo"):
        AuthProcCodes.objects.filter(auth_number="DEMO0007").delete()  # setup: no history row is written
    log_in_as(context, live_server, "demo")
    return context


def test_a_lines_units_edited_on_the_reviewers_page_are_read_on_the_history_page(reviewer: BrowserContext) -> None:
    page = reviewer.new_page()
    page.goto(PAGE)
    page.fill("#id_authproccodes-0-procedure_code", "93306")
    page.fill("#id_authproccodes-0-units_requested", "21")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.fill("#id_authproccodes-0-units_approved", "21")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.fill("#id_authproccodes-0-units_approved", "0")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.click("a.historylink")
    expect(page).to_have_url(f"{PAGE.removesuffix('change/')}history/")
    lines = page.locator("#change-history tr.child-history")  # newest first: these three, then the demo's own
    newest = lines.nth(0)
    expect(newest.locator("td").nth(0)).to_have_text("Procedure line 93306")
    expect(newest.locator("td").nth(2)).to_have_text("Changed")
    expect(newest.locator("td").nth(3)).to_have_text("demo")
    expect(newest.locator("td").nth(4)).to_have_text("")  # no change reason: an empty cell, not "None"
    expect(newest.locator("td").last).to_have_text("Procedure line 93306: Units approved 21 → 0")
    expect(lines.nth(1).locator("td").last).to_have_text("Procedure line 93306: Units approved — → 21")
    expect(lines.nth(2).locator("td").last).to_have_text("Procedure line 93306: added (Units requested 21)")
    expect(lines.locator("a")).to_have_count(0)  # the children's rows are not reverted from here
    expect(page.locator("#change-history tr:not(.child-history) td a").first).to_be_visible()  # the Auth's are
