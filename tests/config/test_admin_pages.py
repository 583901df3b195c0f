"""Every admin page of every model opens, in every admin site: the default one (users, grants, API clients, Spry)
and each VBA database's. For each model: the list, the add form, and for one record its form, its history and its
delete confirmation. VBA pages name their database."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model, get_refresh_token_model

from authorizations.spry.services import spry_client_create
from authorizations.vba.services import AUTH_REVIEW, auth_batch_upsert, auth_code_batch_upsert
from carecases.services import CARE_CASE_WORK_LOG, care_case_batch_upsert, care_plan_batch_upsert
from config.admin.sites import VBAAdminSite, vba_sites
from config.api.models import AdminExport, APIClient, DatabaseGrant
from config.records.services import record_create
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import full_auth
from tests.authorizations.spry_fixtures import make_authorization
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

SITES: list[Any] = [admin.site, *vba_sites.values()]


@pytest.fixture
def everything() -> Client:
    """A superuser, and a record of every model in every database."""
    boss = get_user_model().objects.create_superuser("boss", password="pw")
    DatabaseGrant.objects.create(user=boss, database="demo")
    Group.objects.create(name="nurses")
    APIClient.objects.create_key(name="integration", databases=["demo"])
    application, _secret = spry_client_create(name="clinic app", organisation_id=638, clinic_ids=[44])
    make_oauth_records(application, boss)
    make_authorization()
    AdminExport.objects.create(user=boss, username="boss", database="demo", model="authorizations.auth", format="csv")
    for database in vba_sites:
        with use_vba_database(database):
            auth_batch_upsert(items=[full_auth("FULL")], user=boss)
            auth_code_batch_upsert(
                items=[{"auth_Code": "DN01", "auth_Action": "D", "description": "Denied"}], user=boss
            )
            care_plan_batch_upsert(items=[plan_item(1, care_Type="DIABETES")], user=boss)
            care_case_batch_upsert(items=[case_item(1, case_ID="CM-1")], user=boss)
            record_create(
                CARE_CASE_WORK_LOG, {"careCaseWorkLog_Key": 0, "case_Key": 1, "workLog_Billable": True}, user=boss
            )
            record_create(AUTH_REVIEW, {"authReview_Key": 0, "auth_Number": "FULL", "review_Comment": "ok"}, user=boss)
    client = Client()
    client.force_login(boss)
    return client


def make_oauth_records(application: Any, user: Any) -> None:
    soon = timezone.now() + dt.timedelta(hours=1)
    id_token = get_id_token_model().objects.create(user=user, application=application, expires=soon)
    access = get_access_token_model().objects.create(
        user=user, application=application, token="access-token", expires=soon, id_token=id_token
    )
    get_refresh_token_model().objects.create(user=user, application=application, token="refresh", access_token=access)
    get_grant_model().objects.create(
        user=user, application=application, code="code", expires=soon, redirect_uri="https://example.invalid/"
    )


def pages(site: Any) -> list[tuple[str, str]]:
    """(label, URL) of the site's home, of each app's page and of every page of every model of ``site``, for its first
    record: those its admin offers (no add form for API clients, made by a command; none for OAuth tokens, which the
    library's admin keeps read-only)."""
    found = [("home", reverse("admin:index", current_app=site.name))]
    for app_label in sorted({model._meta.app_label for model in site._registry}):
        found.append((f"{app_label} app", reverse("admin:app_list", args=[app_label], current_app=site.name)))
    request = _request(site)
    for model, model_admin in site._registry.items():
        opts = model._meta

        def url(name: str, *args: Any, opts: Any = opts) -> str:
            return reverse(admin_urlname(opts, mark_safe(name)), args=args, current_app=site.name)

        found.append((f"{opts.label} list", url("changelist")))
        if model_admin.has_add_permission(request):
            found.append((f"{opts.label} add", url("add")))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        assert obj is not None, f"no {opts.label} to open"
        key = quote(obj.pk)
        found += [(f"{opts.label} change", url("change", key)), (f"{opts.label} history", url("history", key))]
        if model_admin.has_delete_permission(request, obj):
            found.append((f"{opts.label} delete", url("delete", key)))
    return found


def _request(site: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="boss")
    return request


@pytest.mark.parametrize("site", SITES, ids=lambda site: site.name)
def test_every_page_of_every_model_opens(everything: Client, site: Any) -> None:
    if isinstance(site, VBAAdminSite):
        with use_vba_database(site.database):
            urls = pages(site)
    else:
        urls = pages(site)
    assert len(urls) >= (15 if isinstance(site, VBAAdminSite) else 30)
    failures = []
    for label, url in urls:
        response = everything.get(url)
        if response.status_code != 200:
            failures.append(f"{label}: {url} answered {response.status_code}")
            continue
        page = response.content.decode()
        if "View site" in page:  # there is no public site: no link that would be a 404
            failures.append(f"{label}: {url} offers a 'View site' link")
        if isinstance(site, VBAAdminSite):
            named = (
                f'id="vba-database-name" href="/admin/db/{site.database}/">Database: {site.database}</a>' in page,
                re.search(f"<title>([^<]* \\| )?Database {site.database} \\| Records admin</title>", page),
                f'class="breadcrumbs vba-database-crumb"><a href="/admin/db/{site.database}/">Database {site.database}'
                in page,
            )
            if not all(named):
                failures.append(f"{label}: {url} does not name the database {site.database} in header, title, crumbs")
        elif 'id="vba-database-name"' in page or "vba-database-crumb" in page:
            failures.append(f"{label}: {url} names a VBA database although it has none")
    assert not failures, "\n".join(failures)
