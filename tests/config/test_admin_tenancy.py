"""The admin's database is the one in the page's URL: each page reads and writes only it, whatever another tab, the
session or the picker says; staff without a grant for it get the admin's not-authorized page and no data."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from authorizations.models import Auth
from authorizations.vba.services import auth_batch_upsert
from carecases.models import CareCase
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.api.models import DatabaseGrant
from config.serving.tenancy import use_vba_database
from tests.admin_forms import read_version, submitted, version_in
from tests.authorizations.factories import auth_item, history_rows, stored
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

AUTHS = "/admin/db/{}/authorizations/auth/"


def auths(database: str) -> str:
    return AUTHS.format(database)


def login(*databases: str, superuser: bool = False) -> Client:
    person = get_user_model().objects.create_user("staffer", password="pw", is_staff=True, is_superuser=superuser)
    person.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["authorizations", "carecases"]))
    for database in databases:
        DatabaseGrant.objects.create(user=person, database=database)
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def same_key_in_both() -> None:
    """DEMO0007 in both databases, with different contents; a care plan and case in each."""
    for database in ("demo", "other"):
        with use_vba_database(database):
            item = auth_item(
                "DEMO0007", status=f"IN-{database.upper()[:4]}", amount_Approved=4004.77, visits_Approved=16
            )
            assert auth_batch_upsert(items=[item], user=None).counts() == {201: 1}
            care_plan_batch_upsert(items=[plan_item(1, care_Type=database.upper())], user=None)
            care_case_batch_upsert(items=[case_item(7, case_ID=f"CM-{database}")], user=None)


def test_two_tabs_each_save_in_the_database_of_their_own_url(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    tab_a = staff.get(auths("demo") + "DEMO0007/change/")  # tab A opens demo's record
    tab_b = staff.get(auths("other") + "DEMO0007/change/")  # tab B opens other's (and switches there)
    assert staff.get("/admin/vba-database/", {"database": "other", "next": auths("demo") + "DEMO0007/change/"})
    form_a = submitted(tab_a.content.decode(), "auth_form")
    form_a["assigned_user"] = "SAVED-A"
    assert staff.post(auths("demo") + "DEMO0007/change/", form_a).status_code == 302
    form_b = submitted(tab_b.content.decode(), "auth_form")
    form_b["assigned_user"] = "SAVED-B"
    assert staff.post(auths("other") + "DEMO0007/change/", form_b).status_code == 302
    assert (stored("demo").assigned_user, stored("other").assigned_user) == ("SAVED-A", "SAVED-B")
    assert stored("demo").amount_approved == stored("other").amount_approved  # nothing copied across


def test_add_and_delete_act_in_the_database_of_their_url(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    page = staff.get(auths("demo") + "add/")
    form = submitted(page.content.decode(), "auth_form")
    form.update({"auth_number": "NEWINDEMO", "tplan_printed": "N"})
    response = staff.post(auths("demo") + "add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="NEWINDEMO").exists()
    with use_vba_database("other"):
        assert not Auth.objects.filter(pk="NEWINDEMO").exists()
    delete = auths("demo") + "DEMO0007/delete/"
    assert staff.post(delete, {"post": "yes", **read_version(staff, delete)}).status_code == 302
    with use_vba_database("demo"):
        assert not Auth.objects.filter(pk="DEMO0007").exists()
    with use_vba_database("other"):
        assert Auth.objects.filter(pk="DEMO0007").exists()


def test_the_session_no_longer_chooses_the_database(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    session = staff.session
    session["vba_database"] = "other"  # what the old picker stored
    session.save()
    assert "IN-DEMO" in staff.get(auths("demo")).content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("get", "authorizations/auth/"),
        ("get", "authorizations/auth/add/"),
        ("get", "authorizations/auth/DEMO0007/change/"),
        ("get", "authorizations/auth/DEMO0007/history/"),
        ("get", "authorizations/auth/DEMO0007/delete/"),
        ("get", "carecases/carecase/7/history/"),
        ("get", "autocomplete/?app_label=carecases&model_name=carecase&field_name=care_plan&term=1"),
        ("post", "authorizations/auth/DEMO0007/delete/"),
        ("post", "authorizations/auth/DEMO0007/change/"),
        ("post", "authorizations/auth/"),
    ],
)
def test_an_ungranted_database_shows_the_not_authorized_page_and_no_data(
    same_key_in_both: None, method: str, path: str
) -> None:
    staff = login("demo")
    data = {"post": "yes", "status": "HACKED", "action": "delete_selected", "_selected_action": ["DEMO0007"]}
    response = getattr(staff, method)(f"/admin/db/other/{path}", data if method == "post" else None, follow=True)
    page = response.content.decode()
    assert response.redirect_chain and response.redirect_chain[0][0].startswith("/admin/db/other/login/")
    assert "not authorized to access this page" in page and "IN-OTHE" not in page and "CM-other" not in page
    assert stored("other").status == "IN-OTHE"


def test_switching_from_a_record_goes_to_the_other_databases_list_never_the_same_key(same_key_in_both: None) -> None:
    staff = login("demo", "other")

    def switch(page: str) -> str:
        response = staff.get("/admin/vba-database/", {"database": "other", "next": page})
        assert response.status_code == 302
        return response["Location"]

    assert switch(auths("demo") + "DEMO0007/change/") == auths("other")
    assert switch(auths("demo") + "DEMO0007/history/") == auths("other")
    assert switch(auths("demo") + "?q=DEMO") == auths("other")
    assert switch("/admin/db/demo/carecases/carecase/7/delete/") == "/admin/db/other/carecases/carecase/"
    assert switch("/admin/db/demo/carecases/") == "/admin/db/other/carecases/"
    assert switch("/admin/authorizations/authorization/") == "/admin/db/other/"  # Spry: no database
    assert switch("https://elsewhere.example/admin/") == "/admin/db/other/"


def test_every_vba_page_names_its_database_in_title_header_and_breadcrumbs(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    for path in ("", "add/", "DEMO0007/change/", "DEMO0007/history/", "DEMO0007/delete/"):
        page = staff.get(auths("other") + path).content.decode()
        assert "| Database other | Records admin</title>" in page, path
        assert 'id="vba-database-name"' in page and "Database: other" in page, path
        assert '<div class="breadcrumbs vba-database-crumb"><a href="/admin/db/other/">Database other</a>' in page, path
    spry = staff.get("/admin/").content.decode()
    assert "vba-database-crumb" not in spry and "Database: " not in spry


def test_recent_actions_link_to_the_database_the_change_was_made_in(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    form = submitted(staff.get(auths("other") + "DEMO0007/change/").content.decode(), "auth_form")
    form["assigned_user"] = "CHANGED"
    staff.post(auths("other") + "DEMO0007/change/", form)
    assert LogEntry.objects.count() == 1
    for home in ("/admin/", "/admin/db/demo/"):
        page = staff.get(home).content.decode()
        assert f'<a href="{auths("other")}DEMO0007/change/">Auth DEMO0007</a>' in page
        assert "Auth · database other" in page


def test_the_care_case_history_page_opens(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    with use_vba_database("demo"):
        CareCase.objects.get(pk=7)  # made through the batch engine, with a history row
    response = staff.get("/admin/db/demo/carecases/carecase/7/history/")
    assert response.status_code == 200
    assert "CM-demo" in response.content.decode() or "Care case" in response.content.decode()


def test_an_untouched_save_changes_nothing(same_key_in_both: None) -> None:
    staff = login("demo")
    before, rows = stored("demo"), history_rows("demo")
    assert before.narrative is None
    page = staff.get(auths("demo") + "DEMO0007/change/").content.decode()
    response = staff.post(auths("demo") + "DEMO0007/change/", submitted(page, "auth_form"), follow=True)
    assert response.status_code == 200
    assert "Nothing was changed, so nothing was saved." in response.content.decode()
    after = stored("demo")
    assert (after.narrative, after.notes, after.update_date, after.update_user) == (
        before.narrative,
        before.notes,
        before.update_date,
        before.update_user,
    )
    assert history_rows("demo") == rows
    assert not LogEntry.objects.exists()


def test_changing_one_field_writes_only_that_field(same_key_in_both: None) -> None:
    staff = login("demo")
    with use_vba_database("demo"):
        Auth.objects.filter(pk="DEMO0007").update(notes="line one\nline two", provider_id=" PRV ")  # setup only
    page = staff.get(auths("demo") + "DEMO0007/change/").content.decode()
    form = submitted(page, "auth_form")
    form["assigned_user"] = "EDITED"
    assert staff.post(auths("demo") + "DEMO0007/change/", form).status_code == 302
    after = stored("demo")
    assert (after.assigned_user, after.notes, after.provider_id, after.narrative) == (
        "EDITED",
        "line one\nline two",
        " PRV ",
        None,
    )


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("amount_approved", "4004.7700e", "Amount approved: “4004.7700e” is not a valid number."),
        ("visits_approved", "1x6", "Visits approved: “1x6” is not a valid number."),
        ("care_manager_key", "12.5", "Care manager key: “12.5” is not a valid whole number."),
        ("received_date_0", "2026-13-45", "Received date: enter a valid date (YYYY-MM-DD)."),
    ],
)
def test_a_malformed_value_is_refused_naming_the_field_with_what_was_typed_kept(
    same_key_in_both: None, field: str, typed: str, message: str
) -> None:
    staff = login("demo")
    before = stored("demo")
    page = staff.get(auths("demo") + "DEMO0007/change/").content.decode()
    assert 'name="amount_approved" value="4004.77"' in page  # no trailing zeros
    assert 'name="visits_approved" value="16"' in page
    form = submitted(page, "auth_form")
    form[field] = typed
    response = staff.post(auths("demo") + "DEMO0007/change/", form)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'name="{field}" value="{typed}"' in html
    after = stored("demo")
    assert (after.amount_approved, after.visits_approved, after.update_date) == (
        before.amount_approved,
        before.visits_approved,
        before.update_date,
    )


def test_a_date_without_a_time_means_midnight(same_key_in_both: None) -> None:
    staff = login("demo")
    form = submitted(staff.get(auths("demo") + "DEMO0007/change/").content.decode(), "auth_form")
    form.update({"injury_date_0": "2026-02-03", "injury_date_1": ""})
    assert staff.post(auths("demo") + "DEMO0007/change/", form).status_code == 302
    injury = stored("demo").injury_date
    assert injury is not None and (injury.date().isoformat(), injury.hour, injury.minute) == ("2026-02-03", 0, 0)


def test_history_shows_changes_in_staff_terms(same_key_in_both: None) -> None:
    staff = login("demo")
    form = submitted(staff.get(auths("demo") + "DEMO0007/change/").content.decode(), "auth_form")
    form.update({"amount_approved": "5000", "visits_approved": "", "reins_notification_date_0": "2026-03-04"})
    assert staff.post(auths("demo") + "DEMO0007/change/", form).status_code == 302
    page = " ".join(staff.get(auths("demo") + "DEMO0007/history/").content.decode().split())
    assert "<strong>Amount approved:</strong> 4004.77" in page  # label, no trailing zeros
    assert "&nbsp;&rarr;&nbsp;&nbsp;5000" in page
    assert "<strong>Visits approved:</strong> 16" in page and "&nbsp;&nbsp;—" in page
    assert "<strong>Reinsurance notification date:</strong>" in page and "2026-03-04" in page


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/{user}/change/",
        "/admin/api/databasegrant/",
        "/admin/api/databasegrant/add/",
        "/admin/authorizations/authorization/",
        "/admin/authorizations/payer/",
    ],
)
def test_spry_and_user_pages_carry_no_database(same_key_in_both: None, path: str) -> None:
    staff = login("demo", "other", superuser=True)
    person = get_user_model().objects.get(username="staffer")
    response = staff.get(path.format(user=person.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="vba-database-name"' not in page and "vba-database-crumb" not in page
    assert "| Database " not in page.split("</title>")[0]
    if path == "/admin/":  # the first page counts each database's Auths in that database's own row
        rows = {row.split('"', 1)[0]: row.split("</tr>", 1)[0] for row in page.split('id="vba-database-row-')[1:]}
        assert "IN-DEMO" in rows["demo"] and "IN-OTHE" not in rows["demo"]
        assert "IN-OTHE" in rows["other"] and "IN-DEMO" not in rows["other"]
    else:
        assert "IN-DEMO" not in page and "IN-OTHE" not in page


@pytest.mark.parametrize("path", ["auth/user/", "api/databasegrant/", "authorizations/authorization/"])
def test_a_vba_database_has_no_user_grant_or_spry_pages(same_key_in_both: None, path: str) -> None:
    staff = login("demo", "other", superuser=True)
    assert staff.get(f"/admin/db/demo/{path}").status_code == 404


def test_grants_pick_a_configured_database_and_are_edited_from_the_user_page(same_key_in_both: None) -> None:
    staff = login("demo", superuser=True)
    person = get_user_model().objects.create_user("nurse", password="pw", is_staff=True)
    url = f"/admin/auth/user/{person.pk}/change/"
    page = staff.get(url).content.decode()
    assert "VBA database grants" in page
    assert '<select name="vba_grants-__prefix__-database"' in page  # a list, not a text box
    assert '<option value="demo">demo</option>' in page and '<option value="other">other</option>' in page
    form = submitted(page, "user_form")
    form.update({"vba_grants-TOTAL_FORMS": "1", "vba_grants-0-database": "Demo", "vba_grants-0-user": str(person.pk)})
    response = staff.post(url, form)
    assert response.status_code == 200  # refused: "Demo" is not a configured database
    assert "Select a valid choice. Demo is not one of the available choices." in response.content.decode()
    assert not DatabaseGrant.objects.filter(user=person).exists()
    form["vba_grants-0-database"] = "other"
    assert staff.post(url, form).status_code == 302
    assert list(DatabaseGrant.objects.filter(user=person).values_list("database", flat=True)) == ["other"]
    page = staff.get(url).content.decode()
    assert '<option value="other" selected>other</option>' in page  # visible, and editable, from the user page
    grant = DatabaseGrant.objects.get(user=person)
    form = submitted(page, "user_form")
    assert form["vba_grants-0-id"] == str(grant.pk)
    form["vba_grants-0-database"] = "demo"
    assert staff.post(url, form).status_code == 302
    assert list(DatabaseGrant.objects.filter(user=person).values_list("database", flat=True)) == ["demo"]
    add_page = staff.get("/admin/api/databasegrant/add/").content.decode()
    assert '<select name="database"' in add_page and '<option value="other">other</option>' in add_page


def test_add_and_delete_pages_act_in_their_own_database_after_another_tab_switched(same_key_in_both: None) -> None:
    staff = login("demo", "other")
    add_page = staff.get(auths("demo") + "add/").content.decode()  # tab A: demo's add form
    delete_page = staff.get(auths("demo") + "DEMO0007/delete/").content.decode()  # tab A': demo's delete confirmation
    staff.get("/admin/vba-database/", {"database": "other", "next": auths("demo")})  # tab B switches to other
    assert "IN-OTHE" in staff.get(auths("other")).content.decode()
    form = submitted(add_page, "auth_form")
    form.update({"auth_number": "ADDED-IN-A", "tplan_printed": "N"})
    assert staff.post(auths("demo") + "add/", form).status_code == 302
    assert staff.post(auths("demo") + "DEMO0007/delete/", {"post": "yes", **version_in(delete_page)}).status_code == 302
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="ADDED-IN-A").exists() and not Auth.objects.filter(pk="DEMO0007").exists()
    with use_vba_database("other"):
        assert not Auth.objects.filter(pk="ADDED-IN-A").exists() and Auth.objects.filter(pk="DEMO0007").exists()
