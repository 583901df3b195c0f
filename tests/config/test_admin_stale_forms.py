"""No silent overwrite in the admin (issue 19, item 7): two staff members open the same record; the first saves, the
second's save (delete, revert, list action) of the page read before that change is refused — shown again with who
changed what meanwhile, what the second one typed kept, and the record's new version, so that a deliberate second
save goes through."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from authorizations.models import Auth, Authorization, AuthorizationIcdCode
from authorizations.spry.services import authorization_update
from authorizations.vba.services import auth_batch_upsert
from carecases.models import CareCase, CarePlan
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.admin.sites import ROW_VERSION_FIELD, VERSION_FIELD
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import make_authorization
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

DEMO = "/admin/db/demo"
SPRY = "/admin/authorizations/authorization/"


def staff_client(username: str) -> Client:
    user = get_user_model().objects.create_superuser(username, password=f"{username}-password")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ann(db: Any) -> Client:
    return staff_client("ann")


@pytest.fixture
def ben(db: Any) -> Client:
    return staff_client("ben")


@pytest.fixture
def records(db: Any) -> None:
    """Auth A100 and A200, care plan 1 and care case 7 in ``demo``."""
    with use_vba_database("demo"):
        items = [auth_item("A100", notes="as read", status="OPEN"), auth_item("A200", status="OPEN")]
        assert auth_batch_upsert(items=items, user=None).counts() == {201: 2}
        care_plan_batch_upsert(items=[plan_item(1, care_Type="DIABETES", description="as read")], user=None)
        care_case_batch_upsert(items=[case_item(7, case_ID="CM-7", case_Reason="as read")], user=None)


def conflict_box(page: str) -> str:
    """The text of the refusal at the top of a page (tags removed)."""
    found = re.search(r'<div class="errornote record-conflict" id="record-conflict".*?</div>', page, re.S)
    assert found, "the page has no record-conflict box"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(0)))


def open_form(client: Client, url: str, form_id: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    form = submitted(response.content.decode(), form_id)
    assert form[VERSION_FIELD]
    return form


VBA_CASES = [
    # (change URL, form id, field, its label, how to read the stored value)
    (f"{DEMO}/authorizations/auth/A100/change/", "auth_form", "notes", "Notes", lambda: Auth.objects.get(pk="A100")),
    (
        f"{DEMO}/carecases/careplan/1/change/",
        "careplan_form",
        "description",
        "Description",
        lambda: CarePlan.objects.get(pk=1),
    ),
    (
        f"{DEMO}/carecases/carecase/7/change/",
        "carecase_form",
        "case_reason",
        "Case reason",
        lambda: CareCase.objects.get(pk=7),
    ),
]


@pytest.mark.parametrize(("url", "form_id", "field", "label", "stored"), VBA_CASES, ids=["auth", "plan", "case"])
def test_a_stale_vba_form_is_refused_with_who_changed_what_and_the_typed_value_kept(
    ann: Client, ben: Client, records: None, url: str, form_id: str, field: str, label: str, stored: Any
) -> None:
    ann_form, ben_form = open_form(ann, url, form_id), open_form(ben, url, form_id)
    assert ann_form[VERSION_FIELD] == ben_form[VERSION_FIELD]
    ann_form[field] = "ann's change"
    assert ann.post(url, ann_form).status_code == 302

    ben_form[field] = "ben's change"
    response = ben.post(url, ben_form)
    assert response.status_code == 409
    page = response.content.decode()
    box = conflict_box(page)
    assert "changed by ann" in box and f"{label}: as read → ann's change" in box
    assert "Nothing was saved" in page and "Database: demo" in page  # the page still names its database
    again = submitted(page, form_id)
    assert again[field] == "ben's change"  # what ben typed is still in the field
    assert again[VERSION_FIELD] not in (ben_form[VERSION_FIELD], "")  # the refused form carries the new version
    with use_vba_database("demo"):
        assert getattr(stored(), field) == "ann's change"

    assert ben.post(url, again).status_code == 302  # ben has seen the change: his second save goes through
    with use_vba_database("demo"):
        record = stored()
        assert (getattr(record, field), record.update_user) == ("ben's change", "ben")


@pytest.mark.parametrize(("url", "form_id", "field", "label", "stored"), VBA_CASES, ids=["auth", "plan", "case"])
def test_a_second_save_of_a_refused_form_keeps_the_change_made_meanwhile(
    ann: Client, ben: Client, records: None, url: str, form_id: str, field: str, label: str, stored: Any
) -> None:
    """Ben changes another field than Ann did: the refused page shows Ann's value in the field Ben left alone, and
    Ben's second save keeps it (the old value the page was read with is never written back)."""
    ann_form, ben_form = open_form(ann, url, form_id), open_form(ben, url, form_id)
    ann_form[field] = "ann's change"
    assert ann.post(url, ann_form).status_code == 302
    other = {"auth_form": "assigned_user", "careplan_form": "care_type", "carecase_form": "case_id"}[form_id]
    ben_form[other] = "BEN"
    refused = ben.post(url, ben_form)
    assert refused.status_code == 409
    again = submitted(refused.content.decode(), form_id)
    assert (again[field], again[other]) == ("ann's change", "BEN")
    assert ben.post(url, again).status_code == 302
    with use_vba_database("demo"):
        record = stored()
        assert (getattr(record, field), getattr(record, other)) == ("ann's change", "BEN")


def test_a_change_made_through_the_api_meanwhile_refuses_the_form_too(ann: Client, records: None) -> None:
    url = f"{DEMO}/authorizations/auth/A100/change/"
    form = open_form(ann, url, "auth_form")
    with use_vba_database("demo"):
        auth_batch_upsert(items=[auth_item("A100", notes="from the API", status="OPEN")], user=None)
    form["assigned_user"] = "EDITED"
    response = ann.post(url, form)
    assert response.status_code == 409
    box = conflict_box(response.content.decode())
    assert "no staff user" in box and "Notes: as read → from the API" in box
    with use_vba_database("demo"):
        assert (Auth.objects.get(pk="A100").assigned_user, Auth.objects.get(pk="A100").status) == (None, "OPEN")


def test_a_form_shown_again_for_a_typing_error_keeps_the_version_it_was_read_at(
    ann: Client, ben: Client, records: None
) -> None:
    url = f"{DEMO}/authorizations/auth/A100/change/"
    form = open_form(ann, url, "auth_form")
    form["amount_approved"] = "12x"
    response = ann.post(url, form)
    page = response.content.decode()
    assert response.status_code == 200 and "record-conflict" not in page  # a typing error is not a conflict
    again = submitted(page, "auth_form")
    assert again[VERSION_FIELD] == form[VERSION_FIELD]
    ben_form = open_form(ben, url, "auth_form")
    ben_form["notes"] = "ben's notes"
    assert ben.post(url, ben_form).status_code == 302
    again["amount_approved"] = "12"
    response = ann.post(url, again)  # the page ann corrected was read before ben's change
    assert response.status_code == 409 and "changed by ben" in conflict_box(response.content.decode())
    with use_vba_database("demo"):
        assert (Auth.objects.get(pk="A100").amount_approved, Auth.objects.get(pk="A100").notes) == (None, "ben's notes")


def test_the_change_and_its_check_run_with_the_row_locked(ann: Client, ben: Client, records: None) -> None:
    """The check reads the record with ``SELECT … FOR UPDATE`` on its own database, in the transaction that then
    writes it (PostgreSQL; SQLite has no row locks and serialises writers)."""
    url = f"{DEMO}/authorizations/auth/A100/change/"
    form = open_form(ann, url, "auth_form")
    form["notes"] = "locked"
    with CaptureQueriesContext(connections["demo"]) as queries:
        assert ann.post(url, form).status_code == 302
    statements = [q["sql"] for q in queries.captured_queries]
    if connections["demo"].features.has_select_for_update:
        lock = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
        write = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE") and "auth" in sql.lower())
        assert lock < write
    else:
        begin = next(i for i, sql in enumerate(statements) if "SAVEPOINT" in sql or "BEGIN" in sql)
        check = next(i for i, sql in enumerate(statements) if "MAX" in sql.upper() and "history" in sql.lower())
        write = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE"))
        assert begin < check < write


# -- Spry authorizations -------------------------------------------------------------------------------------


def spry_url(view: str, authorization: Authorization) -> str:
    return reverse(f"admin:authorizations_authorization_{view}", args=[quote(authorization.pk)])


@pytest.fixture
def spry(db: Any) -> Authorization:
    return make_authorization(comments="as read")


def test_a_stale_spry_form_is_refused_when_only_an_icd_row_changed(
    ann: Client, ben: Client, spry: Authorization
) -> None:
    url = spry_url("change", spry)
    ann_form, ben_form = open_form(ann, url, "authorization_form"), open_form(ben, url, "authorization_form")
    old_code = ann_form["icd_codes-0-code"]
    ann_form["icd_codes-0-code"] = "Z99.9"  # only the list changes
    assert ann.post(url, ann_form).status_code == 302

    ben_form["comments"] = "ben's comment"
    response = ben.post(url, ben_form)
    assert response.status_code == 409
    page = response.content.decode()
    box = conflict_box(page)
    assert "changed by ann" in box and "ICD codes: changed Z99.9" in box and f"Code {old_code} → Z99.9" in box
    again = submitted(page, "authorization_form")
    assert again["comments"] == "ben's comment"
    spry.refresh_from_db()
    assert spry.comments == "as read"
    assert AuthorizationIcdCode.objects.filter(authorization=spry, code="Z99.9").exists()

    assert again["icd_codes-0-code"] == "Z99.9"  # ann's change, which ben left alone, shows as it is now
    assert ben.post(url, again).status_code == 302
    spry.refresh_from_db()
    assert spry.comments == "ben's comment"
    assert AuthorizationIcdCode.objects.filter(authorization=spry, code="Z99.9").exists()  # not undone by ben


def test_a_stale_spry_form_is_refused_after_an_api_list_replacement(ann: Client, spry: Authorization) -> None:
    url = spry_url("change", spry)
    form = open_form(ann, url, "authorization_form")
    authorization_update(
        authorization=spry,
        data={"cpt_code_authorization_details": [{"cpt_code": "97999", "units_approved": 3}]},
        user=None,
    )
    form["comments"] = "typed"
    response = ann.post(url, form)
    assert response.status_code == 409
    box = conflict_box(response.content.decode())
    assert "CPT code authorization details: added 97999" in box and "no staff user" in box
    assert "Units approved 3" in box  # what the added row holds (it is not in the refused form)
    spry.refresh_from_db()
    assert spry.comments == "as read"


def test_a_stale_payer_form_is_refused(ann: Client, ben: Client, spry: Authorization) -> None:
    payer = spry.payer
    assert payer is not None
    url = reverse("admin:authorizations_payer_change", args=[payer.pk])
    ann_form, ben_form = open_form(ann, url, "payer_form"), open_form(ben, url, "payer_form")
    ann_form["name"] = "Ann's payer"
    assert ann.post(url, ann_form).status_code == 302
    ben_form["payer_state"] = "NV"
    response = ben.post(url, ben_form)
    assert response.status_code == 409
    assert "changed by ann" in conflict_box(response.content.decode())
    payer.refresh_from_db()
    assert (payer.name, payer.payer_state) == ("Ann's payer", spry.payer.payer_state)  # type: ignore[union-attr]


# -- delete confirmations ----------------------------------------------------------------------------------------


def test_a_stale_delete_confirmation_deletes_nothing(ann: Client, ben: Client, records: None) -> None:
    delete = f"{DEMO}/authorizations/auth/A100/delete/"
    change = f"{DEMO}/authorizations/auth/A100/change/"
    confirmation = ann.get(delete).content.decode()
    confirm = {"post": "yes", VERSION_FIELD: re.search(rf'name="{VERSION_FIELD}" value="([^"]+)"', confirmation)[1]}  # type: ignore[index]
    ben_form = open_form(ben, change, "auth_form")
    ben_form["notes"] = "ben's notes"
    assert ben.post(change, ben_form).status_code == 302

    response = ann.post(delete, confirm)
    assert response.status_code == 409
    page = response.content.decode()
    box = conflict_box(page)
    assert "Not deleted" in box and "changed by ben" in box and "Notes" in box
    with use_vba_database("demo"):
        assert Auth.objects.filter(pk="A100").exists()
    newer = re.search(rf'name="{VERSION_FIELD}" value="([^"]+)"', page)[1]  # type: ignore[index]
    assert newer != confirm[VERSION_FIELD]
    assert ann.post(delete, {"post": "yes", VERSION_FIELD: newer}).status_code == 302  # confirmed again: deleted
    with use_vba_database("demo"):
        assert not Auth.objects.filter(pk="A100").exists()


def test_a_stale_spry_delete_confirmation_deletes_nothing(ann: Client, spry: Authorization) -> None:
    confirmation = ann.get(spry_url("delete", spry)).content.decode()
    version = re.search(rf'name="{VERSION_FIELD}" value="([^"]+)"', confirmation)[1]  # type: ignore[index]
    authorization_update(authorization=spry, data={"comments": "changed by the API"}, user=None)
    response = ann.post(spry_url("delete", spry), {"post": "yes", VERSION_FIELD: version})
    assert response.status_code == 409
    assert "Comments" in conflict_box(response.content.decode())
    assert Authorization.objects.filter(pk=spry.pk).exists()


# -- list actions ----------------------------------------------------------------------------------------------


def row_versions(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf'name="{ROW_VERSION_FIELD}" value="([^"]+)"', page)]


def test_a_writing_list_action_on_a_stale_row_does_nothing(ann: Client, ben: Client, records: None) -> None:
    auths = f"{DEMO}/authorizations/auth/"
    versions = row_versions(ann.get(auths).content.decode())
    assert {v.split(" ", 1)[1] for v in versions} == {"A100", "A200"}
    change = f"{DEMO}/authorizations/auth/A100/change/"
    ben_form = open_form(ben, change, "auth_form")
    ben_form["notes"] = "ben's notes"
    assert ben.post(change, ben_form).status_code == 302

    action = {"action": "delete_selected", "_selected_action": ["A100", "A200"], "index": "0"}
    response = ann.post(auths, {**action, ROW_VERSION_FIELD: versions}, follow=True)
    page = html.unescape(response.content.decode())
    assert "Nothing was done: A100 was changed by ben (Notes) after this list was shown" in page
    assert "ben&#x27;s notes" not in page and "ben's notes" not in page  # a list message names fields, no values
    with use_vba_database("demo"):
        assert set(Auth.objects.values_list("pk", flat=True)) == {"A100", "A200"}
    # a read-only action (an export) on the same rows is not refused
    export = {"action": "export_selected_json", "_selected_action": ["A100"], "index": "0"}
    assert ann.post(auths, {**export, ROW_VERSION_FIELD: versions}).status_code == 200

    # the list shown again carries the new versions: the action now asks for its confirmation, which carries them
    fresh = row_versions(ann.get(auths).content.decode())
    confirmation = ann.post(auths, {**action, ROW_VERSION_FIELD: fresh})
    assert confirmation.status_code == 200 and "Are you sure" in confirmation.content.decode()
    confirmed = row_versions(confirmation.content.decode())
    assert sorted(confirmed) == sorted(fresh)

    # a change between the confirmation page and its confirmation refuses it too
    ben_form = open_form(ben, f"{DEMO}/authorizations/auth/A200/change/", "auth_form")
    ben_form["assigned_user"] = "BEN"
    assert ben.post(f"{DEMO}/authorizations/auth/A200/change/", ben_form).status_code == 302
    confirm = {"action": "delete_selected", "_selected_action": ["A100", "A200"], "post": "yes"}
    response = ann.post(auths, {**confirm, ROW_VERSION_FIELD: confirmed}, follow=True)
    assert "Nothing was done: A200 was changed by ben (Assigned user)" in html.unescape(response.content.decode())
    with use_vba_database("demo"):
        assert Auth.objects.count() == 2


def test_the_expire_action_on_a_stale_spry_row_expires_nothing(ann: Client, ben: Client, spry: Authorization) -> None:
    other = make_authorization(comments="other")
    versions = row_versions(ann.get(SPRY).content.decode())
    url = spry_url("change", spry)
    ben_form = open_form(ben, url, "authorization_form")
    ben_form["comments"] = "ben's comment"
    assert ben.post(url, ben_form).status_code == 302

    action = {"action": "expire_selected", "_selected_action": [spry.pk, other.pk], "index": "0"}
    response = ann.post(SPRY, {**action, ROW_VERSION_FIELD: versions}, follow=True)
    assert f"Nothing was done: {spry.pk} was changed by ben (Comments)" in html.unescape(response.content.decode())
    assert set(Authorization.objects.values_list("authorization_status", flat=True)) == {"ACTIVE"}

    fresh = row_versions(ann.get(SPRY).content.decode())
    confirmation = ann.post(SPRY, {**action, ROW_VERSION_FIELD: fresh})
    assert confirmation.status_code == 200 and len(row_versions(confirmation.content.decode())) == 2
    confirm = {"action": "expire_selected", "_selected_action": [spry.pk, other.pk], "post": "yes"}
    done = ann.post(SPRY, {**confirm, ROW_VERSION_FIELD: row_versions(confirmation.content.decode())}, follow=True)
    assert "2 authorization(s) set to EXPIRED" in done.content.decode()


def test_a_writing_action_reads_the_rows_keys_as_they_are_not_as_admin_quoted_urls(ann: Client) -> None:
    """A list posts each row's key itself; "auth_40…" read as an admin URL's quoted key is "auth@…", a record that
    does not exist, and the action was refused as if the row had been deleted (one Spry key in about ten)."""
    rows = [make_authorization(authorization_id=f"auth_{code}006fb6c874cf66da99f033") for code in ("40", "5F", "2F")]
    versions = row_versions(ann.get(SPRY).content.decode())
    action = {"action": "expire_selected", "_selected_action": [row.pk for row in rows], "index": "0"}
    confirmation = ann.post(SPRY, {**action, ROW_VERSION_FIELD: versions})
    assert confirmation.status_code == 200 and len(row_versions(confirmation.content.decode())) == 3
    confirm = {**action, "post": "yes", ROW_VERSION_FIELD: row_versions(confirmation.content.decode())}
    done = ann.post(SPRY, confirm, follow=True)
    assert "3 authorization(s) set to EXPIRED" in done.content.decode()
    assert set(Authorization.objects.values_list("authorization_status", flat=True)) == {"EXPIRED"}


def test_a_stale_revert_form_is_refused(ann: Client, ben: Client, records: None) -> None:
    """simple-history's "Revert" form writes the record too: it carries the version of the record as it is."""
    with use_vba_database("demo"):
        first = Auth.history.filter(auth_number="A100").earliest("history_id")  # type: ignore[attr-defined]
    url = f"{DEMO}/authorizations/auth/A100/history/{first.history_id}/"
    response = ann.get(url)
    assert response.status_code == 200
    form = submitted(response.content.decode(), "historicalauth_form")
    assert form[VERSION_FIELD]
    form["assigned_user"] = "REVERTED"  # the revert form writes what differs from the version shown (StrictModelForm)
    change = f"{DEMO}/authorizations/auth/A100/change/"
    ben_form = open_form(ben, change, "auth_form")
    ben_form["notes"] = "ben's notes"
    assert ben.post(change, ben_form).status_code == 302
    response = ann.post(url, form)
    assert response.status_code == 409 and "Not reverted" in conflict_box(response.content.decode())
    with use_vba_database("demo"):
        assert (Auth.objects.get(pk="A100").assigned_user, Auth.objects.get(pk="A100").notes) == (None, "ben's notes")
    again = submitted(response.content.decode(), "historicalauth_form")
    assert again["assigned_user"] == "REVERTED"
    assert ann.post(url, again).status_code == 302  # ann has seen ben's change: her second try goes through
    with use_vba_database("demo"):
        assert Auth.objects.get(pk="A100").assigned_user == "REVERTED"


def test_revert_restores_the_version_pressed_as_it_is_shown(ann: Client, records: None) -> None:
    """Pressing "Revert" on a history version, nothing typed, writes that version (it used to write nothing and say
    it had changed the record); the decision is kept (decision 17: only Decide makes one), and says so."""
    change = f"{DEMO}/authorizations/auth/A100/change/"
    form = open_form(ann, change, "auth_form")
    form["notes"] = "edited later"
    assert ann.post(change, form).status_code == 302
    with use_vba_database("demo"):
        first = Auth.history.filter(auth_number="A100").earliest("history_id")  # type: ignore[attr-defined]
        rows = Auth.history.filter(auth_number="A100").count()  # type: ignore[attr-defined]
    url = f"{DEMO}/authorizations/auth/A100/history/{first.history_id}/"
    reverted = ann.post(url, submitted(ann.get(url).content.decode(), "historicalauth_form"), follow=True)
    assert "was changed successfully" in reverted.content.decode()
    with use_vba_database("demo"):
        assert Auth.objects.get(pk="A100").notes == "as read"
        assert Auth.history.filter(auth_number="A100").count() == rows + 1  # type: ignore[attr-defined]
        Auth.objects.filter(pk="A100").update(status="APPROVED")  # a decision since (as process-status writes it)
    again = ann.post(url, submitted(ann.get(url).content.decode(), "historicalauth_form"), follow=True)
    page = html.unescape(again.content.decode())
    assert "is not restored by a revert: a decision is made only with Decide" in page
    assert "Nothing was changed, so nothing was saved." in page and "was changed successfully" not in page
    with use_vba_database("demo"):
        assert Auth.objects.get(pk="A100").status == "APPROVED"
        assert Auth.history.filter(auth_number="A100").count() == rows + 1  # type: ignore[attr-defined]


def test_many_changes_meanwhile_list_the_newest_and_count_the_rest(ann: Client, records: None) -> None:
    url = f"{DEMO}/authorizations/auth/A100/change/"
    form = open_form(ann, url, "auth_form")
    with use_vba_database("demo"):
        for n in range(1, 23):
            auth_batch_upsert(items=[auth_item("A100", notes=f"API note {n}", status="OPEN")], user=None)
    form["assigned_user"] = "EDITED"
    response = ann.post(url, form)
    assert response.status_code == 409
    box = conflict_box(response.content.decode())
    assert box.count("no staff user") == 20 and "… and 2 earlier change(s)" in box
    assert "Notes: API note 2 → API note 3" in box and "Notes: API note 21 → API note 22" in box
    assert "API note 1 → API note 2" not in box


def test_a_save_or_delete_that_carries_no_version_is_refused_and_a_resubmit_passes(ann: Client, records: None) -> None:
    """A post that does not say which version it showed (a script, a page older than the rule) cannot tell a change
    made meanwhile from its own: refused like a stale page, and the form shown again carries the version."""
    url = f"{DEMO}/authorizations/auth/A100/change/"
    form = open_form(ann, url, "auth_form")
    del form[VERSION_FIELD]
    form["notes"] = "typed without a version"
    refused = ann.post(url, form)
    assert refused.status_code == 409
    assert "did not say which version of this Auth A100 it showed" in conflict_box(refused.content.decode())
    with use_vba_database("demo"):
        assert Auth.objects.get(pk="A100").notes == "as read"
    again = submitted(refused.content.decode(), "auth_form")
    assert again["notes"] == "typed without a version"  # what was typed is kept, with the version to save it
    assert ann.post(url, again).status_code == 302
    deleted = ann.post(f"{DEMO}/authorizations/auth/A200/delete/", {"post": "yes"})
    assert deleted.status_code == 409
    with use_vba_database("demo"):
        assert Auth.objects.get(pk="A100").notes == "typed without a version"
        assert Auth.objects.filter(pk="A200").exists()


def test_a_spry_history_says_what_a_revert_leaves_and_no_none_reason(ann: Client, spry: Authorization) -> None:
    page = ann.get(spry_url("history", spry)).content.decode()
    assert "its ICD codes and CPT code authorization details stay as they are now" in page
    assert not re.findall(r"<td>\s*(None)\s*</td>", page), "an empty reason or user reads None"
    assert "no staff user (an API client or a command)" in page  # made without a staff user
