from authorizations.vba.filters import AuthFilter
from authorizations.vba.services import AUTH
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the Auths of one VBA database (as GET /auths renders them, VBA JSON names) to FILE or standard output "
        "as a JSON array, NDJSON or CSV, in key order; upsert_auths reads the same files back."
    )
    resource = AUTH
    filterset_class = AuthFilter
