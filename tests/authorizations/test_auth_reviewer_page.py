"""The reviewer's page (issue 22 point 3): an Auth's change page decides it with a decision code (the one decision
service, decision 17), adds reviews one at a time, edits its procedure lines with the engine's rules, and refuses
a page that is stale; decision codes have their own admin page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from authorizations.vba.models import Auth, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.services import AUTH_DIAG_CODES, AUTH_PROC_CODES, auth_batch_upsert, auth_code_batch_upsert
from config.api.models import DatabaseGrant
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted, version_in
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = "/admin/db/demo/authorizations/auth/"
PAGE = f"{DEMO}A100/change/"
DECIDE = f"{DEMO}A100/decide/"
ADD_REVIEW = f"{DEMO}A100/add-review/"
CODES = "/admin/db/demo/authorizations/authcode/"


@pytest.fixture
def staff(db: Any) -> Client:
    person = get_user_model().objects.create_user("staffer", password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="authorizations",
            content_type__model__in=["auth", "authcode"],  # lines: the Auth's permissions
        )
    )
    DatabaseGrant.objects.create(user=person, database="demo")
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def auth(staff: Client) -> None:
    with use_vba_database("demo"):
        assert auth_batch_upsert(items=[auth_item("A100", status="PENDED")], user=None).counts() == {201: 1}
        codes = [
            {"auth_Code": "AP01", "auth_Action": "A", "description": "Approved as requested"},
            {"auth_Code": "DN01", "auth_Action": "D", "description": "Not medically necessary"},
            {"auth_Code": "DN02", "auth_Action": "D", "description": "Out of network"},
            {"auth_Code": "NOACT", "auth_Action": None, "description": "Information only"},
        ]
        assert auth_code_batch_upsert(items=codes, user=None).counts() == {201: 4}


def in_demo(query: Any) -> Any:
    with use_vba_database("demo"):
        return query()


def decide(client: Client, code: str, comment: str = "", version: dict[str, str] | None = None) -> Any:
    version = version if version is not None else version_in(client.get(PAGE).content.decode())
    return client.post(DECIDE, {"decide-auth_code": code, "decide-review_comment": comment, **version})


def add_line(**fields: Any) -> int:
    item = {"authProcCodes_Key": 0, "auth_Number": "A100", "exclude_Modifier_Match": False, **fields}
    outcome = in_demo(lambda: batch_upsert(AUTH_PROC_CODES, [item], user=None))
    assert outcome.counts() == {201: 1}
    return int(outcome.results[0].key)


# -- Decide --------------------------------------------------------------------------------------------------------


def test_the_decide_control_offers_the_codes_grouped_by_action_with_their_descriptions(
    staff: Client, auth: None
) -> None:
    page = staff.get(PAGE).content.decode()
    assert '<optgroup label="Approved">' in page and '<optgroup label="Denied">' in page
    assert '<option value="DN01">DN01 – Not medically necessary</option>' in page
    assert "NOACT" not in page  # a code without an action cannot decide
    assert page.index('id="decide_form"') < page.index('id="auth_form"')  # above the record's fields


def test_deciding_stamps_who_and_when_and_the_reason_and_adds_the_comment_as_a_review(
    staff: Client, auth: None
) -> None:
    before = timezone.now()
    response = decide(staff, "DN01", "No documentation of conservative treatment.")
    assert (response.status_code, response["Location"]) == (302, PAGE)
    found = in_demo(lambda: Auth.objects.get(pk="A100"))
    assert (found.status, found.auth_code, found.approved_by, found.update_user) == (
        "DENIED",
        "DN01",
        "staffer",
        "staffer",
    )
    assert found.approved_date >= before
    latest = in_demo(lambda: Auth.history.filter(auth_number="A100").latest("history_id"))
    assert latest.history_change_reason == "Not medically necessary" and latest.history_user_id is not None
    (review,) = in_demo(lambda: list(AuthReview.objects.filter(auth_number="A100")))
    assert (review.review_comment, review.review_user, review.review_status) == (
        "No documentation of conservative treatment.",
        "staffer",
        "DENIED",
    )
    assert review.review_date >= before
    page = staff.get(PAGE).content.decode()
    assert "Auth A100 decided: DN01 – Not medically necessary (DENIED)." in page
    assert (
        '<strong id="decision-status">DENIED</strong>' in page and '<strong id="decision-by">staffer</strong>' in page
    )
    assert "No documentation of conservative treatment." in page


def test_a_revert_from_the_history_restores_other_fields_but_never_the_decision(staff: Client, auth: None) -> None:
    first = in_demo(lambda: Auth.history.filter(auth_number="A100").earliest("history_id"))  # PENDED
    assert decide(staff, "DN01").status_code == 302
    url = f"{DEMO}A100/history/{first.history_id}/"
    form = submitted(staff.get(url).content.decode(), "historicalauth_form")
    assert "status" not in form  # shown, not editable
    form["notes"] = "reverted"
    assert staff.post(url, form).status_code == 302
    found = in_demo(lambda: Auth.objects.get(pk="A100"))
    assert (found.notes, found.status, found.auth_code, found.approved_by) == ("reverted", "DENIED", "DN01", "staffer")


def test_the_same_decision_again_changes_nothing(staff: Client, auth: None) -> None:
    assert decide(staff, "AP01").status_code == 302
    rows = in_demo(lambda: Auth.history.filter(auth_number="A100").count())
    stamp = in_demo(lambda: Auth.objects.get(pk="A100").approved_date)
    response = decide(staff, "AP01")
    assert response.status_code == 302
    assert in_demo(lambda: Auth.history.filter(auth_number="A100").count()) == rows
    assert in_demo(lambda: Auth.objects.get(pk="A100").approved_date) == stamp
    assert (
        "already had the decision AP01 – Approved as requested (APPROVED): nothing changed"
        in staff.get(PAGE).content.decode()
    )
    assert in_demo(lambda: AuthReview.objects.count()) == 0  # no comment: no review


@pytest.mark.parametrize("code", ["NOACT", "NOPE", ""])
def test_a_code_that_cannot_decide_is_refused_and_nothing_changes(staff: Client, auth: None, code: str) -> None:
    response = decide(staff, code, "a comment")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose a decision code." in page if not code else f"{code} is not a decision code" in page
    assert "a comment</textarea>" in page  # what was typed is kept
    found = in_demo(lambda: Auth.objects.get(pk="A100"))
    assert (found.status, found.auth_code, found.approved_by) == ("PENDED", None, None)
    assert in_demo(lambda: AuthReview.objects.count()) == 0


def test_a_comment_the_review_cannot_hold_refuses_the_decision_too(staff: Client, auth: None) -> None:
    response = decide(staff, "DN01", "x" * 513)
    assert response.status_code == 400 and "at most 512 characters" in response.content.decode()
    assert in_demo(lambda: Auth.objects.get(pk="A100").status) == "PENDED"


def test_a_decision_from_a_stale_page_is_refused_then_goes_through_once_seen(staff: Client, auth: None) -> None:
    version = version_in(staff.get(PAGE).content.decode())
    with use_vba_database("demo"):  # someone else changes the Auth meanwhile
        other = get_user_model().objects.create_user("other")
        auth_batch_upsert(items=[auth_item("A100", status="PENDED", notes="Called the provider")], user=other)
    response = decide(staff, "DN01", "too late", version)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not decided: this Auth A100 was changed by other after you opened this page." in page
    assert "Called the provider" in page  # what changed
    assert '<option value="DN01" selected>' in page  # the choice is kept
    found = in_demo(lambda: Auth.objects.get(pk="A100"))
    assert (found.status, found.auth_code) == ("PENDED", None)
    assert in_demo(lambda: AuthReview.objects.count()) == 0
    again = decide(staff, "DN01", "seen it", version_in(page))  # the refused page carries the new version
    assert again.status_code == 302
    assert in_demo(lambda: Auth.objects.get(pk="A100").status) == "DENIED"


def test_a_decision_without_the_page_version_is_refused(staff: Client, auth: None) -> None:
    assert decide(staff, "DN01", version={}).status_code == 409
    assert in_demo(lambda: Auth.objects.get(pk="A100").status) == "PENDED"


def test_the_decision_fields_are_read_only_on_the_change_and_add_forms(staff: Client, auth: None) -> None:
    page = staff.get(PAGE).content.decode()
    for name in ("status", "auth_code", "approved_by", "approved_date_0"):
        assert f'name="{name}"' not in page
    add = staff.get(f"{DEMO}add/").content.decode()
    assert 'name="status"' not in add and 'name="auth_code"' not in add
    data = submitted(add, "auth_form")
    data.update({"auth_number": "NEW1", "tplan_printed": "N", "status": "Approved", "approved_by": "me"})
    data.update({"authproccodes-0-procedure_code": "99213", "authproccodes-0-units_requested": "2"})  # with a line
    response = staff.post(f"{DEMO}add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    found = in_demo(lambda: Auth.objects.get(pk="NEW1"))
    assert (found.status, found.auth_code, found.approved_by, found.approved_date) == ("PENDED", None, None, None)
    (line,) = in_demo(lambda: list(AuthProcCodes.objects.filter(auth_number="NEW1")))
    assert (line.procedure_code, line.units_requested, line.entry_user) == ("99213", 2, "staffer")


def test_a_get_of_the_decide_or_review_address_changes_nothing(staff: Client, auth: None) -> None:
    assert staff.get(DECIDE)["Location"] == PAGE and staff.get(ADD_REVIEW)["Location"] == PAGE
    assert staff.post(f"{DEMO}NOSUCH/decide/", {"decide-auth_code": "DN01"}).status_code == 302


# -- Reviews -------------------------------------------------------------------------------------------------------


def test_reviews_are_added_one_at_a_time_stamped_and_never_overwritten(staff: Client, auth: None) -> None:
    first = {"review-review_level": "1", "review-review_status": "OPEN", "review-review_comment": "Nurse review"}
    assert staff.post(ADD_REVIEW, first)["Location"] == PAGE
    second = {"review-review_level": "2", "review-review_type": "MD", "review-review_comment": "Physician review"}
    assert staff.post(ADD_REVIEW, second).status_code == 302
    reviews = in_demo(lambda: list(AuthReview.objects.filter(auth_number="A100").order_by("pk")))
    assert [(r.review_level, r.review_comment, r.review_user) for r in reviews] == [
        ("1", "Nurse review", "staffer"),
        ("2", "Physician review", "staffer"),
    ]
    assert all(timezone.now() - r.review_date < dt.timedelta(minutes=1) for r in reviews)
    assert in_demo(lambda: AuthReview.history.filter(history_type="+").count()) == 2
    page = staff.get(PAGE).content.decode()
    assert "was added to Auth A100" in page
    assert page.index("Physician review") < page.index("Nurse review")  # newest first
    assert 'name="review-review_comment"' in page and "review-0-" not in page  # no edit boxes for reviews


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Type a comment or fill in at least one field of the review."),
        ({"review-review_level": "L" * 33}, "at most 32 characters"),
        ({"review-review_comment": "\x00"}, "Null characters are not allowed."),
    ],
)
def test_a_review_that_cannot_be_stored_is_refused_with_a_message(
    staff: Client, auth: None, data: dict[str, str], message: str
) -> None:
    response = staff.post(ADD_REVIEW, data)
    assert response.status_code == 400 and message in response.content.decode()
    assert in_demo(lambda: AuthReview.objects.count()) == 0


# -- Procedure lines -----------------------------------------------------------------------------------------------


def test_lines_are_added_edited_and_deleted_with_keys_audit_and_history(staff: Client, auth: None) -> None:
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data.update(
        {
            "authproccodes-0-procedure_code": "97110",
            "authproccodes-0-modifier1": "GP",
            "authproccodes-0-units_requested": "12",
        }
    )
    assert staff.post(PAGE, data).status_code == 302
    (line,) = in_demo(lambda: list(AuthProcCodes.objects.filter(auth_number="A100")))
    assert line.pk > 0 and (line.procedure_code, line.modifier1, line.units_requested) == ("97110", "GP", 12)
    assert (line.entry_user, line.update_user) == ("staffer", "staffer")
    added = in_demo(lambda: AuthProcCodes.history.get(auth_proc_codes_key=line.pk))
    assert added.history_type == "+" and added.history_user_id is not None

    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    assert data["authproccodes-0-auth_proc_codes_key"] == str(line.pk)
    data["authproccodes-0-units_approved"] = "8"
    assert staff.post(PAGE, data).status_code == 302
    edited = in_demo(lambda: AuthProcCodes.objects.get(pk=line.pk))
    assert (edited.units_requested, edited.units_approved, edited.entry_date) == (12, 8, line.entry_date)
    assert edited.update_date > line.update_date

    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data["authproccodes-0-DELETE"] = "on"
    assert staff.post(PAGE, data).status_code == 302
    assert in_demo(lambda: AuthProcCodes.objects.count()) == 0
    types = in_demo(lambda: list(AuthProcCodes.history.order_by("history_id").values_list("history_type", flat=True)))
    assert types == ["+", "~", "-"]
    deleted = in_demo(lambda: AuthProcCodes.history.latest("history_id"))
    assert deleted.history_user_id is not None


def test_a_line_changed_by_someone_else_since_the_page_was_read_is_not_overwritten(staff: Client, auth: None) -> None:
    key = add_line(procedure_Code="97110", units_Requested=12)
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    line = {"authProcCodes_Key": key, "auth_Number": "A100", "exclude_Modifier_Match": False, "units_Requested": 20}
    assert in_demo(lambda: batch_upsert(AUTH_PROC_CODES, [line], user=None)).counts() == {200: 1}
    data["authproccodes-0-units_approved"] = "6"
    response = staff.post(PAGE, data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: this Auth A100 was changed by" in page and "Procedure lines: changed" in page
    line = in_demo(lambda: AuthProcCodes.objects.get(pk=key))
    assert (line.units_requested, line.units_approved) == (20, None)


def test_the_refused_page_shows_their_change_and_a_second_save_keeps_it(staff: Client, auth: None) -> None:
    """A field the reviewer left alone shows the value someone else wrote meanwhile, so the second save applies the
    reviewer's input over it and never writes the page's old value back (a lost update)."""
    key = add_line(procedure_Code="97110", units_Requested=12, units_Approved=15)
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    line = {"authProcCodes_Key": key, "auth_Number": "A100", "exclude_Modifier_Match": False}
    changed = {**line, "procedure_Code": "97110", "units_Requested": 12, "units_Approved": 42}
    assert in_demo(lambda: batch_upsert(AUTH_PROC_CODES, [changed], user=None)).counts() == {200: 1}
    data["authproccodes-0-units_actual"] = "7"  # the reviewer's own change
    data["assigned_user"] = "mine"
    refused = staff.post(PAGE, data)
    assert refused.status_code == 409
    again = submitted(refused.content.decode(), "auth_form")
    assert (again["authproccodes-0-units_approved"], again["authproccodes-0-units_actual"]) == ("42", "7")
    assert again["assigned_user"] == "mine"
    assert staff.post(PAGE, again).status_code == 302
    stored = in_demo(lambda: AuthProcCodes.objects.get(pk=key))
    assert (stored.units_approved, stored.units_actual) == (42, 7)
    assert in_demo(lambda: Auth.objects.get(pk="A100").assigned_user) == "mine"


def test_a_line_deleted_meanwhile_is_dropped_from_the_refused_page_which_then_saves(staff: Client, auth: None) -> None:
    """The 409 page once showed the management form of the rows as posted but not the deleted row, so its second
    save failed with "Please correct the error below" and no error to see."""
    gone, kept = (
        add_line(procedure_Code="97110", units_Requested=12),
        add_line(procedure_Code="97112", units_Requested=4),
    )
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    in_demo(lambda: AuthProcCodes.objects.filter(pk=gone).delete())
    data["authproccodes-0-units_approved"] = "6"
    data["authproccodes-1-units_approved"] = "3"
    refused = staff.post(PAGE, data)
    assert refused.status_code == 409 and f"removed Procedure line {gone} of Auth A100" in refused.content.decode()
    again = submitted(refused.content.decode(), "auth_form")
    assert (again["authproccodes-INITIAL_FORMS"], again["authproccodes-0-units_approved"]) == ("1", "3")
    assert staff.post(PAGE, again).status_code == 302
    assert in_demo(lambda: list(AuthProcCodes.objects.values_list("pk", "units_approved"))) == [(kept, 3)]


def test_a_line_of_another_auth_cannot_be_named_in_the_form(staff: Client, auth: None) -> None:
    in_demo(lambda: auth_batch_upsert(items=[auth_item("B200")], user=None))
    key = add_line()
    item = {"authProcCodes_Key": 0, "auth_Number": "B200", "exclude_Modifier_Match": False, "procedure_Code": "X"}
    foreign = in_demo(lambda: batch_upsert(AUTH_PROC_CODES, [item], user=None)).results[0].key
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    assert data["authproccodes-0-auth_proc_codes_key"] == str(key)
    data["authproccodes-0-auth_proc_codes_key"] = str(foreign)
    data["authproccodes-0-procedure_code"] = "HIJACK"
    response = staff.post(PAGE, data)
    assert response.status_code == 200 and "Please correct the error below." in response.content.decode()
    formset = response.context["inline_admin_formsets"][0].formset
    assert "Select a valid choice" in str(formset.errors)
    assert in_demo(lambda: AuthProcCodes.objects.get(pk=foreign).procedure_code) == "X"


# -- Diagnoses ------------------------------------------------------------------------------------------------------


def diagnoses() -> list[tuple[str, str, str | None, str | None]]:
    rows = in_demo(lambda: list(AuthDiagCodes.objects.filter(auth_number="A100")))
    return [(d.diagnostic_code, d.diagnostic_code_type, d.primary_diag, d.update_user) for d in rows]


def test_diagnoses_are_added_edited_and_deleted_with_audit_and_history(staff: Client, auth: None, vba: Any) -> None:
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data.update(
        {
            "authdiagcodes-0-diagnostic_code": "M54.5",
            "authdiagcodes-0-diagnostic_code_type": "ICD10",
            "authdiagcodes-0-primary_diag": "Y",
        }
    )
    assert staff.post(PAGE, data).status_code == 302
    assert diagnoses() == [("M54.5", "ICD10", "Y", "staffer")]
    read = vba.call("GET", "auths/A100/diagnostic-codes/M54.5/diagnostic-code-types/ICD10")
    assert (read.status_code, read.json()["data"]["primary_Diag"]) == (200, "Y")  # the API reads what the page wrote

    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data["authdiagcodes-0-primary_diag"] = "N"
    data["authdiagcodes-0-diagnostic_code"] = "I10"  # the key is fixed once saved: a posted other code is ignored
    assert staff.post(PAGE, data).status_code == 302
    assert diagnoses() == [("M54.5", "ICD10", "N", "staffer")]

    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data["authdiagcodes-0-DELETE"] = "on"
    assert staff.post(PAGE, data).status_code == 302
    assert diagnoses() == []
    history = in_demo(lambda: list(AuthDiagCodes.history.order_by("history_id")))
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert all(h.history_user_id is not None and h.auth_number == "A100" for h in history)


def test_an_untouched_save_rewrites_no_diagnosis(staff: Client, auth: None) -> None:
    """A saved diagnosis's code and ICD version are shown disabled (a browser does not post them): not a change."""
    item: dict[str, Any] = {"auth_Number": "A100", "diagnostic_Code": "I10", "diagnostic_Code_Type": "ICD10"}
    item.update({"primary_Diag": "Y", "disable_Provider_Match": False})
    assert in_demo(lambda: batch_upsert(AUTH_DIAG_CODES, [item], user=None)).counts() == {201: 1}
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    assert "authdiagcodes-0-diagnostic_code" not in data and data["authdiagcodes-0-primary_diag"] == "Y"
    response = staff.post(PAGE, data, follow=True)
    assert "Nothing was changed, so nothing was saved." in response.content.decode()
    assert in_demo(lambda: AuthDiagCodes.history.count()) == 1


def test_a_second_row_for_the_same_code_and_icd_version_is_a_form_error(staff: Client, auth: None) -> None:
    item = {"auth_Number": "A100", "diagnostic_Code": "I10", "diagnostic_Code_Type": "ICD10"}
    assert in_demo(
        lambda: batch_upsert(AUTH_DIAG_CODES, [{**item, "disable_Provider_Match": False}], user=None)
    ).counts() == {201: 1}
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data.update({"authdiagcodes-1-diagnostic_code": "I10", "authdiagcodes-1-diagnostic_code_type": "ICD10"})
    response = staff.post(PAGE, data)
    assert response.status_code == 200
    assert "I10 (ICD10) is already a diagnosis of this Auth" in response.content.decode()
    assert diagnoses() == [("I10", "ICD10", None, None)]


def test_a_diagnosis_code_the_api_would_refuse_is_a_form_error(staff: Client, auth: None) -> None:
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data.update({"authdiagcodes-0-diagnostic_code": "A/B", "authdiagcodes-0-diagnostic_code_type": "ICD10"})
    response = staff.post(PAGE, data)
    assert response.status_code == 200 and "Please correct the error" in response.content.decode()
    assert diagnoses() == []


def test_a_diagnosis_changed_by_someone_else_since_the_page_was_read_is_not_overwritten(
    staff: Client, auth: None
) -> None:
    item = {
        "auth_Number": "A100",
        "diagnostic_Code": "I10",
        "diagnostic_Code_Type": "ICD10",
        "disable_Provider_Match": False,
    }
    assert in_demo(lambda: batch_upsert(AUTH_DIAG_CODES, [item], user=None)).counts() == {201: 1}
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    assert in_demo(lambda: batch_upsert(AUTH_DIAG_CODES, [{**item, "primary_Diag": "Y"}], user=None)).counts() == {
        200: 1
    }
    data["authdiagcodes-0-disable_diag_code_match"] = "on"
    response = staff.post(PAGE, data)
    assert response.status_code == 409
    assert "Not saved: this Auth A100 was changed by" in response.content.decode()
    (row,) = in_demo(lambda: list(AuthDiagCodes.objects.filter(auth_number="A100")))
    assert (row.primary_diag, row.disable_diag_code_match) == ("Y", False)


def test_the_pages_name_their_database(staff: Client, auth: None) -> None:
    for url in (DEMO, PAGE, CODES):
        assert '<a class="vba-database-badge" id="vba-database-name" href="/admin/db/demo/">Database: demo</a>' in (
            staff.get(url).content.decode()
        )


# -- Decision codes ------------------------------------------------------------------------------------------------


def test_the_decision_codes_page_lists_actions_as_words_and_filters_by_action(staff: Client, auth: None) -> None:
    page = staff.get(CODES).content.decode()
    assert "D – Denied" in page and "no action (cannot decide)" in page
    denied = staff.get(f"{CODES}?auth_action=D").content.decode()
    assert "DN01" in denied and "AP01" not in denied
    assert "AP01" in staff.get(f"{CODES}?q=requested").content.decode()


def test_a_decision_code_is_added_with_an_action_from_the_list_stamped_and_with_history(
    staff: Client, auth: None
) -> None:
    add = staff.get(f"{CODES}add/").content.decode()
    assert '<option value="R">R – Partial Approval</option>' in add
    data = {**submitted(add, "authcode_form"), "auth_code": "PA01", "auth_action": "R", "description": "Half"}
    assert staff.post(f"{CODES}add/", data).status_code == 302
    code = in_demo(lambda: AuthCode.objects.get(pk="PA01"))
    assert (code.auth_action, code.entry_user, code.update_user) == ("R", "staffer", "staffer")
    assert in_demo(lambda: AuthCode.history.get(auth_code="PA01").history_user_id) is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"auth_code": "X1", "auth_action": "X"}, "Action: “X” is not one of A, D, P, V, R."),
        ({"auth_code": "A/B", "auth_action": "A"}, "Auth code may not contain &#x27;/&#x27;"),
        ({"auth_code": "TOOLONGCODE", "auth_action": "A"}, "at most 8 characters"),
    ],
)
def test_the_decision_codes_page_refuses_what_the_api_refuses(
    staff: Client, auth: None, fields: dict[str, str], message: str
) -> None:
    data = {**submitted(staff.get(f"{CODES}add/").content.decode(), "authcode_form"), **fields}
    response = staff.post(f"{CODES}add/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not in_demo(lambda: AuthCode.objects.filter(pk=fields["auth_code"]).exists())


def test_a_decision_code_changed_meanwhile_is_not_overwritten(staff: Client, auth: None) -> None:
    url = f"{CODES}DN01/change/"
    data = submitted(staff.get(url).content.decode(), "authcode_form")
    in_demo(
        lambda: auth_code_batch_upsert(
            items=[{"auth_Code": "DN01", "auth_Action": "D", "description": "Not medically necessary (MCG)"}],
            user=None,
        )
    )
    data["description"] = "Mine"
    response = staff.post(url, data)
    assert response.status_code == 409 and "Not saved" in response.content.decode()
    assert in_demo(lambda: AuthCode.objects.get(pk="DN01").description) == "Not medically necessary (MCG)"
    delete = staff.post(f"{CODES}DN01/delete/", {"post": "yes", **version_in(response.content.decode())})
    assert delete.status_code == 302 and not in_demo(lambda: AuthCode.objects.filter(pk="DN01").exists())


def test_units_below_zero_are_refused_on_the_line_a_value_stored_so_is_kept(staff: Client, auth: None) -> None:
    key = add_line(procedure_Code="97110", units_Requested=-2)  # the API keeps VBA's contract
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    data["authproccodes-0-units_actual"] = "-3"
    response = staff.post(PAGE, data)
    assert response.status_code == 200
    assert "Units used: -3 is below 0; units are counted." in response.content.decode()
    assert "Units requested" not in str(response.context["inline_admin_formsets"][0].formset.forms[0].errors)
    data["authproccodes-0-units_actual"] = "3"
    assert staff.post(PAGE, data).status_code == 302  # the stored -2, untouched, is not refused
    line = in_demo(lambda: AuthProcCodes.objects.get(pk=key))
    assert (line.units_requested, line.units_actual) == (-2, 3)


def test_primary_is_a_yes_no_choice_and_only_one_diagnosis_is_primary(staff: Client, auth: None) -> None:
    page = staff.get(PAGE).content.decode()
    assert '<select name="authdiagcodes-0-primary_diag"' in page and '<option value="Y">Y – yes</option>' in page
    data = submitted(page, "auth_form")
    data.update(
        {
            "authdiagcodes-0-diagnostic_code": "I50.9",
            "authdiagcodes-0-diagnostic_code_type": "ICD10",
            "authdiagcodes-0-primary_diag": "Y",
            "authdiagcodes-1-diagnostic_code": "E11.9",
            "authdiagcodes-1-diagnostic_code_type": "ICD10",
            "authdiagcodes-1-primary_diag": "Y",
            "authdiagcodes-TOTAL_FORMS": "2",
        }
    )
    response = staff.post(PAGE, data)
    assert response.status_code == 200
    assert "Only one diagnosis is primary; I50.9 already is: set this one to N." in response.content.decode()
    assert in_demo(lambda: AuthDiagCodes.objects.count()) == 0
    data["authdiagcodes-1-primary_diag"] = "N"
    assert staff.post(PAGE, data).status_code == 302
    stored = in_demo(lambda: sorted(AuthDiagCodes.objects.values_list("diagnostic_code", "primary_diag")))
    assert stored == [("E11.9", "N"), ("I50.9", "Y")]
