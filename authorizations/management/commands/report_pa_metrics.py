"""``manage.py report_pa_metrics --database D --year Y [--format table|json|csv]``: the prior-authorization metrics
of one calendar year (vba-review.md decision 19), as :func:`authorizations.vba.metrics.pa_metrics` computes them."""

from __future__ import annotations

import argparse
import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from authorizations.vba.clock import expedited_window, standard_window
from authorizations.vba.metrics import (
    FIELDS,
    HEADINGS,
    PAMetricsRow,
    cell,
    pa_metrics,
    parse_year,
    table_title,
    window_hours,
)
from config.records.commands import vba_database_option

FORMATS = ("table", "json", "csv")


def year_argument(text: str) -> int:
    """``--year``: :func:`parse_year`'s rule, its message as the command's error."""
    try:
        return parse_year(text)
    except ValueError as refused:
        raise argparse.ArgumentTypeError(str(refused)) from None


class Command(BaseCommand):
    help = (
        "The prior-authorization metrics (CMS-0057-F; vba-review.md decision 19) of one calendar year of a VBA "
        "database, per standard and expedited requests, a line for Auths without received_Date and one for "
        "adjustments: received, % approved, % denied, % approved after an earlier denial, average and median "
        "decision time in hours, % decided within the due time. See README 'Prior-authorization metrics' for "
        "each definition."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", required=True, help="the VBA database to read")
        parser.add_argument(
            "--year",
            type=year_argument,
            required=True,
            help=f"the calendar year of received_Date (in {settings.TIME_ZONE})",
        )
        parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), json or csv")

    def handle(self, *args: Any, **options: Any) -> None:
        database = vba_database_option(options["database"])
        year = options["year"]
        rows = pa_metrics(database=database, year=year)
        render = {"table": self.table, "json": self.json, "csv": self.csv}[options["format"]]
        self.stdout.write(render(database, year, rows), ending="")

    def table(self, database: str, year: int, rows: list[PAMetricsRow]) -> str:
        title = table_title(database, year) + "\n"
        cells = [[HEADINGS[f] for f in FIELDS]] + [[cell(v) for v in row.as_dict().values()] for row in rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(FIELDS))]
        lines = [
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True)))
            for line in cells
        ]
        return title + "\n".join(lines) + "\n"

    def json(self, database: str, year: int, rows: list[PAMetricsRow]) -> str:
        document = {
            "database": database,
            "year": year,
            "time_zone": settings.TIME_ZONE,
            "expedited_hours": window_hours(expedited_window()),
            "standard_hours": window_hours(standard_window()),
            "rows": [{k: _number(v) for k, v in row.as_dict().items()} for row in rows],
        }
        return json.dumps(document, indent=2) + "\n"

    def csv(self, database: str, year: int, rows: list[PAMetricsRow]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["database", "year", *FIELDS])
        for row in rows:
            writer.writerow([database, year, *("" if v is None else v for v in row.as_dict().values())])
        return out.getvalue()


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
