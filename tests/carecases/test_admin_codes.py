"""A care manager's case form (issue 24): codes that do not fork, priorities with a meaning, a case that closes
properly, lists that say what they are filtered to, and decimals that read the same in the list and the form."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from carecases.models import CareCase, CarePlan
from carecases.rules import close_problems, is_closed_status
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.admin.sites import vba_sites
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

DEMO = "/admin/db/demo/carecases"
OTHER = "/admin/db/other/carecases"


@pytest.fixture
def cases(admin_user: Any) -> None:
    """In ``demo``: plan 3 "Diabetes program" (weight 1.5) with case 1 (OPEN), case 2 (CLOSED, ended, GOALS_MET,
    assigned to a NURSE) and case 3 (CLOSED by the API without an end date or reason); plan 4 with case 4. In
    ``other``: plan 3 with case 9 (status "Shut")."""
    with use_vba_database("demo"):
        care_plan_batch_upsert(
            items=[plan_item(3, care_Type="DIABETES", care_Weight=1.5, description="Diabetes program"), plan_item(4)],
            user=admin_user,
        )
        care_case_batch_upsert(
            items=[
                case_item(1, plan=3, case_Status="OPEN", case_Reason="REFERRAL", case_Priority=2),
                case_item(2, plan=3, case_Status="CLOSED", case_End_Date="2026-03-01T00:00:00",
                          case_Close_Reason="GOALS_MET", case_Assign_Type="NURSE", case_Priority=5),
                case_item(3, plan=3, case_Status="CLOSED"),
                case_item(4, plan=4, case_Status="OPEN"),
            ],
            user=admin_user,
        )  # fmt: skip
    with use_vba_database("other"):
        care_plan_batch_upsert(items=[plan_item(3)], user=admin_user)
        care_case_batch_upsert(items=[case_item(9, plan=3, case_Status="Shut")], user=admin_user)


def case_form(staff: Client, key: int, database: str = DEMO) -> tuple[str, dict[str, Any]]:
    page = staff.get(f"{database}/carecase/{key}/change/").content.decode()
    return page, submitted(page, "carecase_form")


def stored(key: int, database: str = "demo") -> CareCase:
    with use_vba_database(database):
        return CareCase.objects.get(pk=key)


def errors(response: Any) -> dict[str, list[str]]:
    return {name: list(messages) for name, messages in response.context["adminform"].form.errors.items()}


# --- codes without forks -----------------------------------------------------------------------------------------


def datalist(page: str, field: str) -> list[str]:
    """The values the text box ``field`` offers (its ``<datalist>``)."""
    box = re.search(rf'<input [^>]*name="{field}"[^>]*>', page)
    assert box is not None, field
    listed = re.search(r'list="([^"]+)"', box.group(0))
    assert listed is not None, f"{field} offers no values"
    options = re.search(rf'<datalist id="{listed.group(1)}">(.*?)</datalist>', page, re.S)
    assert options is not None
    return re.findall(r'<option value="([^"]*)">', options.group(1))


def test_the_case_form_offers_the_codes_in_use_in_its_database(staff: Client, cases: None) -> None:
    page = staff.get(f"{DEMO}/carecase/1/change/").content.decode()
    assert datalist(page, "case_status") == ["CLOSED", "OPEN"]
    assert datalist(page, "case_reason") == ["REFERRAL"]
    assert datalist(page, "case_close_reason") == ["GOALS_MET"]
    assert datalist(page, "case_assign_type") == ["NURSE"]
    assert datalist(staff.get(f"{DEMO}/carecase/add/").content.decode(), "case_status") == ["CLOSED", "OPEN"]
    assert datalist(staff.get(f"{OTHER}/carecase/9/change/").content.decode(), "case_status") == ["Shut"]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("case_status", "Closed", "Case status: “Closed” is written “CLOSED” in this database: use that value."),
        ("case_status", " open ", "Case status: “open” is written “OPEN” in this database: use that value."),
        ("case_reason", "referral", "Case reason: “referral” is written “REFERRAL” in this database: use that value."),
        ("case_assign_type", "Nurse", "Case assign type: “Nurse” is written “NURSE” in this database"),
    ],
)
def test_a_code_differing_from_one_in_use_only_by_case_spaces_or_punctuation_is_refused_naming_it(
    staff: Client, cases: None, field: str, typed: str, message: str
) -> None:
    before = stored(1)
    _page, form = case_form(staff, 1)
    form[field] = typed
    response = staff.post(f"{DEMO}/carecase/1/change/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(errors(response)) == [field]  # on the field
    assert stored(1).update_date == before.update_date


def test_a_close_reason_fork_is_refused_when_closing(staff: Client, cases: None) -> None:
    _page, form = case_form(staff, 1)
    form.update(case_status="CLOSED", case_end_date_0="2026-04-01", case_close_reason="Goals met")
    response = staff.post(f"{DEMO}/carecase/1/change/", form)
    assert response.status_code == 200
    assert errors(response) == {
        "case_close_reason": ["Case close reason: “Goals met” is written “GOALS_MET” in this database: use that value."]
    }
    form["case_close_reason"] = "GOALMET"
    assert "“GOALMET” is written “GOALS_MET”" in staff.post(f"{DEMO}/carecase/1/change/", form).content.decode()


@pytest.mark.parametrize("typed", ["CLOSED", "ON_HOLD"])
def test_a_code_in_use_or_a_new_code_is_accepted(staff: Client, cases: None, typed: str) -> None:
    _page, form = case_form(staff, 4)
    form.update(case_status=typed, case_end_date_0="2026-04-01", case_close_reason="GOALS_MET")
    response = staff.post(f"{DEMO}/carecase/4/change/", form)
    assert response.status_code == 302, errors(response)
    assert stored(4).case_status == typed


def test_each_database_has_its_own_codes(staff: Client, cases: None) -> None:
    """ "Shut" is in use in ``other`` only: in ``demo`` "SHUT" is new."""
    _page, form = case_form(staff, 4)
    form["case_status"] = "SHUT"
    assert staff.post(f"{DEMO}/carecase/4/change/", form).status_code == 302
    _page, form = case_form(staff, 9, OTHER)
    form["case_status"] = "SHUT"
    response = staff.post(f"{OTHER}/carecase/9/change/", form)
    assert "“SHUT” is written “Shut” in this database" in response.content.decode()


def test_a_stored_fork_is_kept_by_a_save_that_does_not_change_it(staff: Client, cases: None) -> None:
    """A legacy "Closed" written by the API beside "CLOSED": the form does not refuse what nobody typed."""
    with use_vba_database("demo"):
        CareCase.objects.filter(pk=2).update(case_status="Closed")  # setup only: as the API may store it
    _page, form = case_form(staff, 2)
    form["provider_id"] = "PRV7"
    response = staff.post(f"{DEMO}/carecase/2/change/", form)
    assert response.status_code == 302, errors(response)
    assert (stored(2).case_status, stored(2).provider_id) == ("Closed", "PRV7")


def test_the_api_keeps_vbas_free_text_codes(admin_user: Any, cases: None) -> None:
    with use_vba_database("demo"):
        result = care_case_batch_upsert(items=[case_item(5, plan=3, case_Status="Closed")], user=admin_user)
        assert result.counts() == {201: 1}
        assert CareCase.objects.get(pk=5).case_status == "Closed"


# --- priority ------------------------------------------------------------------------------------------------------


def test_priority_is_a_choice_with_its_meaning_in_the_form_and_the_list(staff: Client, cases: None) -> None:
    page, form = case_form(staff, 1)
    assert '<select name="case_priority"' in page
    for option in ("1 – Urgent", "2 – High", "3 – Medium", "4 – Low", "5 – Routine"):
        assert f">{option}</option>" in page
    assert '<option value="2" selected>2 – High</option>' in page
    listed = staff.get(f"{DEMO}/carecase/").content.decode()
    assert re.search(r'<td class="field-priority">2 – High</td>', listed)
    assert re.search(r'<td class="field-priority">5 – Routine</td>', listed)
    assert ">5 – Routine</a>" in listed  # the filter names the meaning too
    plan_page = staff.get(f"{DEMO}/careplan/3/change/").content.decode()  # and the plan's recent cases
    assert re.search(r'<td class="field-priority">\s*<p>2 – High</p>', plan_page)
    form["case_priority"] = "7"
    response = staff.post(f"{DEMO}/carecase/1/change/", form)
    assert "Case priority: “7” is not one of 1, 2, 3, 4, 5." in response.content.decode()
    form["case_priority"] = "1"
    assert staff.post(f"{DEMO}/carecase/1/change/", form).status_code == 302
    assert stored(1).case_priority == 1


def test_a_priority_outside_1_to_5_stored_by_the_api_is_shown_and_kept(staff: Client, cases: None) -> None:
    with use_vba_database("demo"):
        CareCase.objects.filter(pk=1).update(case_priority=9)  # setup only: the API accepts any whole number
    page, form = case_form(staff, 1)
    assert '<option value="9" selected>9 (stored value)</option>' in page
    form["provider_id"] = "PRV7"
    assert staff.post(f"{DEMO}/carecase/1/change/", form).status_code == 302
    assert stored(1).case_priority == 9


# --- closing a case ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "closed"),
    [("CLOSED", True), ("Closed", True), ("close", True), ("closed-gm", True), ("OPEN", False), ("CLOSING", False),
     (None, False)],
)  # fmt: skip
def test_which_statuses_mean_closed(status: str | None, closed: bool) -> None:
    assert is_closed_status(status) is closed
    assert bool(close_problems(status, None, None)) is closed


def test_closing_a_case_needs_an_end_date_and_a_close_reason_named_on_their_fields(staff: Client, cases: None) -> None:
    before = stored(1)
    _page, form = case_form(staff, 1)
    form["case_status"] = "CLOSED"
    response = staff.post(f"{DEMO}/carecase/1/change/", form)
    assert response.status_code == 200
    assert errors(response) == {
        "case_end_date": ["A closed case (status CLOSED) needs an end date: enter the date it closed."],
        "case_close_reason": ["A closed case (status CLOSED) needs a close reason: say why it closed."],
    }
    assert stored(1).update_date == before.update_date
    form["case_end_date_0"] = "2026-04-01"
    response = staff.post(f"{DEMO}/carecase/1/change/", form)
    assert errors(response) == {
        "case_close_reason": ["A closed case (status CLOSED) needs a close reason: say why it closed."]
    }
    form["case_close_reason"] = "GOALS_MET"
    response = staff.post(f"{DEMO}/carecase/1/change/", form)
    assert response.status_code == 302, errors(response)
    case = stored(1)
    assert (case.case_status, case.case_end_date.date().isoformat(), case.case_close_reason) == (  # type: ignore[union-attr]
        "CLOSED",
        "2026-04-01",
        "GOALS_MET",
    )


def test_a_new_case_added_closed_needs_them_too(staff: Client, cases: None) -> None:
    page = staff.get(f"{DEMO}/carecase/add/").content.decode()
    form = submitted(page, "carecase_form")
    form.update(care_plan="3", case_status="CLOSED", case_close_reason="GOALS_MET")
    response = staff.post(f"{DEMO}/carecase/add/", form)
    assert list(errors(response)) == ["case_end_date"]


def test_a_closed_case_without_an_end_date_is_completed_before_another_change(staff: Client, cases: None) -> None:
    """Case 3 was closed through the API (which does not require them): changing it in the admin asks for both;
    opening it and saving it untouched does not."""
    _page, form = case_form(staff, 3)
    response = staff.post(f"{DEMO}/carecase/3/change/", form, follow=True)
    assert "Nothing was changed, so nothing was saved." in response.content.decode()
    form["provider_id"] = "PRV7"
    response = staff.post(f"{DEMO}/carecase/3/change/", form)
    assert sorted(errors(response)) == ["case_close_reason", "case_end_date"]
    form["case_status"] = "OPEN"  # reopened: no longer needs them
    assert staff.post(f"{DEMO}/carecase/3/change/", form).status_code == 302


# --- filtered lists; decimals ----------------------------------------------------------------------------------


def test_the_plans_case_list_says_it_is_the_plans(staff: Client, cases: None) -> None:
    plan_page = staff.get(f"{DEMO}/careplan/3/change/").content.decode()
    link = re.search(r'<a href="([^"]+)">All 3 case\(s\) of this plan</a>', plan_page)
    assert link is not None
    response = staff.get(link.group(1).replace("&amp;", "&"))
    page = response.content.decode()
    assert "<h1>Care cases of care plan 3 · Diabetes program</h1>" in page
    assert "<title>Care cases of care plan 3 · Diabetes program |" in page
    assert sorted(obj.pk for obj in response.context["cl"].result_list) == [1, 2, 3]
    page = staff.get(f"{DEMO}/carecase/?care_plan__care_plan_key__exact=4").content.decode()
    assert "<h1>Care cases of care plan 4</h1>" in page  # no description, no care type: its key
    assert "Care cases of" not in staff.get(f"{DEMO}/carecase/").content.decode()


def test_a_decimal_reads_the_same_in_the_list_and_the_form(staff: Client, cases: None) -> None:
    listed = staff.get(f"{DEMO}/careplan/").content.decode()
    assert '<td class="field-care_weight">1.5</td>' in listed
    assert "1.5000" not in listed
    assert re.search(r'<th scope="col" class="sortable column-care_weight', listed)  # still a sortable column
    form = staff.get(f"{DEMO}/careplan/3/change/").content.decode()
    assert 'name="care_weight" value="1.5"' in form
    with use_vba_database("demo"):
        assert CarePlan.objects.get(pk=3).care_weight is not None


def test_a_read_only_decimal_reads_as_the_form_would_write_it(
    staff: Client, cases: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No VBA admin shows a decimal read-only yet; one that does shows it without trailing zeros."""
    plan_admin = vba_sites["demo"]._registry[CarePlan]
    monkeypatch.setattr(plan_admin, "readonly_fields", (*plan_admin.readonly_fields, "care_weight"))
    response = staff.get(f"{DEMO}/careplan/3/change/")
    page = response.content.decode()
    assert "care_weight" not in response.context["adminform"].form.fields
    box = re.search(r'<div class="[^"]*field-care_weight.*?<div class="readonly">([^<]*)</div>', page, re.S)
    assert box is not None and box.group(1) == "1.5"
    assert '<label class="inline">Care weight:</label>' in page
    assert "1.5000" not in page
    form = submitted(page, "careplan_form")
    form["description"] = "Diabetes program (adults)"
    assert staff.post(f"{DEMO}/careplan/3/change/", form).status_code == 302
    with use_vba_database("demo"):
        assert CarePlan.objects.values_list("care_weight", "description").get(pk=3) == (
            Decimal("1.5000"),
            "Diabetes program (adults)",
        )
