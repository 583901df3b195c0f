from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the default database and every VBA database (VBA_DATABASES)."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        for alias in ["default", *settings.VBA_DATABASES]:
            self.stdout.write(f"Migrating {alias}...")
            call_command("migrate", database=alias, interactive=False, verbosity=max(0, verbosity - 1))
        self.stdout.write(self.style.SUCCESS(f"Migrated default and {len(settings.VBA_DATABASES)} VBA database(s)."))
