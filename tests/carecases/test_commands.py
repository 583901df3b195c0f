"""``manage.py upsert_care_cases`` and the demo data, through the same engine as the API."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from carecases import demo
from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from carecases.services import care_plan_batch_upsert
from config.serving.tenancy import use_vba_database, vba_database_names
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)


@pytest.fixture
def plans(admin_user: Any) -> None:
    for name in ("demo", "other"):
        with use_vba_database(name):
            care_plan_batch_upsert(items=[plan_item(1), plan_item(2)], user=admin_user)


def write(tmp_path: Path, items: Any) -> str:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(items))
    return str(path)


def run(*args: Any, **options: Any) -> str:
    out = StringIO()
    call_command("upsert_care_cases", *args, stdout=out, **options)
    return out.getvalue()


def test_the_command_upserts_cases_in_chunks_and_prints_counts(tmp_path: Path, plans: None, admin_user: Any) -> None:
    path = write(tmp_path, [case_item(k, plan=1 + k % 2) for k in range(1, 8)] + [case_item(0)])
    assert run(path, database="other", chunk_size=3) == "201: 8\n"
    assert run(path, database="other") == "200: 7, 201: 1\n"
    with use_vba_database("other"):
        assert CareCase.objects.count() == 9
        assert set(CareCase.objects.values_list("update_user", flat=True)) == {"admin"}
        # 8 created, then 7 sent again unchanged (no write, no history) and 1 created
        assert CareCase.history.filter(history_user_id=admin_user.pk).count() == 9  # type: ignore[attr-defined]
    with use_vba_database("demo"):
        assert not CareCase.objects.exists()


def test_failed_items_are_listed_and_the_command_fails(tmp_path: Path, plans: None) -> None:
    path = write(tmp_path, [case_item(1), case_item(2, plan=9), case_item(3, do_Not_Contact=None)])
    out = StringIO()
    with pytest.raises(CommandError, match="2 of 3 item"):
        call_command("upsert_care_cases", path, database="demo", stdout=out)
    assert out.getvalue().splitlines() == [
        "201: 1, 400: 2",
        "FAILED case_Key=2 [400] carePlan_Key: care plan 9 does not exist",
        "FAILED case_Key=3 [400] do_Not_Contact: may not be null",
    ]
    with use_vba_database("demo"):
        assert list(CareCase.objects.values_list("pk", flat=True)) == [1]


def test_care_plan_option_requires_every_case_to_belong_to_that_plan(tmp_path: Path, plans: None) -> None:
    path = write(tmp_path, [case_item(1, plan=2), case_item(2, plan=1)])
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 item"):
        call_command("upsert_care_cases", path, database="demo", care_plan=2, stdout=out)
    assert (
        "FAILED case_Key=2 [400] carePlan_Key: the item says 1 but the path says 2; they must match" in out.getvalue()
    )
    with use_vba_database("demo"):
        assert list(CareCase.objects.values_list("pk", "care_plan_id")) == [(1, 2)]


def test_an_unknown_care_plan_or_database_stops_the_command(tmp_path: Path, plans: None) -> None:
    path = write(tmp_path, [case_item(1, plan=7)])
    with pytest.raises(CommandError, match="Care plan 7 does not exist in the VBA database 'demo'"):
        run(path, database="demo", care_plan=7)
    with pytest.raises(CommandError, match="Unknown VBA database 'prod'"):
        run(path, database="prod", care_plan=7)
    with pytest.raises(CommandError, match="must hold a JSON array"):
        run(write(tmp_path, {"case_Key": 1}), database="demo")
    with use_vba_database("demo"):
        assert not CareCase.objects.exists()


def test_demo_data_loads_plans_and_cases_in_every_database_and_can_be_loaded_again(admin_user: Any) -> None:
    first = demo.load(user=admin_user)
    again = demo.load(user=admin_user)
    assert first == again
    for name in vba_database_names():
        with use_vba_database(name):
            entries = CareCaseWorkLog.objects.count()
            assert f"{name}: 4 CarePlans, 32 CareCases, {entries} work log entries" in first
            assert CarePlan.objects.count() == 4
            assert CareCase.objects.filter(care_plan_id=2).count() == 8
            assert CareCase.history.count() == 32  # type: ignore[attr-defined]  # the second load changed nothing
            assert CareCaseWorkLog.history.count() == entries  # type: ignore[attr-defined]
