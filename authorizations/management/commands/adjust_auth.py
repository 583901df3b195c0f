from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import APIException

from authorizations.management.commands.process_status import _detail
from authorizations.vba.services import auth_adjust
from config.records.commands import vba_database_option
from config.records.databases import use_vba_database


class Command(BaseCommand):
    help = (
        "Adjust an Auth (decision 20), as POST /auths/{authNumber}/adjust does: a new Auth under the next number with "
        "the new approval period and the lines asked for; the same service, checks and history rows."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", required=True, help="the VBA database of the Auth")
        parser.add_argument("auth_number", metavar="AUTH_NUMBER")
        parser.add_argument("--approved-from", help="the new period's start (default: the original's)")
        parser.add_argument("--approved-thru", help="the new period's end (default: the original's)")
        parser.add_argument("--copy-proc-codes", action="store_true", help="copy the procedure lines")
        parser.add_argument("--copy-diag-codes", action="store_true", help="copy the diagnoses")
        parser.add_argument("--procedure-code", help="one line with this code (when lines are not copied)")
        parser.add_argument("--recalc-ibnr", action="store_true", help="recorded in the history (no IBNR here)")
        parser.add_argument(
            "--user", help="username stamped on the audit fields and the history (default: first superuser)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = vba_database_option(options["database"])
        users = get_user_model().objects
        name = options.get("user")
        user = users.filter(username=name).first() if name else users.filter(is_superuser=True).first()
        if user is None:
            raise CommandError(f"No user {name!r}" if name else "No superuser exists; pass --user")
        adjustment = {
            "auth_Number": options["auth_number"],
            "approved_From": options.get("approved_from"),
            "approved_Thru": options.get("approved_thru"),
            "recalcIBNR": options["recalc_ibnr"],
            "copyProcCodes": options["copy_proc_codes"],
            "copyDiagCodes": options["copy_diag_codes"],
            "procedure_Code": options.get("procedure_code"),
        }
        with use_vba_database(database):
            try:
                auth = auth_adjust(auth_number=options["auth_number"], adjustment=adjustment, user=user)
            except APIException as exc:
                raise CommandError(_detail(exc.detail)) from None
        self.stdout.write(f"Auth {auth.auth_number} adjusts Auth {options['auth_number']}")
