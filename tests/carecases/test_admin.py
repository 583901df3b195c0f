"""Care plans and cases in the admin, in the database of the page's URL."""

from typing import Any

import pytest
from django.test import Client

from carecases.admin import INLINE_CASES
from carecases.models import CareCase, CarePlan
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import read_version, submitted
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

DEMO = "/admin/db/demo/carecases"
OTHER = "/admin/db/other/carecases"

CASE_FORM = {
    "case_key": "0",
    "case_id": "CM-NEW",
    "care_plan": "1",
    "case_status": "OPEN",
    "case_priority": "2",
    "case_reason": "REFERRAL",
    "case_assign_type": "",
    "case_score": "",
    "case_close_reason": "",
    "subscriber_id": "123456789",
    "member_seq": "01",
    "group_id": "",
    "division_id": "",
    "provider_id": "PRV1",
    "case_start_date_0": "2026-01-05",
    "case_start_date_1": "00:00:00",
    "eligibility_verified_comment": "",
}


@pytest.fixture
def seeded(admin_user: Any) -> None:
    """Plan 1 with 30 cases and plan 2 with one, in ``demo``; plan 1 with one case in ``other``."""
    with use_vba_database("demo"):
        care_plan_batch_upsert(items=[plan_item(1, care_Type="DIABETES"), plan_item(2)], user=admin_user)
        items = [
            case_item(k, case_ID=f"CM-{k}", case_Status="OPEN" if k % 2 else "CLOSED", case_Priority=k % 3,
                      case_Reason="REFERRAL" if k < 10 else "READMIT", subscriber_ID=f"{k:09d}",
                      provider_ID=f"PRV{k % 4}")
            for k in range(1, 31)
        ]  # fmt: skip
        care_case_batch_upsert(items=items, user=admin_user, care_plan_key=1)
        care_case_batch_upsert(items=[case_item(99, plan=2)], user=admin_user)
    with use_vba_database("other"):
        care_plan_batch_upsert(items=[plan_item(1, care_Type="OTHER-DB")], user=admin_user)
        care_case_batch_upsert(items=[case_item(500, case_ID="CM-OTHER")], user=admin_user)


def result_keys(response: Any) -> list[int]:
    assert response.status_code == 200
    return sorted(obj.pk for obj in response.context["cl"].result_list)


def test_a_plan_opens_with_only_its_most_recent_cases_inline(staff: Client, seeded: None) -> None:
    response = staff.get(f"{DEMO}/careplan/1/change/")
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    shown = [form.instance.pk for form in inline.formset]
    assert len(shown) == INLINE_CASES
    assert set(shown) <= set(range(1, 31))
    assert "All 30 case(s) of this plan" in response.content.decode()
    assert f"{DEMO}/carecase/?care_plan__care_plan_key__exact=1" in response.content.decode()


def test_the_plan_list_shows_case_counts(staff: Client, seeded: None) -> None:
    response = staff.get(f"{DEMO}/careplan/")
    counts = {plan.pk: plan.n_cases for plan in response.context["cl"].result_list}
    assert counts == {1: 30, 2: 1}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=CM-7", [7]),
        ("q=000000012", [12]),
        ("q=PRV3", [3, 7, 11, 15, 19, 23, 27]),
        ("case_status=CLOSED&case_reason=REFERRAL", [2, 4, 6, 8]),
        ("case_priority=0&case_status=OPEN", [3, 9, 15, 21, 27]),
        ("care_plan__care_plan_key__exact=2", [99]),
    ],
)
def test_cases_are_searchable_and_filterable(staff: Client, seeded: None, query: str, expected: list[int]) -> None:
    assert result_keys(staff.get(f"{DEMO}/carecase/?{query}")) == expected


def test_the_admin_works_in_the_chosen_database(staff: Client, seeded: None) -> None:
    assert result_keys(staff.get(f"{OTHER}/carecase/")) == [500]
    assert staff.get(f"{OTHER}/carecase/7/change/").status_code == 302  # not in this database
    assert result_keys(staff.get(f"{DEMO}/carecase/?q=CM-7")) == [7]


def test_adding_a_case_with_key_0_assigns_a_key_and_stamps_the_audit_fields(
    staff: Client, admin_user: Any, seeded: None
) -> None:
    response = staff.post(f"{DEMO}/carecase/add/", CASE_FORM)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with use_vba_database("demo"):
        case = CareCase.objects.get(case_id="CM-NEW")
        assert case.pk == 100  # after the largest key (99)
        assert case.entry_user == case.update_user == "admin"
        assert case.do_not_contact is False
        history = case.history.get()  # type: ignore[attr-defined]
        assert (history.history_type, history.history_user_id) == ("+", admin_user.pk)


def test_changing_a_case_stamps_update_fields_and_keeps_entry_fields(
    staff: Client, admin_user: Any, seeded: None
) -> None:
    with use_vba_database("demo"):
        CareCase.objects.filter(pk=5).update(entry_user="someone")  # setup only: not an audited write
    form = {**CASE_FORM, "case_status": "CHANGED", "do_not_contact": "on"}
    del form["case_key"]
    response = staff.post(f"{DEMO}/carecase/5/change/", {**form, **read_version(staff, f"{DEMO}/carecase/5/change/")})
    assert response.status_code == 302, response.context["adminform"].form.errors
    with use_vba_database("demo"):
        case = CareCase.objects.get(pk=5)
        assert (case.case_status, case.do_not_contact) == ("CHANGED", True)
        assert (case.entry_user, case.update_user) == ("someone", "admin")
        assert case.history.latest("history_id").history_user_id == admin_user.pk  # type: ignore[attr-defined]


def test_the_case_form_refuses_overlong_values(staff: Client, seeded: None) -> None:
    response = staff.post(f"{DEMO}/carecase/add/", {**CASE_FORM, "subscriber_id": "1234567890"})
    assert response.status_code == 200
    assert "subscriber_id" in response.context["adminform"].form.errors


def test_a_plan_with_cases_cannot_be_deleted_from_the_admin(staff: Client, seeded: None) -> None:
    version = read_version(staff, f"{DEMO}/careplan/2/change/")  # the "cannot delete" page offers no form to post
    response = staff.post(f"{DEMO}/careplan/2/delete/", {"post": "yes", **version})
    assert response.status_code == 200
    page = response.content.decode()
    assert "protected" in page.lower()
    assert "1 care case(s) still belong to this plan" in page
    with use_vba_database("demo"):
        assert CarePlan.objects.filter(pk=2).exists()
        assert CareCase.objects.filter(pk=99).exists()


def test_adding_a_plan_through_the_admin(staff: Client, admin_user: Any, seeded: None) -> None:
    form = {
        "care_plan_key": "0",
        "care_type": "RENAL",
        "care_weight": "1.5",
        "description": "Renal care",
        "cases-TOTAL_FORMS": "0",
        "cases-INITIAL_FORMS": "0",
        "cases-MIN_NUM_FORMS": "0",
        "cases-MAX_NUM_FORMS": "0",
    }
    response = staff.post(f"{DEMO}/careplan/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with use_vba_database("demo"):
        plan = CarePlan.objects.get(care_type="RENAL")
        assert plan.pk == 3
        assert plan.entry_user == "admin"


def history_rows(database: str) -> tuple[int, int]:
    with use_vba_database(database):
        return CarePlan.history.count(), CareCase.history.count()  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["careplan/1/change/", "carecase/5/change/"])
def test_an_untouched_save_changes_nothing(staff: Client, seeded: None, path: str) -> None:
    """A plan (with its cases inline) or a case saved as opened: no NULL → "", no audit stamp, no history row."""
    with use_vba_database("demo"):
        plan, case = CarePlan.objects.get(pk=1), CareCase.objects.get(pk=5)
    assert plan.description is None and case.eligibility_verified_comment is None
    rows = history_rows("demo")
    page = staff.get(f"{DEMO}/{path}").content.decode()
    form_id = "careplan_form" if path.startswith("careplan") else "carecase_form"
    response = staff.post(f"{DEMO}/{path}", submitted(page, form_id), follow=True)
    assert response.status_code == 200
    assert "Nothing was changed, so nothing was saved." in response.content.decode()
    with use_vba_database("demo"):
        plan_after, case_after = CarePlan.objects.get(pk=1), CareCase.objects.get(pk=5)
    assert (plan_after.description, plan_after.update_date, plan_after.update_user) == (
        None,
        plan.update_date,
        plan.update_user,
    )
    assert (case_after.eligibility_verified_comment, case_after.group_id, case_after.update_date) == (
        None,
        case.group_id,
        case.update_date,
    )
    assert history_rows("demo") == rows


@pytest.mark.parametrize(
    ("path", "field", "typed", "message"),
    [
        ("carecase/5/change/", "case_score", "7.5e", "Case score: “7.5e” is not a valid"),
        ("carecase/5/change/", "case_end_date_0", "2026-02-30", "Case end date: enter a valid date (YYYY-MM-DD)."),
        ("careplan/1/change/", "care_weight", "1.5.0", "Care weight: “1.5.0” is not a valid number."),
    ],
)
def test_a_malformed_number_or_date_is_refused_naming_the_field_with_what_was_typed_kept(
    staff: Client, seeded: None, path: str, field: str, typed: str, message: str
) -> None:
    rows = history_rows("demo")
    page = staff.get(f"{DEMO}/{path}").content.decode()
    form = submitted(page, "careplan_form" if path.startswith("careplan") else "carecase_form")
    form[field] = typed
    response = staff.post(f"{DEMO}/{path}", form)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'name="{field}" value="{typed}"' in html
    assert history_rows("demo") == rows


@pytest.mark.parametrize("path", ["careplan/add/", "careplan/1/change/", "carecase/add/", "carecase/5/change/"])
def test_every_field_has_help_text_and_a_human_label(staff: Client, seeded: None, path: str) -> None:
    form = staff.get(f"{DEMO}/{path}").context["adminform"].form
    assert not [name for name, field in form.fields.items() if not field.help_text]
    assert all("_" not in str(field.label) for field in form.fields.values())
    for name, field in form.fields.items():
        assert "VBA column: " in field.help_text or name == "care_plan", name  # VBA's column name, as staff know it


# --- A member's care cases (issue 23): search, title, links (the rule shared with the Auth list) ----------------


@pytest.fixture
def members(admin_user: Any) -> None:
    """Member 109111276-01: cases 1 and 2; 109111276-02: case 3; 109111277-01: case 4 (demo); 109111276-01: case 9
    in other."""
    for database, cases in (
        ("demo", [(1, "109111276", "01"), (2, "109111276", "01"), (3, "109111276", "02"), (4, "109111277", "01")]),
        ("other", [(9, "109111276", "01")]),
    ):
        with use_vba_database(database):
            care_plan_batch_upsert(items=[plan_item(1)], user=admin_user)
            items = [case_item(k, subscriber_ID=s, member_Seq=m) for k, s, m in cases]
            care_case_batch_upsert(items=items, user=admin_user, care_plan_key=1)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("109111276-01", [1, 2]),
        ("109111276 01", [1, 2]),
        ("  109111276   02 ", [3]),
        ("109111277-01", [4]),
        ("109111276-03", []),
        ("109111276", [1, 2, 3]),  # a subscriber alone: starts with, as before
    ],
)
def test_the_case_list_finds_a_member_exactly(staff: Client, members: None, term: str, expected: list[int]) -> None:
    response = staff.get(f"{DEMO}/carecase/", {"q": term})
    assert response.status_code == 200
    assert sorted(result_keys(response)) == expected


def test_a_member_case_list_says_whose_it_is(staff: Client, members: None) -> None:
    response = staff.get(f"{DEMO}/carecase/?subscriber_id__exact=109111276&member_seq__exact=01")
    page = response.content.decode()
    assert "<h1>Care cases of member 109111276-01</h1>" in page
    assert sorted(result_keys(response)) == [1, 2]
    page = staff.get(f"{DEMO}/carecase/?subscriber_id__exact=109111276").content.decode()
    assert "<h1>Care cases of subscriber 109111276</h1>" in page
    assert "Care cases of" not in staff.get(f"{DEMO}/carecase/").content.decode()


def test_a_case_links_to_the_members_auths_and_care_cases_in_its_database(staff: Client, members: None) -> None:
    query = "?subscriber_id__exact=109111276&amp;member_seq__exact=01"
    page = staff.get(f"{DEMO}/carecase/1/change/").content.decode()
    assert f'id="member-auths" href="/admin/db/demo/authorizations/auth/{query}"' in page
    assert f'id="member-care-cases" href="/admin/db/demo/carecases/carecase/{query}"' in page
    page = staff.get(f"{OTHER}/carecase/9/change/").content.decode()
    assert f'href="/admin/db/other/carecases/carecase/{query}"' in page
    other_cases = staff.get(f"{OTHER}/carecase/?subscriber_id__exact=109111276&member_seq__exact=01")
    assert result_keys(other_cases) == [9]
