from authorizations.vba.transfer import AUTH_CODE_FILE, AuthCodeFileFilter
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the decision codes (AuthCode) of one VBA database, as GET /auth-codes renders them plus their audit "
        "columns, to FILE or standard output as a JSON array, NDJSON or CSV, in key order; upsert_auth_codes reads "
        "the same files back."
    )
    resource = AUTH_CODE_FILE
    filterset_class = AuthCodeFileFilter
