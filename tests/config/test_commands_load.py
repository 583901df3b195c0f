"""Every management command of the project loads and builds its argument parser (a moved module or an empty list of
choices fails here, not in an operator's shell); the batch benchmark offers both resources."""

from __future__ import annotations

import pytest
from django.core.management import get_commands, load_command_class

OURS = ("config.", "authorizations", "carecases")
COMMANDS = sorted((name, app) for name, app in get_commands().items() if app.startswith(OURS))


def test_the_project_has_its_commands() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"serve", "migrate_all", "seed_demo", "upsert_auths", "export_auths", "bench_batch", "bench_http"} <= names


@pytest.mark.parametrize("name, app", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_a_command_loads_and_parses(name: str, app: str) -> None:
    parser = load_command_class(app, name).create_parser("manage.py", name)
    assert parser.prog == f"manage.py {name}"


def test_the_batch_benchmark_measures_both_resources() -> None:
    command = load_command_class("config.bench", "bench_batch")
    resource = next(a for a in command.create_parser("manage.py", "bench_batch")._actions if a.dest == "resource")
    assert resource.choices == ["auths", "care-cases"]
