from typing import Any

from django.core.management.base import BaseCommand

from config.api.models import APIClient
from config.records.commands import vba_database_option


class Command(BaseCommand):
    help = "Create a VBA API client allowed to use the given databases; prints its x-api-key once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--database", action="append", required=True, help="a VBA database (repeatable)")

    def handle(self, *args: Any, name: str, database: list[str], **options: Any) -> None:
        for alias in database:
            vba_database_option(alias)
        _client, key = APIClient.objects.create_key(name=name, databases=sorted(set(database)))
        self.stdout.write(f"API client {name!r} for {', '.join(sorted(set(database)))}")
        self.stdout.write(f"x-api-key: {key}")
        self.stdout.write("The key is shown only now; store it safely.")
