"""Shared body of the ``upsert_*`` management commands: a JSON file through the batch engine, in chunks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from config.api.batch import BatchOutcome, BatchResource, ItemResult, batch_upsert
from config.api.parsers import loads
from config.api.tenancy import is_vba_database, use_vba_database, vba_database_names


def vba_database_option(name: str) -> str:
    """The ``--database`` of a command: a configured VBA database, else a CommandError listing them."""
    if not is_vba_database(name):
        raise CommandError(f"Unknown VBA database {name!r} (configured: {', '.join(vba_database_names())})")
    return name


class UpsertCommand(BaseCommand):
    """Subclasses set ``resource`` and may override :meth:`context`."""

    resource: BatchResource

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a JSON file holding an array of records (VBA JSON names)")
        parser.add_argument("--database", required=True, help="the VBA database to write to")
        parser.add_argument("--user", help="username stamped on audit fields and history (default: first superuser)")
        parser.add_argument("--chunk-size", type=int, default=None, help="items per engine call")
        parser.add_argument("--all-or-none", action="store_true", help="write nothing if any item fails (per chunk)")

    def context(self, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        database = vba_database_option(options["database"])
        items = self._read(Path(options["file"]))
        user = self._user(options.get("user"))
        size = options["chunk_size"] or settings.VBA_BATCH_MAX_ITEMS
        results: list[ItemResult] = []
        with use_vba_database(database), self._progress() as progress:
            task = progress.add_task(f"{self.resource.label} → {database}", total=len(items))
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                outcome = batch_upsert(
                    self.resource,
                    chunk,
                    user=user,
                    all_or_none=options["all_or_none"],
                    context=self.context(options),
                )
                results += outcome.results
                progress.advance(task, len(chunk))
        self._report(results)

    def _read(self, path: Path) -> list[Any]:
        try:
            data = loads(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise CommandError(f"{path} must hold a JSON array of {self.resource.label} objects")
        return data

    def _user(self, username: str | None) -> Any:
        users = get_user_model().objects
        user = users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError(f"No user {username!r}" if username else "No superuser exists; pass --user")
        return user

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not sys.stderr.isatty(),
            transient=False,
        )

    def _report(self, results: list[ItemResult]) -> None:
        counts = BatchOutcome(self.resource.key_json, results).counts()
        self.stdout.write(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "no items")
        failed = [r for r in results if not r.ok]
        for result in failed:
            self.stdout.write(f"FAILED {self.resource.key_json}={result.key!r} [{result.status}] {result.body}")
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} item(s) failed")
