from carecases.transfer import CARE_CASE_WORK_LOG_FILE, CareCaseWorkLogFileFilter
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the care case work log entries (CareCaseWorkLog) of one VBA database, as GET "
        "/cases/{caseKey}/work-logs renders them (audit columns included), to FILE or standard output as a JSON "
        "array, NDJSON or CSV, in key order (--filter caseKey=N: one case's entries); upsert_care_case_work_logs "
        "reads the same files back."
    )
    resource = CARE_CASE_WORK_LOG_FILE
    filterset_class = CareCaseWorkLogFileFilter
