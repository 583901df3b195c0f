"""A python client generated (OpenAPI Generator, as tests/config/test_generated_clients.py builds them, cached the
same way) from VBA's review document and one from our ``/api/schema/`` drive the decision-code operations against a
live server: create a code, batch, get, update, process-status, auth-actions, delete; then the procedure lines
(batch create, list, get → modify → put, batch delete), the reviews (create, batch, list, get → put, delete), the
diagnoses (all 7 operations, get → modify → put) and an adjustment.
Every answer must deserialize into the generated type and carry no key that type lacks."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from django.core.cache import cache

from config.vba.authentication import issue_tokens
from tests.authorizations.factories import auth_item
from tests.config.openapi_diff import REVIEW_OPERATIONS
from tests.config.test_generated_clients import CheckedApi, _fields, _operations
from tests.conftest import ALL, VBAClient
from tests.review_clients import PACKAGES, review_api

pytestmark = pytest.mark.django_db(transaction=True, databases=ALL)


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_decides_an_auth(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m = clients[document]
    host = f"{live_server.url}/vbasoftware" if document == "review" else live_server.url
    config = m.Configuration(host=host)
    config.api_key["apiKeyAuth"] = api_key
    config.access_token = issue_tokens(user, "demo")["authenticationResult"]["idToken"]
    api = CheckedApi(m.DefaultApi(m.ApiClient(config)))
    db = "demo"
    assert VBAClient(api_key, config.access_token).call("PUT", "auths", [auth_item("G1")]).status_code == 207

    created = api.create_auth_code(
        vbasoftware_database=db, auth_code=m.AuthCode.from_dict({"auth_Code": "APPR", "auth_Action": "A"})
    )
    assert isinstance(created, m.AuthCodeVBAResponse) and created.data.auth_code == "APPR"
    assert created.data.description is None

    items = [
        m.AuthCode.from_dict({"auth_Code": "DENY", "auth_Action": "D", "description": "Not covered"}),
        m.AuthCode.from_dict({"auth_Code": "APPR", "auth_Action": "A", "description": "Approved"}),
        m.AuthCode.from_dict({"auth_Code": "ODD", "auth_Action": "Q"}),
    ]
    outcome = api.update_batch_auth_code(vbasoftware_database=db, auth_code=items)
    assert isinstance(outcome, m.MultiCodeResponseListVBAResponse)
    assert [(r.id[0].key, r.id[0].value, r.status) for r in outcome.data] == [
        ("auth_Code", "DENY", 201),
        ("auth_Code", "APPR", 200),
        ("auth_Code", "ODD", 400),
    ]

    read = api.get_auth_code(vbasoftware_database=db, auth_code="DENY")
    assert isinstance(read.data, m.AuthCode) and read.data.auth_action == "D"
    updated = api.update_auth_code(
        vbasoftware_database=db,
        auth_code="DENY",
        auth_code2=m.AuthCode.from_dict({"auth_Code": "DENY", "auth_Action": "R"}),
    )
    assert (updated.data.auth_action, updated.data.description) == ("R", None)

    decided = api.auth_process_status(vbasoftware_database=db, auth_number="G1", new_auth_code="DENY")
    assert isinstance(decided, m.AuthVBAResponse) and isinstance(decided.data, m.Auth)
    assert (decided.data.auth_number, decided.data.auth_code, decided.data.status) == ("G1", "DENY", "PARTIAL")
    assert decided.data.approved_by == "alice" and decided.data.approved_date is not None

    actions = api.list_auth_action(vbasoftware_database=db)
    assert isinstance(actions, m.AuthActionListVBAResponse)
    assert [(a.auth_action, bool(a.description)) for a in actions.data] == [
        (letter, True) for letter in ("A", "D", "P", "V", "R")
    ]

    with pytest.raises(m.ApiException) as in_use:  # G1 is decided with DENY: the code stays
        api.delete_auth_code(vbasoftware_database=db, auth_code="DENY")
    assert in_use.value.status == 409 and "is the decision of 1 Auth(s) (G1)" in str(in_use.value.body)
    assert api.delete_auth_code(vbasoftware_database=db, auth_code="APPR") is None
    with pytest.raises(m.ApiException) as missing:
        api.get_auth_code(vbasoftware_database=db, auth_code="APPR")
    assert missing.value.status == 404


def test_our_client_has_the_review_documents_decision_operations_and_models(clients: dict[str, ModuleType]) -> None:
    review, ours = clients["review"], clients["ours"]
    theirs, mine = _operations(review), _operations(ours)
    for name in REVIEW_OPERATIONS:
        assert mine[name][: len(theirs[name])] == theirs[name], name
    names = ("AuthCode", "AuthAction", "AuthCodeVBAResponse", "AuthActionListVBAResponse", "Auth", "AuthProcCodes")
    reviews = ("AuthReview", "AuthReviewVBAResponse", "AuthReviewListVBAResponse")
    diagnoses = ("AuthDiagCodes", "AuthDiagCodesVBAResponse", "AuthDiagCodesListVBAResponse", "AuthAdjustment")
    for name in (*names, "AuthProcCodesVBAResponse", "AuthProcCodesListVBAResponse", *reviews, *diagnoses):
        assert _fields(getattr(ours, name), "our_client") == _fields(getattr(review, name), "review_client"), name


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_drives_procedure_lines(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m, api, token = review_api(document, clients, live_server, user, api_key)
    db = "demo"
    assert VBAClient(api_key, token).call("PUT", "auths", [auth_item("L1")]).status_code == 207

    def item(code: str, key: int = 0) -> Any:
        return m.AuthProcCodes.from_dict(
            {"authProcCodes_Key": key, "auth_Number": "L1", "exclude_Modifier_Match": False, "procedure_Code": code}
        )

    outcome = api.create_auth_proc_code_batch(
        vbasoftware_database=db, auth_number="L1", auth_proc_codes=[item("99213"), item("99214")]
    )
    assert isinstance(outcome, m.MultiCodeResponseListVBAResponse)
    assert [(r.id[0].key, r.status) for r in outcome.data] == [("authProcCodes_Key", 201)] * 2
    keys = [int(r.id[0].value) for r in outcome.data]

    created = api.create_auth_proc_code(vbasoftware_database=db, auth_number="L1", auth_proc_codes=item("99215"))
    assert isinstance(created, m.AuthProcCodesVBAResponse) and created.data.auth_proc_codes_key not in keys

    listed = api.list_auth_proc_code_by_auth(vbasoftware_database=db, auth_number="L1")
    assert isinstance(listed, m.AuthProcCodesListVBAResponse)
    assert [r.procedure_code for r in listed.data] == ["99213", "99214", "99215"]

    read = api.get_auth_proc_code(vbasoftware_database=db, auth_number="L1", procedure_code_key=keys[0])
    assert isinstance(read.data, m.AuthProcCodes) and read.data.units_approved is None
    read.data.units_requested, read.data.units_approved = 4, 3
    updated = api.update_auth_proc_code(
        vbasoftware_database=db, auth_number="L1", procedure_code_key=keys[0], auth_proc_codes=read.data
    )
    assert (updated.data.units_requested, updated.data.units_approved) == (4, 3)
    assert (
        api.get_auth_proc_code(vbasoftware_database=db, auth_number="L1", procedure_code_key=keys[0]).data
        == updated.data
    )

    gone = api.delete_auth_proc_code_batch(
        vbasoftware_database=db, auth_number="L1", request_body=[*keys, created.data.auth_proc_codes_key, 999999]
    )
    assert [r.status for r in gone.data] == [200, 200, 200, 404]
    assert api.list_auth_proc_code_by_auth(vbasoftware_database=db, auth_number="L1").data == []
    with pytest.raises(m.ApiException) as missing:
        api.get_auth_proc_code(vbasoftware_database=db, auth_number="L1", procedure_code_key=keys[0])
    assert missing.value.status == 404


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_drives_reviews(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m, api, token = review_api(document, clients, live_server, user, api_key)
    db = "demo"
    assert VBAClient(api_key, token).call("PUT", "auths", [auth_item("V1"), auth_item("V2")]).status_code == 207

    created = api.create_auth_review(
        vbasoftware_database=db,
        auth_review=m.AuthReview.from_dict({"authReview_Key": 0, "auth_Number": "V1", "review_Level": "1"}),
    )
    assert isinstance(created, m.AuthReviewVBAResponse) and isinstance(created.data, m.AuthReview)
    key = created.data.auth_review_key
    assert key > 0 and created.data.review_user == "alice" and created.data.review_date is not None

    outcome = api.update_batch_auth_review(
        vbasoftware_database=db,
        auth_review=[
            m.AuthReview.from_dict({"authReview_Key": 0, "auth_Number": "V2", "review_User": "drsmith"}),
            m.AuthReview.from_dict({"authReview_Key": 0, "auth_Number": "NOPE"}),
        ],
    )
    assert [(r.id[0].key, r.status) for r in outcome.data] == [("authReview_Key", 201), ("authReview_Key", 400)]

    listed = api.list_auth_reviews(vbasoftware_database=db, auth_number="V1", page=1, page_size=10)
    assert isinstance(listed, m.AuthReviewListVBAResponse) and [r.auth_review_key for r in listed.data] == [key]

    read = api.get_auth_review(vbasoftware_database=db, auth_review_key=key)
    read.data.review_level, read.data.review_comment = "2", "physician review"
    updated = api.update_auth_review(vbasoftware_database=db, auth_review_key=key, auth_review=read.data)
    assert (updated.data.review_level, updated.data.review_comment) == ("2", "physician review")
    assert updated.data.review_date == read.data.review_date
    assert api.get_auth_review(vbasoftware_database=db, auth_review_key=key).data == updated.data

    assert api.delete_auth_review(vbasoftware_database=db, auth_review_key=key) is None
    with pytest.raises(m.ApiException) as missing:
        api.get_auth_review(vbasoftware_database=db, auth_review_key=key)
    assert missing.value.status == 404


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_drives_diagnoses(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m, api, token = review_api(document, clients, live_server, user, api_key)
    db = "demo"
    assert VBAClient(api_key, token).call("PUT", "auths", [auth_item("X1"), auth_item("X2")]).status_code == 207

    def item(code: str, code_type: str = "ICD10", auth: str = "X1", **fields: Any) -> Any:
        return m.AuthDiagCodes.from_dict(
            {
                "auth_Number": auth,
                "diagnostic_Code": code,
                "diagnostic_Code_Type": code_type,
                "disable_Provider_Match": False,
                **fields,
            }
        )

    created = api.create_auth_diag_code(vbasoftware_database=db, auth_number="X1", auth_diag_codes=item("E11.9"))
    assert isinstance(created, m.AuthDiagCodesVBAResponse) and isinstance(created.data, m.AuthDiagCodes)
    assert (created.data.diagnostic_code, created.data.entry_user, created.data.disable_diag_code_match) == (
        "E11.9",
        "alice",
        False,
    )

    outcome = api.update_auth_diag_code_batch(
        vbasoftware_database=db,
        auth_number="X1",
        auth_diag_codes=[item("E11.9", "ICD9"), item("I10", primary_Diag="Y"), item("J45", auth="X2")],
    )
    assert isinstance(outcome, m.MultiCodeResponseListVBAResponse)
    assert [[(i.key, i.value) for i in r.id] + [r.status] for r in outcome.data] == [
        [("auth_Number", "X1"), ("diagnostic_Code", "E11.9"), ("diagnostic_Code_Type", "ICD9"), 201],
        [("auth_Number", "X1"), ("diagnostic_Code", "I10"), ("diagnostic_Code_Type", "ICD10"), 201],
        [("auth_Number", "X2"), ("diagnostic_Code", "J45"), ("diagnostic_Code_Type", "ICD10"), 400],
    ]

    listed = api.get_auth_diag_code_list(vbasoftware_database=db, auth_number="X1")
    assert isinstance(listed, m.AuthDiagCodesListVBAResponse)
    assert sorted((d.diagnostic_code, d.diagnostic_code_type) for d in listed.data) == [
        ("E11.9", "ICD10"),
        ("E11.9", "ICD9"),
        ("I10", "ICD10"),
    ]
    versions = api.get_diag_code_list(vbasoftware_database=db, auth_number="X1", diagnostic_code="E11.9")
    assert isinstance(versions, m.AuthDiagCodesListVBAResponse)
    assert [d.diagnostic_code_type for d in versions.data] == ["ICD10", "ICD9"]

    key = {"auth_number": "X1", "diagnostic_code": "I10", "diagnostic_code_type": "ICD10"}
    read = api.get_diag_code(vbasoftware_database=db, **key)
    assert isinstance(read.data, m.AuthDiagCodes) and read.data.primary_diag == "Y"
    read.data.primary_diag, read.data.disable_diag_code_match = "N", True
    updated = api.update_auth_diag_code(vbasoftware_database=db, **key, auth_diag_codes=read.data)
    assert (updated.data.primary_diag, updated.data.disable_diag_code_match) == ("N", True)
    assert updated.data.entry_date == read.data.entry_date
    assert api.get_diag_code(vbasoftware_database=db, **key).data == updated.data
    with pytest.raises(m.ApiException) as mismatch:
        api.update_auth_diag_code(vbasoftware_database=db, **key, auth_diag_codes=item("I11"))
    assert mismatch.value.status == 400 and "diagnostic_Code" in mismatch.value.body

    assert api.delete_auth_diag_code(vbasoftware_database=db, **key) is None
    with pytest.raises(m.ApiException) as missing:
        api.get_diag_code(vbasoftware_database=db, **key)
    assert missing.value.status == 404
    assert len(api.get_auth_diag_code_list(vbasoftware_database=db, auth_number="X1").data) == 2


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_adjusts_an_auth(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m, api, token = review_api(document, clients, live_server, user, api_key)
    db = "demo"
    plain = VBAClient(api_key, token)
    assert plain.call("PUT", "auths", [auth_item("J1", status="APPROVED", auth_Code="APPR")]).status_code == 207
    diagnosis = {"auth_Number": "J1", "diagnostic_Code": "M54.5", "diagnostic_Code_Type": "ICD10"}
    response = plain.call("POST", "auths/J1/diagnostic-codes", {**diagnosis, "disable_Provider_Match": False})
    assert response.status_code == 200

    adjusted = api.auth_adjustment(
        vbasoftware_database=db,
        auth_number="J1",
        auth_adjustment=m.AuthAdjustment.from_dict(
            {
                "auth_Number": "J1",
                "approved_From": "2026-03-01T00:00:00Z",
                "approved_Thru": "2026-06-30T00:00:00Z",
                "recalcIBNR": False,
                "copyProcCodes": False,
                "copyDiagCodes": True,
                "procedure_Code": "97110",
            }
        ),
    )
    assert isinstance(adjusted, m.AuthVBAResponse) and isinstance(adjusted.data, m.Auth)
    new = adjusted.data
    assert new.auth_number != "J1" and (new.prior_auth, new.status, new.auth_code) == ("J1", "APPROVED", "APPR")
    assert (new.approved_from.month, new.approved_thru.month) == (3, 6)
    diagnoses = api.get_auth_diag_code_list(vbasoftware_database=db, auth_number=new.auth_number).data
    assert [d.diagnostic_code for d in diagnoses] == ["M54.5"]
    lines = api.list_auth_proc_code_by_auth(vbasoftware_database=db, auth_number=new.auth_number).data
    assert [line.procedure_code for line in lines] == ["97110"]
    with pytest.raises(m.ApiException) as other:
        api.auth_adjustment(
            vbasoftware_database=db,
            auth_number="J1",
            auth_adjustment=m.AuthAdjustment.from_dict(
                {"auth_Number": "J2", "recalcIBNR": False, "copyProcCodes": False, "copyDiagCodes": False}
            ),
        )
    assert other.value.status == 400 and "auth_Number" in other.value.body
