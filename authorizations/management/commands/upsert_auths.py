from authorizations.vba.services import AUTH
from config.records.commands import UpsertCommand


class Command(UpsertCommand):
    help = (
        "Create or replace the Auths of a JSON file (an array, VBA JSON names) in one VBA database through the "
        "same engine as PUT /auths; prints counts per status and each failure, exits non-zero if any item failed."
    )
    resource = AUTH
