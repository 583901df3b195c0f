from dataclasses import replace
from typing import Any

from authorizations.vba.transfer import AUTH_DIAG_CODES_FILE
from config.records.batch import ItemResult
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the diagnoses (AuthDiagCodes) of a file (VBA JSON names; the audit columns "
        "export_auth_diagnostic_codes writes are kept with --keep-audit) in one VBA database through the batch engine "
        "of the diagnostic-codes endpoints: each diagnosis's Auth must exist (400 for that diagnosis); a diagnosis is "
        "its Auth number, code and ICD version (the same three replace it). Prints counts per status and each "
        "failure, exits non-zero if any item failed."
    )
    resource = AUTH_DIAG_CODES_FILE

    @property
    def key_json(self) -> str:  # type: ignore[override]
        """A failure names the three key fields (as the batch endpoint's ``id`` does)."""
        return "(auth_Number, diagnostic_Code, diagnostic_Code_Type)"

    def import_chunk(self, items: list[Any], user: Any, options: dict[str, Any]) -> list[ItemResult]:
        """Each result's key as the three fields, whether the engine had made its one-column key or not."""
        results = super().import_chunk(items, user, options)
        return [replace(r, key=tuple(part["value"] for part in self.resource.item_id(r.key))) for r in results]
