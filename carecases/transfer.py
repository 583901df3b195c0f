"""The files of ``export_care_case_work_logs``/``upsert_care_case_work_logs``. VBA's ``CareCaseWorkLog`` JSON has its
audit columns already (like ``AuthDiagCodes``), so a file is each entry as ``GET /cases/{caseKey}/work-logs`` renders
it; the resource is the API's (each entry's case must exist, an entry is never moved to another case, a key of 0 is
assigned), written through the one batch engine, with history rows. With ``--keep-audit`` (``AS_IN_FILE``) a null
``workLog_User``/``workLog_Date`` stays null: an exact copy; otherwise it is the importing user and now, as through
the API."""

from __future__ import annotations

from typing import Any

from carecases.models import CareCaseWorkLog
from carecases.services import CareCaseWorkLogResource
from config.records.batch import IntKeyResource
from config.records.filters import APIFilterSet, int32_filter

#: context key: an import that keeps the file's values as they are (``--keep-audit``), nulls included
AS_IN_FILE = "as_in_file"


class CareCaseWorkLogFileResource(CareCaseWorkLogResource):
    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        if context.get(AS_IN_FILE):  # (an import has no path case: only the key's own rule applies)
            return IntKeyResource.prepare(self, attrs, context)
        return super().prepare(attrs, context)


CARE_CASE_WORK_LOG_FILE = CareCaseWorkLogFileResource()


class CareCaseWorkLogFileFilter(APIFilterSet):
    """The entries of one case, as ``GET /cases/{caseKey}/work-logs`` lists them."""

    caseKey = int32_filter("care_case_id")  # noqa: N815 - VBA's spelling

    class Meta:
        model = CareCaseWorkLog
        fields: list[str] = []
