""" "Export" on the admin lists of Auths, CareCases and Spry Authorizations: the list as the page filters and searches
it (or the selected rows) downloaded as CSV or JSON in the commands' shapes, streamed, from the database of the
page's URL only, for staff who may view the list there, and recorded."""

from __future__ import annotations

import contextvars
import csv
import io
import json
import logging
import tracemalloc
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client, RequestFactory
from django.urls import resolve

from authorizations.models import Auth
from authorizations.vba.services import auth_batch_upsert
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.admin.export import ExportAdminMixin
from config.api.models import AdminExport, DatabaseGrant
from config.serving.tenancy import selected_vba_database, use_vba_database
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import make_authorization
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

AUTHS = "/admin/db/{}/authorizations/auth/"
CASES = "/admin/db/{}/carecases/carecase/"
SPRY = "/admin/authorizations/authorization/"


def staff(*databases: str, name: str = "staffer", perms: tuple[str, ...] = ("view",)) -> Client:
    """A staff member granted ``databases`` with the ``perms`` (view, change…) of the record models."""
    person = get_user_model().objects.create_user(name, password="pw", is_staff=True)
    codenames = [f"{perm}_{model}" for perm in perms for model in ("auth", "carecase", "authorization")]
    person.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    for database in databases:
        DatabaseGrant.objects.create(user=person, database=database)
    client = Client()
    client.force_login(person)
    return client


def add_auths(database: str, *items: dict[str, Any]) -> None:
    with use_vba_database(database):
        assert auth_batch_upsert(items=list(items), user=None).counts() == {201: len(items)}


@pytest.fixture
def auths() -> None:
    """Demo: four Auths, two of them APPROVED for subscribers starting SUB1. Other: A1 with other values and O9."""
    add_auths(
        "demo",
        auth_item("A1", status="APPROVED", subscriber_ID="SUB1", amount_Approved=4004.77, notes="Ann, knee"),
        auth_item("A2", status="APPROVED", subscriber_ID="SUB2"),
        auth_item("A3", status="DENIED", subscriber_ID="SUB1"),
        auth_item("A4", status="APPROVED", subscriber_ID="SUB1X", amount_Approved=12),
    )
    add_auths(
        "other",
        auth_item("A1", status="APPROVED", subscriber_ID="SUB1", amount_Approved=99, notes="other database"),
        auth_item("O9", status="APPROVED", subscriber_ID="SUB1"),
    )


def download(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    assert response.streaming, "the export is streamed"
    return b"".join(response.streaming_content).decode()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def page_keys(client: Client, url: str, query: dict[str, str]) -> list[str]:
    """The keys of the rows the list page shows for ``query``."""
    return [str(obj.pk) for obj in client.get(url, query).context["cl"].result_list]


def test_the_filtered_and_searched_list_exports_as_the_page_shows_it(auths: None) -> None:
    client = staff("demo", "other")
    query = {"status__exact": "APPROVED", "q": "SUB1", "o": "1"}
    assert page_keys(client, AUTHS.format("demo"), query) == ["A1", "A4"]
    response = client.get(AUTHS.format("demo") + "export/csv/", query)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="auths-demo-2') and disposition.endswith('Z.csv"')
    rows = csv_rows(download(response))
    assert [row["auth_Number"] for row in rows] == ["A1", "A4"]
    assert [(row["status"], row["subscriber_ID"], row["amount_Approved"]) for row in rows] == [
        ("APPROVED", "SUB1", "4004.77"),
        ("APPROVED", "SUB1X", "12"),
    ]
    assert rows[0]["notes"] == "Ann, knee"  # the demo record, not other's A1


def test_the_list_link_on_the_page_carries_its_filters_and_search(auths: None) -> None:
    page = staff("demo").get(AUTHS.format("demo"), {"status__exact": "APPROVED", "q": "SUB1", "p": "1"})
    html = page.content.decode()
    assert 'href="/admin/db/demo/authorizations/auth/export/csv/?status__exact=APPROVED&amp;q=SUB1"' in html
    assert 'href="/admin/db/demo/authorizations/auth/export/json/?status__exact=APPROVED&amp;q=SUB1"' in html


def test_the_json_export_is_what_export_auths_writes(auths: None) -> None:
    text = download(staff("demo").get(AUTHS.format("demo") + "export/json/", {"o": "1"}))
    command = io.StringIO()
    call_command("export_auths", "--database", "demo", stdout=command, stderr=io.StringIO())
    assert text == command.getvalue()  # the same bytes as the command's file of the same rows in the same order
    assert [record["auth_Number"] for record in json.loads(text)] == ["A1", "A2", "A3", "A4"]


def test_the_other_database_exports_only_its_own_rows(auths: None) -> None:
    rows = csv_rows(download(staff("demo", "other").get(AUTHS.format("other") + "export/csv/", {"o": "1"})))
    assert [(row["auth_Number"], row["notes"]) for row in rows] == [("A1", "other database"), ("O9", "")]


def test_the_selected_rows_export_as_an_action(auths: None) -> None:
    client = staff("demo")
    form = {"action": "export_selected_json", "_selected_action": ["A3", "A1"], "index": "0"}
    response = client.post(AUTHS.format("demo") + "?o=1", form)
    assert response["Content-Disposition"].endswith('Z.json"')
    assert [record["auth_Number"] for record in json.loads(download(response))] == ["A1", "A3"]
    export = AdminExport.objects.get()
    assert (export.selection, export.rows, export.completed, export.format) == (["A3", "A1"], 2, True, "json")


def test_select_all_exports_the_whole_filtered_list(auths: None) -> None:
    form = {"action": "export_selected_csv", "_selected_action": ["A1"], "select_across": "1", "index": "0"}
    response = staff("demo").post(AUTHS.format("demo") + "?status__exact=APPROVED&o=1", form)
    assert [row["auth_Number"] for row in csv_rows(download(response))] == ["A1", "A2", "A4"]
    assert AdminExport.objects.get().selection is None


def test_each_export_is_recorded_and_logged_without_patient_data(auths: None, caplog: pytest.LogCaptureFixture) -> None:
    client = staff("demo")
    with caplog.at_level(logging.INFO, logger="config.admin.export"):
        download(client.get(AUTHS.format("demo") + "export/csv/", {"q": "SUB1"}))
    export = AdminExport.objects.get()
    assert (export.username, export.database, export.model, export.format) == (
        "staffer",
        "demo",
        "authorizations.auth",
        "csv",
    )
    assert (export.format, export.query, export.selection, export.rows, export.completed) == (
        "csv",
        "q=SUB1",
        None,
        3,
        True,
    )
    assert export.user is not None and export.started is not None
    log = [record.getMessage() for record in caplog.records if record.name == "config.admin.export"]
    assert log == [f"admin export {export.pk} by staffer: authorizations.auth list from database demo, 3 row(s)"]
    assert "SUB1" not in caplog.text and "Ann" not in caplog.text


def test_a_download_cut_off_is_recorded_as_incomplete(auths: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("config.admin.export.CHUNK_CHARACTERS", 10)
    assert staff("demo").get(AUTHS.format("demo") + "export/ndjson/").status_code == 404  # formats: csv and json
    url = AUTHS.format("demo") + "export/csv/"
    request = RequestFactory().get(url)
    request.user = get_user_model().objects.get(username="staffer")
    # As a server calls it (the test client wraps the content), in a context of its own: the database the view
    # selects ends with it, as the middleware ends it.
    response = contextvars.copy_context().run(resolve(url).func, request, fmt="csv")
    content = iter(response.streaming_content)
    assert next(content).startswith(b"auth_Number,actual_From,")  # the header
    assert next(content).startswith(b"A1,")  # the first row; then the client goes away
    request_finished.disconnect(close_old_connections)  # keep the test's transaction open, as the test client does
    try:
        response.close()  # what the server does then
    finally:
        request_finished.connect(close_old_connections)
    export = AdminExport.objects.get()
    assert (export.completed, export.rows) == (False, 1)
    assert selected_vba_database() is None


def test_a_json_download_cut_off_mid_export_leaves_the_database_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the JSON is read from a COPY still running when the client goes away: it is cancelled, and the
    page's database serves the next request."""
    monkeypatch.setattr("config.admin.export.CHUNK_CHARACTERS", 10)
    call_command("generate_auths", "--count", "3000", "--database", "demo", "--no-history", stdout=io.StringIO())
    staff("demo")
    url = AUTHS.format("demo") + "export/json/"
    request = RequestFactory().get(url)
    request.user = get_user_model().objects.get(username="staffer")
    response = contextvars.copy_context().run(resolve(url).func, request, fmt="json")
    first = next(iter(response.streaming_content))
    assert first.startswith(b'[\n{"auth_Number": "GEN')
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    export = AdminExport.objects.get()
    assert export.completed is False and 0 < (export.rows or 0) < 3000
    with use_vba_database("demo"):
        assert Auth.objects.count() == 3000
    response = staff("demo", name="second").get(url, {"q": "GEN000000001"})
    assert [r["auth_Number"] for r in json.loads(download(response))] == ["GEN000000001"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_staff_without_a_grant_for_the_database_get_nothing(auths: None, fmt: str) -> None:
    response = staff("other").get(AUTHS.format("demo") + f"export/{fmt}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/db/demo/login/")
    form = {"action": f"export_selected_{fmt}", "_selected_action": ["A1"], "index": "0"}
    response = staff("other", name="second").post(AUTHS.format("demo"), form)
    assert response.status_code == 302 and response["Location"].startswith("/admin/db/demo/login/")
    assert not AdminExport.objects.exists()


def test_staff_without_view_permission_are_refused(auths: None) -> None:
    client = staff("demo", perms=())
    assert client.get(AUTHS.format("demo") + "export/csv/").status_code == 403
    assert client.get(SPRY + "export/csv/").status_code == 403
    assert not AdminExport.objects.exists()


def test_an_unknown_filter_is_the_lists_own_error_not_a_5xx(auths: None) -> None:
    response = staff("demo").get(AUTHS.format("demo") + "export/csv/", {"no_such_field": "1"})
    assert (response.status_code, response["Location"]) == (302, "/admin/db/demo/authorizations/auth/?e=1")
    assert not AdminExport.objects.exists()


def test_care_cases_export_in_their_database(auths: None) -> None:
    for database in ("demo", "other"):
        with use_vba_database(database):
            care_plan_batch_upsert(items=[plan_item(1)], user=None)
            items = [case_item(7, case_ID=f"CM-{database}", case_Status="OPEN"), case_item(8, case_Status="CLOSED")]
            care_case_batch_upsert(items=items, user=None)
    client = staff("demo", "other")
    response = client.get(CASES.format("other") + "export/csv/", {"case_status": "OPEN"})
    assert response["Content-Disposition"].startswith('attachment; filename="care-cases-other-')
    rows = csv_rows(download(response))
    assert [(row["case_Key"], row["case_ID"], row["carePlan_Key"]) for row in rows] == [("7", "CM-other", "1")]


def test_spry_authorizations_export_as_the_spry_api_renders_them(auths: None) -> None:
    make_authorization(authorization_id="auth_" + "a1" * 12, patient_name="Ann Example")
    make_authorization(authorization_id="auth_" + "b2" * 12, patient_name="Bob Example")
    client = staff(name="spry")
    response = client.get(SPRY + "export/json/", {"q": "Ann"})
    assert response["Content-Disposition"].startswith('attachment; filename="authorizations-default-')
    records = json.loads(download(response))
    assert [(r["authorization_id"], r["patient_name"]) for r in records] == [("auth_" + "a1" * 12, "Ann Example")]
    command = io.StringIO()
    call_command("export_authorizations", stdout=command, stderr=io.StringIO())
    assert records == [r for r in json.loads(command.getvalue()) if r["patient_name"] == "Ann Example"]
    assert AdminExport.objects.get().database == "default"


def _export_peak(client: Client) -> tuple[int, int]:
    tracemalloc.start()
    try:
        response = client.get(AUTHS.format("demo") + "export/json/")
        rows = sum(chunk.count(b'"auth_Number"') for chunk in response.streaming_content)  # type: ignore[attr-defined]
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_export_streams_three_times_the_rows_in_about_the_same_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExportAdminMixin, "export_chunk_size", 500)
    client = staff("demo")
    call_command("generate_auths", "--count", "2000", "--database", "demo", "--no-history", stdout=io.StringIO())
    small_rows, small = _export_peak(client)
    call_command("generate_auths", "--count", "4000", "--database", "demo", "--no-history", stdout=io.StringIO())
    large_rows, large = _export_peak(client)
    assert (small_rows, large_rows) == (2000, 6000)
    print(f"peak Python allocations: 2,000 rows {small / 2**20:.1f} MB, 6,000 rows {large / 2**20:.1f} MB")
    assert large < small * 1.3, (small, large)  # holding the rows would take three times as much


def test_the_rows_are_read_after_the_view_returned_from_its_own_database(auths: None) -> None:
    """The test client returns the response before its content is read, as a server does: nothing is selected
    then, and the rows still come from the page's database."""
    response = staff("demo", "other").get(AUTHS.format("other") + "export/json/", {"o": "1"})
    with use_vba_database("demo"):  # whatever the reading thread has selected meanwhile
        keys = [record["auth_Number"] for record in json.loads(download(response))]
    assert keys == ["A1", "O9"]
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="O9").count() == 0
