from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from authorizations.spry.selectors import authorizations_due_to_expire
from authorizations.spry.services import authorizations_expire
from config.records.dates import render_datetime


class Command(BaseCommand):
    help = (
        "Set ACTIVE Spry authorizations whose effective end date has passed to EXPIRED (one history row each) and "
        "print each one changed. Run it daily (cron, a scheduler)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only print what would change")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        due = list(authorizations_due_to_expire(now=now))
        if not options["dry_run"]:
            due = authorizations_expire(authorizations=due, reason="expired by expire_authorizations")
        verb = "would expire" if options["dry_run"] else "expired"
        for authorization in due:
            self.stdout.write(
                f"{verb} {authorization.authorization_id} (organisation {authorization.organisation_id}, "
                f"case {authorization.spry_case_id}, effective end {render_datetime(authorization.effective_end_date)})"
            )
        self.stdout.write(f"{len(due)} authorization(s) {verb}.")
