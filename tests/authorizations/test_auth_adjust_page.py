"""Adjusting an Auth on the reviewer's page (issue 22: ``auth_adjust``, decision 20) and the denial-reason rule of
the admin (a decision code that denies must say why; the Decide control never decides with one that does not)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from authorizations.vba import admin as admin_module
from authorizations.vba.models import Auth, AuthCode, AuthDiagCodes, AuthProcCodes
from authorizations.vba.services import (
    AUTH_DIAG_CODES,
    AUTH_PROC_CODES,
    AdjustmentRefused,
    auth_batch_upsert,
    auth_code_batch_upsert,
)
from authorizations.vba.services import auth_adjust as real_adjust
from config.api.models import DatabaseGrant
from config.bench.management.commands import bench_reads
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted, version_in
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = "/admin/db/demo/authorizations/auth/"
PAGE = f"{DEMO}A100/change/"
ADJUST = f"{DEMO}A100/adjust/"
DECIDE = f"{DEMO}A100/decide/"
CODES = "/admin/db/demo/authorizations/authcode/"


@pytest.fixture
def staff(db: Any) -> Client:
    person = get_user_model().objects.create_user("staffer", password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="authorizations", content_type__model__in=["auth", "authcode"]
        )
    )
    DatabaseGrant.objects.create(user=person, database="demo")
    client = Client()
    client.force_login(person)
    return client


def in_demo(query: Any) -> Any:
    with use_vba_database("demo"):
        return query()


@pytest.fixture
def auth(staff: Client) -> None:
    """Auth A100 approved Jan–Feb 2026 with two procedure lines and a diagnosis."""
    item = auth_item("A100", status="PENDED", approved_From="2026-01-01T00:00:00", approved_Thru="2026-02-28T00:00:00")
    lines = [
        {"authProcCodes_Key": 0, "auth_Number": "A100", "exclude_Modifier_Match": False, "procedure_Code": code}
        for code in ("97110", "97140")
    ]
    diagnosis = {
        "auth_Number": "A100",
        "diagnostic_Code": "M54.5",
        "diagnostic_Code_Type": "ICD10",
        "disable_Provider_Match": False,
    }
    with use_vba_database("demo"):
        assert auth_batch_upsert(items=[item], user=None).counts() == {201: 1}
        assert batch_upsert(AUTH_PROC_CODES, lines, user=None).counts() == {201: 2}
        assert batch_upsert(AUTH_DIAG_CODES, [diagnosis], user=None).counts() == {201: 1}


def adjust(client: Client, version: dict[str, str] | None = None, **fields: Any) -> Any:
    """Post the Adjust form as the page shows it (lines and diagnoses copied), with ``fields`` changed."""
    page = client.get(PAGE).content.decode()
    data = submitted(page, "adjust_form")
    if version is not None:
        data = {k: v for k, v in data.items() if k != "_record_version"} | version
    for name, value in fields.items():
        if value is None:
            data.pop(f"adjust-{name}", None)
        else:
            data[f"adjust-{name}"] = value
    return client.post(ADJUST, data)


def adjusting(number: str) -> list[str]:
    return in_demo(lambda: sorted(Auth.objects.filter(prior_auth=number).values_list("pk", flat=True)))


# -- Adjust --------------------------------------------------------------------------------------------------------


def test_adjusting_creates_the_new_auth_with_copies_and_shows_its_page(staff: Client, auth: None) -> None:
    page = staff.get(PAGE).content.decode()
    form = submitted(page, "adjust_form")
    assert form["adjust-copy_proc_codes"] == "on" and form["adjust-copy_diag_codes"] == "on"  # the usual case
    assert "_record_version" in form
    response = adjust(staff, approved_from="2026-03-01", approved_thru="2026-06-30")
    (new,) = adjusting("A100")
    assert (response.status_code, response["Location"]) == (302, f"{DEMO}{new}/change/")
    found = in_demo(lambda: Auth.objects.get(pk=new))
    assert (found.prior_auth, found.status, found.entry_user) == ("A100", "PENDED", "staffer")
    assert (found.approved_from.date().isoformat(), found.approved_thru.date().isoformat()) == (
        "2026-03-01",
        "2026-06-30",
    )
    lines = in_demo(lambda: sorted(AuthProcCodes.objects.filter(auth_number=new).values_list("procedure_code")))
    assert lines == [("97110",), ("97140",)]
    assert in_demo(lambda: list(AuthDiagCodes.objects.filter(auth_number=new).values_list("diagnostic_code"))) == [
        ("M54.5",)
    ]
    assert in_demo(lambda: AuthProcCodes.objects.filter(auth_number="A100").count()) == 2  # the original's stay
    shown = staff.get(response["Location"]).content.decode()
    assert f"Auth {new} adjusts Auth A100." in shown
    assert f'<p id="adjusts">Adjusts Auth <a href="{PAGE}">A100</a></p>' in shown
    assert "97140" in shown and "M54.5" in shown
    original = staff.get(PAGE).content.decode()
    assert f'Adjusted by Auth <a href="{DEMO}{new}/change/">{new}</a>' in original
    assert in_demo(lambda: Auth.history.filter(auth_number="A100").latest("history_id").history_change_reason) == (
        f"Adjusted by Auth {new}"
    )


def test_empty_dates_keep_the_period_and_one_procedure_code_makes_one_line(staff: Client, auth: None) -> None:
    response = adjust(staff, copy_proc_codes=None, copy_diag_codes=None, procedure_code="99213")
    assert response.status_code == 302
    (new,) = adjusting("A100")
    found = in_demo(lambda: Auth.objects.get(pk=new))
    assert found.approved_from.date().isoformat() == "2026-01-01"
    assert in_demo(lambda: list(AuthProcCodes.objects.filter(auth_number=new).values_list("procedure_code"))) == [
        ("99213",)
    ]
    assert not in_demo(lambda: AuthDiagCodes.objects.filter(auth_number=new).exists())
    assert adjust(staff).status_code == 302  # adjusted twice: both are listed
    numbers = adjusting("A100")
    page = staff.get(PAGE).content.decode()
    assert len(numbers) == 2 and all(f'<a href="{DEMO}{n}/change/">{n}</a>' in page for n in numbers)
    assert "Adjusted by Auths" in page


def test_an_adjustment_from_a_stale_page_is_refused_then_goes_through_once_seen(staff: Client, auth: None) -> None:
    version = version_in(staff.get(PAGE).content.decode())
    with use_vba_database("demo"):  # someone else changes the Auth meanwhile
        other = get_user_model().objects.create_user("other")
        auth_batch_upsert(items=[auth_item("A100", status="PENDED", notes="Called the provider")], user=other)
    response = adjust(staff, version, approved_thru="2026-09-30")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not adjusted: this Auth A100 was changed by other after you opened this page." in page
    assert "Nothing was adjusted" in page and "Called the provider" in page
    assert 'value="2026-09-30"' in page  # the adjustment is kept
    assert adjusting("A100") == []
    assert adjust(staff, version={}, approved_thru="2026-09-30").status_code == 409  # no version: refused too
    assert adjusting("A100") == []
    data = submitted(page, "adjust_form")  # the refused page carries the new version
    assert staff.post(ADJUST, data).status_code == 302
    assert len(adjusting("A100")) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"approved_from": "2026-13-01"}, "Enter a valid date."),
        ({"approved_from": "2026-07-01", "approved_thru": "2026-06-30"}, "ends before it starts"),
        ({"procedure_code": "99213"}, "Either copy the procedure lines or give one procedure code"),
        ({"copy_proc_codes": None, "procedure_code": "TOOLONGCODE"}, "at most 8 characters"),
        ({"approved_thru": "\x00"}, "Enter a valid date."),
        ({"approved_from": "9999-12-31", "approved_thru": "0001-01-01"}, "ends before it starts"),
    ],
)
def test_bad_input_is_a_message_on_the_page_and_nothing_is_written(
    staff: Client, auth: None, fields: dict[str, Any], message: str
) -> None:
    auths = in_demo(lambda: Auth.objects.count())
    response = adjust(staff, **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert in_demo(lambda: Auth.objects.count()) == auths


def test_a_refusal_of_the_service_is_shown_and_nothing_is_written(
    staff: Client, auth: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused_after_writing(**kwargs: Any) -> Auth:  # the service wrote the new Auth, then refused a line
        real_adjust(**kwargs)
        raise AdjustmentRefused({"procedure_Code": ["The new Auth's procedure line was refused: it is refused"]})

    monkeypatch.setattr(admin_module, "auth_adjust", refused_after_writing)
    auths = in_demo(lambda: Auth.objects.count())
    response = adjust(staff, approved_thru="2026-09-30")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="adjust-errors"' in page and "The new Auth&#x27;s procedure line was refused" in page
    assert 'value="2026-09-30"' in page
    assert in_demo(lambda: Auth.objects.count()) == auths and adjusting("A100") == []
    assert in_demo(lambda: AuthProcCodes.objects.count()) == 2


@pytest.mark.parametrize(
    "value", ["", "0", "-1", "x" * 5000, "\x00", "2026-02-30", "9999-99-99", "0001-01-01", "<script>", "on", "é€"]
)
def test_no_posted_value_makes_a_500(staff: Client, auth: None, value: str) -> None:
    page = staff.get(PAGE).content.decode()
    base = submitted(page, "adjust_form")
    for name in ("approved_from", "approved_thru", "copy_proc_codes", "copy_diag_codes", "procedure_code"):
        response = staff.post(ADJUST, {**base, f"adjust-{name}": value})
        assert response.status_code in (302, 400), (name, value, response.status_code)
    assert staff.get(ADJUST).status_code == 302  # a GET changes nothing
    assert staff.post(f"{DEMO}NOPE/adjust/", base).status_code == 302  # an unknown Auth: back to the list


def test_without_change_permission_there_is_no_adjust_control_and_a_post_is_refused(auth: None) -> None:
    person = get_user_model().objects.create_user("reader", password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="authorizations", codename__startswith="view_")
    )
    DatabaseGrant.objects.create(user=person, database="demo")
    client = Client()
    client.force_login(person)
    page = client.get(PAGE).content.decode()
    assert 'id="adjust_form"' not in page
    assert client.post(ADJUST, {"adjust-copy_proc_codes": "on", **version_in(page)}).status_code == 403
    assert adjusting("A100") == []


# -- A denial needs its reason ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["D", "R"])
def test_a_denial_code_without_a_description_is_a_form_error(staff: Client, action: str) -> None:
    data = {**submitted(staff.get(f"{CODES}add/").content.decode(), "authcode_form")}
    data.update({"auth_code": "DN09", "auth_action": action, "description": "  "})
    response = staff.post(f"{CODES}add/", data)
    assert response.status_code == 200
    assert f"Description: a code with the action {action}" in response.content.decode()
    assert not in_demo(lambda: AuthCode.objects.filter(pk="DN09").exists())
    data["description"] = "Not medically necessary"
    assert staff.post(f"{CODES}add/", data).status_code == 302


def test_other_actions_need_no_description_and_an_existing_denial_cannot_lose_it(staff: Client) -> None:
    data = {**submitted(staff.get(f"{CODES}add/").content.decode(), "authcode_form")}
    data.update({"auth_code": "AP09", "auth_action": "A", "description": ""})
    assert staff.post(f"{CODES}add/", data).status_code == 302
    in_demo(
        lambda: auth_code_batch_upsert(
            items=[{"auth_Code": "DN01", "auth_Action": "D", "description": "Why"}], user=None
        )
    )
    url = f"{CODES}DN01/change/"
    data = submitted(staff.get(url).content.decode(), "authcode_form")
    data["description"] = ""
    response = staff.post(url, data)
    assert response.status_code == 200 and "Description: a code with the action D" in response.content.decode()
    assert in_demo(lambda: AuthCode.objects.get(pk="DN01").description) == "Why"
    url = f"{CODES}AP09/change/"  # an approval turned into a denial needs its reason too
    data = submitted(staff.get(url).content.decode(), "authcode_form")
    data["auth_action"] = "D"
    assert staff.post(url, data).status_code == 200
    assert in_demo(lambda: AuthCode.objects.get(pk="AP09").auth_action) == "A"


def test_the_decide_control_does_not_offer_or_accept_a_denial_code_without_a_reason(staff: Client, auth: None) -> None:
    codes = [  # stored through the API (decision 17 accepts them), or from before this rule
        {"auth_Code": "DN01", "auth_Action": "D", "description": "Not medically necessary"},
        {"auth_Code": "DN09", "auth_Action": "D", "description": None},
        {"auth_Code": "PA09", "auth_Action": "R", "description": ""},
        {"auth_Code": "AP09", "auth_Action": "A", "description": None},
    ]
    assert in_demo(lambda: auth_code_batch_upsert(items=codes, user=None).counts()) == {201: 4}
    page = staff.get(PAGE).content.decode()
    assert '<option value="DN01">DN01 – Not medically necessary</option>' in page
    assert '<option value="AP09">AP09</option>' in page  # an approval needs no reason
    assert 'value="DN09"' not in page and 'value="PA09"' not in page
    assert "Not offered, for want of a reason (a description): DN09, PA09." in page
    for code in ("DN09", "PA09"):
        response = staff.post(DECIDE, {"decide-auth_code": code, **version_in(page)})
        assert response.status_code == 400
        assert f"{code} is a denial code" in response.content.decode()
        assert "without a description" in response.content.decode()
    found = in_demo(lambda: Auth.objects.get(pk="A100"))
    assert (found.status, found.auth_code) == ("PENDED", None)


# -- "Adjusted by" is read by an index ---------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_auths_adjusting_one_are_found_by_the_index_of_prior_auth(staff: Client, auth: None) -> None:
    call_command("generate_auths", "--count", "300", "--database", "demo", stdout=io.StringIO())
    with CaptureQueriesContext(connections["demo"]) as queries:
        assert staff.get(PAGE).status_code == 200
    (sql,) = [q["sql"] for q in queries.captured_queries if '"Prior_Auth" =' in q["sql"]]
    plan = bench_reads.explain("demo", sql, analyze=False, no_seqscan=True)
    assert re.search(r'Index (Only )?Scan using "?Auth_Prior_Auth\w*"? on "Auth"', plan), plan
    assert "Seq Scan" not in plan, plan
