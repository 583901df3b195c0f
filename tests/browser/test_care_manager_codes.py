"""A care manager in Chromium (issue 24): the case form offers the codes in use and refuses a fork naming the value in
use, a case closes only with an end date and a close reason, and the plan's case list says it is the plan's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from carecases.models import CareCase
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as
from tests.carecases.conftest import case_item, plan_item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CASES = "/admin/db/demo/carecases/carecase/"
SAVE = "input[name=_save]"


@pytest.fixture
def manager(context: BrowserContext, live_server: Any, admin_user: Any) -> BrowserContext:
    """Plan 3 "Diabetes program" (weight 1.5) with case 1 (OPEN, priority 2) and case 2 (CLOSED, GOALS_MET)."""
    with use_vba_database("demo"):
        care_plan_batch_upsert(
            items=[plan_item(3, care_Type="DIABETES", care_Weight=1.5, description="Diabetes program")],
            user=admin_user,
        )
        care_case_batch_upsert(
            items=[
                case_item(1, plan=3, case_Status="OPEN", case_Reason="REFERRAL", case_Priority=2),
                case_item(2, plan=3, case_Status="CLOSED", case_End_Date="2026-03-01T00:00:00",
                          case_Close_Reason="GOALS_MET"),
            ],
            user=admin_user,
        )  # fmt: skip
    log_in_as(context, live_server, admin_user.get_username())
    return context


def stored(key: int) -> CareCase:
    with use_vba_database("demo"):
        return CareCase.objects.get(pk=key)


def offered(page: Page, field: str) -> list[str]:
    """The values the browser offers in the text box ``field`` (its datalist)."""
    return page.eval_on_selector(
        f"#id_{field}", "box => box.list ? Array.from(box.list.options).map(option => option.value) : null"
    )


def test_a_typed_fork_of_a_status_is_refused_naming_the_value_in_use(manager: BrowserContext, page: Page) -> None:
    before = stored(1)
    page.goto(f"{CASES}1/change/")
    assert offered(page, "case_status") == ["CLOSED", "OPEN"]
    assert offered(page, "case_close_reason") == ["GOALS_MET"]
    expect(page.locator("#id_case_priority option:checked")).to_have_text("2 – High")
    page.fill("#id_case_status", "Closed")
    page.fill("#id_case_end_date_0", "2026-04-01")
    page.fill("#id_case_close_reason", "GOALS_MET")
    page.click(SAVE)
    error = page.locator(".field-case_status .errorlist")
    expect(error).to_have_text("Case status: “Closed” is written “CLOSED” in this database: use that value.")
    expect(page.locator("#id_case_status")).to_have_value("Closed")  # what was typed stays in the box
    assert stored(1).update_date == before.update_date
    page.fill("#id_case_status", "CLOSED")
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert stored(1).case_status == "CLOSED"


def test_closing_a_case_needs_an_end_date_and_a_close_reason(manager: BrowserContext, page: Page) -> None:
    page.goto(f"{CASES}1/change/")
    page.fill("#id_case_status", "CLOSED")
    page.click(SAVE)
    expect(page.locator(".field-case_end_date .errorlist")).to_have_text(
        "A closed case (status CLOSED) needs an end date: enter the date it closed."
    )
    expect(page.locator(".field-case_close_reason .errorlist")).to_have_text(
        "A closed case (status CLOSED) needs a close reason: say why it closed."
    )
    assert stored(1).case_status == "OPEN"
    page.fill("#id_case_end_date_0", "2026-04-01")
    page.fill("#id_case_close_reason", "GOALS_MET")
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    case = stored(1)
    assert (case.case_status, case.case_close_reason) == ("CLOSED", "GOALS_MET")
    assert case.case_end_date is not None and case.case_end_date.date().isoformat() == "2026-04-01"


def test_the_plans_case_list_says_whose_it_is_and_the_weight_reads_the_same(
    manager: BrowserContext, page: Page
) -> None:
    page.goto("/admin/db/demo/carecases/careplan/")
    expect(page.locator("#result_list td.field-care_weight").first).to_have_text("1.5")
    page.click("#result_list th.field-care_plan_key a >> nth=0")
    expect(page.locator("#id_care_weight")).to_have_value("1.5")
    page.click("a:has-text('All 2 case(s) of this plan')")
    expect(page).to_have_url(re.compile(r"/carecase/\?care_plan__care_plan_key__exact=3$"))
    expect(page.locator("#content h1")).to_have_text("Care cases of care plan 3 · Diabetes program")
    expect(page).to_have_title(re.compile(r"^Care cases of care plan 3 · Diabetes program"))
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list td.field-priority").first).to_have_text("2 – High")
