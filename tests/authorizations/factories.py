"""Auth payloads as a VBA client sends them."""

from typing import Any

from authorizations.models import Auth
from config.serving.tenancy import use_vba_database

NOT_NULL = {
    "closed": False,
    "new_Or_Extended": False,
    "previous_Treatment": False,
    "tPlan_DownLoaded": False,
    "urgent": False,
    "tPlan_Printed": "N",
}


def auth_item(number: str | None = "1001", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {**NOT_NULL, **fields}
    if number is not None:
        item["auth_Number"] = number
    return item


def full_auth(number: str = "FULL1") -> dict[str, Any]:
    """Every input field of vba.md set to a value that uses its whole type (the four audit fields are server-owned)."""
    return {
        "auth_Number": number,
        "actual_From": "2026-01-02T03:04:05",
        "actual_Location": "LOC1",
        "actual_Thru": "2026-02-02T00:00:00",
        "additional_Visits": 3,
        "amount_Actual": 1234.5678,
        "amount_Approved": 99999.99,
        "amount_Denied": 0,
        "amount_Requested": 100000.5,
        "approved_By": "A" * 50,
        "approved_Date": "2026-01-05T10:11:12",
        "approved_Frequency": "F" * 16,
        "approved_From": "2026-01-06T00:00:00",
        "approved_Location": "APLC",
        "approved_Thru": "2026-06-30T23:59:59",
        "assigned_User": "U" * 20,
        "audit_Flag": "Y",
        "auth_Code": "CODE1234",
        "auth_Type": "TYPE1234",
        "auto_Accident": "N",
        "bodyCode_ID": "BODY1234",
        "careManager_Key": 2147483647,
        "case_Index_Actual": "A1",
        "case_Index_Approved": "A2",
        "case_Index_Denied": "D1",
        "case_Index_Requested": "R1",
        "case_Number": "C" * 64,
        "cityCode_ID": "CITY1234",
        "closed": True,
        "drG_Category": "DRGCAT01",
        "drG_Code": "DRG00001",
        "daily_Living": -2147483648,
        "denied_From": "2026-03-01T00:00:00",
        "denied_Thru": "2026-03-31T00:00:00",
        "discharge_Date": "2026-04-01T08:00:00",
        "federal_ID": "F" * 20,
        "ivR_Flag": "Y",
        "injury_Date": "2025-12-24T00:00:00",
        "member_Seq": "01",
        "monthly_Amount": 12.25,
        "narrative": "A long narrative " * 100,
        "new_Or_Extended": True,
        "notes": "Notes with unicode: é ü 漢字",
        "ordered_By_ID": "O" * 20,
        "ordered_By_Name": "N" * 512,
        "other_Coverage_Primary": "Y",
        "other_Insurance": "NO",
        "payee_ID": "P" * 20,
        "plan_ID": "PLAN" * 5,
        "previous_Auth": "PREV" * 5,
        "previous_Treatment": True,
        "prior_Auth": "PRIOR" * 4,
        "provider_ID": "PROV" * 5,
        "radiating_Pain": 1,
        "range_Of_Motion": 0,
        "received_Date": "2026-01-01T00:00:00",
        "referred_By_ID": "R" * 20,
        "referred_By_Name": "M" * 512,
        "region": "W",
        "reinsNotification_Date": "2026-05-05T05:05:05",
        "requested_Frequency": "Q" * 16,
        "requested_From": "2026-01-01T00:00:00",
        "requested_Location": "RQLC",
        "requested_Thru": "2026-12-31T00:00:00",
        "service_Code": "SVC01",
        "service_Type": "SERVICE123",
        "status": "APPROVED",
        "subscriber_ID": "123456789",
        "tPlan_DownLoaded": True,
        "tPlan_DownLoaded_Date": "2026-01-03T00:00:00",
        "tPlan_DownLoaded_User": "T" * 20,
        "tPlan_Printed": "Y",
        "tPlan_Printed_Date": "2026-01-04T00:00:00",
        "total_Actual": 1,
        "total_Approved": 2,
        "total_Requested": 3,
        "total_Unit_Type": "UNITS",
        "treatment_Type": "TREAT001",
        "type_Of_Service": "TOS01",
        "unit_Type": "VISITS",
        "units_Actual": 5.5,
        "units_Approved": 10,
        "units_Denied": 0.25,
        "units_Requested": 12,
        "urgent": True,
        "visits_Actual": 4,
        "visits_Approved": 10,
        "visits_Requested": 12,
        "visits_To_Date": 4,
        "work_Related": "N",
    }


def stored(database: str, key: str = "DEMO0007") -> Auth:
    """The Auth ``key`` as stored in one VBA database."""
    with use_vba_database(database):
        return Auth.objects.get(pk=key)


def history_rows(database: str, key: str = "DEMO0007") -> int:
    with use_vba_database(database):
        return Auth.history.filter(auth_number=key).count()
