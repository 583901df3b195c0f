"""``create_oauth_client``, ``expire_authorizations`` and the Spry demo data."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_application_model

from authorizations.models import Authorization, SpryClient
from authorizations.spry import demo as spry_demo
from config.records.dates import render_datetime
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import TOKEN_URL, SpryApi, make_authorization, ok

pytestmark = pytest.mark.django_db(databases="__all__")


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def day(offset: int) -> str | None:
    return render_datetime(timezone.now() + dt.timedelta(days=offset))


# -- create_oauth_client ----------------------------------------------------------------------------------------


def test_create_oauth_client_prints_the_id_and_secret_once_and_they_work() -> None:
    out = run("create_oauth_client", "Acme PT", "--organisation", "638", "--clinic", "44", "--clinic", "58")
    client_id = re.search(r"client_id:\s+(\S+)", out)
    secret = re.search(r"client_secret:\s+(\S+)", out)
    assert client_id and secret
    application = get_application_model().objects.get(client_id=client_id.group(1))
    assert application.name == "Acme PT"
    assert application.authorization_grant_type == "client-credentials"
    assert application.client_secret != secret.group(1)  # stored hashed
    client = SpryClient.objects.get(application=application)
    assert (client.organisation_id, client.clinic_ids) == (638, [44, 58])
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", "client_id": client_id.group(1), "client_secret": secret.group(1)},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert (body["organisation_id"], body["clinic_id_list"]) == (638, [44, 58])


def test_create_oauth_client_requires_an_organisation() -> None:
    with pytest.raises(CommandError, match=r"^Error: the following arguments are required: --organisation$"):
        call_command("create_oauth_client", "No org", stdout=io.StringIO(), stderr=io.StringIO())
    assert not get_application_model().objects.exists()


# -- expire_authorizations --------------------------------------------------------------------------------------


@pytest.fixture
def due() -> dict[str, Authorization]:
    return {
        "past": make_authorization(effective_start_date=day(-30), effective_end_date=day(-1)),
        "future": make_authorization(effective_start_date=day(-30), effective_end_date=day(3)),
        "inactive_past": make_authorization(
            effective_start_date=day(-30), effective_end_date=day(-1), authorization_status="INACTIVE"
        ),
        "no_end": make_authorization(effective_start_date=day(-30), effective_end_date=None),
    }


def test_expire_authorizations_dry_run_changes_nothing(due: dict[str, Authorization]) -> None:
    history = Authorization.history.count()
    out = run("expire_authorizations", "--dry-run")
    assert f"would expire {due['past'].pk}" in out
    assert "1 authorization(s) would expire." in out
    assert Authorization.objects.get(pk=due["past"].pk).authorization_status == "ACTIVE"
    assert Authorization.history.count() == history


def test_expire_authorizations_expires_active_ones_past_their_end_leaving_history(
    due: dict[str, Authorization],
) -> None:
    out = run("expire_authorizations")
    assert f"expired {due['past'].pk} (organisation 638" in out
    assert "1 authorization(s) expired." in out
    statuses = {name: Authorization.objects.get(pk=a.pk).authorization_status for name, a in due.items()}
    assert statuses == {"past": "EXPIRED", "future": "ACTIVE", "inactive_past": "INACTIVE", "no_end": "ACTIVE"}
    row = Authorization.history.filter(authorization_id=due["past"].pk).latest("history_id")
    assert (row.history_type, row.authorization_status) == ("~", "EXPIRED")
    assert row.history_change_reason == "expired by expire_authorizations"
    assert "0 authorization(s) expired." in run("expire_authorizations")


def test_an_authorization_ending_exactly_now_has_not_passed_its_end_and_stays_active() -> None:
    end = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)
    ending = make_authorization(effective_start_date=day(-30), effective_end_date=render_datetime(end))
    with time_machine.travel(end, tick=False):
        assert run("expire_authorizations") == "0 authorization(s) expired.\n"
    assert Authorization.objects.get(pk=ending.pk).authorization_status == "ACTIVE"
    with time_machine.travel(end + dt.timedelta(microseconds=1), tick=False):
        assert "1 authorization(s) expired." in run("expire_authorizations")
    assert Authorization.objects.get(pk=ending.pk).authorization_status == "EXPIRED"


# -- demo data --------------------------------------------------------------------------------------------------


def test_demo_data_gives_a_working_client_and_the_example_record() -> None:
    user = get_user_model().objects.create_superuser("demo", password="demo-password")
    line = spry_demo.load(user=user)
    again = spry_demo.load(user=user)  # safe to run again: a fresh client, no duplicate records
    assert "3 Spry authorizations created" in line and "0 Spry authorizations created" in again
    assert get_application_model().objects.filter(name=spry_demo.DEMO_CLIENT).count() == 2
    tokens = []
    for printed in (line, again):  # the client printed by the first run still works after the second
        client_id = re.search(r"SPRY_CLIENT_ID='([^']+)'", printed)
        secret = re.search(r"SPRY_CLIENT_SECRET='([^']+)'", printed)
        assert client_id and secret
        data = {"grant_type": "client_credentials", "client_id": client_id.group(1), "client_secret": secret.group(1)}
        tokens.append(Client().post(TOKEN_URL, data).json()["access_token"])
    token = tokens[0]
    data = ok(SpryApi(token).call("GET", f"/{spry_demo.EXAMPLE_ID}"))
    assert data["patient_name"] == "John Doe" and data["created_at"] == "2026-04-01T12:00:00"
    assert Authorization.history.filter(history_user=user).count() == 3
