"""No silent overwrite, in Chromium: two staff members, each in a browser of their own, open the same Auth; the first
saves a change to Notes, the second's save is refused with who changed what, keeps what they typed, and goes through
when they save again."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import BrowserContext, expect

from authorizations.models import Auth
from authorizations.vba.models import AuthProcCodes
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CHANGE = "/admin/db/demo/authorizations/auth/DEMO0007/change/"
SAVE = "input[name=_save]"


def notes() -> str | None:
    with use_vba_database("demo"):
        return Auth.objects.get(pk="DEMO0007").notes


def test_the_second_save_of_a_stale_auth_form_is_refused_and_kept(
    context: BrowserContext, second: BrowserContext, live_server: Any
) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    log_in_as(context, live_server, "demo")
    first_page, second_page = context.new_page(), second.new_page()
    first_page.goto(CHANGE)
    second_page.goto(CHANGE)

    first_page.fill("#id_notes", "Called the member: approved by phone.")
    first_page.click(SAVE)
    expect(first_page.locator(".messagelist")).to_contain_text("was changed successfully")

    second_page.fill("#id_notes", "Waiting for the provider's records.")
    second_page.click(SAVE)
    conflict = second_page.locator("#record-conflict")
    expect(conflict).to_contain_text("Not saved: this Auth DEMO0007 was changed by demo")
    expect(conflict).to_contain_text("Notes:")
    expect(conflict).to_contain_text("Called the member: approved by phone.")
    expect(second_page.locator("#id_notes")).to_have_value("Waiting for the provider's records.")
    expect(second_page.locator("#vba-database-name")).to_have_text("Database: demo")
    assert notes() == "Called the member: approved by phone."

    second_page.click(SAVE)  # ben has read the change: his second save goes through
    expect(second_page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert notes() == "Waiting for the provider's records."


def test_a_second_save_keeps_what_the_other_person_changed_in_the_form_and_its_lines(
    context: BrowserContext, second: BrowserContext, live_server: Any
) -> None:
    """Demo changes the Auth's assigned user and a procedure line's units approved; Ben, whose page is older, changes
    Notes. Ben's refused page shows Demo's values in the fields he left alone, and his second save keeps them (it
    once wrote his page's old values back over them)."""
    call_command("seed_demo", stdout=io.StringIO())
    log_in_as(context, live_server, "demo")
    first_page, second_page = context.new_page(), second.new_page()
    first_page.goto(CHANGE)
    second_page.goto(CHANGE)

    first_page.fill("#id_assigned_user", "nurse.demo")
    first_page.fill("#id_authproccodes-0-units_approved", "42")
    first_page.click(SAVE)
    expect(first_page.locator(".messagelist")).to_contain_text("was changed successfully")

    second_page.fill("#id_notes", "Ben's note.")
    second_page.click(SAVE)
    expect(second_page.locator("#record-conflict")).to_contain_text("was changed by demo")
    expect(second_page.locator("#id_assigned_user")).to_have_value("nurse.demo")  # theirs, not the page's old value
    expect(second_page.locator("#id_authproccodes-0-units_approved")).to_have_value("42")
    expect(second_page.locator("#id_notes")).to_have_value("Ben's note.")  # his, kept

    second_page.click(SAVE)
    expect(second_page.locator(".messagelist")).to_contain_text("was changed successfully")
    with use_vba_database("demo"):
        auth = Auth.objects.get(pk="DEMO0007")
        line = AuthProcCodes.objects.filter(auth_number="DEMO0007").order_by("pk").first()
    assert (auth.notes, auth.assigned_user) == ("Ben's note.", "nurse.demo")
    assert line is not None and line.units_approved == 42
