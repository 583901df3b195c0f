"""A python client generated from VBA's review document and one from our ``/api/schema/`` (tests/review_clients.py)
drive a care case's work log (issue 24) against a live server: create an entry (key 0: assigned), a batch (207 per
item), the list (paged), get → modify → put, delete; a case that still has entries is refused on delete (409, through
the generated ``delete_care_case``). Every answer must deserialize into the generated type and carry no key that type
lacks (``CheckedApi``)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from django.core.cache import cache

from tests.carecases.conftest import case_item, plan_item
from tests.config.openapi_diff import REVIEW_OPERATIONS
from tests.config.test_generated_clients import _fields, _operations
from tests.conftest import ALL, VBAClient
from tests.review_clients import PACKAGES, review_api

pytestmark = pytest.mark.django_db(transaction=True, databases=ALL)

MODELS = ("CareCaseWorkLog", "CareCaseWorkLogVBAResponse", "CareCaseWorkLogListVBAResponse")


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_drives_a_cases_work_log(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m, api, token = review_api(document, clients, live_server, user, api_key)
    db = "demo"
    plain = VBAClient(api_key, token)
    assert plain.call("POST", "care-plans", plan_item(1)).status_code == 200
    assert plain.call("PUT", "care-plans/1/cases-batch", [case_item(1), case_item(2)]).status_code == 207

    def entry(key: int = 0, case: int = 1, **fields: Any) -> Any:
        return m.CareCaseWorkLog.from_dict(
            {"careCaseWorkLog_Key": key, "case_Key": case, "workLog_Billable": False, **fields}
        )

    created = api.create_care_case_work_log(
        vbasoftware_database=db,
        case_key=1,
        care_case_work_log=entry(workLog_Type="CALL", workLog_Minute=20, workLog_Comment="Intake call"),
    )
    assert isinstance(created, m.CareCaseWorkLogVBAResponse) and isinstance(created.data, m.CareCaseWorkLog)
    key = created.data.care_case_work_log_key
    assert key > 0 and created.data.case_key == 1
    assert (created.data.work_log_user, created.data.entry_user) == ("alice", "alice")  # null user: the caller
    assert created.data.work_log_date is not None and created.data.work_log_billable is False

    outcome = api.update_batch_care_case_work_log(
        vbasoftware_database=db,
        case_key=1,
        care_case_work_log=[
            entry(workLog_Type="VISIT", workLog_Hour=1, workLog_Billable=True, workLog_User="rn.chen"),
            entry(workLog_Type="EMAIL", workLog_Date="2026-03-02T09:30:00Z"),
            entry(case=2, workLog_Type="CALL"),  # another case than the path's: refused alone
        ],
    )
    assert isinstance(outcome, m.MultiCodeResponseListVBAResponse)
    assert [(r.id[0].key, r.status) for r in outcome.data] == [("careCaseWorkLog_Key", 201)] * 2 + [
        ("careCaseWorkLog_Key", 400)
    ]
    assert "the path says 1" in outcome.data[2].body
    batch_keys = [int(r.id[0].value) for r in outcome.data[:2]]
    assert len({key, *batch_keys}) == 3

    listed = api.list_care_case_work_log(
        vbasoftware_database=db, case_key=1, page=1, page_size=2, sort_by="workLog_Type"
    )
    assert isinstance(listed, m.CareCaseWorkLogListVBAResponse)
    assert [e.work_log_type for e in listed.data] == ["CALL", "EMAIL"]
    rest = api.list_care_case_work_log(vbasoftware_database=db, case_key=1, page=2, page_size=2, sort_by="workLog_Type")
    assert [(e.work_log_type, e.work_log_user, e.work_log_billable) for e in rest.data] == [("VISIT", "rn.chen", True)]
    assert api.list_care_case_work_log(vbasoftware_database=db, case_key=2).data == []

    read = api.get_care_case_work_log(vbasoftware_database=db, case_key=1, care_case_work_log_key=key)
    assert isinstance(read.data, m.CareCaseWorkLog) and read.data.work_log_comment == "Intake call"
    read.data.work_log_minute, read.data.work_log_comment, read.data.work_log_units = 35, "Intake call, follow-up", 2
    updated = api.update_care_case_work_log(
        vbasoftware_database=db, case_key=1, care_case_work_log_key=key, care_case_work_log=read.data
    )
    assert (updated.data.work_log_minute, updated.data.work_log_comment, updated.data.work_log_units) == (
        35,
        "Intake call, follow-up",
        2,
    )
    assert (updated.data.work_log_user, updated.data.work_log_date) == (
        read.data.work_log_user,
        read.data.work_log_date,
    )
    assert updated.data.entry_date == read.data.entry_date
    assert api.get_care_case_work_log(vbasoftware_database=db, case_key=1, care_case_work_log_key=key).data == (
        updated.data
    )
    with pytest.raises(m.ApiException) as elsewhere:  # an entry is found only under its own case's path
        api.get_care_case_work_log(vbasoftware_database=db, case_key=2, care_case_work_log_key=key)
    assert elsewhere.value.status == 404

    # the case still has entries: deleting it is refused (decision 15: never a cascade); VBA's review document has no
    # case operations, so our client (which has every operation) asks
    ours = review_api("ours", clients, live_server, user, api_key)[1]
    with pytest.raises(clients["ours"].ApiException) as refused:
        ours.delete_care_case(vbasoftware_database=db, care_plan_key=1, case_key=1)
    assert refused.value.status == 409 and "still has 3 work log entries" in refused.value.body

    for gone in (key, *batch_keys):
        assert api.delete_care_case_work_log(vbasoftware_database=db, case_key=1, care_case_work_log_key=gone) is None
    with pytest.raises(m.ApiException) as missing:
        api.get_care_case_work_log(vbasoftware_database=db, case_key=1, care_case_work_log_key=key)
    assert missing.value.status == 404
    assert api.list_care_case_work_log(vbasoftware_database=db, case_key=1).data == []
    assert ours.delete_care_case(vbasoftware_database=db, care_plan_key=1, case_key=1) is None


def test_our_client_has_the_review_documents_work_log_operations_and_models(clients: dict[str, ModuleType]) -> None:
    review, ours = clients["review"], clients["ours"]
    theirs, mine = _operations(review), _operations(ours)
    operations = [name for name in REVIEW_OPERATIONS if "care_case_work_log" in name]
    assert len(operations) == 6
    for name in operations:
        assert mine[name][: len(theirs[name])] == theirs[name], name
    for name in MODELS:
        assert _fields(getattr(ours, name), "our_client") == _fields(getattr(review, name), "review_client"), name
