"""The reviewer's page in Chromium (issue 22 point 3): decide an Auth with a denial code and a comment, edit its
procedure lines, and a decision from a page someone else changed meanwhile is refused, then goes through once seen."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import BrowserContext, expect

from authorizations.vba.models import Auth, AuthCode, AuthProcCodes, AuthReview
from authorizations.vba.services import auth_code_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PAGE = "/admin/db/demo/authorizations/auth/DEMO0007/change/"
CODES = [
    {"auth_Code": "BRAP1", "auth_Action": "A", "description": "Approved as requested"},
    {"auth_Code": "BRDN1", "auth_Action": "D", "description": "Not medically necessary"},
    {"auth_Code": "BRDN2", "auth_Action": "D", "description": "Out of network"},
]


@pytest.fixture
def reviewer(context: BrowserContext, live_server: Any) -> BrowserContext:
    """The demo data, three decision codes, the demo login."""
    call_command("seed_demo", stdout=io.StringIO())
    with use_vba_database("demo"):
        assert auth_code_batch_upsert(items=CODES, user=None).counts() in ({201: 3}, {200: 3})
        AuthProcCodes.objects.filter(auth_number="DEMO0007").delete()  # setup: the page starts with no line
    log_in_as(context, live_server, "demo")
    return context


def auth() -> Auth:
    with use_vba_database("demo"):
        return Auth.objects.get(pk="DEMO0007")


def test_decide_with_a_denial_code_and_a_comment(reviewer: BrowserContext) -> None:
    page = reviewer.new_page()
    page.goto(PAGE)
    expect(page.locator("#vba-database-name")).to_have_text("Database: demo")
    codes = page.locator("#id_decide-auth_code")
    with use_vba_database("demo"):  # the demo's denial codes and this test's two, each with its reason
        denials = [f"{c.pk} – {c.description}" for c in AuthCode.objects.filter(auth_action="D").order_by("pk")]
    assert {"BRDN1 – Not medically necessary", "BRDN2 – Out of network"} < set(denials)
    expect(codes.locator('optgroup[label="Denied"] option')).to_have_text(denials)
    codes.select_option("BRDN1")
    page.fill("#id_decide-review_comment", "No documentation of conservative treatment.")
    page.click("#decide-confirm")

    expect(page.locator(".messagelist")).to_contain_text("Auth DEMO0007 decided: BRDN1 – Not medically necessary")
    expect(page.locator("#decision-status")).to_have_text("DENIED")
    expect(page.locator("#decision-code")).to_have_text("BRDN1")
    expect(page.locator("#decision-description")).to_have_text("Not medically necessary")
    expect(page.locator("#decision-by")).to_have_text("demo")
    expect(page.locator("#decision-when")).not_to_have_text("—")
    newest = page.locator("#auth-reviews tr").nth(1)  # the first row after the heading
    expect(newest).to_contain_text("No documentation of conservative treatment.")
    expect(newest).to_contain_text("demo")
    expect(newest).to_contain_text("DENIED")
    expect(page.locator(".fieldBox.field-status .readonly")).to_have_text("DENIED")  # read-only on the form
    assert page.locator("#id_status").count() == 0

    found = auth()
    assert (found.status, found.auth_code, found.approved_by) == ("DENIED", "BRDN1", "demo")
    with use_vba_database("demo"):
        reason = Auth.history.filter(auth_number="DEMO0007").latest("history_id").history_change_reason
        assert reason == "Not medically necessary"
        assert AuthReview.objects.filter(auth_number="DEMO0007", review_user="demo").count() == 1


def test_add_a_procedure_line_then_edit_its_units(reviewer: BrowserContext) -> None:
    page = reviewer.new_page()
    page.goto(PAGE)
    page.fill("#id_authproccodes-0-procedure_code", "97110")
    page.fill("#id_authproccodes-0-modifier1", "GP")
    page.fill("#id_authproccodes-0-units_requested", "12")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#id_authproccodes-0-procedure_code")).to_have_value("97110")
    expect(page.locator("#id_authproccodes-0-units_requested")).to_have_value("12")

    page.fill("#id_authproccodes-0-units_approved", "8")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#id_authproccodes-0-units_approved")).to_have_value("8")
    with use_vba_database("demo"):
        (line,) = AuthProcCodes.objects.filter(auth_number="DEMO0007")
        assert (line.procedure_code, line.units_requested, line.units_approved, line.update_user) == (
            "97110",
            12,
            8,
            "demo",
        )
        history = AuthProcCodes.history.filter(auth_proc_codes_key=line.pk).order_by("history_id")
        assert list(history.values_list("history_type", flat=True)) == ["+", "~"]


def test_a_decision_from_a_page_changed_meanwhile_is_refused_then_goes_through(
    reviewer: BrowserContext, second: BrowserContext
) -> None:
    first_page, second_page = reviewer.new_page(), second.new_page()
    first_page.goto(PAGE)
    second_page.goto(PAGE)

    first_page.fill("#id_authproccodes-0-procedure_code", "97110")
    first_page.fill("#id_authproccodes-0-units_requested", "12")
    first_page.click("input[name=_continue]")
    expect(first_page.locator(".messagelist")).to_contain_text("was changed successfully")

    second_page.locator("#id_decide-auth_code").select_option("BRAP1")
    second_page.fill("#id_decide-review_comment", "Looks fine to me.")
    second_page.click("#decide-confirm")
    expect(second_page.locator("#decide-errors")).to_contain_text(
        "Not decided: this Auth DEMO0007 was changed by demo after you opened this page."
    )
    expect(second_page.locator("#record-conflict")).to_contain_text("Procedure lines: added")
    expect(second_page.locator("#id_decide-auth_code")).to_have_value("BRAP1")  # the choice is kept
    expect(second_page.locator("#id_decide-review_comment")).to_have_value("Looks fine to me.")
    expect(second_page.locator("#id_authproccodes-0-procedure_code")).to_have_value("97110")  # the line is shown
    assert auth().status != "APPROVED"

    second_page.click("#decide-confirm")  # ben has seen the new line: his decision goes through
    expect(second_page.locator(".messagelist")).to_contain_text("Auth DEMO0007 decided: BRAP1")
    expect(second_page.locator("#decision-status")).to_have_text("APPROVED")
    assert (auth().status, auth().approved_by) == ("APPROVED", "ben")


def test_a_line_edited_from_a_stale_page_is_refused_not_overwritten(
    reviewer: BrowserContext, second: BrowserContext
) -> None:
    first_page = reviewer.new_page()
    first_page.goto(PAGE)
    first_page.fill("#id_authproccodes-0-procedure_code", "97110")
    first_page.fill("#id_authproccodes-0-units_requested", "12")
    first_page.click("input[name=_continue]")
    expect(first_page.locator(".messagelist")).to_contain_text("was changed successfully")

    second_page = second.new_page()
    second_page.goto(PAGE)
    first_page.fill("#id_authproccodes-0-units_approved", "8")
    first_page.click("input[name=_continue]")
    expect(first_page.locator(".messagelist")).to_contain_text("was changed successfully")

    second_page.fill("#id_authproccodes-0-units_approved", "4")
    second_page.click("input[name=_continue]")
    expect(second_page.locator("#record-conflict")).to_contain_text("Not saved: this Auth DEMO0007 was changed by demo")
    expect(second_page.locator("#record-conflict")).to_contain_text("Units approved")
    expect(second_page.locator("#id_authproccodes-0-units_approved")).to_have_value("4")  # what ben typed
    with use_vba_database("demo"):
        assert AuthProcCodes.objects.get(auth_number="DEMO0007").units_approved == 8
