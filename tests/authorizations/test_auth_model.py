"""The Auth model mirrors VBA's table: names, NOT NULL defaults, lengths, exact numbers."""

import re

import pytest
from django.db import DataError, IntegrityError, connections, models, transaction

from authorizations.models import Auth
from authorizations.vba.services import AUTH
from config.records.specs import vba_json_name
from config.serving.tenancy import use_vba_database
from tests import contracts

# The JSON names of vba.md's Auth table, in its order (also checked against the file).
JSON_NAMES = [
    "auth_Number",
    "actual_From",
    "actual_Location",
    "actual_Thru",
    "additional_Visits",
    "amount_Actual",
    "amount_Approved",
    "amount_Denied",
    "amount_Requested",
    "approved_By",
    "approved_Date",
    "approved_Frequency",
    "approved_From",
    "approved_Location",
    "approved_Thru",
    "assigned_User",
    "audit_Flag",
    "auth_Code",
    "auth_Type",
    "auto_Accident",
    "bodyCode_ID",
    "careManager_Key",
    "case_Index_Actual",
    "case_Index_Approved",
    "case_Index_Denied",
    "case_Index_Requested",
    "case_Number",
    "cityCode_ID",
    "closed",
    "drG_Category",
    "drG_Code",
    "daily_Living",
    "denied_From",
    "denied_Thru",
    "discharge_Date",
    "entry_Date",
    "entry_User",
    "federal_ID",
    "ivR_Flag",
    "injury_Date",
    "member_Seq",
    "monthly_Amount",
    "narrative",
    "new_Or_Extended",
    "notes",
    "ordered_By_ID",
    "ordered_By_Name",
    "other_Coverage_Primary",
    "other_Insurance",
    "payee_ID",
    "plan_ID",
    "previous_Auth",
    "previous_Treatment",
    "prior_Auth",
    "provider_ID",
    "radiating_Pain",
    "range_Of_Motion",
    "received_Date",
    "referred_By_ID",
    "referred_By_Name",
    "region",
    "reinsNotification_Date",
    "requested_Frequency",
    "requested_From",
    "requested_Location",
    "requested_Thru",
    "service_Code",
    "service_Type",
    "status",
    "subscriber_ID",
    "tPlan_DownLoaded",
    "tPlan_DownLoaded_Date",
    "tPlan_DownLoaded_User",
    "tPlan_Printed",
    "tPlan_Printed_Date",
    "total_Actual",
    "total_Approved",
    "total_Requested",
    "total_Unit_Type",
    "treatment_Type",
    "type_Of_Service",
    "unit_Type",
    "units_Actual",
    "units_Approved",
    "units_Denied",
    "units_Requested",
    "update_Date",
    "update_User",
    "urgent",
    "visits_Actual",
    "visits_Approved",
    "visits_Requested",
    "visits_To_Date",
    "work_Related",
]


def test_json_names_are_exactly_vbas() -> None:
    assert list(AUTH.spec.json_names.values()) == JSON_NAMES
    assert len(JSON_NAMES) == 94
    table = contracts.read_text("vba.md").split("### Auth (table")[1].split("### CareCase")[0]
    assert re.findall(r"^\| (\w+) \| (\w+) \|", table, re.M) == [
        (json, f.column) for json, f in zip(JSON_NAMES, Auth._meta.concrete_fields, strict=True)
    ]


@pytest.mark.parametrize(
    ("column", "json"),
    [
        ("DRG_Category", "drG_Category"),
        ("IVR_Flag", "ivR_Flag"),
        ("TPlan_Printed", "tPlan_Printed"),
        ("Auth_Number", "auth_Number"),
        ("BodyCode_ID", "bodyCode_ID"),
        ("A", "a"),
    ],
)
def test_dotnet_camel_casing(column: str, json: str) -> None:
    assert vba_json_name(column) == json


def test_the_table_and_columns_are_vbas() -> None:
    assert Auth._meta.db_table == "Auth"
    assert all(str(f.column)[0].isupper() for f in Auth._meta.concrete_fields)
    money = [f for f in Auth._meta.concrete_fields if isinstance(f, models.DecimalField)]
    assert len(money) == 17 and not any(isinstance(f, models.FloatField) for f in Auth._meta.concrete_fields)
    assert all(f.max_length for f in Auth._meta.concrete_fields if type(f) is models.CharField)


@pytest.mark.django_db(databases="__all__")
def test_not_null_booleans_default_to_false_in_the_database() -> None:
    with use_vba_database("demo"):
        with connections["demo"].cursor() as cursor:
            cursor.execute(
                'INSERT INTO "Auth" ("Auth_Number", "TPlan_Printed", "Entry_Date", "Update_Date") '
                "VALUES ('RAW', 'N', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        raw = Auth.objects.get(pk="RAW")
        assert (raw.closed, raw.new_or_extended, raw.previous_treatment, raw.tplan_downloaded, raw.urgent) == (
            False,
            False,
            False,
            False,
            False,
        )


@pytest.mark.django_db(databases="__all__")
def test_tplan_printed_must_be_one_character_in_the_database() -> None:
    with use_vba_database("demo"), connections["demo"].cursor() as cursor:
        for value in ("", "NN"):
            with pytest.raises((IntegrityError, DataError)), transaction.atomic(using="demo"):
                cursor.execute(
                    'INSERT INTO "Auth" ("Auth_Number", "TPlan_Printed", "Entry_Date", "Update_Date") '
                    "VALUES ('RAW', %s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                    [value],
                )
