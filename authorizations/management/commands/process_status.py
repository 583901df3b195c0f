from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import APIException

from authorizations.vba.services import auth_process_status
from config.records.commands import vba_database_option
from config.records.databases import use_vba_database


class Command(BaseCommand):
    help = (
        "Decide an Auth with a decision code (decision 17), as POST /auths/{authNumber}/process-status/{newAuthCode} "
        "does: the same service, the same checks, the same history row."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", required=True, help="the VBA database of the Auth")
        parser.add_argument("auth_number", metavar="AUTH_NUMBER")
        parser.add_argument("code", metavar="CODE", help="the AuthCode deciding the Auth")
        parser.add_argument(
            "--user",
            help="username stamped on approved_By, the audit fields and the history (default: first superuser)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = vba_database_option(options["database"])
        users = get_user_model().objects
        name = options.get("user")
        user = users.filter(username=name).first() if name else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError(f"No user {name!r}" if name else "No superuser exists; pass --user")
        with use_vba_database(database):
            try:
                auth = auth_process_status(auth_number=options["auth_number"], code=options["code"], user=user)
            except APIException as exc:
                raise CommandError(_detail(exc.detail)) from None
        self.stdout.write(f"Auth {auth.auth_number}: status {auth.status}, auth_Code {auth.auth_code}")


def _detail(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_detail(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_detail(value) for value in detail)
    return str(detail)
