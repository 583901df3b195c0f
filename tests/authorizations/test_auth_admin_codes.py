"""An Auth's coded fields in the admin (issue 24): the values in use in the database are offered, a fork is refused
naming the value in use, the API keeps VBA's free text, and the member's Auths say whose they are. The same rule on
the decision codes page (a new code's key), the Auth's diagnoses (code and ICD version) and its "Add review" form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from authorizations.models import Auth
from authorizations.vba.models import AuthCode, AuthDiagCodes, AuthReview
from authorizations.vba.services import AUTH_DIAG_CODES, AUTH_REVIEW, auth_batch_upsert, auth_code_batch_upsert
from config.admin.codes import CODES_OFFERED, code_key, code_problem, codes_in_use, values_in_use
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = "/admin/db/demo/authorizations/auth/"


@pytest.fixture
def staff(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def auths(admin_user: Any) -> None:
    with use_vba_database("demo"):
        items = [
            auth_item("A1", auth_Type="INPT", service_Type="PT", unit_Type="VISITS", subscriber_ID="109111276",
                      member_Seq="01"),
            auth_item("A2", auth_Type="OUTPT", service_Type="OT", subscriber_ID="109111276", member_Seq="02"),
            auth_item("A3", auth_Type="INPT"),
        ]  # fmt: skip
        assert auth_batch_upsert(items=items, user=None).counts() == {201: 3}
    with use_vba_database("other"):
        assert auth_batch_upsert(items=[auth_item("B1", auth_Type="Inpt")], user=None).counts() == {201: 1}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("Closed", "CLOSED", True), ("GOALMET", "GOALS_MET", True), ("goals met", "GOALS_MET", True),
     ("in-pt", "INPT", True), ("OPEN", "OPENED", False), ("CLASS", "CLAS", False), ("PT", "OT", False)],
)  # fmt: skip
def test_the_code_key_ignores_case_spaces_punctuation_and_a_plural_s(a: str, b: str, same: bool) -> None:
    assert (code_key(a) == code_key(b)) is same


def test_values_in_use_are_read_per_database_indexed_or_not(auths: None) -> None:
    assert values_in_use(Auth, "auth_type", "demo") == ["INPT", "OUTPT"]  # indexed: a loose index scan
    assert values_in_use(Auth, "service_type", "demo") == ["OT", "PT"]  # no index: the newest records
    assert values_in_use(Auth, "auth_type", "other") == ["Inpt"]
    assert values_in_use(Auth, "treatment_type", "demo") == []


def test_values_in_use_are_limited(admin_user: Any) -> None:
    with use_vba_database("demo"):
        items = [auth_item(f"N{n}", auth_Type=f"T{n:03d}", service_Type=f"S{n:03d}") for n in range(CODES_OFFERED + 5)]
        auth_batch_upsert(items=items, user=None)
    assert len(values_in_use(Auth, "auth_type", "demo")) == CODES_OFFERED
    assert len(values_in_use(Auth, "service_type", "demo")) == CODES_OFFERED


def test_the_auth_form_reads_its_codes_in_two_queries(staff: Client, auths: None) -> None:
    """The indexed auth type by a loose index scan; the nine columns without an index together, in one query. The
    diagnoses' two codes and the review form's five (no index: the newest rows) one query each."""
    with CaptureQueriesContext(connections["demo"]) as captured:
        assert staff.get(f"{DEMO}A3/change/").status_code == 200
    sql = [query["sql"] for query in captured.captured_queries]
    recent = [q for q in sql if q.startswith("WITH recent AS")]
    for table in ('"Auth"', '"AuthDiagCodes"', '"AuthReview"'):
        assert len([q for q in recent if f"FROM {table} ORDER BY" in q]) == 1, table
    assert len(recent) == 3
    assert len([q for q in sql if q.startswith("WITH RECURSIVE") and '"Auth_Type"' in q]) == 1
    assert codes_in_use(Auth, ["service_type", "unit_type", "auth_type"], "demo") == {
        "auth_type": ["INPT", "OUTPT"],
        "service_type": ["OT", "PT"],
        "unit_type": ["VISITS"],
    }


def test_code_problem_names_the_value_in_use(auths: None) -> None:
    assert (
        code_problem(Auth, "auth_type", "inpt", "demo") == "“inpt” is written “INPT” in this database: use that value."
    )
    assert code_problem(Auth, "auth_type", "INPT", "demo") is None  # in use
    assert code_problem(Auth, "auth_type", "DME", "demo") is None  # new
    assert (
        code_problem(Auth, "auth_type", "INPT", "other") == "“INPT” is written “Inpt” in this database: use that value."
    )
    assert code_problem(Auth, "auth_type", "", "demo") is None


def test_the_auth_form_offers_the_codes_in_use_and_refuses_a_fork(staff: Client, auths: None) -> None:
    page = staff.get(f"{DEMO}A3/change/").content.decode()
    box = re.search(r'<input [^>]*name="auth_type"[^>]*>', page)
    assert box is not None and 'list="id_auth_type_codes"' in box.group(0)
    assert '<datalist id="id_auth_type_codes"><option value="INPT"></option><option value="OUTPT"></option>' in page
    assert '<datalist id="id_service_type_codes"><option value="OT"></option><option value="PT"></option>' in page
    with use_vba_database("demo"):
        before = Auth.objects.get(pk="A3").update_date
    form = submitted(page, "auth_form")
    form.update(auth_type="Out-Pt", unit_type="visits")
    response = staff.post(f"{DEMO}A3/change/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Auth type: “Out-Pt” is written “OUTPT” in this database: use that value." in html
    assert "Unit type: “visits” is written “VISITS” in this database: use that value." in html
    assert sorted(response.context["adminform"].form.errors) == ["auth_type", "unit_type"]
    with use_vba_database("demo"):
        assert Auth.objects.get(pk="A3").update_date == before
    form.update(auth_type="OUTPT", unit_type="DAYS")
    assert staff.post(f"{DEMO}A3/change/", form).status_code == 302
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="A3").values_list("auth_type", "unit_type").get() == ("OUTPT", "DAYS")


def test_the_api_keeps_vbas_free_text_auth_type(auths: None) -> None:
    with use_vba_database("demo"):
        assert auth_batch_upsert(items=[auth_item("A4", auth_Type="inpt")], user=None).counts() == {201: 1}
        assert Auth.objects.get(pk="A4").auth_type == "inpt"


def test_the_members_auths_say_whose_they_are(staff: Client, auths: None) -> None:
    response = staff.get(f"{DEMO}?subscriber_id__exact=109111276&member_seq__exact=01")
    assert "<h1>Auths of member 109111276-01</h1>" in response.content.decode()
    assert [obj.pk for obj in response.context["cl"].result_list] == ["A1"]


# -- Decision codes: a new code's key -------------------------------------------------------------------------------

CODES = "/admin/db/demo/authorizations/authcode/"


@pytest.fixture
def decision_codes(admin_user: Any) -> None:
    codes = [
        {"auth_Code": "APPR", "auth_Action": "A", "description": "Approved"},
        {"auth_Code": "PEND", "auth_Action": "P", "description": "Pended"},
        {"auth_Code": "T-S", "auth_Action": None, "description": "Test"},
    ]
    with use_vba_database("demo"):
        assert auth_code_batch_upsert(items=codes, user=None).counts() == {201: 3}


def add_code(staff: Client, code: str) -> Any:
    form = submitted(staff.get(f"{CODES}add/").content.decode(), "authcode_form")
    form.update(auth_code=code, auth_action="A", description="Approved")
    return staff.post(f"{CODES}add/", form)


def demo_codes() -> list[str]:
    with use_vba_database("demo"):
        return list(AuthCode.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("typed", "existing"), [("appr", "APPR"), ("A.P.P.R", "APPR"), (" ts ", "T-S"), ("Pend", "PEND")]
)
def test_a_decision_code_differing_from_one_only_by_case_spaces_or_punctuation_is_refused_naming_it(
    staff: Client, decision_codes: None, typed: str, existing: str
) -> None:
    response = add_code(staff, typed)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["auth_code"]
    written = typed.strip()
    assert (
        f"Auth code: “{written}” is written “{existing}” in this database: that code exists already, use it."
        in response.content.decode()
    )
    assert demo_codes() == ["APPR", "PEND", "T-S"]


def test_the_decision_codes_page_offers_the_codes_and_accepts_a_new_one(staff: Client, decision_codes: None) -> None:
    page = staff.get(f"{CODES}add/").content.decode()
    assert (
        '<datalist id="id_auth_code_codes"><option value="APPR"></option><option value="PEND"></option>'
        '<option value="T-S"></option></datalist>' in page
    )
    assert add_code(staff, "APMOD").status_code == 302
    assert add_code(staff, "PENDS").status_code == 302  # a code, not a word: a final S is not a plural
    assert demo_codes() == ["APMOD", "APPR", "PEND", "PENDS", "T-S"]
    with use_vba_database("other"):
        assert auth_code_batch_upsert(items=[{"auth_Code": "appr", "auth_Action": "A"}], user=None).counts() == {
            201: 1
        }  # the API keeps VBA's free text; and each database has its own codes
    assert add_code(staff, "Apmod").status_code == 200


def test_a_decision_code_is_compared_with_every_key_not_only_those_offered(admin_user: Any, staff: Client) -> None:
    codes = [{"auth_Code": f"C{n:04d}", "auth_Action": "A"} for n in range(CODES_OFFERED + 5)]
    with use_vba_database("demo"):
        assert auth_code_batch_upsert(items=codes, user=None).counts() == {201: CODES_OFFERED + 5}
    last = f"C{CODES_OFFERED + 4:04d}"
    assert last not in values_in_use(AuthCode, "auth_code", "demo")  # beyond the values offered
    response = add_code(staff, last.lower())
    assert response.status_code == 200
    assert f"is written “{last}” in this database" in response.content.decode()


# -- An Auth's diagnoses ---------------------------------------------------------------------------------------------


@pytest.fixture
def diagnosed(auths: None) -> None:
    item = {"auth_Number": "A1", "diagnostic_Code": "I50.9", "diagnostic_Code_Type": "ICD10"}
    with use_vba_database("demo"):
        assert batch_upsert(AUTH_DIAG_CODES, [{**item, "disable_Provider_Match": False}], user=None).counts() == {
            201: 1
        }
        second = {**item, "diagnostic_Code": "S72.001", "disable_Provider_Match": False}
        assert batch_upsert(AUTH_DIAG_CODES, [second], user=None).counts() == {201: 1}


def demo_diagnoses(number: str) -> list[tuple[str, str]]:
    with use_vba_database("demo"):
        rows = AuthDiagCodes.objects.filter(auth_number=number)
        return sorted(rows.values_list("diagnostic_code", "diagnostic_code_type"))


def test_a_diagnosis_differing_from_one_in_use_is_refused_in_the_row_naming_it(staff: Client, diagnosed: None) -> None:
    page = staff.get(f"{DEMO}A3/change/").content.decode()
    assert (
        '<datalist id="id_authdiagcodes-0-diagnostic_code_codes"><option value="I50.9"></option>'
        '<option value="S72.001"></option></datalist>' in page
    )
    assert '<datalist id="id_authdiagcodes-0-diagnostic_code_type_codes"><option value="ICD10"></option>' in page
    form = submitted(page, "auth_form")
    form.update({"authdiagcodes-0-diagnostic_code": "i50.9", "authdiagcodes-0-diagnostic_code_type": "icd10"})
    response = staff.post(f"{DEMO}A3/change/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Code: “i50.9” is written “I50.9” in this database: use that value." in html
    assert "ICD version: “icd10” is written “ICD10” in this database: use that value." in html
    row = response.context["inline_admin_formsets"][-1].formset.forms[0]
    assert sorted(row.errors) == ["diagnostic_code", "diagnostic_code_type"]
    form.update({"authdiagcodes-0-diagnostic_code": "I509", "authdiagcodes-0-diagnostic_code_type": "ICD-10"})
    html = staff.post(f"{DEMO}A3/change/", form).content.decode()
    assert "Code: “I509” is written “I50.9” in this database: use that value." in html  # the same ICD code
    assert "ICD version: “ICD-10” is written “ICD10” in this database: use that value." in html
    assert demo_diagnoses("A3") == []
    form.update({"authdiagcodes-0-diagnostic_code": "I50.9", "authdiagcodes-0-diagnostic_code_type": "ICD10"})
    assert staff.post(f"{DEMO}A3/change/", form).status_code == 302
    assert demo_diagnoses("A3") == [("I50.9", "ICD10")]


def test_a_final_s_is_part_of_an_icd_code_not_a_plural(staff: Client, diagnosed: None) -> None:
    form = submitted(staff.get(f"{DEMO}A3/change/").content.decode(), "auth_form")
    form.update({"authdiagcodes-0-diagnostic_code": "S72.001S", "authdiagcodes-0-diagnostic_code_type": "ICD10"})
    assert staff.post(f"{DEMO}A3/change/", form).status_code == 302  # S72.001S (sequela) is not S72.001
    assert demo_diagnoses("A3") == [("S72.001S", "ICD10")]


# -- The Auth's "Add review" form ------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(auths: None) -> None:
    item = {"authReview_Key": 0, "auth_Number": "A1", "review_Level": "L1 NURSE REVIEW", "review_Status": "OPEN"}
    with use_vba_database("demo"):
        assert batch_upsert(AUTH_REVIEW, [item], user=None).counts() == {201: 1}


def demo_reviews() -> list[tuple[str | None, str | None]]:
    with use_vba_database("demo"):
        return list(AuthReview.objects.order_by("pk").values_list("review_level", "review_status"))


def test_the_review_form_offers_the_values_in_use_and_refuses_a_fork_naming_it(staff: Client, reviewed: None) -> None:
    page = staff.get(f"{DEMO}A3/change/").content.decode()
    assert '<datalist id="id_review-review_level_codes"><option value="L1 NURSE REVIEW"></option></datalist>' in page
    assert '<datalist id="id_review-review_status_codes"><option value="OPEN"></option></datalist>' in page
    assert "E.g. 1 (nurse review)" not in page
    response = staff.post(
        f"{DEMO}A3/add-review/", {"review-review_level": "l1 nurse review", "review-review_status": "Open"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Level: “l1 nurse review” is written “L1 NURSE REVIEW” in this database: use that value." in html
    assert "Status: “Open” is written “OPEN” in this database: use that value." in html
    assert sorted(response.context["review_form"].errors) == ["review_level", "review_status"]
    assert demo_reviews() == [("L1 NURSE REVIEW", "OPEN")]
    data = {"review-review_level": "L1 NURSE REVIEW", "review-review_status": "CLOSED"}
    assert staff.post(f"{DEMO}A3/add-review/", data).status_code == 302
    assert demo_reviews() == [("L1 NURSE REVIEW", "OPEN"), ("L1 NURSE REVIEW", "CLOSED")]


def test_the_api_keeps_vbas_free_text_review_level(reviewed: None) -> None:
    item = {"authReview_Key": 0, "auth_Number": "A1", "review_Level": "l1 nurse review"}
    with use_vba_database("demo"):
        assert batch_upsert(AUTH_REVIEW, [item], user=None).counts() == {201: 1}
    assert ("l1 nurse review", None) in demo_reviews()
