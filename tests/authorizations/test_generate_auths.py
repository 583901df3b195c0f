"""``manage.py generate_auths``: realistic, valid synthetic Auths that never collide with existing rows."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from authorizations.models import Auth
from authorizations.vba.services import AUTH, auth_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_auths", *args, stdout=out)
    return out.getvalue()


def test_every_generated_row_is_a_valid_varied_auth() -> None:
    out = generate("--count", "400", "--database", "demo", "--chunk-size", "150")
    assert "400 Auths (GEN000000001 … GEN000000400) into demo" in out
    with use_vba_database("demo"):
        rows = list(Auth.objects.all())
        assert len(rows) == 400
        for row in rows:
            attrs, error = AUTH.spec.validate(AUTH.spec.render(row))
            assert error is None, (row.pk, error)
            assert row.entry_date and row.update_date and row.entry_date <= row.update_date
        assert len({r.status for r in rows}) >= 5
        assert len({r.auth_type for r in rows}) >= 5
        assert len({r.auth_code for r in rows}) >= 10
        assert 40 <= len({r.subscriber_id for r in rows}) < 400  # subscribers have several auths each
        assert len({r.provider_id for r in rows}) >= 5
        received = sorted(r.received_date for r in rows if r.received_date)
        assert (received[-1] - received[0]).days > 3 * 365
        assert 0 < sum(r.urgent for r in rows) < 100 and 0 < sum(r.closed for r in rows) < 400
        for nullable in ("case_number", "approved_date", "notes", "denied_from", "actual_from", "referred_by_id"):
            set_count = sum(getattr(r, nullable) is not None for r in rows)
            assert 0 < set_count < 400, nullable


def test_the_same_seed_gives_the_same_data() -> None:
    generate("--count", "20", "--database", "demo", "--seed", "5", "--prefix", "A")
    generate("--count", "20", "--database", "other", "--seed", "5", "--prefix", "A")
    values = []
    for database in ("demo", "other"):
        with use_vba_database(database):
            values.append(list(Auth.objects.values_list("auth_number", "status", "subscriber_id", "received_date")))
    assert values[0] == values[1]


def test_keys_continue_after_existing_ones_and_never_collide() -> None:
    with use_vba_database("demo"):
        existing = [auth_item("GEN000000007", status="KEEP"), auth_item("GEN5", status="KEEP"), auth_item("99")]
        assert auth_batch_upsert(items=existing, user=None).counts() == {201: 3}
    generate("--count", "3", "--database", "demo")
    generate("--count", "2", "--database", "demo")
    with use_vba_database("demo"):
        keys = set(Auth.objects.values_list("pk", flat=True))
        assert keys == {"GEN5", "99", *(f"GEN{n:09d}" for n in range(7, 13))}
        assert set(Auth.objects.filter(pk__in=["GEN000000007", "GEN5"]).values_list("status", flat=True)) == {"KEEP"}


def test_history_rows_one_per_auth_by_default_none_with_no_history() -> None:
    generate("--count", "30", "--database", "demo", "--chunk-size", "7")
    generate("--count", "10", "--database", "demo", "--prefix", "NOH", "--no-history")
    with use_vba_database("demo"):
        history = Auth.history.all()
        assert history.count() == 30
        assert set(history.values_list("history_type", flat=True)) == {"+"}
        assert not history.filter(auth_number__startswith="NOH").exists()
        first = history.get(auth_number="GEN000000001")
        assert first.status == Auth.objects.get(pk="GEN000000001").status


def test_zero_rows_is_fine() -> None:
    assert "0 Auths (none)" in generate("--count", "0", "--database", "other")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "5", "--database", "nowhere"], "Unknown VBA database 'nowhere'"),
        (["--count", "-1", "--database", "demo"], "--count must be at least 0"),
        (["--count", "5", "--database", "demo", "--prefix", "WAYTOOLONGPREFIX"], "--prefix must be"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        generate(*args)


def test_runs_on_the_chosen_database_only() -> None:
    generate("--count", "5", "--database", "other")
    with use_vba_database("demo"):
        assert Auth.objects.count() == 0
    with use_vba_database("other"):
        assert Auth.objects.count() == 5
