from authorizations.vba.transfer import AUTH_CODE_FILE
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the decision codes (AuthCode) of a file (VBA JSON names; the audit columns "
        "export_auth_codes writes are kept with --keep-audit) in one VBA database through the same engine as "
        "PUT /auth-codes-batch; prints counts per status and each failure, exits non-zero if any item failed."
    )
    resource = AUTH_CODE_FILE
