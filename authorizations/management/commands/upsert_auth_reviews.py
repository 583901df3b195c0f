from typing import Any

from authorizations.vba.transfer import AS_IN_FILE, AUTH_REVIEW_FILE
from config.records.batch import CALLER
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the reviews (AuthReview) of a file (VBA JSON names; the audit columns export_auth_reviews "
        "writes are kept with --keep-audit, and so is a null review_User/review_Date, else they are the importing "
        "user and now) in one VBA database through the same engine as PUT /auth-reviews-batch: each review's Auth "
        "must exist (400 for that review); a key of 0 is assigned. Prints counts per status and each failure, exits "
        "non-zero if any item failed."
    )
    resource = AUTH_REVIEW_FILE

    def context(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["keep_audit"]:
            return {AS_IN_FILE: True}
        return {CALLER: self._user(options.get("user"))}
