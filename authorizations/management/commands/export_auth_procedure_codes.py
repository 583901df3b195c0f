from authorizations.vba.transfer import AUTH_PROC_CODES_FILE, AuthProcCodesFileFilter
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the procedure lines (AuthProcCodes) of one VBA database, as GET /auths/{authNumber}/procedure-codes "
        "renders them plus their audit columns, to FILE or standard output as a JSON array, NDJSON or CSV, in key "
        "order (--filter authNumber=N: one Auth's lines); upsert_auth_procedure_codes reads the same files back."
    )
    resource = AUTH_PROC_CODES_FILE
    filterset_class = AuthProcCodesFileFilter
