"""An Auth's history page (from an audit, a prior-authorization reviewer's view) lists the changes of its procedure
lines, diagnoses and reviews with its own, newest first: who, when, and what (old → new), however they were written
(the Auth's form, the Add review form, the API); they are not revertable from there. The "Change reason" column is
empty when there is none (not "None"). The history of an Auth of another database with the same number is its own.
A care case's history lists its work log the same way (config.admin.history)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from authorizations.vba.models import AuthProcCodes, AuthReview
from authorizations.vba.services import AUTH_PROC_CODES, auth_batch_upsert
from config.api.models import DatabaseGrant
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = "/admin/db/demo/authorizations/auth/"
PAGE = f"{DEMO}A100/change/"
HISTORY = f"{DEMO}A100/history/"
ADD_REVIEW = f"{DEMO}A100/add-review/"


@pytest.fixture
def staff(db: Any) -> Client:
    person = get_user_model().objects.create_user("staffer", password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="authorizations", content_type__model__in=["auth"])
    )
    for database in ("demo", "other"):
        DatabaseGrant.objects.create(user=person, database=database)
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def auth(staff: Client) -> None:
    for database in ("demo", "other"):
        with use_vba_database(database):
            assert auth_batch_upsert(items=[auth_item("A100", status="PENDED")], user=None).counts() == {201: 1}


def in_demo(query: Any) -> Any:
    with use_vba_database("demo"):
        return query()


def save_page(client: Client, **fields: str) -> None:
    data = submitted(client.get(PAGE).content.decode(), "auth_form")
    data.update(fields)
    response = client.post(PAGE, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def history_rows(client: Client, url: str = HISTORY) -> list[list[str]]:
    """The rows of the history table as text, cell by cell (newest first, as the page lists them)."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('id="change-history"') : page.index("</table>", page.index('id="change-history"'))]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        rows.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells])
    return rows


def test_lines_diagnoses_and_reviews_changed_in_the_admin_are_listed_with_who_and_old_and_new(
    staff: Client, auth: None
) -> None:
    save_page(
        staff,
        **{"authproccodes-0-procedure_code": "93306", "authproccodes-0-units_requested": "21"},
    )
    key = in_demo(lambda: AuthProcCodes.objects.get(auth_number="A100").pk)
    save_page(staff, **{"authproccodes-0-units_approved": "21"})
    save_page(staff, **{"authproccodes-0-units_approved": "0"})
    save_page(
        staff,
        **{
            "authproccodes-1-procedure_code": "93000",
            "authproccodes-1-units_requested": "1",
            "authdiagcodes-0-diagnostic_code": "I50.9",
            "authdiagcodes-0-diagnostic_code_type": "ICD10",
            "authdiagcodes-0-primary_diag": "Y",
        },
    )
    data = submitted(staff.get(PAGE).content.decode(), "auth_form")
    second = next(k for k, v in data.items() if k.endswith("-procedure_code") and v == "93000")
    save_page(staff, **{second.replace("procedure_code", "DELETE"): "on"})
    review = {"review-review_level": "L1", "review-review_status": "OPEN", "review-review_comment": "Nurse review"}
    assert staff.post(ADD_REVIEW, review).status_code == 302

    rows = history_rows(staff)
    what = [row[-1] for row in rows]
    review_key = in_demo(lambda: AuthReview.objects.get(auth_number="A100").pk)
    assert what[0].startswith(f"Review {review_key}: added (Review comment Nurse review, Review date 20")
    assert what[0].endswith(", Review level L1, Review status OPEN, Review user staffer)")
    assert what[1:] == [
        "Procedure line 93000: deleted",
        "Diagnosis I50.9 (ICD10): added (Primary Y)",  # saved with the line, after it
        "Procedure line 93000: added (Units requested 1)",
        "Procedure line 93306: Units approved 21 → 0",
        "Procedure line 93306: Units approved — → 21",
        "Procedure line 93306: added (Units requested 21)",
        "",  # the Auth's own row: created
    ]
    assert [row[0] for row in rows][1:4] == ["Procedure line 93000", "Diagnosis I50.9 (ICD10)", "Procedure line 93000"]
    assert [row[2] for row in rows] == ["Added", "Deleted", "Added", "Added", "Changed", "Changed", "Added", "Created"]
    assert [row[3] for row in rows][:-1] == ["staffer"] * 7  # who (the Auth was created by a command: none)
    assert [row[4] for row in rows] == [""] * 8  # "Change reason": empty, never "None"
    page = staff.get(HISTORY).content.decode()
    # only the Auth's own rows link to a revert form
    assert len(re.findall(rf'href="{DEMO}A100/history/\d+/"', page)) == 1
    assert f"Procedure line {key}" not in page


def test_lines_changed_through_the_api_are_listed_with_their_values(staff: Client, auth: None, vba: Any) -> None:
    item = {"authProcCodes_Key": 0, "auth_Number": "A100", "exclude_Modifier_Match": False}
    outcome = in_demo(lambda: batch_upsert(AUTH_PROC_CODES, [{**item, "procedure_Code": "97110"}], user=None))
    key = int(outcome.results[0].key)
    read = vba.call("GET", f"auths/A100/procedure-codes/{key}")
    body = {**item, "authProcCodes_Key": key, "procedure_Code": "97110", "units_Requested": 12, "units_Approved": 8}
    changed = vba.call("PUT", f"auths/A100/procedure-codes/{key}", body, HTTP_IF_MATCH=read["ETag"])
    assert changed.status_code == 200, changed.json()
    rows = history_rows(staff)
    assert rows[0][-1] == "Procedure line 97110: Units approved — → 8, Units requested — → 12"
    assert rows[0][3] == "alice"  # the API client's user
    assert rows[1][-1] == "Procedure line 97110: added"
    assert rows[1][3] == "no staff user (an API client or a command)"  # written by a command: no user


def test_an_auth_of_another_database_with_the_same_number_lists_only_its_own_rows(staff: Client, auth: None) -> None:
    save_page(staff, **{"authproccodes-0-procedure_code": "93306", "authproccodes-0-units_requested": "21"})
    assert [row[-1] for row in history_rows(staff)] == ["Procedure line 93306: added (Units requested 21)", ""]
    other = history_rows(staff, "/admin/db/other/authorizations/auth/A100/history/")
    assert [row[2] for row in other] == ["Created"]


def test_more_child_rows_than_the_page_lists_are_counted(staff: Client, auth: None, monkeypatch: Any) -> None:
    from authorizations.vba.admin import AuthAdmin

    monkeypatch.setattr(AuthAdmin, "history_list_per_page", 2)
    items = [{"authProcCodes_Key": 0, "auth_Number": "A100", "exclude_Modifier_Match": False, "procedure_Code": c}
             for c in ("A1", "A2", "A3", "A4", "A5")]  # fmt: skip
    assert in_demo(lambda: batch_upsert(AUTH_PROC_CODES, items, user=None)).counts() == {201: 5}
    response = staff.get(HISTORY)
    page = response.content.decode()
    assert [row[-1] for row in history_rows(staff)] == [
        "Procedure line A5: added",
        "Procedure line A4: added",
        "",
    ]
    assert "3 older changes of its procedure lines are not listed here (the newest 2 are)." in page


def test_the_history_page_reads_each_childs_history_with_one_query(staff: Client, auth: None) -> None:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    save_page(staff, **{"authproccodes-0-procedure_code": "93306", "authproccodes-0-units_requested": "21"})
    for units in ("1", "2", "3"):
        save_page(staff, **{"authproccodes-0-units_approved": units})
    with CaptureQueriesContext(connections["demo"]) as queries:
        assert staff.get(HISTORY).status_code == 200
    child_tables = ("historicalauthproccodes", "historicalauthdiagcodes", "historicalauthreview")
    reads = [q["sql"] for q in queries if any(t in q["sql"].lower() for t in child_tables)]
    assert len(reads) == 3, reads  # one by Auth per child table: the versions before are in the same read


def test_each_page_of_a_long_history_lists_the_childrens_rows_of_its_own_period(
    staff: Client, auth: None, monkeypatch: Any
) -> None:
    from authorizations.vba.admin import AuthAdmin

    monkeypatch.setattr(AuthAdmin, "history_list_per_page", 1)
    save_page(staff, **{"authproccodes-0-procedure_code": "93306", "authproccodes-0-units_requested": "21"})
    save_page(staff, narrative="Seen by cardiology.")
    save_page(staff, **{"authproccodes-0-units_approved": "21"})
    first = history_rows(staff)
    second = history_rows(staff, f"{HISTORY}?p=2")
    third = history_rows(staff, f"{HISTORY}?p=3")
    assert [(row[0], row[2]) for row in first] == [("Procedure line 93306", "Changed"), ("Auth A100", "Changed")]
    assert [(row[0], row[2]) for row in second] == [("Procedure line 93306", "Added"), ("Auth A100", "Created")]
    assert third == second  # past the last page: the last page, as the page itself does


def test_a_history_without_children_has_no_none_for_its_change_reason(staff: Client, auth: None) -> None:
    from authorizations.vba.services import auth_code_batch_upsert

    in_demo(lambda: auth_code_batch_upsert(items=[{"auth_Code": "AP01", "auth_Action": "A"}], user=None))
    codes = Permission.objects.filter(content_type__app_label="authorizations", content_type__model="authcode")
    get_user_model().objects.get(username="staffer").user_permissions.add(*codes)
    rows = history_rows(staff, "/admin/db/demo/authorizations/authcode/AP01/history/")
    assert [(row[2], row[4]) for row in rows] == [("Created", "")]
