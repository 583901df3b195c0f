"""The vbasoftware-database header picks the database; a VBA model is never touched without one."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from rest_framework_api_key.models import APIKey  # noqa: F401 - makes sure the library is importable

from authorizations.models import Auth
from config.api.models import APIClient, DatabaseGrant
from config.serving.tenancy import NoVBADatabaseSelected, VBADatabaseRouter, use_vba_database
from config.vba.authentication import issue_tokens
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)


def test_a_vba_model_cannot_be_read_or_written_without_a_selected_database() -> None:
    with pytest.raises(NoVBADatabaseSelected):
        Auth.objects.count()
    with pytest.raises(NoVBADatabaseSelected):
        Auth(auth_number="1", tplan_printed="N").save()


def test_use_vba_database_refuses_a_name_that_is_not_configured() -> None:
    with pytest.raises(ValueError, match="'default' is not a configured VBA database"), use_vba_database("default"):
        pass


def test_vba_tables_exist_only_in_vba_databases_and_accounts_only_in_default() -> None:
    def tables(alias: str) -> set[str]:
        return set(connections[alias].introspection.table_names())

    for alias in ("demo", "other"):
        assert {"Auth", "authorizations_historicalauth", "vbapi_key_sequence"} <= tables(alias)
        assert "auth_user" not in tables(alias) and "api_apiclient" not in tables(alias)
    assert "Auth" not in tables("default") and {"auth_user", "api_apiclient"} <= tables("default")
    router = VBADatabaseRouter()
    assert router.allow_migrate("demo", "authorizations", "historicalauth")
    assert not router.allow_migrate("default", "authorizations", "auth")


@pytest.fixture
def superuser_client(api_key: str) -> Any:
    boss = get_user_model().objects.create_superuser("boss", password="boss-password")
    return lambda db: VBAClient(api_key, issue_tokens(boss, db)["authenticationResult"]["idToken"], database=db)


def test_writes_and_reads_go_to_the_database_the_header_names(superuser_client: Any) -> None:
    demo, other = superuser_client("demo"), superuser_client("other")
    assert demo.call("PUT", "auths", [auth_item("SAME", status="IN-DEMO")]).status_code == 207
    assert other.call("PUT", "auths", [auth_item("SAME", status="IN-OTHR")]).status_code == 207
    assert demo.call("GET", "auths/SAME").json()["data"]["status"] == "IN-DEMO"
    assert other.call("GET", "auths/SAME").json()["data"]["status"] == "IN-OTHR"
    with use_vba_database("demo"):
        assert list(Auth.objects.values_list("status", flat=True)) == ["IN-DEMO"]


def test_a_missing_database_header_is_a_400(api_key: str, token: str) -> None:
    client = VBAClient(api_key, token, database="")
    assert_problem(client.call("PUT", "auths", [auth_item("1")]), 400, "vbasoftware-database header is required")


@pytest.mark.parametrize("database", ["nowhere", "default", "other"])
def test_an_unknown_or_ungranted_database_is_a_403_with_one_text(api_key: str, token: str, database: str) -> None:
    # "other" is configured and allowed for the API key, but the user is granted "demo" only
    response = VBAClient(api_key, token, database=database).call("PUT", "auths", [auth_item("1")])
    error = assert_problem(response, 403)
    assert error["detail"] == "Unknown or unauthorized database"


def test_a_database_the_api_key_may_not_use_is_a_403(user: Any) -> None:
    DatabaseGrant.objects.create(user=user, database="other")
    _client, key = APIClient.objects.create_key(name="demo only", databases=["demo"])
    token = issue_tokens(user, "other")["authenticationResult"]["idToken"]
    response = VBAClient(key, token, database="other").call("GET", "auths")
    assert assert_problem(response, 403)["detail"] == "Unknown or unauthorized database"


def test_a_token_issued_for_another_database_is_a_403(api_key: str, user: Any) -> None:
    DatabaseGrant.objects.create(user=user, database="other")
    token_for_demo = issue_tokens(user, "demo")["authenticationResult"]["idToken"]
    response = VBAClient(api_key, token_for_demo, database="other").call("PUT", "auths", [auth_item("1")])
    assert assert_problem(response, 403)["detail"] == "Unknown or unauthorized database"
    with use_vba_database("other"):
        assert Auth.objects.count() == 0
