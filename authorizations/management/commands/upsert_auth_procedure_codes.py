from authorizations.vba.transfer import AUTH_PROC_CODES_FILE
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the procedure lines (AuthProcCodes) of a file (VBA JSON names; the audit columns "
        "export_auth_procedure_codes writes are kept with --keep-audit) in one VBA database through the batch engine "
        "of the procedure-codes endpoints: each line's Auth must exist (400 for that line); a key of 0 is assigned. "
        "Prints counts per status and each failure, exits non-zero if any item failed."
    )
    resource = AUTH_PROC_CODES_FILE
