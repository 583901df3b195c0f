from carecases.services import CARE_PLAN
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the CarePlans of a file (a JSON array, NDJSON or CSV; VBA JSON names) in one VBA database "
        "through the same engine as the API; prints counts per status and each failure, exits non-zero if any item "
        "failed."
    )
    resource = CARE_PLAN
