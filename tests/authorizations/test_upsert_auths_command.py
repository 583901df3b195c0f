import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from authorizations.models import Auth
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def admin_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("importer", password="pw")


def run(tmp_path: Path, items: Any, *args: str) -> str:
    path = tmp_path / "auths.json"
    path.write_text(json.dumps(items))
    out = io.StringIO()
    call_command("upsert_auths", str(path), *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_through_the_engine_and_prints_counts(tmp_path: Path, admin_user: Any) -> None:
    with use_vba_database("other"):
        run(tmp_path, [auth_item("C1")], "--database", "other")
    out = run(tmp_path, [auth_item("C1"), auth_item("C2"), auth_item(None)], "--database", "other", "--chunk-size", "2")
    assert out.splitlines()[0] == "200: 1, 201: 2"
    with use_vba_database("other"):
        assert Auth.objects.count() == 3
        assert set(Auth.history.values_list("history_user_id", flat=True)) == {admin_user.pk}
        assert Auth.objects.get(pk="C2").update_user == "importer"
    with use_vba_database("demo"):
        assert Auth.objects.count() == 0


def test_the_command_reports_each_failure_and_exits_non_zero(tmp_path: Path, admin_user: Any) -> None:
    out = io.StringIO()
    path = tmp_path / "auths.json"
    path.write_text(json.dumps([auth_item("OK"), auth_item("BAD", urgent="no"), 7]))
    with pytest.raises(CommandError, match="2 of 3 item"):
        call_command("upsert_auths", str(path), "--database", "demo", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "201: 1, 400: 2"
    assert "FAILED auth_Number='BAD' [400] urgent: Input should be a valid boolean" in lines
    assert "FAILED auth_Number=None [400] Each item must be a JSON object, not a number" in lines


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("[]", ["--database", "nowhere"], "Unknown VBA database 'nowhere'"),
        ('{"a": 1}', ["--database", "demo"], "must hold a JSON array"),
        ("[{", ["--database", "demo"], "is not valid JSON"),
    ],
)
def test_the_command_refuses_bad_input(
    tmp_path: Path, admin_user: Any, content: str, args: list[str], message: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("upsert_auths", str(path), *args)


def test_all_or_none_holds_for_the_whole_file_across_chunks(tmp_path: Path, admin_user: Any) -> None:
    with use_vba_database("demo"):
        run(tmp_path, [auth_item("A1", notes="before")], "--database", "demo")
        history = Auth.history.count()  # type: ignore[attr-defined]
    items = [
        auth_item("A1", notes="after"),
        auth_item("A2"),
        auth_item("A3"),
        auth_item("A4"),
        auth_item("A5", urgent=3),
    ]
    path = tmp_path / "auths.json"
    path.write_text(json.dumps(items))
    out = io.StringIO()
    args = ["--database", "demo", "--chunk-size", "2", "--all-or-none"]
    with pytest.raises(CommandError, match=r"^1 of 5 item\(s\) failed; --all-or-none: nothing was written$"):
        call_command("upsert_auths", str(path), *args, stdout=out)
    assert out.getvalue().splitlines() == [
        "400: 1, 424: 4",
        "FAILED auth_Number='A5' [400] urgent: Input should be a valid boolean",
    ]
    with use_vba_database("demo"):  # the first two chunks were valid, yet nothing of them stayed
        assert list(Auth.objects.values_list("pk", "notes")) == [("A1", "before")]
        assert Auth.history.count() == history  # type: ignore[attr-defined]
    assert run(tmp_path, items[:4], *args).splitlines() == ["200: 1, 201: 3"]  # all valid: all written


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
@pytest.mark.parametrize(
    ("escape", "message"),
    [
        ("\\u0000", "notes: may not contain the NUL character (\\u0000)"),
        ("\\ud800", "notes: contains an unpaired surrogate (\\ud800); send valid Unicode text"),
    ],
)
def test_a_file_string_that_cannot_be_stored_fails_its_record_alone(
    tmp_path: Path, admin_user: Any, fmt: str, escape: str, message: str
) -> None:
    """Chunks read from clean JSON text skip the per-string check; one escape anywhere puts its chunk through it."""
    records = [json.dumps(auth_item(f"T{n}")) for n in range(4)]
    records[2] = records[2].replace('"auth_Number"', f'"notes": "x{escape}y", "auth_Number"', 1)
    path = tmp_path / f"auths.{fmt}"
    path.write_text("[" + ",\n".join(records) + "]" if fmt == "json" else "\n".join(records) + "\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 4 item"):
        call_command("upsert_auths", str(path), "--database", "demo", "--chunk-size", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "201: 3, 400: 1"
    assert f"FAILED auth_Number='T2' [400] {message}" in lines
    with use_vba_database("demo"):
        assert sorted(Auth.objects.values_list("pk", flat=True)) == ["T0", "T1", "T3"]
