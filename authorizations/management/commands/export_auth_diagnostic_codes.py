from typing import Any

from django.db.models import QuerySet

from authorizations.vba.transfer import AUTH_DIAG_CODES_FILE, AuthDiagCodesFileFilter
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the diagnoses (AuthDiagCodes) of one VBA database, as GET /auths/{authNumber}/diagnostic-codes renders "
        "them (audit columns included), to FILE or standard output as a JSON array, NDJSON or CSV, in key order (Auth "
        "number, code, ICD version; --filter authNumber=N: one Auth's diagnoses); upsert_auth_diagnostic_codes reads "
        "the same files back."
    )
    resource = AUTH_DIAG_CODES_FILE
    filterset_class = AuthDiagCodesFileFilter

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        # VBA's key, field by field (the one-column key's JSON text would sort "A 1" before "A"), as the API lists
        return self.resource.spec.model._default_manager.order_by(
            "auth_number", "diagnostic_code", "diagnostic_code_type"
        )
