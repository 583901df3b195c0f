"""``POST /auths/{authNumber}/adjust`` (issue 22, decision 20 of vba-review.md): a new Auth under the next number
copies the original's header with the new approval period, the lines the flags ask for, and says in both histories
which adjusts which; the original's fields are unchanged. The same service serves any other caller."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from authorizations.models import Auth, AuthDiagCodes, AuthProcCodes
from authorizations.vba.services import auth_adjust
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

PERIOD = {"approved_From": "2026-03-01T00:00:00", "approved_Thru": "2026-06-30T00:00:00"}


def adjustment(auth: str = "A1", **fields: Any) -> dict[str, Any]:
    return {"auth_Number": auth, "recalcIBNR": False, "copyProcCodes": False, "copyDiagCodes": False, **fields}


@pytest.fixture
def original(vba: Any, in_demo: str) -> Any:
    header = auth_item(
        "A1",
        status="APPROVED",
        auth_Code="APPR",
        subscriber_ID="S1",
        units_Approved=10,
        approved_From="2026-01-01T00:00:00",
        approved_Thru="2026-02-28T00:00:00",
        notes="first period",
    )
    assert vba.call("PUT", "auths", [header]).status_code == 207
    lines = [
        {
            "authProcCodes_Key": 0,
            "auth_Number": "A1",
            "exclude_Modifier_Match": True,
            "procedure_Code": code,
            "modifier1": "GP",
            "units_Requested": 12.5,
            "units_Approved": units,
        }
        for code, units in (("97110", 8), ("97140", 2.25))
    ]
    assert vba.call("POST", "auths/A1/procedure-codes-batch", lines).status_code == 207
    diagnoses = [
        {
            "auth_Number": "A1",
            "diagnostic_Code": "M54.5",
            "diagnostic_Code_Type": "ICD10",
            "disable_Provider_Match": False,
            "primary_Diag": "Y",
        }
    ]
    assert vba.call("PUT", "auths/A1/diagnostic-codes-batch", diagnoses).status_code == 207
    return vba


def test_adjust_makes_a_new_auth_with_the_new_period_and_the_copied_lines(original: Any) -> None:
    before = original.call("GET", "auths/A1").json()["data"]
    body = adjustment(copyProcCodes=True, copyDiagCodes=True, procedure_Code="IGNORED", **PERIOD)
    response = original.call("POST", "auths/A1/adjust", body)
    assert response.status_code == 200, response.json()
    new = response.json()["data"]
    number = new["auth_Number"]
    assert number != "A1" and response["ETag"]
    assert new["approved_From"].startswith("2026-03-01") and new["approved_Thru"].startswith("2026-06-30")
    assert new["prior_Auth"] == "A1"
    same = {k: v for k, v in before.items() if k not in {"auth_Number", "approved_From", "approved_Thru", "prior_Auth"}}
    copied = {k: new[k] for k in same if not k.startswith(("entry_", "update_"))}
    assert copied == {k: v for k, v in same.items() if not k.startswith(("entry_", "update_"))}
    assert (new["status"], new["auth_Code"], new["notes"]) == ("APPROVED", "APPR", "first period")
    assert new["entry_User"] == "alice" and new["entry_Date"]
    assert original.call("GET", f"auths/{number}").json()["data"] == new

    lines = original.call("GET", f"auths/{number}/procedure-codes").json()["data"]
    assert [
        (line["procedure_Code"], line["exclude_Modifier_Match"], line["modifier1"], line["units_Approved"])
        for line in lines
    ] == [("97110", True, "GP", 8.0), ("97140", True, "GP", 2.25)]
    assert {line["units_Requested"] for line in lines} == {12.5}
    old_keys = {line["authProcCodes_Key"] for line in original.call("GET", "auths/A1/procedure-codes").json()["data"]}
    assert not old_keys & {line["authProcCodes_Key"] for line in lines}
    diagnoses = original.call("GET", f"auths/{number}/diagnostic-codes").json()["data"]
    assert [(d["diagnostic_Code"], d["primary_Diag"]) for d in diagnoses] == [("M54.5", "Y")]
    assert AuthDiagCodes.objects.count() == 2 and AuthProcCodes.objects.count() == 4

    # the original's fields are unchanged; both histories say which adjusts which
    assert original.call("GET", "auths/A1").json()["data"] == before
    mine = Auth.history.filter(auth_number=number)
    assert [(h.history_type, h.history_change_reason) for h in mine] == [("+", "Adjusts Auth A1")]
    theirs = Auth.history.filter(auth_number="A1").order_by("-history_date", "-history_id")
    assert (theirs[0].history_type, theirs[0].history_change_reason) == ("~", f"Adjusted by Auth {number}")
    assert theirs[0].history_user.username == "alice" and theirs[0].activity_id
    assert theirs[0].notes == "first period" and theirs[0].update_date == theirs[1].update_date
    assert AuthProcCodes.history.filter(auth_number=number, history_type="+").count() == 2
    assert AuthDiagCodes.history.filter(auth_number=number, history_type="+").count() == 1


def test_without_copies_one_line_takes_the_procedure_code(original: Any) -> None:
    response = original.call("POST", "auths/A1/adjust", adjustment(procedure_Code="97530", recalcIBNR=True))
    assert response.status_code == 200, response.json()
    new = response.json()["data"]
    # a null or omitted period keeps the original's
    assert new["approved_From"].startswith("2026-01-01") and new["approved_Thru"].startswith("2026-02-28")
    lines = original.call("GET", f"auths/{new['auth_Number']}/procedure-codes").json()["data"]
    assert [(line["procedure_Code"], line["exclude_Modifier_Match"]) for line in lines] == [("97530", False)]
    assert original.call("GET", f"auths/{new['auth_Number']}/diagnostic-codes").json()["data"] == []
    (created,) = Auth.history.filter(auth_number=new["auth_Number"])
    assert created.history_change_reason.startswith("Adjusts Auth A1; recalcIBNR")

    bare = original.call("POST", "auths/A1/adjust", adjustment())
    assert bare.status_code == 200
    assert bare.json()["data"]["auth_Number"] not in ("A1", new["auth_Number"])
    assert original.call("GET", f"auths/{bare.json()['data']['auth_Number']}/procedure-codes").json()["data"] == []


def test_adjustments_take_the_next_free_number(original: Any) -> None:
    first = original.call("POST", "auths/A1/adjust", adjustment()).json()["data"]["auth_Number"]
    taken = str(int(first) + 1)
    assert original.call("PUT", "auths", [auth_item(taken)]).status_code == 207  # someone took the next one
    second = original.call("POST", "auths/A1/adjust", adjustment()).json()["data"]["auth_Number"]
    assert int(second) > int(taken)
    assert original.call("GET", f"auths/{taken}").json()["data"]["prior_Auth"] is None


def test_bad_adjustments_are_refused_naming_the_field_and_write_nothing(original: Any) -> None:
    def refused(body: Any, status: int, detail: str, path: str = "auths/A1/adjust") -> None:
        assert_problem(original.call("POST", path, body), status, detail)

    count, history = Auth.objects.count(), Auth.history.count()
    refused(adjustment(procedure_Code="TOOLONGCODE"), 400, "procedure_Code")
    refused(adjustment(procedure_Code="A\x00"), 400, "procedure_Code")
    refused(adjustment(procedure_Code=97110), 400, "procedure_Code")
    refused(adjustment("A2"), 400, "auth_Number: the body says 'A2' but the path says 'A1'")
    refused(adjustment("NOPE"), 404, "Auth NOPE was not found", path="auths/NOPE/adjust")
    refused(adjustment("A1", recalcIBNR="x"), 404, "Auth NOPE was not found", path="auths/NOPE/adjust")
    refused({"auth_Number": "A1", "copyProcCodes": False, "copyDiagCodes": False}, 400, "recalcIBNR")
    refused(adjustment(copyDiagCodes="yes"), 400, "copyDiagCodes")
    refused(adjustment(approved_From="next tuesday"), 400, "approved_From")
    refused(adjustment(approved_Thru=5), 400, "approved_Thru")
    refused(adjustment(auth=""), 400, "auth_Number")
    refused([adjustment()], 400, "JSON object")
    assert (Auth.objects.count(), Auth.history.count()) == (count, history)


def test_the_service_adjusts_for_any_caller(original: Any, user: Any) -> None:
    new = auth_adjust(auth_number="A1", adjustment=adjustment(copyDiagCodes=True, **PERIOD), user=user)
    assert new.prior_auth == "A1" and new.entry_user == "alice"
    assert list(AuthDiagCodes.objects.filter(auth_number=new.pk).values_list("diagnostic_code", flat=True)) == ["M54.5"]
    assert not AuthProcCodes.objects.filter(auth_number=new.pk).exists()


def test_the_adjust_auth_command_calls_the_same_service(original: Any) -> None:
    out = io.StringIO()
    call_command(
        "adjust_auth",
        "A1",
        "--copy-proc-codes",
        "--approved-thru",
        "2026-09-30",
        database="demo",
        user="alice",
        stdout=out,
    )
    number = out.getvalue().split()[1]
    assert out.getvalue().strip() == f"Auth {number} adjusts Auth A1"
    new = Auth.objects.get(pk=number)
    assert new.prior_auth == "A1" and new.approved_thru is not None and new.approved_thru.month == 9
    assert AuthProcCodes.objects.filter(auth_number=number).count() == 2
    assert not AuthDiagCodes.objects.filter(auth_number=number).exists()
    with pytest.raises(CommandError, match="procedure_Code"):
        call_command("adjust_auth", "A1", "--procedure-code", "TOOLONGCODE", database="demo", user="alice")
    with pytest.raises(CommandError, match="Auth NOPE was not found"):
        call_command("adjust_auth", "NOPE", database="demo", user="alice")
    with pytest.raises(CommandError, match="approved_From"):
        call_command("adjust_auth", "A1", "--approved-from", "soon", database="demo", user="alice")
