"""Spry Authorizations in the admin: changelist, filters, search, the form with payer autocomplete and inlines, the
expire action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationCptCode, AuthorizationIcdCode
from authorizations.spry.services import authorization_update
from config.records.dates import render_datetime
from tests.admin_forms import read_version, submitted
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import OTHER_ORG, make_authorization

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGELIST = "/admin/authorizations/authorization/"


def page(view: str, authorization: Authorization) -> str:
    """The admin URL of one authorization's ``view`` page ("change", "history", "delete"), its key escaped."""
    return reverse(f"admin:authorizations_authorization_{view}", args=[quote(authorization.pk)])


def day(offset: int) -> str | None:
    return render_datetime(timezone.now() + dt.timedelta(days=offset))


@pytest.fixture
def staff(db: Any) -> Client:
    user = get_user_model().objects.create_superuser("boss", password="boss-password")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(db: Any) -> dict[str, Authorization]:
    return {
        "soon": make_authorization(
            patient_name="Soon Expiring",
            authorization_reference_number="REF-SOON",
            effective_start_date=day(-30),
            effective_end_date=day(5),
        ),
        "used_up": make_authorization(
            patient_name="Used Up",
            spry_case_id="CASE-USED",
            effective_start_date=day(-60),
            effective_end_date=day(-10),
            authorized_visit_count=10,
            current_visit_count=8,
            previous_consumed_visit_count=3,
        ),
        "plenty": make_authorization(
            patient_name="Plenty Left",
            organisation_id=OTHER_ORG,
            effective_start_date=day(-90),
            effective_end_date=day(-40),
            insurance_payer={"payer_reg_id": 31, "name": "Medicare Utah", "payer_type": "MEDICARE"},
            authorization_status="INACTIVE",
        ),
    }


def listed(response: Any) -> set[str]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_the_changelist_shows_visits_used_over_authorized_with_a_marker(
    staff: Client, rows: dict[str, Authorization]
) -> None:
    response = staff.get(CHANGELIST)
    assert listed(response) == {a.pk for a in rows.values()}
    html = response.content.decode()
    assert "⚠ 11 / 10" in html  # used up: marked
    assert "5 / 20" in html and "⚠ 5 / 20" not in html
    assert "PEHP - Utah Public Employee Health Plan" in html
    soon = rows["soon"]
    assert soon.effective_start_date and soon.effective_end_date
    assert f"{timezone.localdate(soon.effective_start_date)} – {timezone.localdate(soon.effective_end_date)}" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"authorization_status__exact": "INACTIVE"}, {"plenty"}),
        ({"payer__payer_reg_id__exact": "31"}, {"plenty"}),
        ({"organisation": str(OTHER_ORG)}, {"plenty"}),
        ({"organisation": "638"}, {"soon", "used_up"}),
        ({"expires": "14d"}, {"soon"}),
        ({"expires": "passed"}, {"used_up", "plenty"}),
        ({"visits_left": "few"}, {"used_up"}),
        ({"visits_left": "used_up"}, {"used_up"}),
        ({"q": "used"}, {"used_up"}),
        ({"q": "REF-SOON"}, {"soon"}),
        ({"q": "CASE-USED"}, {"used_up"}),
        ({"q": "nobody"}, set()),
    ],
)
def test_each_filter_and_search(
    staff: Client, rows: dict[str, Authorization], query: dict[str, str], expected: set[str]
) -> None:
    assert listed(staff.get(CHANGELIST, query)) == {rows[name].pk for name in expected}


def test_the_change_form_has_payer_autocomplete_and_the_lists_inline(
    staff: Client, rows: dict[str, Authorization]
) -> None:
    response = staff.get(page("change", rows["soon"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "admin-autocomplete" in html
    assert "icd_codes-TOTAL_FORMS" in html and "cpt_code_authorization_details-TOTAL_FORMS" in html
    assert 'value="M72.1"' in html
    found = staff.get(
        "/admin/autocomplete/",
        {"term": "medicare", "app_label": "authorizations", "model_name": "authorization", "field_name": "payer"},
    )
    assert found.status_code == 200
    assert [r["id"] for r in found.json()["results"]] == ["31"]


def test_the_history_page_loads(staff: Client, rows: dict[str, Authorization]) -> None:
    assert staff.get(page("history", rows["soon"])).status_code == 200


def test_the_payer_changelist_loads(staff: Client, rows: dict[str, Authorization]) -> None:
    assert staff.get("/admin/authorizations/payer/", {"q": "PEHP"}).status_code == 200
    assert staff.get("/admin/authorizations/spryclient/").status_code == 200


def test_the_expire_action_expires_the_selected_ones_with_history(
    staff: Client, rows: dict[str, Authorization]
) -> None:
    selected = [rows["soon"].pk, rows["plenty"].pk]
    response = staff.post(CHANGELIST, {"action": "expire_selected", "_selected_action": selected, "index": 0})
    assert response.status_code == 200  # first a confirmation page, which changes nothing
    page = response.content.decode()
    assert "Set these 2 authorization(s) to <strong>EXPIRED</strong>?" in page
    assert "1 of them is still in its effective period today" in page  # "soon" ends in 5 days
    assert {a.authorization_status for a in Authorization.objects.all()} == {"ACTIVE", "INACTIVE"}
    response = staff.post(
        CHANGELIST, {"action": "expire_selected", "_selected_action": selected, "post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "2 authorization(s) set to EXPIRED" in response.content.decode()
    statuses = {a.pk: a.authorization_status for a in Authorization.objects.all()}
    assert statuses == {rows["soon"].pk: "EXPIRED", rows["plenty"].pk: "EXPIRED", rows["used_up"].pk: "ACTIVE"}
    row = Authorization.history.filter(authorization_id=rows["soon"].pk).latest("history_id")
    assert row.history_user.username == "boss"
    assert row.history_change_reason == "expired by staff in the admin"


def test_saving_the_form_with_an_end_before_the_start_is_refused(staff: Client, rows: dict[str, Authorization]) -> None:
    authorization = rows["used_up"]
    url = page("change", authorization)
    form = {
        "authorization_status": "ACTIVE",
        "spry_case_id": authorization.spry_case_id,
        "organisation_id": "638",
        "authorization_reference_number": "AUTH-2026-001",
        "payer": "2207",
        "effective_start_date_0": "2026-05-01",
        "effective_start_date_1": "00:00:00",
        "effective_end_date_0": "2026-04-01",
        "effective_end_date_1": "00:00:00",
        "current_visit_count": "8",
        "previous_consumed_visit_count": "3",
        "authorized_visit_count": "10",
        "icd_codes-TOTAL_FORMS": "0",
        "icd_codes-INITIAL_FORMS": "0",
        "cpt_code_authorization_details-TOTAL_FORMS": "0",
        "cpt_code_authorization_details-INITIAL_FORMS": "0",
        **read_version(staff, url),
    }
    response = staff.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert "must be on or after effective_start_date" in response.content.decode()
    form["effective_end_date_0"] = "2026-06-01"
    form["icd_codes-TOTAL_FORMS"] = "1"
    form.update({"icd_codes-0-position": "0", "icd_codes-0-icd_id": "77", "icd_codes-0-code": "X1"})
    response = staff.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    icd_ids = set(AuthorizationIcdCode.objects.filter(authorization=authorization).values_list("icd_id", flat=True))
    assert icd_ids == {9676, 77}
    assert AuthorizationIcdCode.history.filter(icd_id=77, history_type="+").count() == 1
    latest = Authorization.history.filter(authorization_id=authorization.pk).latest("history_id")
    assert latest.history_change_reason == "ICD codes: added X1"  # the list edit is in the authorization's history
    assert "ICD codes: added X1" in staff.get(page("history", authorization)).content.decode()


#: Authorization ids are "auth_" + 24 hex digits; the admin reads "_22", "_23", "_24", "_25", "_26" and "_40" in a
#: URL as an escaped '"', "#", "$", "%", "&" and "@", so an id whose hex starts with one of them must be escaped.
ESCAPED_PAIRS = ["22", "23", "24", "25", "26", "40"]


@pytest.mark.parametrize("pair", ESCAPED_PAIRS)
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_a_record_whose_id_looks_escaped_opens_on_every_page(staff: Client, pair: str, view: str) -> None:
    authorization = make_authorization(authorization_id=f"auth_{pair}" + "0" * 22)
    url = page(view, authorization)
    assert f"auth_5F{pair}" in url
    response = staff.get(url)
    assert response.status_code == 200
    shown = response.context["original" if view == "change" else "object"]
    assert shown.pk == f"auth_{pair}" + "0" * 22


CPT = "cpt_code_authorization_details"  # the CPT list's form prefix


def history_rows() -> tuple[int, int, int]:
    return (
        Authorization.history.count(),
        AuthorizationIcdCode.history.count(),
        AuthorizationCptCode.history.count(),
    )


@pytest.fixture
def listed_codes(db: Any) -> Authorization:
    """An authorization without comments or phone number (NULL), with an ICD code and a CPT limit whose units
    approved are NULL."""
    return make_authorization(
        comments=None,
        phone_number=None,
        cpt_code_authorization_details=[{"cpt_code": "97110", "description": None, "units_requested": 12}],
    )


def test_an_untouched_save_changes_nothing_lists_included(staff: Client, listed_codes: Authorization) -> None:
    before, rows = Authorization.objects.get(pk=listed_codes.pk), history_rows()
    url = page("change", listed_codes)
    response = staff.post(url, submitted(staff.get(url).content.decode(), "authorization_form"), follow=True)
    assert "Nothing was changed, so nothing was saved." in response.content.decode()
    after = Authorization.objects.get(pk=listed_codes.pk)
    assert (after.comments, after.phone_number, after.updated_at) == (None, None, before.updated_at)
    cpt = AuthorizationCptCode.objects.get(authorization=listed_codes)
    assert (cpt.description, cpt.units_approved) == (None, None)  # NULL stays NULL, not ""
    assert history_rows() == rows


def test_changing_one_code_writes_only_that_field_and_names_it_in_the_history(
    staff: Client, listed_codes: Authorization
) -> None:
    url = page("change", listed_codes)
    form = submitted(staff.get(url).content.decode(), "authorization_form")
    form[f"{CPT}-0-units_approved"] = "10"
    assert staff.post(url, form).status_code == 302
    cpt = AuthorizationCptCode.objects.get(authorization=listed_codes)
    assert (cpt.units_requested, cpt.units_approved, cpt.description) == (12, 10, None)
    assert Authorization.objects.get(pk=listed_codes.pk).comments is None
    history = staff.get(page("history", listed_codes)).content.decode()
    assert "CPT code authorization details: changed 97110" in history


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (f"{CPT}-0-units_approved", "12e", "Units approved: “12e” is not a valid whole number."),
        (f"{CPT}-0-units_requested", "4.5", "Units requested: “4.5” is not a valid whole number."),
        ("icd_codes-0-icd_id", "96x76", "ICD id: “96x76” is not a valid whole number."),
        ("current_visit_count", "5e", "Current visit count: “5e” is not a valid whole number."),
        ("effective_end_date_0", "2026-02-30", "Effective end date: enter a valid date (YYYY-MM-DD)."),
    ],
)
def test_a_malformed_number_or_date_in_the_form_or_its_lists_is_refused_with_what_was_typed_kept(
    staff: Client, listed_codes: Authorization, field: str, typed: str, message: str
) -> None:
    rows = history_rows()
    url = page("change", listed_codes)
    form = submitted(staff.get(url).content.decode(), "authorization_form")
    form[field] = typed
    response = staff.post(url, form)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'name="{field}" value="{typed}"' in html
    cpt = AuthorizationCptCode.objects.get(authorization=listed_codes)
    assert (cpt.units_requested, cpt.units_approved) == (12, None)
    assert history_rows() == rows


def test_every_field_of_the_form_and_of_its_lists_has_help_text(staff: Client, listed_codes: Authorization) -> None:
    response = staff.get(page("change", listed_codes))
    form = response.context["adminform"].form
    missing = [name for name, field in form.fields.items() if not field.help_text]
    for formset in response.context["inline_admin_formsets"]:
        fields = formset.formset.form.base_fields
        name = formset.opts.model._meta.model_name
        missing += [f"{name}.{field}" for field in fields if field != "id" and not fields[field].help_text]
    assert not missing, missing
    payer = staff.get("/admin/authorizations/payer/2207/change/").context["adminform"].form
    assert all(field.help_text for field in payer.fields.values())


def test_an_api_list_replacement_is_in_the_authorizations_history_in_staff_terms(
    staff: Client, listed_codes: Authorization
) -> None:
    authorization_update(
        authorization=listed_codes,
        data={"icd_codes": [{"id": 1, "code": "S32.001A"}], "comments": "more visits"},
        reason="Spry API, client clinic app",
    )
    history = staff.get(page("history", listed_codes)).content.decode()
    assert "Spry API, client clinic app: changed comments, ICD codes M72.1 → S32.001A" in history
    assert "<strong>Comments:</strong>" in history
