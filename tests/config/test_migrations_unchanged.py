"""Issue 21 moved modules, never tables: the app labels, the migrations and the schema they build are those of
before, so a database migrated earlier has nothing to apply and the models need no new migration."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db(databases="__all__")

#: Every migration of the project's apps, by label: those of before the move (a renamed or new one fails), then the
#: ones added since, each named with its issue.
MIGRATIONS = {
    "api": ["0001_initial", "0002_admin_export", "0003_spent_refresh_token"],
    "authorizations": [
        "0001_initial",
        "0002_spry",
        "0003_auth_read_indexes",
        "0004_spry_updated_at_field",
        "0005_history_indexes_key_only",
        "0006_history_index_record_date",
        "0007_auth_number_addressable",
        "0008_auth_code",  # issue 22: the AuthCode table (new, after the move)
        "0009_auth_proc_codes",  # issue 22: the AuthProcCodes table (procedure lines)
        "0010_auth_review",  # issue 22: the AuthReview table
        "0011_auth_diag_codes",  # issue 22: the AuthDiagCodes table (diagnoses)
        "0012_history_parent_indexes",  # issue 22: an Auth's page reads its lines' and diagnoses' history by Auth
        "0013_auth_prior_auth_index",  # issue 22: an Auth's page lists the Auths adjusting it (prior_auth) by index
        "0014_auth_queue_indexes",  # issue 23: the queue's indexes (status, assignee, the running clock)
        "0015_history_review_parent_index",  # an Auth's history page reads its reviews' history by Auth
    ],
    "carecases": [
        "0001_initial",
        "0002_history_indexes_key_only",
        "0003_history_index_record_date",
        "0004_care_case_work_log",  # issue 24: the CareCaseWorkLog table
        "0005_care_list_indexes",  # the case list at a million cases: member search by prefix, sort by last contact
    ],
}


def test_the_apps_keep_their_labels_and_tables() -> None:
    assert apps.get_app_config("api").name == "config.api"
    assert apps.get_app_config("authorizations").name == "authorizations"
    assert apps.get_app_config("carecases").name == "carecases"
    tables = {model._meta.label: model._meta.db_table for model in apps.get_models()}
    assert tables["api.KeySequence"] == "vbapi_key_sequence"
    assert tables["authorizations.Auth"] == "Auth"
    assert tables["api.APIClient"] == "api_apiclient"
    # the apps that hold no models stay without tables
    for label in ("serving", "vba", "spry", "records_admin", "bench"):
        assert list(apps.get_app_config(label).get_models()) == []


def test_the_migrations_are_those_of_before() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for label, names in MIGRATIONS.items():
        assert sorted(name for app, name in loader.disk_migrations if app == label) == names
    ours = {app for app, _ in loader.disk_migrations if not apps.get_app_config(app).name.startswith("django.")}
    assert ours <= set(MIGRATIONS) | {"admin", "auth", "contenttypes", "sessions"} | _third_party()


def _third_party() -> set[str]:
    return {"rest_framework_api_key", "oauth2_provider", "simple_history", "django_filters", "drf_spectacular"}


def test_makemigrations_finds_no_change() -> None:
    out = io.StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)  # exits 1 on any change
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize("alias", ["default", "demo", "other"])
def test_a_migrated_database_has_nothing_left_to_apply(alias: str) -> None:
    executor = MigrationExecutor(connections[alias])
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    out = io.StringIO()
    call_command("migrate", database=alias, plan=True, stdout=out)
    assert "No planned migration operations." in out.getvalue()
