"""``upsert_* --keep-audit`` keeps the audit values a file holds, exactly; without it the importing user and the
import's time are stamped. The file is stamped long ago by someone who is neither the importing user nor the
default one, so neither a same-second import nor a same-user default can pass for either rule."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from authorizations.models import Auth
from carecases.models import CarePlan
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

PAST = {
    "entry_Date": "2001-02-03T04:05:06",
    "entry_User": "archived.clerk",
    "update_Date": "2002-03-04T05:06:07",
    "update_User": "archived.reviewer",
}
STORED_PAST = (
    dt.datetime(2001, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
    "archived.clerk",
    dt.datetime(2002, 3, 4, 5, 6, 7, tzinfo=dt.UTC),
    "archived.reviewer",
)
CASES = [
    ("upsert_auths", Auth, "A-OLD", auth_item("A-OLD", notes="kept") | PAST),
    ("upsert_care_plans", CarePlan, 42, {"carePlan_Key": 42, "description": "kept"} | PAST),
]


@pytest.fixture
def users(db: Any) -> None:
    get_user_model().objects.create_superuser("first.superuser", password="pw")  # the default --user
    get_user_model().objects.create_superuser("operator", password="pw")


def audit(model: Any, key: Any) -> tuple[Any, ...]:
    with use_vba_database("demo"):
        record = model.objects.get(pk=key)
    return (record.entry_date, record.entry_user, record.update_date, record.update_user)


def upsert(command: str, item: dict[str, Any], tmp_path: Path, *options: str) -> None:
    path = tmp_path / "records.ndjson"
    path.write_text(json.dumps(item) + "\n")
    out = io.StringIO()
    call_command(command, "--database", "demo", "--user", "operator", *options, str(path), stdout=out)
    assert out.getvalue() in ("201: 1\n", "200: 1\n")


@pytest.mark.parametrize("command, model, key, item", CASES, ids=["auths", "care-plans"])
def test_keep_audit_keeps_the_files_dates_and_users_exactly(
    command: str, model: Any, key: Any, item: dict[str, Any], tmp_path: Path, users: None
) -> None:
    upsert(command, item, tmp_path, "--keep-audit")
    assert audit(model, key) == STORED_PAST
    upsert(command, item, tmp_path, "--keep-audit")  # an existing record replaced: the file's values again
    assert audit(model, key) == STORED_PAST


@pytest.mark.parametrize("command, model, key, item", CASES, ids=["auths", "care-plans"])
def test_without_keep_audit_the_importing_user_and_time_replace_the_files(
    command: str, model: Any, key: Any, item: dict[str, Any], tmp_path: Path, users: None
) -> None:
    before = dt.datetime.now(dt.UTC)
    upsert(command, item, tmp_path)
    entry_date, entry_user, update_date, update_user = audit(model, key)
    assert (entry_user, update_user) == ("operator", "operator")
    assert before <= entry_date <= dt.datetime.now(dt.UTC)
    assert before <= update_date <= dt.datetime.now(dt.UTC)
