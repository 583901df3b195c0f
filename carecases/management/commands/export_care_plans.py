from carecases.filters import CarePlanFilter
from carecases.services import CARE_PLAN
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the CarePlans of one VBA database (as GET /care-plans renders them) to FILE or standard output as a "
        "JSON array, NDJSON or CSV, in key order; upsert_care_plans reads the same files back."
    )
    resource = CARE_PLAN
    filterset_class = CarePlanFilter
