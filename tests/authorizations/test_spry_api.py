"""Spry Authorization API: the six endpoints of spry.md, the seed's update, history and organisation scoping."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authorizations.models import Authorization, AuthorizationCptCode, AuthorizationIcdCode, Payer
from config.records.dates import render_datetime
from tests.authorizations.spry_fixtures import *  # noqa: F403
from tests.authorizations.spry_fixtures import (
    EXAMPLE_ID,
    GET_EXAMPLE,
    ORG,
    SEED_BODY,
    SEED_RESPONSE,
    SpryApi,
    create_body,
    failed,
    make_authorization,
    ok,
)

pytestmark = pytest.mark.django_db(databases="__all__")

CPT = [
    {"cpt_code": "97110", "description": "Therapeutic exercise", "units_requested": 12, "units_approved": 10},
    {"cpt_code": "97140", "description": None, "units_requested": None, "units_approved": 4},
]
ICD = [
    {"id": 2, "code": "S32.001A", "description": "Stable burst fracture", "revision": "ICD10"},
    {"id": 1, "code": "M72.1", "description": "Knuckle pads", "revision": "ICD10"},
]


def without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names}


def history_count(model: Any, **filters: Any) -> int:
    return int(model.history.filter(**filters).count())


# -- get --------------------------------------------------------------------------------------------------------


def test_get_returns_the_record_in_the_shape_of_spry_md(api: SpryApi, example: Authorization) -> None:
    data = ok(api.call("GET", f"/{EXAMPLE_ID}"))
    assert list(data) == list(GET_EXAMPLE)
    assert without(data, "updated_at") == without(GET_EXAMPLE, "updated_at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", data["updated_at"])


def test_get_of_an_unknown_id_is_4004_with_http_200(api: SpryApi) -> None:
    failed(api.call("GET", "/auth_000000000000000000000000"), 4004, 200, "Authorization not found")


# -- create -----------------------------------------------------------------------------------------------------


def test_create_stores_every_field_and_answers_the_record(api: SpryApi) -> None:
    body = create_body(icd_codes=ICD, cpt_code_authorization_details=CPT, current_visit_count=3)
    body["previous_consumed_visit_count"] = 4
    data = ok(api.call("POST", "", body))
    assert re.fullmatch(r"auth_[0-9a-f]{24}", data["authorization_id"])
    assert data["final_consumed_visit_count"] == 7
    assert data["organisation_id"] == ORG
    assert data["icd_codes"] == ICD
    assert data["cpt_code_authorization_details"] == CPT
    assert data["created_date"] == data["created_at"] + "Z"
    stored = Authorization.objects.get(pk=data["authorization_id"])
    assert stored.payer is not None and stored.payer.name == "PEHP - Utah Public Employee Health Plan"
    assert [row.icd_id for row in stored.icd_codes.order_by("position")] == [2, 1]
    assert ok(api.call("GET", f"/{stored.pk}")) == data


def test_create_with_only_the_required_fields_defaults_to_active_with_no_visits(api: SpryApi) -> None:
    data = ok(api.call("POST", "", {"spry_case_id": "CASE-1", "authorization_reference_number": "R-1"}))
    assert data["authorization_status"] == "ACTIVE"
    assert (data["authorized_visit_count"], data["current_visit_count"], data["final_consumed_visit_count"]) == (
        None,
        0,
        0,
    )
    assert data["insurance_payer"] is None
    assert data["icd_codes"] == [] and data["cpt_code_authorization_details"] == []


def test_create_without_the_required_fields_names_them(api: SpryApi) -> None:
    body = failed(api.call("POST", "", {"case_title": "x"}), 4000)
    assert body["errors"] == {
        "spry_case_id": ["is required"],
        "authorization_reference_number": ["is required"],
    }
    assert "spry_case_id: is required" in body["message"]
    assert not Authorization.objects.exists()


def test_create_for_another_organisation_is_4003(api: SpryApi) -> None:
    failed(api.call("POST", "", create_body(organisation_id=999)), 4003, 403, "organisation")
    assert not Authorization.objects.exists()


def test_create_naming_its_own_organisation_is_accepted(api: SpryApi) -> None:
    assert ok(api.call("POST", "", create_body(organisation_id=ORG)))["organisation_id"] == ORG


def test_create_ignores_response_only_and_unknown_fields(api: SpryApi) -> None:
    body = create_body(authorization_id="auth_mine", final_consumed_visit_count=99, created_at="2020-01-01", foo=1)
    data = ok(api.call("POST", "", body))
    assert data["authorization_id"] != "auth_mine"
    assert data["final_consumed_visit_count"] == 5
    assert data["created_at"] != "2020-01-01T00:00:00"


def test_create_leaves_history(api: SpryApi) -> None:
    data = ok(api.call("POST", "", create_body(cpt_code_authorization_details=CPT)))
    row = Authorization.history.get(authorization_id=data["authorization_id"])
    assert row.history_type == "+"
    assert row.history_change_reason == "Spry API, client clinic app"
    assert history_count(AuthorizationCptCode, authorization_id=data["authorization_id"], history_type="+") == 2
    assert history_count(AuthorizationIcdCode, authorization_id=data["authorization_id"], history_type="+") == 1
    assert history_count(Payer, payer_reg_id=2207) == 1


# -- update (the seed) ------------------------------------------------------------------------------------------


def test_the_seed_update_answers_exactly_the_seed_response(api: SpryApi) -> None:
    """The seed's response shows ``icd_codes: []`` although its body sends no ``icd_codes``: the record it was
    sent to had none. So the record is spry.md's Get example with an empty ICD list (see the next test)."""
    before = make_authorization(authorization_id=EXAMPLE_ID, icd_codes=[])
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", SEED_BODY))
    assert list(data) == list(SEED_RESPONSE)
    assert without(data, "updated_at") == without(SEED_RESPONSE, "updated_at")
    after = Authorization.objects.get(pk=EXAMPLE_ID)
    assert after.updated_at > before.updated_at
    assert after.authorized_visit_count == 30 and after.comments == SEED_BODY["comments"]


def test_the_seed_update_keeps_the_fields_it_does_not_send(api: SpryApi, example: Authorization) -> None:
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", SEED_BODY))
    expected = {**GET_EXAMPLE, **SEED_BODY}
    assert without(data, "updated_at") == without(expected, "updated_at")
    assert data["icd_codes"] == GET_EXAMPLE["icd_codes"]


def test_update_replaces_each_list_sent_whole_and_in_order(api: SpryApi, example: Authorization) -> None:
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"icd_codes": ICD, "cpt_code_authorization_details": CPT}))
    assert data["icd_codes"] == ICD and data["cpt_code_authorization_details"] == CPT
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"icd_codes": list(reversed(ICD))}))
    assert data["icd_codes"] == list(reversed(ICD)) and data["cpt_code_authorization_details"] == CPT
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"cpt_code_authorization_details": []}))
    assert data["cpt_code_authorization_details"] == [] and data["icd_codes"] == list(reversed(ICD))
    assert AuthorizationCptCode.objects.count() == 0
    assert AuthorizationIcdCode.objects.count() == 2


def test_a_list_replacement_leaves_history_on_the_rows_and_on_the_authorization(
    api: SpryApi, example: Authorization
) -> None:
    ok(api.call("POST", f"/{EXAMPLE_ID}", {"icd_codes": ICD}))
    assert history_count(AuthorizationIcdCode, authorization_id=EXAMPLE_ID, history_type="-") == 1
    assert history_count(AuthorizationIcdCode, authorization_id=EXAMPLE_ID, history_type="+") == 3
    latest = Authorization.history.filter(authorization_id=EXAMPLE_ID).latest("history_id")
    assert latest.history_type == "~"
    assert latest.history_change_reason == "Spry API, client clinic app: changed ICD codes M72.1 → S32.001A, M72.1"


def test_an_update_that_changes_nothing_writes_nothing(api: SpryApi, example: Authorization) -> None:
    rows = history_count(Authorization), history_count(AuthorizationIcdCode)
    ok(api.call("POST", f"/{EXAMPLE_ID}", {}))
    same = {
        "comments": GET_EXAMPLE["comments"],
        "icd_codes": GET_EXAMPLE["icd_codes"],
        "authorization_status": "ACTIVE",
    }
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", same))
    assert (history_count(Authorization), history_count(AuthorizationIcdCode)) == rows
    assert data["updated_at"] == render_datetime(example.updated_at)


def test_update_points_at_the_payer_registry_and_updates_the_entry(api: SpryApi, example: Authorization) -> None:
    payer = {"payer_reg_id": 31, "name": "Medicare Utah", "payer_type": "MEDICARE", "payer_state": "UT"}
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"insurance_payer": payer}))
    assert data["insurance_payer"] == {**payer, "payer_id": None}
    # only the keys sent change the registry entry
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"insurance_payer": {"payer_reg_id": 2207, "payer_id": "NEW"}}))
    assert data["insurance_payer"] == {**GET_EXAMPLE["insurance_payer"], "payer_id": "NEW"}
    assert Payer.objects.get(pk=2207).name == GET_EXAMPLE["insurance_payer"]["name"]
    assert Payer.objects.get(pk=31).payer_state == "UT"
    assert history_count(Payer, payer_reg_id=2207, history_type="~") == 1


def test_update_with_a_null_payer_clears_the_authorizations_payer_only(api: SpryApi, example: Authorization) -> None:
    assert ok(api.call("POST", f"/{EXAMPLE_ID}", {"insurance_payer": None}))["insurance_payer"] is None
    assert Payer.objects.filter(pk=2207).exists()


def test_update_is_validated_on_the_merged_record(api: SpryApi, example: Authorization) -> None:
    body = failed(api.call("POST", f"/{EXAMPLE_ID}", {"effective_end_date": "2026-03-31T00:00:00"}), 4000)
    assert body["errors"] == {"effective_end_date": ["must be on or after effective_start_date"]}
    body = failed(api.call("POST", f"/{EXAMPLE_ID}", {"plan_start_date": "2026-08-01"}), 4000)
    assert body["errors"] == {"plan_end_date": ["must be on or after plan_start_date"]}
    # moving both ends together is fine
    data = ok(api.call("POST", f"/{EXAMPLE_ID}", {"plan_start_date": "2026-08-01", "plan_end_date": "2026-09-01"}))
    assert (data["plan_start_date"], data["plan_end_date"]) == ("2026-08-01T00:00:00", "2026-09-01T00:00:00")


def test_a_failed_update_changes_nothing(api: SpryApi, example: Authorization) -> None:
    before = ok(api.call("GET", f"/{EXAMPLE_ID}"))
    history = history_count(Authorization)
    bad = {
        "comments": "changed",
        "insurance_payer": {"payer_reg_id": 5, "name": "New payer"},
        "icd_codes": ICD,
        "cpt_code_authorization_details": CPT,
        "effective_start_date": "2026-12-01",  # after the stored effective_end_date
    }
    failed(api.call("POST", f"/{EXAMPLE_ID}", bad), 4000)
    assert ok(api.call("GET", f"/{EXAMPLE_ID}")) == before
    assert not Payer.objects.filter(pk=5).exists()
    assert history_count(Authorization) == history


def test_a_list_replacement_that_fails_half_way_leaves_the_old_lists(
    api: SpryApi, example: Authorization, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atomicity: the ICD list is replaced, then writing the CPT rows fails; the ICD list is back as it was."""
    from authorizations.spry import services as spry_services

    real = spry_services.bulk_create_with_history

    def failing(objs: Any, model: Any, **kwargs: Any) -> Any:
        if model is AuthorizationCptCode:
            raise RuntimeError("disk full")
        return real(objs, model, **kwargs)

    monkeypatch.setattr(spry_services, "bulk_create_with_history", failing)
    before = ok(api.call("GET", f"/{EXAMPLE_ID}"))
    body = failed(
        api.call("POST", f"/{EXAMPLE_ID}", {"icd_codes": ICD, "cpt_code_authorization_details": CPT}), 5000, 500
    )
    assert "disk" not in body["message"]
    monkeypatch.undo()
    assert ok(api.call("GET", f"/{EXAMPLE_ID}")) == before
    assert list(AuthorizationIcdCode.objects.values_list("icd_id", flat=True)) == [9676]


def test_update_of_fields_fixed_after_create(api: SpryApi, example: Authorization) -> None:
    body = failed(api.call("POST", f"/{EXAMPLE_ID}", {"spry_case_id": "OTHER", "patient_id": 1}), 4000)
    assert body["errors"] == {
        "spry_case_id": ["is fixed after create and cannot be changed"],
        "patient_id": ["is fixed after create and cannot be changed"],
    }
    # sending back the stored values (a client echoing what it read) is fine
    echoed = without(GET_EXAMPLE, "updated_at", "created_at", "created_date", "authorization_id")
    assert without(ok(api.call("POST", f"/{EXAMPLE_ID}", echoed)), "updated_at") == without(GET_EXAMPLE, "updated_at")


def test_update_naming_another_organisation_is_4003(api: SpryApi, example: Authorization) -> None:
    failed(api.call("POST", f"/{EXAMPLE_ID}", {"organisation_id": 1, "comments": "x"}), 4003, 403)
    assert Authorization.objects.get(pk=EXAMPLE_ID).comments == GET_EXAMPLE["comments"]


def test_update_of_an_unknown_id_is_4004(api: SpryApi) -> None:
    failed(api.call("POST", "/auth_nope", SEED_BODY), 4004, 200, "Authorization not found")


# -- list by case -----------------------------------------------------------------------------------------------


def test_list_by_case_returns_a_bare_array_oldest_first(api: SpryApi, example: Authorization) -> None:
    second = ok(api.call("POST", "", create_body(authorization_reference_number="AUTH-2026-002")))
    ok(api.call("POST", "", create_body(spry_case_id="SPRY_CASE_OTHER")))
    data = ok(api.call("GET", "", data={"case_id": GET_EXAMPLE["spry_case_id"]}))
    assert [a["authorization_id"] for a in data] == [EXAMPLE_ID, second["authorization_id"]]


def test_list_of_an_unknown_case_is_case_not_found(api: SpryApi, example: Authorization) -> None:
    failed(api.call("GET", "", data={"case_id": "SPRY_CASE_UNKNOWN"}), 4004, 200, "Case not found")


def test_list_of_a_case_whose_authorizations_were_deleted_is_empty(api: SpryApi, example: Authorization) -> None:
    ok(api.call("DELETE", f"/{EXAMPLE_ID}"))
    assert ok(api.call("GET", "", data={"case_id": GET_EXAMPLE["spry_case_id"]})) == []


def test_list_without_case_id_is_4000(api: SpryApi) -> None:
    assert failed(api.call("GET", ""), 4000)["errors"] == {"case_id": ["is required"]}


# -- search -----------------------------------------------------------------------------------------------------


@pytest.fixture
def patients(example: Authorization) -> dict[str, str]:
    ids = {"John Doe": EXAMPLE_ID}
    rows = (("Johnny Appleseed", "AUTH-2"), ("Mary Major", "AUTH-3"), ("Mary Johns", "AUTH-2"))
    for day, (name, ref) in enumerate(rows, start=2):
        created = f"2026-04-{day:02d}T12:00:00"
        ids[name] = make_authorization(patient_name=name, authorization_reference_number=ref, created_at=created).pk
    return ids


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"patientName": "john"}, ["John Doe", "Johnny Appleseed", "Mary Johns"]),
        ({"patientName": "MARY"}, ["Mary Major", "Mary Johns"]),
        ({"authorizationReferenceNumber": "AUTH-2"}, ["Johnny Appleseed", "Mary Johns"]),
        ({"patientName": "john", "authorizationReferenceNumber": "AUTH-2"}, ["Johnny Appleseed", "Mary Johns"]),
        ({"patientName": "mary", "authorizationReferenceNumber": "AUTH-3", "organisationId": "638"}, ["Mary Major"]),
        ({"patientName": "nobody"}, []),
        ({"patientName": "", "authorizationReferenceNumber": "", "organisationId": ""}, None),
    ],
)
def test_search_combines_its_filters_with_and(
    api: SpryApi, patients: dict[str, str], params: dict[str, str], names: list[str] | None
) -> None:
    data = ok(api.call("GET", "/search", data=params))
    expected = list(patients) if names is None else names
    assert [a["authorization_id"] for a in data] == [patients[n] for n in expected]


def test_search_wins_over_an_authorization_called_search(api: SpryApi) -> None:
    make_authorization(authorization_id="search", patient_name="Zed")
    data = ok(api.call("GET", "/search", data={"patientName": "zed"}))
    assert [a["authorization_id"] for a in data] == ["search"]


@pytest.mark.parametrize("organisation", ["777", "-638", "+777", "-18014398509481985", "99999999999999999999999"])
def test_search_in_another_organisation_is_4003(api: SpryApi, example: Authorization, organisation: str) -> None:
    failed(api.call("GET", "/search", data={"organisationId": organisation}), 4003, 403)


def test_search_with_a_non_numeric_organisation_is_4000(api: SpryApi) -> None:
    assert failed(api.call("GET", "/search", data={"organisationId": "x"}), 4000)["errors"] == {
        "organisationId": ["must be an integer"]
    }


# -- delete -----------------------------------------------------------------------------------------------------


def test_delete_removes_the_record_and_its_lists_leaving_history(api: SpryApi) -> None:
    created = ok(api.call("POST", "", create_body(cpt_code_authorization_details=CPT)))
    key = created["authorization_id"]
    response = api.call("DELETE", f"/{key}")
    assert ok(response) == "Authorization deleted successfully"
    assert not Authorization.objects.filter(pk=key).exists()
    assert not AuthorizationCptCode.objects.exists() and not AuthorizationIcdCode.objects.exists()
    assert history_count(Authorization, authorization_id=key, history_type="-") == 1
    assert history_count(AuthorizationCptCode, authorization_id=key, history_type="-") == 2
    assert history_count(AuthorizationIcdCode, authorization_id=key, history_type="-") == 1
    assert Payer.objects.filter(pk=2207).exists()  # the registry is shared
    failed(api.call("GET", f"/{key}"), 4004)


def test_delete_of_an_unknown_id_is_4004(api: SpryApi) -> None:
    failed(api.call("DELETE", "/auth_nope"), 4004, 200, "Authorization not found")


# -- organisation scoping ---------------------------------------------------------------------------------------


def test_another_organisations_authorization_is_indistinguishable_from_a_missing_one(
    api: SpryApi, other_api: SpryApi, example: Authorization
) -> None:
    missing = [
        other_api.call("GET", "/auth_nope").json(),
        other_api.call("POST", "/auth_nope", SEED_BODY).json(),
        other_api.call("DELETE", "/auth_nope").json(),
    ]
    foreign = [
        other_api.call("GET", f"/{EXAMPLE_ID}").json(),
        other_api.call("POST", f"/{EXAMPLE_ID}", SEED_BODY).json(),
        other_api.call("DELETE", f"/{EXAMPLE_ID}").json(),
    ]
    assert foreign == missing == [{"code": 4004, "data": None, "message": "Authorization not found"}] * 3
    failed(other_api.call("GET", "", data={"case_id": GET_EXAMPLE["spry_case_id"]}), 4004, 200, "Case not found")
    assert ok(other_api.call("GET", "/search", data={"patientName": "john"})) == []
    # and the record is untouched
    assert without(ok(api.call("GET", f"/{EXAMPLE_ID}")), "updated_at") == without(GET_EXAMPLE, "updated_at")


def test_each_organisation_sees_its_own_authorizations(api: SpryApi, other_api: SpryApi) -> None:
    mine = ok(api.call("POST", "", create_body()))
    theirs = ok(other_api.call("POST", "", create_body(organisation_id=777)))
    assert theirs["organisation_id"] == 777
    assert [a["authorization_id"] for a in ok(api.call("GET", "", data={"case_id": GET_EXAMPLE["spry_case_id"]}))] == [
        mine["authorization_id"]
    ]
    assert [a["authorization_id"] for a in ok(other_api.call("GET", "/search", data={"patientName": "doe"}))] == [
        theirs["authorization_id"]
    ]


def test_listing_costs_the_same_number_of_queries_for_one_or_many_authorizations(api: SpryApi) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert ok(api.call("GET", "", data={"case_id": GET_EXAMPLE["spry_case_id"]}))
            ok(api.call("GET", "/search", data={"patientName": "doe"}))
        return len(captured)

    make_authorization(cpt_code_authorization_details=CPT)
    one = queries()
    for _ in range(5):
        make_authorization(cpt_code_authorization_details=CPT, icd_codes=ICD)
    assert queries() == one
