"""A text box that held text and is cleared in the admin stores NULL (the API's "no value"), never ``""``: VBA records
in their database's admin site, Spry's Authorization and its inline lists in the default one."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse

from authorizations.models import Auth, Authorization, AuthorizationCptCode
from authorizations.vba.services import auth_batch_upsert
from carecases.models import CareCase
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted
from tests.authorizations.factories import auth_item
from tests.authorizations.spry_fixtures import make_authorization
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)


@pytest.fixture
def staff(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def clear(staff: Client, url: str, form_id: str, *fields: str) -> None:
    form = submitted(staff.get(url).content.decode(), form_id)
    for field in fields:
        assert form[field], f"{field} held no text to clear"
        form[field] = ""
    response = staff.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_clearing_an_auths_text_fields_stores_null(staff: Client) -> None:
    with use_vba_database("demo"):
        item = auth_item("A1", notes="Call the member back", assigned_User="reviewer1", status="PENDED")
        assert auth_batch_upsert(items=[item], user=None).counts() == {201: 1}
    clear(staff, "/admin/db/demo/authorizations/auth/A1/change/", "auth_form", "notes", "assigned_user")
    with use_vba_database("demo"):
        auth = Auth.objects.get(pk="A1")
    assert (auth.notes, auth.assigned_user, auth.status) == (None, None, "PENDED")


def test_clearing_a_care_cases_text_fields_stores_null(staff: Client, admin_user: Any) -> None:
    with use_vba_database("demo"):
        care_plan_batch_upsert(items=[plan_item(1)], user=admin_user)
        item = case_item(5, case_ID="CM-5", case_Reason="REFERRAL", eligibility_Verified_Comment="checked by phone")
        care_case_batch_upsert(items=[item], user=admin_user, care_plan_key=1)
    url = "/admin/db/demo/carecases/carecase/5/change/"
    clear(staff, url, "carecase_form", "case_reason", "eligibility_verified_comment")
    with use_vba_database("demo"):
        case = CareCase.objects.get(pk=5)
    assert (case.case_reason, case.eligibility_verified_comment, case.case_id) == (None, None, "CM-5")


def test_clearing_a_spry_authorizations_text_fields_and_a_listed_codes_description_stores_null(
    staff: Client,
) -> None:
    authorization = make_authorization(
        comments="Prior auth approved",
        phone_number="8015551234",
        cpt_code_authorization_details=[{"cpt_code": "97110", "description": "Therapeutic exercise"}],
    )
    url = reverse("admin:authorizations_authorization_change", args=[quote(authorization.pk)])
    cpt = "cpt_code_authorization_details"
    clear(staff, url, "authorization_form", "comments", "phone_number", f"{cpt}-0-description")
    stored = Authorization.objects.get(pk=authorization.pk)
    assert (stored.comments, stored.phone_number, stored.fax_number) == (None, None, "8015555678")
    assert AuthorizationCptCode.objects.get(authorization=authorization).description is None
