"""Staff open a granted database's admin (its name is in the URL) and browse, search, filter and edit Auths there."""

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from authorizations.models import Auth
from authorizations.vba.admin import AuthAdmin
from authorizations.vba.services import auth_batch_upsert
from config.api.models import DatabaseGrant
from config.serving.tenancy import use_vba_database
from tests.admin_forms import read_version, submitted
from tests.authorizations.factories import auth_item, full_auth

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = "/admin/db/demo/authorizations/auth/"
OTHER = "/admin/db/other/authorizations/auth/"


@pytest.fixture
def staff(db: Any) -> Any:
    person = get_user_model().objects.create_user("staffer", password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="authorizations", codename__endswith="_auth")
    )
    DatabaseGrant.objects.create(user=person, database="demo")
    DatabaseGrant.objects.create(user=person, database="other")
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def records(staff: Any) -> None:
    for database, status in (("demo", "IN-DEMO"), ("other", "IN-OTHR")):
        with use_vba_database(database):
            items = [
                auth_item("A100", status=status, subscriber_ID="111222333", provider_ID="PRV9", case_Number="CASE-1"),
                auth_item("A200", status="DENIED", subscriber_ID="999888777", urgent=True),
            ]
            assert auth_batch_upsert(items=items, user=None).counts() == {201: 2}


def switch(client: Client, database: str, page: str = DEMO) -> Any:
    return client.get("/admin/vba-database/", {"database": database, "next": page})


def test_staff_see_the_database_picker_with_only_granted_databases(staff: Any) -> None:
    page = staff.get(DEMO).content.decode()
    assert 'id="vba-database"' in page and '<option value="demo" selected>' in page
    assert '<option value="other">' in page


def test_the_changelist_shows_the_database_of_its_url(staff: Any, records: None) -> None:
    assert "IN-DEMO" in staff.get(DEMO).content.decode()
    page = staff.get(OTHER).content.decode()
    assert "IN-OTHR" in page and "IN-DEMO" not in page
    response = switch(staff, "other")
    assert (response.status_code, response["Location"]) == (302, OTHER)


def test_switching_to_an_ungranted_database_is_refused(staff: Any, records: None) -> None:
    DatabaseGrant.objects.filter(database="other").delete()
    response = switch(staff, "other")
    assert (response.status_code, response["Location"]) == (302, DEMO)
    assert "Unknown or unauthorized database" in staff.get(DEMO).content.decode()


def test_staff_without_any_grant_do_not_see_auths(db: Any) -> None:
    person = get_user_model().objects.create_user("nogrant", password="pw", is_staff=True)
    client = Client()
    client.force_login(person)
    response = client.get(DEMO, follow=True)
    assert response.redirect_chain[0][0].startswith("/admin/db/demo/login/")
    assert "not authorized to access this page" in response.content.decode()
    assert "No VBA database granted" in client.get("/admin/").content.decode()


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("q=A100", "A100", "A200"),
        ("q=111222", "A100", "A200"),
        ("q=PRV9", "A100", "A200"),
        ("q=CASE-1", "A100", "A200"),
        ("status__exact=DENIED", "A200", "A100"),
        ("urgent__exact=1", "A200", "A100"),
    ],
)
def test_search_and_filters(staff: Any, records: None, query: str, present: str, absent: str) -> None:
    page = staff.get(f"{DEMO}?{query}").content.decode()
    assert f">{present}<" in page and f">{absent}<" not in page


def test_the_form_groups_every_field_once_with_audit_read_only() -> None:
    fields = [
        name
        for _title, options in AuthAdmin.fieldsets
        for row in options["fields"]
        for name in (row if isinstance(row, tuple) else (row,))
    ]
    assert sorted(fields) == sorted(f.name for f in Auth._meta.concrete_fields)
    legacy: dict[str, Any] = dict(AuthAdmin.fieldsets)["Legacy fields (no longer used by VBA)"]  # type: ignore[arg-type,assignment]
    assert "collapse" in legacy["classes"]
    assert set(AuthAdmin.readonly_fields) == {"entry_date", "entry_user", "update_date", "update_user"} | {
        "status",
        "auth_code",
        "approved_by",
        "approved_date",
    }  # the decision is written by the Decide control only (decision 17)


def test_saving_the_form_stamps_the_audit_fields_and_leaves_history(staff: Any, records: None) -> None:
    page = staff.get(f"{DEMO}A100/change/")
    assert page.status_code == 200
    data = submitted(page.content.decode(), "auth_form")  # the form as the browser posts it (lines included)
    data["notes"] = "EDITED"
    data["status"] = "FORKED"  # a read-only field: a posted value is ignored
    response = staff.post(f"{DEMO}A100/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    with use_vba_database("demo"):
        auth = Auth.objects.get(pk="A100")
        assert (auth.notes, auth.status, auth.update_user) == ("EDITED", "IN-DEMO", "staffer")
        latest = Auth.history.filter(auth_number="A100").latest("history_id")
        assert latest.history_type == "~" and latest.history_user_id is not None and latest.activity_id
    assert "EDITED" in staff.get(f"{DEMO}A100/history/").content.decode()


def test_a_full_record_opens_in_the_form(staff: Any) -> None:
    with use_vba_database("demo"):
        auth_batch_upsert(items=[full_auth("FULL")], user=None)
    page = staff.get(f"{DEMO}FULL/change/")
    html = page.content.decode()
    assert page.status_code == 200 and "Treatment plan" in html
    assert ">Subscriber ID:</label>" in html and ">DRG category:</label>" in html  # human labels
    form = page.context["adminform"].form
    assert form.fields["reins_notification_date"].label == "Reinsurance notification date"
    assert form.fields["tplan_downloaded"].label == "Treatment plan downloaded"
    help_text = form.fields["reins_notification_date"].help_text  # the spec's meaning, then VBA's column name
    assert help_text.startswith("Date when the Reinsurance Notification report was run.")
    assert help_text.endswith("VBA column: ReinsNotification_Date.")
    assert all(form.fields[name].help_text for name in form.fields)  # every field has help
    assert [key for key, _label in form.fields["tplan_printed"].choices] == ["Y", "N"]  # a flag is a choice
    assert [key for key, _label in form.fields["auto_accident"].choices] == ["", "Y", "N"]


def test_the_unused_library_api_key_model_is_not_in_the_admin(db: Any) -> None:
    superuser = get_user_model().objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(superuser)
    page = client.get("/admin/").content.decode()
    assert "/admin/api/apiclient/" in page and "/admin/rest_framework_api_key/" not in page


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("tplan_printed", "Treatment plan printed: “Q” is not one of Y, N."),
        ("auto_accident", "Auto accident: “Q” is not one of Y, N."),
        ("work_related", "Work related: “Q” is not one of Y, N."),
    ],
)
def test_a_y_n_flag_refuses_any_other_value(staff: Any, field: str, message: str) -> None:
    with use_vba_database("demo"):
        auth_batch_upsert(items=[full_auth("FULL")], user=None)
        before = Auth.objects.get(pk="FULL")
    page = staff.get(f"{DEMO}FULL/change/").content.decode()
    assert f'<select name="{field}"' in page  # a choice, not a text box
    form = submitted(page, "auth_form")
    form[field] = "Q"
    response = staff.post(f"{DEMO}FULL/change/", form)
    assert response.status_code == 200
    assert message in response.content.decode()
    with use_vba_database("demo"):
        after = Auth.objects.get(pk="FULL")
    assert (getattr(after, field), after.update_date) == (getattr(before, field), before.update_date)


def test_the_list_shows_the_columns_a_person_scans_first_and_numbers_without_trailing_zeros(
    staff: Any, records: None
) -> None:
    with use_vba_database("demo"):
        Auth.objects.filter(pk="A100").update(visits_approved=16, visits_actual=4)  # setup only
    page = staff.get(DEMO).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*\bcolumn-(\w+)', page)
    assert columns == [
        "auth_number",
        "member",
        "status",
        "auth_type",
        "received",
        "due",
        "time_left",
        "assigned_user",
        "approved_period",
        "visits",
        "urgent",
    ]
    assert ">4 / 16<" in page and "16.0000" not in page


def test_an_auth_with_diagnoses_cannot_be_deleted_from_the_admin(staff: Any, records: None) -> None:
    """Issue 22, decision 15: a diagnosis protects its Auth as a procedure line does; the page names the count."""
    from authorizations.vba.services import AUTH_DIAG_CODES
    from config.records.batch import batch_upsert

    with use_vba_database("demo"):
        item = {"auth_Number": "A100", "diagnostic_Code": "E11.9", "diagnostic_Code_Type": "ICD10"}
        assert batch_upsert(AUTH_DIAG_CODES, [{**item, "disable_Provider_Match": False}], user=None).counts() == {
            201: 1
        }
    version = read_version(staff, f"{DEMO}A100/change/")
    response = staff.post(f"{DEMO}A100/delete/", {"post": "yes", **version})
    assert response.status_code == 200
    assert "Auth A100 still has 0 procedure line(s), 1 diagnosis code(s) and 0 review(s)" in response.content.decode()
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="A100").exists()


def test_an_auth_with_procedure_lines_cannot_be_deleted_from_the_admin(staff: Any, records: None) -> None:
    """Issue 22, decision 15: never a cascade; the page names the count, and an Auth without lines is deleted."""
    from authorizations.vba.services import AUTH_PROC_CODES
    from config.records.batch import batch_upsert

    with use_vba_database("demo"):
        line = {"authProcCodes_Key": 0, "auth_Number": "A100", "exclude_Modifier_Match": False}
        assert batch_upsert(AUTH_PROC_CODES, [line, dict(line)], user=None).counts() == {201: 2}
    version = read_version(staff, f"{DEMO}A100/change/")  # the "cannot delete" page offers no form to post
    response = staff.post(f"{DEMO}A100/delete/", {"post": "yes", **version})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Auth A100 still has 2 procedure line(s), 0 diagnosis code(s) and 0 review(s)" in page
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="A100").exists()
    bulk = staff.post(DEMO, {"action": "delete_selected", "_selected_action": ["A100", "A200"], "post": "yes"})
    assert "These Auths still have 2 procedure line(s), 0 diagnosis code(s) and 0 review(s)" in bulk.content.decode()
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk__in=["A100", "A200"]).count() == 2
    delete = f"{DEMO}A200/delete/"
    assert staff.post(delete, {"post": "yes", **read_version(staff, delete)}).status_code == 302
    with use_vba_database("demo"):
        assert not Auth.objects.filter(pk="A200").exists()


def test_the_change_page_shows_the_lines_the_diagnoses_and_the_reviews_newest_first(staff: Any, records: None) -> None:
    from authorizations.vba.services import AUTH_DIAG_CODES, AUTH_PROC_CODES, AUTH_REVIEW
    from config.records.batch import batch_upsert

    with use_vba_database("demo"):
        line = {"authProcCodes_Key": 0, "auth_Number": "A100", "exclude_Modifier_Match": False}
        items = [{**line, "procedure_Code": "99213", "units_Requested": 4, "units_Approved": 2.5}]
        assert batch_upsert(AUTH_PROC_CODES, items, user=None).counts() == {201: 1}
        reviews = [
            {
                "authReview_Key": 0,
                "auth_Number": "A100",
                "review_Comment": "older",
                "review_Date": "2026-01-01T00:00:00",
            },
            {
                "authReview_Key": 0,
                "auth_Number": "A100",
                "review_Comment": "newer",
                "review_Date": "2026-02-01T00:00:00",
            },
        ]
        assert batch_upsert(AUTH_REVIEW, reviews, user=None).counts() == {201: 2}
        diagnosis = {"auth_Number": "A100", "diagnostic_Code_Type": "ICD10", "disable_Provider_Match": False}
        diagnoses = [
            {**diagnosis, "diagnostic_Code": "M54.5", "primary_Diag": "Y"},
            {**diagnosis, "diagnostic_Code": "I10"},
        ]
        assert batch_upsert(AUTH_DIAG_CODES, diagnoses, user=None).counts() == {201: 2}
    page = staff.get(f"{DEMO}A100/change/").content.decode()
    assert 'name="authproccodes-0-procedure_code" value="99213"' in page  # editable with the Auth's permissions
    assert 'name="authproccodes-0-units_requested" value="4"' in page
    assert 'name="authproccodes-0-units_approved" value="2.5"' in page
    # diagnoses: editable rows in code order, the key (code, ICD version) fixed once saved
    assert 'name="authdiagcodes-0-diagnostic_code" value="I10"' in page
    assert 'name="authdiagcodes-1-diagnostic_code" value="M54.5"' in page
    assert re.search(r'<select name="authdiagcodes-1-primary_diag"[^>]*>.*?<option value="Y" selected>', page, re.S)
    assert page.index("newer") < page.index("older")
    assert "procedure lines" in staff.get(f"{DEMO}A200/change/").content.decode().lower()
