"""Adjusting an Auth in Chromium (issue 22, decision 20): from an Auth with procedure lines, adjust it with its lines
copied and a new approval period; land on the new Auth's page, which says which Auth it adjusts and shows the copied
lines; follow the link back to the original, which lists the new Auth as adjusting it."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import BrowserContext, expect

from authorizations.vba.models import Auth, AuthProcCodes
from authorizations.vba.services import AUTH_PROC_CODES
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PAGE = "/admin/db/demo/authorizations/auth/DEMO0007/change/"


@pytest.fixture
def reviewer(context: BrowserContext, live_server: Any) -> BrowserContext:
    """The demo data, DEMO0007 with two procedure lines, the demo login."""
    call_command("seed_demo", stdout=io.StringIO())
    with use_vba_database("demo"):
        AuthProcCodes.objects.filter(auth_number="DEMO0007").delete()
        lines = [
            {"authProcCodes_Key": 0, "auth_Number": "DEMO0007", "exclude_Modifier_Match": False, "procedure_Code": c}
            for c in ("97110", "97140")
        ]
        assert batch_upsert(AUTH_PROC_CODES, lines, user=None).counts() == {201: 2}
    log_in_as(context, live_server, "demo")
    return context


def test_adjust_with_copied_lines_then_follow_the_links_both_ways(reviewer: BrowserContext) -> None:
    page = reviewer.new_page()
    page.goto(PAGE)
    expect(page.locator("#adjust-links")).to_have_count(0)  # nothing adjusts it yet
    expect(page.locator("#id_adjust-copy_proc_codes")).to_be_checked()  # the usual case, as the page offers it
    page.fill("#id_adjust-approved_from", "2026-03-01")
    page.fill("#id_adjust-approved_thru", "2026-06-30")
    page.click("#adjust-confirm")

    with use_vba_database("demo"):
        new = Auth.objects.get(prior_auth="DEMO0007").pk
    expect(page).to_have_url(re.compile(rf"/auth/{new}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text(f"Auth {new} adjusts Auth DEMO0007.")
    expect(page.locator("#adjusts")).to_have_text("Adjusts Auth DEMO0007")
    codes = page.locator("#authproccodes-group input[name^='authproccodes-'][name$='-procedure_code']")
    expect(codes.first).to_have_value("97110")
    values = [codes.nth(i).input_value() for i in range(codes.count())]
    assert [v for v in values if v] == ["97110", "97140"]  # the two copies (then the list's empty rows)
    expect(page.locator("#id_approved_from_0")).to_have_value("2026-03-01")

    page.locator("#adjusts a").click()
    expect(page).to_have_url(re.compile(r"/auth/DEMO0007/change/$"))
    expect(page.locator("#adjusted-by")).to_have_text(f"Adjusted by Auth {new}")
    page.locator("#adjusted-by a").click()
    expect(page).to_have_url(re.compile(rf"/auth/{new}/change/$"))
