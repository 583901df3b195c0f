from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from authorizations.spry.services import spry_client_create


class Command(BaseCommand):
    help = (
        "Create an OAuth 2.0 client (client credentials) of the Spry Authorization API for one organisation and "
        "print its client id and secret. The secret is stored hashed: this is the only time it is shown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A name for the client, e.g. the integration that will use it")
        parser.add_argument("--organisation", type=int, required=True, help="The organisation id its tokens act for")
        parser.add_argument(
            "--clinic",
            type=int,
            action="append",
            default=[],
            dest="clinics",
            help="A clinic id reported in the token response's clinic_id_list (repeat for several)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["organisation"] < 0 or any(c < 0 for c in options["clinics"]):
            self.stderr.write("Organisation and clinic ids are non-negative integers.")
            raise SystemExit(2)
        application, secret = spry_client_create(
            name=options["name"], organisation_id=options["organisation"], clinic_ids=options["clinics"]
        )
        self.stdout.write(f"OAuth client {application.name!r} for organisation {options['organisation']}")
        self.stdout.write(f"client_id:     {application.client_id}")
        self.stdout.write(f"client_secret: {secret}")
        self.stdout.write("Store the secret now: it is kept hashed and cannot be shown again.")
