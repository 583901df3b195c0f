from typing import Any

from carecases.transfer import AS_IN_FILE, CARE_CASE_WORK_LOG_FILE
from config.records.batch import CALLER
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the care case work log entries (CareCaseWorkLog) of a file (VBA JSON names; the audit "
        "columns export_care_case_work_logs writes are kept with --keep-audit, and so is a null "
        "workLog_User/workLog_Date, else they are the importing user and now) in one VBA database through the same "
        "engine as PUT /cases/{caseKey}/work-logs-batch: each entry's case must exist and an entry is never moved to "
        "another case (400 for that entry); a key of 0 is assigned. Prints counts per status and each failure, exits "
        "non-zero if any item failed."
    )
    resource = CARE_CASE_WORK_LOG_FILE

    def context(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["keep_audit"]:
            return {AS_IN_FILE: True}
        return {CALLER: self._user(options.get("user"))}
