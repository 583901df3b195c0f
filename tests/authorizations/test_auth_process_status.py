"""``POST /auths/{authNumber}/process-status/{newAuthCode}`` and the ``process_status`` command: decision 17 of
vba-review.md, one service (:func:`authorizations.vba.services.auth_process_status`) behind both."""

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from authorizations.models import Auth, AuthCode
from tests.authorizations.factories import auth_item
from tests.conftest import ALL, VBAClient, assert_problem

pytestmark = pytest.mark.django_db(databases=ALL)

ACTIONS = [("A", "APPROVED"), ("D", "DENIED"), ("P", "PENDED"), ("V", "VOIDED"), ("R", "PARTIAL")]


@pytest.fixture
def codes(vba: Any) -> None:
    items: list[dict[str, str | None]] = [
        {"auth_Code": f"C{letter}", "auth_Action": letter, "description": f"Decided {word.lower()}"}
        for letter, word in ACTIONS
    ]
    items.append({"auth_Code": "NOACT", "auth_Action": None, "description": "No action"})
    assert [r["status"] for r in vba.call("PUT", "auth-codes-batch", items).json()["data"]] == [201] * 6
    assert vba.call("POST", "auths", auth_item("D1", status="NEW")).status_code == 200


@pytest.mark.parametrize(("letter", "word"), ACTIONS)
def test_each_action_sets_its_status_word_stamps_and_records_history(
    vba: Any, codes: None, in_demo: str, letter: str, word: str
) -> None:
    before = timezone.now()
    response = vba.call("POST", f"auths/D1/process-status/C{letter}")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["auth_Number"], data["auth_Code"], data["status"]) == ("D1", f"C{letter}", word)
    assert data["approved_By"] == "alice" and data["update_User"] == "alice"
    assert response["ETag"] == vba.call("GET", "auths/D1")["ETag"]
    auth = Auth.objects.get(pk="D1")
    assert (auth.status, auth.auth_code, auth.approved_by, auth.update_user) == (word, f"C{letter}", "alice", "alice")
    assert auth.approved_date is not None and auth.approved_date >= before - dt.timedelta(seconds=1)
    assert auth.update_date == auth.approved_date or auth.update_date >= before - dt.timedelta(seconds=1)
    latest = Auth.history.filter(auth_number="D1").order_by("-history_date", "-history_id").first()
    assert latest.history_type == "~" and latest.status == word
    assert latest.history_change_reason == f"Decided {word.lower()}"
    assert latest.history_user.username == "alice" and latest.activity_id == response["x-activity-id"]


def test_the_same_code_again_changes_nothing(vba: Any, codes: None, in_demo: str) -> None:
    first = vba.call("POST", "auths/D1/process-status/CD")
    rows = Auth.history.filter(auth_number="D1").count()
    stamped = Auth.objects.get(pk="D1").approved_date
    again = vba.call("POST", "auths/D1/process-status/CD")
    assert again.status_code == 200 and again.json()["data"] == first.json()["data"]
    assert Auth.history.filter(auth_number="D1").count() == rows
    assert Auth.objects.get(pk="D1").approved_date == stamped
    changed = vba.call("POST", "auths/D1/process-status/CA")  # another code decides again
    assert changed.json()["data"]["status"] == "APPROVED"
    assert Auth.history.filter(auth_number="D1").count() == rows + 1


def test_approved_by_is_cut_to_the_fields_length(api_key: str, codes: None, in_demo: str) -> None:
    from config.api.models import DatabaseGrant
    from config.vba.authentication import issue_tokens

    long_name = "n" * 60
    account = get_user_model().objects.create_user(long_name, password="x")
    DatabaseGrant.objects.create(user=account, database="demo")
    client = VBAClient(api_key, issue_tokens(account, "demo")["authenticationResult"]["idToken"])
    data = client.call("POST", "auths/D1/process-status/CA").json()["data"]
    assert data["approved_By"] == "n" * 50 and data["update_User"] == "n" * 20


def test_unknown_code_or_code_without_action_is_a_400_naming_it(vba: Any, codes: None, in_demo: str) -> None:
    assert_problem(vba.call("POST", "auths/D1/process-status/NOPE"), 400, "auth code 'NOPE' does not exist")
    error = assert_problem(vba.call("POST", "auths/D1/process-status/NOACT"), 400, "'NOACT' has no action")
    assert "newAuthCode" in error["detail"]
    auth = Auth.objects.get(pk="D1")
    assert (auth.status, auth.auth_code, auth.approved_by) == ("NEW", None, None)
    assert Auth.history.filter(auth_number="D1").count() == 1


def test_unknown_auth_is_a_404(vba: Any, codes: None) -> None:
    assert_problem(vba.call("POST", "auths/NOPE/process-status/CA"), 404, "Auth NOPE was not found")


def test_another_database_is_a_403(api_key: str, token: str) -> None:
    response = VBAClient(api_key, token, database="other").call("POST", "auths/D1/process-status/CA")
    assert assert_problem(response, 403)["detail"] == "Unknown or unauthorized database"


def test_a_deleted_code_no_longer_decides(vba: Any, codes: None) -> None:
    assert vba.call("DELETE", "auth-codes/CA").status_code == 204
    assert_problem(vba.call("POST", "auths/D1/process-status/CA"), 400, "'CA' does not exist")


def test_the_command_does_what_the_api_does(vba: Any, codes: None, in_demo: str, capsys: Any) -> None:
    call_command("process_status", "D1", "CR", database="demo", user="alice")
    assert "status PARTIAL" in capsys.readouterr().out
    auth = Auth.objects.get(pk="D1")
    assert (auth.status, auth.auth_code, auth.approved_by, auth.update_user) == ("PARTIAL", "CR", "alice", "alice")
    latest = Auth.history.filter(auth_number="D1").order_by("-history_date", "-history_id").first()
    assert latest.history_change_reason == "Decided partial" and latest.history_user.username == "alice"
    rows = Auth.history.filter(auth_number="D1").count()
    call_command("process_status", "D1", "CR", database="demo", user="alice")
    assert Auth.history.filter(auth_number="D1").count() == rows
    with pytest.raises(CommandError, match="newAuthCode: auth code 'NOACT' has no action"):
        call_command("process_status", "D1", "NOACT", database="demo", user="alice")
    with pytest.raises(CommandError, match="Auth NOPE was not found"):
        call_command("process_status", "NOPE", "CA", database="demo", user="alice")
    with pytest.raises(CommandError, match="Unknown VBA database"):
        call_command("process_status", "D1", "CA", database="nowhere", user="alice")
    with pytest.raises(CommandError, match="No user"):
        call_command("process_status", "D1", "CA", database="demo", user="nobody")
    assert AuthCode.objects.count() == 6
