"""A python client generated (OpenAPI Generator, as tests/config/test_generated_clients.py builds them, cached the
same way) from VBA's review document and one from our ``/api/schema/`` drive the decision-code operations against a
live server: create a code, batch, get, update, process-status, auth-actions, delete; then the procedure lines
(batch create, list, get → modify → put, batch delete) and the reviews (create, batch, list, get → put, delete).
Every answer must deserialize into the generated type and carry no key that type lacks."""

from __future__ import annotations

import urllib.request
from types import ModuleType
from typing import Any

import pytest
from django.core.cache import cache

from config.vba.authentication import issue_tokens
from tests import contracts
from tests.authorizations.factories import auth_item
from tests.config.openapi_diff import REVIEW_OPERATIONS
from tests.config.test_generated_clients import CheckedApi, _fields, _operations, generate, load
from tests.conftest import ALL, VBAClient

pytestmark = pytest.mark.django_db(transaction=True, databases=ALL)

PACKAGES = {"review": "review_client", "ours": "our_client"}


@pytest.fixture(scope="session")
def clients(live_server: Any, django_db_blocker: Any) -> dict[str, ModuleType]:
    request = urllib.request.Request(f"{live_server.url}/api/schema/", headers={"Accept": "application/json"})
    with django_db_blocker.unblock(), urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        ours = response.read()
    documents = {"review": contracts.read_bytes("vba-openapi-review.json"), "ours": ours}
    return {name: load(generate(documents[name], PACKAGES[name]), PACKAGES[name]) for name in PACKAGES}


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
    for name in (*names, "AuthProcCodesVBAResponse", "AuthProcCodesListVBAResponse", *reviews):
        assert _fields(getattr(ours, name), "our_client") == _fields(getattr(review, name), "review_client"), name


def _api(document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str) -> Any:
    m = clients[document]
    host = f"{live_server.url}/vbasoftware" if document == "review" else live_server.url
    config = m.Configuration(host=host)
    config.api_key["apiKeyAuth"] = api_key
    config.access_token = issue_tokens(user, "demo")["authenticationResult"]["idToken"]
    return m, CheckedApi(m.DefaultApi(m.ApiClient(config))), config.access_token


@pytest.mark.parametrize("document", sorted(PACKAGES))
def test_a_generated_client_drives_procedure_lines(
    document: str, clients: dict[str, ModuleType], live_server: Any, user: Any, api_key: str, settings: Any
) -> None:
    settings.VBA_RATE_LIMIT_PER_SECOND = 0
    cache.clear()
    m, api, token = _api(document, clients, live_server, user, api_key)
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
    m, api, token = _api(document, clients, live_server, user, api_key)
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
