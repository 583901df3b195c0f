"""Shared bodies of the management commands: ``upsert_*`` (a record file through the batch engine, in chunks) and
``export_*`` (records out, in the same shapes)."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import Error, transaction
from django.db.models import QuerySet
from django.http import QueryDict
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from config.records.batch import BatchResource, ItemResult, batch_upsert, collector_paused
from config.records.databases import is_vba_database, use_vba_database, vba_database_names
from config.records.dbfaults import describe, is_unavailable
from config.records.files import (
    FORMATS,
    BadRecord,
    RecordFileError,
    RecordText,
    TextSink,
    csv_types,
    file_format,
    read_chunks,
    vba_text,
)


def vba_database_option(name: str) -> str:
    """The ``--database`` of a command: a configured VBA database, else a CommandError listing them."""
    if not is_vba_database(name):
        raise CommandError(f"Unknown VBA database {name!r} (configured: {', '.join(vba_database_names())})")
    return name


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--chunk-size 0`` or ``-5`` would write nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def progress_bar() -> Progress:
    """A progress bar on standard error when it is a terminal (silent in pipes, cron and tests)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not sys.stderr.isatty(),
        transient=False,
    )


class ImportCommand(BaseCommand):
    """Records from a file (JSON array, NDJSON or CSV), streamed in chunks through :meth:`import_chunk`; prints
    counts per status and each failure, and exits non-zero if any record failed. Subclasses set ``label`` and
    ``key_json`` and implement :meth:`import_chunk`; they may add arguments, a :meth:`target` and CSV types."""

    label: str
    key_json: str
    file_help = "a file of records: a JSON array, NDJSON or CSV"
    keep_audit_help = "keep the audit values each record has in the file (staff imports, e.g. copying a database)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--format", choices=FORMATS, help="the file's format (default: from its extension)")
        parser.add_argument("--user", help="username stamped on audit fields and history (default: first superuser)")
        parser.add_argument(
            "--chunk-size",
            type=positive_int,
            default=None,
            help="records per engine call (default VBA_BATCH_MAX_ITEMS)",
        )
        parser.add_argument("--keep-audit", action="store_true", help=self.keep_audit_help)

    def import_chunk(self, items: list[Any], user: Any, options: dict[str, Any]) -> list[ItemResult]:
        """One result per item, in order."""
        raise NotImplementedError

    def target(self, options: dict[str, Any]) -> AbstractContextManager[Any]:
        """Where the records go for the whole run (a VBA database)."""
        return nullcontext()

    def csv_types(self) -> dict[str, Callable[[str], Any]]:
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        self._counts: Counter[int] = Counter()
        try:
            self._handle(options)
        except Error as exc:
            if not is_unavailable(exc):
                raise
            done = sorted((status, n) for status, n in self._counts.items() if n)
            if options.get("all_or_none"):
                what = "--all-or-none: nothing was written"
            elif done:
                what = (
                    "the chunk being written was not written; the chunks before it were ("
                    + ", ".join(f"{status}: {n}" for status, n in done)
                    + ")"
                )
            else:
                what = "nothing was written"
            raise CommandError(f"The database is unavailable ({describe(exc)}); {what}.") from None

    def _handle(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        fmt = file_format(options["file"], options["format"])
        user = self._user(options.get("user"))
        size = options["chunk_size"] or settings.VBA_BATCH_MAX_ITEMS
        counts: Counter[int] = Counter()
        self._counts = counts  # (what was written when the database goes away)
        failed: list[ItemResult] = []  # counts and failures only: a file of any size takes constant memory
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        all_or_none = options.get("all_or_none", False)
        with stream, self.target(options) as where, progress_bar() as progress:
            task = progress.add_task(f"{self.label} → {where or 'default'}", total=None)
            chunks = read_chunks(stream, fmt, size, self.csv_types())
            # --all-or-none holds for the whole file, not per chunk: one transaction, rolled back if any item failed.
            with transaction.atomic(using=where or "default") if all_or_none else nullcontext():
                try:
                    while True:
                        with collector_paused():  # (each chunk read and written as one batch is)
                            chunk = next(chunks, None)
                            if chunk is None:
                                break
                            results = self._import(chunk, user, options)
                        for result in results:
                            counts[result.status] += 1
                            if not result.ok and result.status != 424:  # 424: not applied, counted only
                                failed.append(result)
                        progress.advance(task, len(chunk))
                except RecordFileError as exc:  # a JSON file that is not an array of records: nothing was written
                    raise CommandError(f"{path} {exc}") from None
                if all_or_none and failed:
                    transaction.set_rollback(True, using=where or "default")
                    written = sum(n for status, n in counts.items() if status < 400)
                    counts = Counter({s: n for s, n in counts.items() if s >= 400})
                    counts[424] += written
        self._report(counts, failed, all_or_none=all_or_none)

    def _import(self, chunk: list[Any], user: Any, options: dict[str, Any]) -> list[ItemResult]:
        """Lines the file could not read fail alone, in place."""
        records = type(chunk)(i for i in chunk if not isinstance(i, BadRecord))  # (a CheckedArray stays one)
        results = iter(self.import_chunk(records, user, options))
        return [ItemResult(None, 400, i.message) if isinstance(i, BadRecord) else next(results) for i in chunk]

    def _user(self, username: str | None) -> Any:
        users = get_user_model().objects
        user = users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError(f"No user {username!r}" if username else "No superuser exists; pass --user")
        return user

    def _report(self, counts: Counter[int], failed: list[ItemResult], *, all_or_none: bool = False) -> None:
        shown = sorted((status, n) for status, n in counts.items() if n)
        self.stdout.write(", ".join(f"{status}: {n}" for status, n in shown) or "no items")
        for result in failed:
            self.stdout.write(f"FAILED {self.key_json}={result.key!r} [{result.status}] {result.body}")
        if failed:
            nothing = "; --all-or-none: nothing was written" if all_or_none else ""
            raise CommandError(f"{len(failed)} of {sum(counts.values())} item(s) failed{nothing}")


class UpsertCommand(ImportCommand):
    """A VBA resource through the batch engine, as its batch endpoint. Subclasses set ``resource`` and may
    override :meth:`context`."""

    resource: BatchResource
    file_help = "a file of records (VBA JSON names): a JSON array, NDJSON or CSV"
    keep_audit_help = (
        "keep the entry_/update_ Date and User of each record as the file has them (staff imports, e.g. copying a "
        "database); records without them are stamped as usual"
    )

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.resource.label

    @property
    def key_json(self) -> str:  # type: ignore[override]
        return self.resource.key_json

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--database", required=True, help="the VBA database to write to")
        parser.add_argument(
            "--all-or-none",
            action="store_true",
            help="write nothing if any item of the file fails (one transaction for the whole file)",
        )

    def context(self, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    def target(self, options: dict[str, Any]) -> AbstractContextManager[Any]:
        return use_vba_database(vba_database_option(options["database"]))

    def csv_types(self) -> dict[str, Callable[[str], Any]]:
        return csv_types(self.resource.spec.model, self.resource.spec.json_names)

    def import_chunk(self, items: list[Any], user: Any, options: dict[str, Any]) -> list[ItemResult]:
        outcome = batch_upsert(
            self.resource,
            items,
            user=user,
            all_or_none=options["all_or_none"],
            context=self.context(options),
            keep_audit=options["keep_audit"],
        )
        return outcome.results


class ExportCommand(BaseCommand):
    """Write records as the API renders them (JSON array, NDJSON or CSV) to a file or standard output, streamed
    from the database. Subclasses set ``label``, ``filterset_class`` and ``columns`` and implement :meth:`queryset`
    and :meth:`records` (or :meth:`text`); ``vba = False`` for records that live outside the VBA databases."""

    label: str
    filterset_class: Any
    columns: list[str]
    vba = True
    chunk_size = 2000

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        raise NotImplementedError

    def records(self, queryset: QuerySet) -> Iterator[dict[str, Any]]:
        """The rendered records of ``queryset``, read ``chunk_size`` rows at a time."""
        raise NotImplementedError

    def text(self, queryset: QuerySet, fmt: str) -> RecordText:
        """The file of ``queryset``'s records in ``fmt``."""
        return RecordText.of_records(self.records(queryset), fmt, self.columns)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="the file to write (default: standard output)")
        if self.vba:
            parser.add_argument("--database", required=True, help="the VBA database to read")
        parser.add_argument("--format", choices=FORMATS, help="json (default), ndjson or csv; else from FILE's name")
        names = ", ".join(self.filterset_class.base_filters)
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help=f"only the records this filter of the API's list keeps (repeat to combine): {names}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = file_format(options["file"], options["format"])
        database = vba_database_option(options["database"]) if self.vba else None
        with use_vba_database(database) if database else nullcontext():
            queryset = self._filtered(self.queryset(options), options["filter"])
            with progress_bar() as progress, _target(options["file"], self.stdout) as out:
                total = queryset.count() if not progress.disable else None
                task = progress.add_task(f"{self.label} ← {database or 'default'}", total=total)
                text = self.text(queryset, fmt)
                for piece in text:
                    out.write(piece)
                    progress.update(task, completed=text.count)
        self.stderr.write(f"{text.count} {self.label} record(s) exported")

    def _filtered(self, queryset: QuerySet, filters: list[str]) -> QuerySet:
        data = QueryDict(mutable=True)
        for text in filters:
            name, sep, value = text.partition("=")
            if not sep:
                raise CommandError(f"--filter {text!r}: expected NAME=VALUE")
            if name not in self.filterset_class.base_filters:
                known = ", ".join(self.filterset_class.base_filters)
                raise CommandError(f"--filter {name!r}: no such filter (filters: {known})")
            data.appendlist(name, value)
        filterset = self.filterset_class(data, queryset=queryset)
        if not filterset.is_valid():
            problems = "; ".join(
                f"{name}={data.get(name)!r}: {' '.join(errors)}" for name, errors in filterset.errors.items()
            )
            raise CommandError(f"--filter {problems}")
        return filterset.qs


@contextmanager
def _target(path: str | None, stdout: Any) -> Iterator[TextSink]:
    """Standard output, or ``path`` written whole or not at all (a temporary file renamed when complete)."""
    if path is None:
        yield _Unbuffered(stdout)
        return
    final = Path(path)
    partial = final.with_name(final.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(partial, final)
    except OSError as exc:
        raise CommandError(f"Cannot write {path}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


class _Unbuffered:
    """A text stream over a command's ``stdout`` (which would add a newline to every write)."""

    def __init__(self, stdout: Any) -> None:
        self._stdout = stdout

    def write(self, text: str) -> int:
        self._stdout.write(text, ending="")
        return len(text)


class VBAExportCommand(ExportCommand):
    """A VBA resource's records as its list endpoint renders them, in key order. Subclasses set ``resource`` and
    ``filterset_class`` and may narrow :meth:`queryset`."""

    resource: BatchResource

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.resource.label

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        return self.resource.spec.model._default_manager.order_by("pk")

    def text(self, queryset: QuerySet, fmt: str) -> RecordText:
        return vba_text(self.resource.spec, queryset, fmt, self.chunk_size)
