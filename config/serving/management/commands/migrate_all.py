from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connections


class Command(BaseCommand):
    help = "Migrate the default database and every VBA database (VBA_DATABASES)."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        aliases = ["default", *settings.VBA_DATABASES]
        for alias in aliases:  # every database answers before any is migrated
            try:
                connections[alias].ensure_connection()
            except OperationalError as exc:
                reason = " ".join(str(exc).split())
                setting = "DATABASE_URL" if alias == "default" else "VBA_DATABASES"
                raise CommandError(
                    f"Database {alias!r} cannot be reached ({reason}); create it or correct {setting}. "
                    "Nothing was migrated."
                ) from None
        for alias in aliases:
            self.stdout.write(f"Migrating {alias}...")
            call_command("migrate", database=alias, interactive=False, verbosity=max(0, verbosity - 1))
        self.stdout.write(self.style.SUCCESS(f"Migrated default and {len(settings.VBA_DATABASES)} VBA database(s)."))
