"""The admin as staff use it, in Chromium at 1440×900 against the live server with the demo data (``seed_demo``):
log in, pick a database, search, edit, history, two tabs in two databases, bad input, untouched saves, care plans,
the Spry list and its expire confirmation."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from authorizations.models import Auth, Authorization, AuthorizationIcdCode
from authorizations.vba.models import AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.services import auth_batch_upsert
from carecases.models import CareCase, CarePlan
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.api.models import AdminExport
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item, history_rows, stored
from tests.authorizations.spry_fixtures import make_authorization
from tests.browser.conftest import log_in_as
from tests.carecases.conftest import case_item, plan_item

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

AUTHS = "/admin/db/{}/authorizations/auth/"
SAVE = "input[name=_save]"


@pytest.fixture
def staff(context: BrowserContext, live_server: Any) -> BrowserContext:
    """The demo data in both databases (DEMO0007 told apart: its status in ``other`` is OTHER), the demo login."""
    call_command("seed_demo", stdout=io.StringIO())
    with use_vba_database("demo"):
        Auth.objects.filter(pk="DEMO0007").update(amount_approved=Decimal("4004.7700"), visits_approved=16)  # setup
    with use_vba_database("other"):
        Auth.objects.filter(pk="DEMO0007").update(status="OTHER")  # setup only
    log_in_as(context, live_server, "demo")
    return context


def contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of the text of ``selector`` against the first opaque background behind it."""
    colours = page.eval_on_selector(
        selector,
        """element => {
            const parse = c => c.match(/[\\d.]+/g).map(Number);
            let node = element, background = null;
            while (node && node.nodeType === 1) {
                const value = parse(getComputedStyle(node).backgroundColor);
                if (value.length < 4 || value[3] > 0) { background = value; break; }
                node = node.parentElement;
            }
            return [parse(getComputedStyle(element).color), background || [255, 255, 255]];
        }""",
    )

    def luminance(rgb: list[float]) -> float:
        def channel(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(v) for v in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(colours[0]), luminance(colours[1])), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_log_in_and_pick_a_database(live_server: Any, page: Page) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", "demo")
    page.fill("#id_password", "demo-password")
    page.click("input[type=submit]")
    expect(page.locator("#vba-databases-module")).to_contain_text("Database other")
    expect(page.locator("#vba-database-name")).to_have_count(0)  # the home page carries no database
    page.wait_for_load_state()  # the picker goes on change once the page's script has run (a click is not a load)
    page.select_option("#vba-database", "other")
    expect(page).to_have_url(re.compile(r"/admin/db/other/$"))
    expect(page.locator("#vba-database-name")).to_have_text("Database: other")
    expect(page).to_have_title("Database other | Records admin")  # the database's home: named once
    page.goto(AUTHS.format("other") + "DEMO0007/change/")
    expect(page.locator(".vba-database-crumb")).to_have_text("Database other")
    for selector in ("#vba-database-name", ".vba-database-crumb a", "#vba-database-form label"):
        assert contrast(page, selector) >= 4.5, selector  # WCAG AA, on a form page too
    page.select_option("#vba-database", "demo")  # from a record: to demo's list, not demo's DEMO0007
    expect(page).to_have_url(re.compile(r"/admin/db/demo/authorizations/auth/$"))


def test_search_edit_and_save_with_the_audit_stamp_then_history(staff: BrowserContext, page: Page) -> None:
    before = stored("demo")
    page.goto(AUTHS.format("demo"))
    page.fill("#searchbar", "demo0007")  # typed in lower case: found in capitals
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.click("#result_list th.field-auth_number a")
    expect(page).to_have_url(re.compile(r"/admin/db/demo/authorizations/auth/DEMO0007/change/"))
    page.fill("#id_assigned_user", "EDITED")  # (status: a decision only, test_reviewer_page.py)
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    after = stored("demo")
    assert (after.assigned_user, after.update_user) == ("EDITED", "demo")
    assert after.update_date > before.update_date
    assert stored("other").status == "OTHER"
    page.goto(AUTHS.format("demo") + "DEMO0007/change/")
    page.click("a.historylink")
    expect(page.locator("#change-history")).to_contain_text("EDITED")
    expect(page.locator("#change-history")).to_contain_text("demo")


def test_two_tabs_each_write_the_database_of_their_own_page(staff: BrowserContext) -> None:
    tab_a = staff.new_page()
    tab_a.goto(AUTHS.format("demo") + "DEMO0007/change/")
    tab_b = staff.new_page()
    tab_b.goto(AUTHS.format("demo") + "DEMO0007/change/")
    tab_b.select_option("#vba-database", "other")  # tab B switches database while tab A stays on demo's record
    expect(tab_b).to_have_url(re.compile(r"/admin/db/other/authorizations/auth/$"))
    tab_b.click("#result_list th.field-auth_number a:text-is('DEMO0007')")
    expect(tab_b.locator(".fieldBox.field-status .readonly")).to_have_text("OTHER")
    tab_a.fill("#id_assigned_user", "TAB-A")
    tab_a.click(SAVE)
    expect(tab_a.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(tab_a.locator("#vba-database-name")).to_have_text("Database: demo")
    tab_b.fill("#id_assigned_user", "TAB-B")
    tab_b.click(SAVE)
    expect(tab_b.locator(".messagelist")).to_contain_text("was changed successfully")
    demo, other = stored("demo"), stored("other")
    assert (demo.assigned_user, other.assigned_user, other.status) == ("TAB-A", "TAB-B", "OTHER")
    assert demo.amount_approved == Decimal("4004.7700") and other.amount_approved != demo.amount_approved


def test_a_malformed_amount_is_refused_with_what_was_typed_kept(staff: BrowserContext, page: Page) -> None:
    before, rows = stored("demo"), history_rows("demo")
    page.goto(AUTHS.format("demo") + "DEMO0007/change/")
    expect(page.locator("#id_amount_approved")).to_have_value("4004.77")  # no trailing zeros
    expect(page.locator("#id_visits_approved")).to_have_value("16")
    page.fill("#id_amount_approved", "4004.7700e")
    page.click(SAVE)
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".errorlist")).to_contain_text("Amount approved: “4004.7700e” is not a valid number.")
    expect(page.locator("#id_amount_approved")).to_have_value("4004.7700e")
    expect(page.locator("#id_visits_approved")).to_have_value("16")  # the other numbers are still there
    after = stored("demo")
    assert (after.amount_approved, after.update_date, history_rows("demo")) == (
        before.amount_approved,
        before.update_date,
        rows,
    )


def test_an_untouched_save_changes_nothing(staff: BrowserContext, page: Page) -> None:
    before, rows = stored("demo"), history_rows("demo")
    assert before.narrative is None
    page.goto(AUTHS.format("demo") + "DEMO0007/change/")
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("Nothing was changed, so nothing was saved.")
    after = stored("demo")
    assert (after.narrative, after.notes, after.update_date, after.update_user) == (
        before.narrative,
        before.notes,
        before.update_date,
        before.update_user,
    )
    assert history_rows("demo") == rows


def test_the_care_plan_page_with_its_cases(staff: BrowserContext, page: Page) -> None:
    page.goto("/admin/db/demo/carecases/careplan/")
    page.click("#result_list th.field-care_plan_key a >> nth=0")
    inline = page.locator(".inline-group tbody tr.has_original")
    expect(inline.first).to_be_visible()
    cases = inline.count()
    assert cases > 0
    link = page.locator("a:has-text('case(s) of this plan')")
    total = int(re.search(r"All (\d+) case", link.inner_text()).group(1))  # type: ignore[union-attr]
    assert total >= cases
    link.click()
    expect(page).to_have_url(re.compile(r"/admin/db/demo/carecases/carecase/\?care_plan__care_plan_key__exact="))
    expect(page.locator("#result_list tbody tr")).to_have_count(total)
    page.click("#result_list th.field-case_key a >> nth=0")
    page.click("a.historylink")
    expect(page.locator("#content h1")).to_contain_text("history")  # the care case History page opens


def test_the_spry_list_filters_and_expire_confirmation(staff: BrowserContext, page: Page) -> None:
    page.goto("/admin/authorizations/authorization/")
    expect(page.locator("#vba-database-name")).to_have_count(0)  # Spry carries no database
    all_rows = page.locator("#result_list tbody tr").count()
    assert all_rows >= 3
    page.click("#changelist-filter a:has-text('Used up')")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("⚠")
    page.click("#changelist-filter a:has-text('All') >> nth=0")
    page.goto("/admin/authorizations/authorization/?authorization_status__exact=ACTIVE")
    active = page.locator("#result_list tbody tr").count()
    assert active >= 1
    page.check("#action-toggle")
    page.select_option("select[name=action]", "expire_selected")
    page.click("button[name=index]")
    expect(page.locator("#content h1")).to_have_text("Expire authorizations?")
    expect(page.locator("#expire-list tbody tr")).to_have_count(active)
    assert Authorization.objects.filter(authorization_status="EXPIRED").count() == 0  # nothing yet
    in_period = page.locator("#expire-list tr.in-period").count()
    if in_period:
        expect(page.locator("#still-in-period")).to_contain_text("still in")
    page.click("input[type=submit][value^='Yes, expire']")
    expect(page.locator(".messagelist")).to_contain_text(f"{active} authorization(s) set to EXPIRED")
    assert Authorization.objects.filter(authorization_status="EXPIRED").count() == active


def test_export_downloads_the_searched_list_of_the_pages_database(staff: BrowserContext) -> None:
    page = staff.new_page()
    page.goto(AUTHS.format("other") + "?q=DEMO0007")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"auths-other-\d{8}T\d{6}Z\.csv", download.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [(row["auth_Number"], row["status"]) for row in rows] == [("DEMO0007", "OTHER")]


def test_the_selected_rows_download_as_json_as_export_auths_writes_them(staff: BrowserContext) -> None:
    page = staff.new_page()
    page.goto(AUTHS.format("demo") + "?o=1")
    keys = [page.locator("#result_list tbody tr").nth(i).locator("th a").inner_text() for i in (0, 2)]
    for key in keys:
        page.locator(f"#result_list input.action-select[value='{key}']").check()
    page.select_option("select[name=action]", "export_selected_json")
    with page.expect_download() as download_info:
        page.click("button[name=index]")
    download = download_info.value
    assert re.fullmatch(r"auths-demo-\d{8}T\d{6}Z\.json", download.suggested_filename)
    body = Path(download.path()).read_text(encoding="utf-8")
    command = io.StringIO()
    call_command("export_auths", "--database", "demo", stdout=command, stderr=io.StringIO())
    records = [line.rstrip(",") for line in command.getvalue().splitlines()[1:-1]]  # the array's lines
    by_key = {json.loads(record)["auth_Number"]: record for record in records}
    assert body == "[\n" + ",\n".join(by_key[key] for key in sorted(keys)) + "\n]\n"
    export = AdminExport.objects.get()
    assert (export.username, export.database, export.format, export.selection, export.rows, export.completed) == (
        "demo",
        "demo",
        "json",
        keys,
        2,
        True,
    )


def spry_page(view: str, authorization: Authorization) -> str:
    """The admin URL of an authorization's page, its id escaped as the admin escapes it (``_22`` …)."""
    return reverse(f"admin:authorizations_authorization_{view}", args=[quote(authorization.pk)])


def database_named_legibly(page: Page, database: str) -> None:
    """The page names ``database`` in its header, title and breadcrumbs, each legible (WCAG AA: 4.5:1)."""
    expect(page.locator("#vba-database-name")).to_have_text(f"Database: {database}")
    expect(page.locator(".vba-database-crumb")).to_have_text(f"Database {database}")
    expect(page).to_have_title(re.compile(rf"(^|\| )Database {database} \| Records admin$"))
    for selector in ("#vba-database-name", ".vba-database-crumb a", "#vba-database-form label"):
        ratio = contrast(page, selector)
        assert ratio >= 4.5, f"{page.url}: {selector} contrast {ratio:.2f}:1"


def test_every_kind_of_vba_page_names_its_database_legibly(staff: BrowserContext, page: Page) -> None:
    with use_vba_database("other"):
        # setup: an Auth with lines, diagnoses or reviews cannot be deleted (decision 15): no delete confirmation
        AuthProcCodes.objects.filter(auth_number="DEMO0007").delete()
        AuthReview.objects.filter(auth_number="DEMO0007").delete()
        AuthDiagCodes.objects.filter(auth_number="DEMO0007").delete()
        plan = CarePlan.objects.order_by("pk").first()
        case = CareCase.objects.order_by("pk").first()
    assert plan is not None and case is not None
    base = "/admin/db/other/"
    paths = ["", "authorizations/", "carecases/"]
    for model, key in (
        ("authorizations/auth", "DEMO0007"),
        ("carecases/careplan", plan.pk),
        ("carecases/carecase", case.pk),
    ):
        paths += [
            f"{model}/",
            f"{model}/add/",
            f"{model}/{key}/change/",
            f"{model}/{key}/history/",
            f"{model}/{key}/delete/",
        ]
    for path in paths:
        page.goto(base + path)
        expect(page.locator("#content h1")).to_be_visible()
        database_named_legibly(page, "other")
    page.goto(AUTHS.format("other") + "?_selected_action=DEMO0007")  # the delete action's confirmation page too
    page.check("input[name=_selected_action][value=DEMO0007]")
    page.select_option("select[name=action]", "delete_selected")
    page.click("button[name=index]")
    expect(page.locator("#content h1")).to_have_text("Delete multiple objects")
    database_named_legibly(page, "other")


LAST_DAY = "2026-12-31T00:00:00"


def longest(length: int) -> str:
    """Text of ``length`` capitals and digits, as keys, codes and statuses are written (not all of the widest
    glyph: a person's data is not "WWWW")."""
    return ("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 15)[:length]


def widest_rows() -> None:
    """A record of each list with the longest values its listed columns take (written as the API writes them)."""
    with use_vba_database("demo"):
        auth = auth_item(
            longest(20), subscriber_ID="9" * 9, member_Seq="99", status=longest(8), auth_Type=longest(8),
            approved_From=LAST_DAY, approved_Thru=LAST_DAY, visits_Actual=99999.9999, visits_Approved=99999.9999,
        )  # fmt: skip
        assert auth_batch_upsert(items=[auth], user=None).counts() == {201: 1}
        plan = plan_item(999_999_999, care_Type=longest(32), description=longest(512), care_Weight=99999.9999)
        assert care_plan_batch_upsert(items=[plan], user=None).counts() == {201: 1}
        case = case_item(
            999_999_999, plan=999_999_999, case_ID=longest(64), case_Status=longest(8), case_Priority=999_999_999,
            subscriber_ID="9" * 9, member_Seq="99", case_Start_Date=LAST_DAY, case_End_Date=LAST_DAY,
        )  # fmt: skip
        assert care_case_batch_upsert(items=[case], user=None).counts() == {201: 1}
    make_authorization(
        patient_name=longest(255),
        insurance_payer={"payer_reg_id": 999_999_999, "name": longest(255)},
        authorized_visit_count=999_999,
        current_visit_count=999_999,
        previous_consumed_visit_count=999_999,
    )


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        ("/admin/db/demo/authorizations/auth/", ["auth_number", "member", "status", "approved_period", "visits"]),
        ("/admin/db/demo/carecases/carecase/", ["case_key", "case_id", "case_status", "member", "period"]),
        ("/admin/db/demo/carecases/careplan/", ["care_plan_key", "care_type", "description", "case_count"]),
        ("/admin/authorizations/authorization/", ["authorization_id", "patient_name", "status", "effective_period",
                                                  "visits"]),
    ],
)  # fmt: skip
def test_each_list_fits_1440_px_with_the_columns_a_person_scans_first(
    staff: BrowserContext, page: Page, path: str, columns: list[str]
) -> None:
    widest_rows()
    page.goto(path)
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    sizes = page.evaluate(
        """() => {
            const table = document.querySelector('#result_list').getBoundingClientRect();
            const area = document.querySelector('#changelist .results').getBoundingClientRect();
            const filter = document.querySelector('#changelist-filter');
            return {table: [table.left, table.right], area: [area.left, area.right],
                    filter: filter ? filter.getBoundingClientRect().left : null,
                    page: document.documentElement.scrollWidth, viewport: window.innerWidth};
        }"""
    )
    assert sizes["page"] <= sizes["viewport"] == 1440, sizes  # no horizontal scrolling
    assert sizes["table"][1] <= sizes["area"][1] + 0.5, sizes  # the table fits its area
    if sizes["filter"] is not None:
        assert sizes["table"][1] <= sizes["filter"], sizes  # and stops before the filters
    for column in columns:
        header = page.locator(f"#result_list thead th.column-{column}")
        expect(header).to_be_visible()
        box = header.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= sizes["area"][1] + 0.5, column


def test_the_icd_lists_delete_column_is_visible_and_removes_the_code(staff: BrowserContext, page: Page) -> None:
    authorization = make_authorization(
        icd_codes=[{"id": 9676, "code": "M72.1", "description": "W" * 500, "revision": "ICD10"}]
    )
    page.goto(spry_page("change", authorization))
    delete = page.locator("#icd_codes-0 td.delete input[type=checkbox]")
    delete.scroll_into_view_if_needed()
    expect(delete).to_be_visible()
    box, group = delete.bounding_box(), page.locator("#icd_codes-group").bounding_box()
    assert box is not None and group is not None
    assert box["x"] + box["width"] <= min(group["x"] + group["width"], 1440), (box, group)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    delete.check()
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert not authorization.icd_codes.exists()
    page.goto(spry_page("history", authorization))
    expect(page.locator("#change-history")).to_contain_text("ICD codes: removed M72.1")


def test_a_malformed_date_is_refused_naming_the_field_with_what_was_typed_kept(
    staff: BrowserContext, page: Page
) -> None:
    before, rows = stored("demo"), history_rows("demo")
    page.goto(AUTHS.format("demo") + "DEMO0007/change/")
    page.fill("#id_received_date_0", "2026-13-45")
    page.fill("#id_assigned_user", "CHANGED")
    page.click(SAVE)
    expect(page.locator(".errorlist")).to_contain_text("Received date: enter a valid date (YYYY-MM-DD).")
    expect(page.locator("#id_received_date_0")).to_have_value("2026-13-45")
    expect(page.locator("#id_assigned_user")).to_have_value("CHANGED")
    after = stored("demo")
    assert (after.assigned_user, after.received_date, after.update_date, history_rows("demo")) == (
        before.assigned_user,
        before.received_date,
        before.update_date,
        rows,
    )


def test_an_untouched_spry_authorization_with_its_lists_saves_nothing(staff: BrowserContext, page: Page) -> None:
    authorization = make_authorization(comments=None, phone_number=None)
    rows = (Authorization.history.count(), AuthorizationIcdCode.history.count())
    page.goto(spry_page("change", authorization))
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("Nothing was changed, so nothing was saved.")
    after = Authorization.objects.get(pk=authorization.pk)
    assert (after.comments, after.phone_number, after.updated_at) == (None, None, authorization.updated_at)
    assert (Authorization.history.count(), AuthorizationIcdCode.history.count()) == rows


def test_add_and_delete_pages_keep_their_database_when_another_tab_switches(staff: BrowserContext) -> None:
    with use_vba_database("demo"):  # setup: an Auth with children cannot be deleted (decision 15)
        AuthProcCodes.objects.filter(auth_number="DEMO0007").delete()
        AuthReview.objects.filter(auth_number="DEMO0007").delete()
        AuthDiagCodes.objects.filter(auth_number="DEMO0007").delete()
    tab_a = staff.new_page()
    tab_a.goto(AUTHS.format("demo") + "add/")
    tab_delete = staff.new_page()
    tab_delete.goto(AUTHS.format("demo") + "DEMO0007/delete/")
    tab_b = staff.new_page()
    tab_b.goto(AUTHS.format("demo"))
    tab_b.select_option("#vba-database", "other")
    expect(tab_b).to_have_url(re.compile(r"/admin/db/other/authorizations/auth/$"))
    tab_a.fill("#id_auth_number", "ADDED-IN-A")
    tab_a.select_option("#id_tplan_printed", "N")
    tab_a.click(SAVE)
    expect(tab_a.locator(".messagelist")).to_contain_text("was added successfully")
    tab_delete.click("input[type=submit]")
    expect(tab_delete.locator(".messagelist")).to_contain_text("was deleted successfully")
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="ADDED-IN-A").exists() and not Auth.objects.filter(pk="DEMO0007").exists()
    with use_vba_database("other"):
        assert not Auth.objects.filter(pk="ADDED-IN-A").exists() and Auth.objects.filter(pk="DEMO0007").exists()
