"""``manage.py generate_auths``: realistic, valid synthetic Auths that never collide with existing rows."""

import io
import re
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from authorizations.models import Auth
from authorizations.vba.demo import DECISION_CODES
from authorizations.vba.models import AUTH_ACTIONS, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview, diag_key
from authorizations.vba.services import AUTH, AUTH_CODE, AUTH_PROC_CODES, AUTH_REVIEW, auth_batch_upsert
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

MODELS = (AuthCode, Auth, AuthProcCodes, AuthDiagCodes, AuthReview)


@pytest.fixture
def nurse(db: Any) -> Any:
    return get_user_model().objects.create_user("nurse", password="pw")


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_auths", *args, stdout=out)
    return out.getvalue()


def test_every_generated_row_is_a_valid_varied_auth() -> None:
    out = generate("--count", "400", "--database", "demo", "--chunk-size", "150")
    assert re.search(
        r"400 Auths \(GEN000000001 … GEN000000400\), \d+ procedure lines, \d+ diagnoses and \d+ reviews into demo", out
    )
    with use_vba_database("demo"):
        rows = list(Auth.objects.all())
        assert len(rows) == 400
        for row in rows:
            attrs, error = AUTH.spec.validate(AUTH.spec.render(row))
            assert error is None, (row.pk, error)
            assert row.entry_date and row.update_date and row.entry_date <= row.update_date
        assert len({r.status for r in rows}) >= 5
        assert len({r.auth_type for r in rows}) >= 5
        assert {r.auth_code for r in rows} == {code for code, _action, _text in DECISION_CODES}
        assert 40 <= len({r.subscriber_id for r in rows}) < 400  # subscribers have several auths each
        assert len({r.provider_id for r in rows}) >= 5
        received = sorted(r.received_date for r in rows if r.received_date)
        assert (received[-1] - received[0]).days > 3 * 365
        assert 0 < sum(r.urgent for r in rows) < 100 and 0 < sum(r.closed for r in rows) < 400
        for nullable in ("case_number", "approved_date", "notes", "denied_from", "actual_from", "referred_by_id"):
            set_count = sum(getattr(r, nullable) is not None for r in rows)
            assert 0 < set_count < 400, nullable


def test_the_same_seed_gives_the_same_data() -> None:
    generate("--count", "20", "--database", "demo", "--seed", "5", "--prefix", "A")
    generate("--count", "20", "--database", "other", "--seed", "5", "--prefix", "A")
    values = []
    for database in ("demo", "other"):
        with use_vba_database(database):
            values.append(list(Auth.objects.values_list("auth_number", "status", "subscriber_id", "received_date")))
    assert values[0] == values[1]


def test_keys_continue_after_existing_ones_and_never_collide() -> None:
    with use_vba_database("demo"):
        existing = [auth_item("GEN000000007", status="KEEP"), auth_item("GEN5", status="KEEP"), auth_item("99")]
        assert auth_batch_upsert(items=existing, user=None).counts() == {201: 3}
    generate("--count", "3", "--database", "demo")
    generate("--count", "2", "--database", "demo")
    with use_vba_database("demo"):
        keys = set(Auth.objects.values_list("pk", flat=True))
        assert keys == {"GEN5", "99", *(f"GEN{n:09d}" for n in range(7, 13))}
        assert set(Auth.objects.filter(pk__in=["GEN000000007", "GEN5"]).values_list("status", flat=True)) == {"KEEP"}


def test_history_rows_one_per_auth_by_default_none_with_no_history() -> None:
    generate("--count", "30", "--database", "demo", "--chunk-size", "7")
    generate("--count", "10", "--database", "demo", "--prefix", "NOH", "--no-history")
    with use_vba_database("demo"):
        history = Auth.history.all()
        assert history.count() == 30
        assert set(history.values_list("history_type", flat=True)) == {"+"}
        assert not history.filter(auth_number__startswith="NOH").exists()
        first = history.get(auth_number="GEN000000001")
        assert first.status == Auth.objects.get(pk="GEN000000001").status


def test_zero_rows_is_fine() -> None:
    out = generate("--count", "0", "--database", "other")
    assert "0 Auths (none), 0 procedure lines, 0 diagnoses and 0 reviews" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "5", "--database", "nowhere"], "Unknown VBA database 'nowhere'"),
        (["--count", "-1", "--database", "demo"], "--count must be at least 0"),
        (["--count", "5", "--database", "demo", "--prefix", "WAYTOOLONGPREFIX"], "--prefix must be"),
        (["--count", "5", "--database", "demo", "--lines-per-auth", "-1"], "--lines-per-auth, --diagnoses-per-auth"),
        (["--count", "5", "--database", "demo", "--diagnoses-per-auth", "-1"], "--diagnoses-per-auth and"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        generate(*args)


def test_runs_on_the_chosen_database_only() -> None:
    generate("--count", "5", "--database", "other")
    with use_vba_database("demo"):
        assert Auth.objects.count() == 0
    with use_vba_database("other"):
        assert Auth.objects.count() == 5


def test_each_auth_is_decided_with_an_existing_code_and_has_consistent_lines_and_reviews() -> None:
    out = generate("--count", "400", "--database", "demo", "--chunk-size", "150")
    with use_vba_database("demo"):
        codes: dict[Any, Any] = dict(AuthCode.objects.values_list("auth_code", "auth_action"))
        auths: dict[str, Any] = {a.pk: a for a in Auth.objects.all()}
        lines: list[Any] = list(AuthProcCodes.objects.all())
        reviews = list(AuthReview.objects.order_by("review_date", "pk"))
        diagnoses = AuthDiagCodes.objects.count()
        history = {m.__name__: Counter(m.history.values_list("history_type", flat=True)) for m in MODELS}  # type: ignore[attr-defined]
    assert (
        f"400 Auths (GEN000000001 … GEN000000400), {len(lines)} procedure lines, {diagnoses} diagnoses and "
        f"{len(reviews)} reviews" in out
    )
    assert codes == {code: action for code, action, _text in DECISION_CODES}
    for auth in auths.values():  # the status is the word of its code's action
        assert auth.status == AUTH_ACTIONS[codes[auth.auth_code]][0], (auth.pk, auth.auth_code, auth.status)
    lines_of = Counter(line.auth_number for line in lines)
    reviews_of = Counter(review.auth_number for review in reviews)
    assert set(lines_of) == set(auths) and set(reviews_of) <= set(auths)  # every line and review names an Auth
    assert set(lines_of.values()) == {1, 2, 3, 4}
    assert set(Counter(reviews_of[n] for n in auths)) == {0, 1, 2, 3}
    assert len({line.procedure_code for line in lines}) >= 10 and any(line.modifier2 for line in lines)
    for number, auth in auths.items():
        its = [line for line in lines if line.auth_number == number]
        assert sum(line.units_requested for line in its) == auth.units_requested, number
        approved = [line.units_approved for line in its]
        if auth.status == "APPROVED":
            assert approved == [line.units_requested for line in its]
        elif auth.status == "PARTIAL":
            assert sum(a or 0 for a in approved) < auth.units_requested and auth.units_denied
        elif auth.status == "DENIED":
            assert set(approved) == {0}
        else:
            assert set(approved) == {None}
        if auth.status in ("APPROVED", "PARTIAL"):
            assert sum(approved) == auth.units_approved, number
    for review in reviews:
        auth = auths[review.auth_number]
        assert review.review_user and review.review_level and review.review_comment
        assert auth.received_date <= review.review_date
    last = {review.auth_number: review for review in reviews}  # (ordered by date: each Auth's last review)
    assert all((r.review_status == "OPEN") == (auths[n].status == "PENDED") for n, r in last.items())
    # history: one '+' row per record, as every write path leaves
    assert history == {
        "AuthCode": Counter({"+": len(codes)}),
        "Auth": Counter({"+": 400}),
        "AuthProcCodes": Counter({"+": len(lines)}),
        "AuthDiagCodes": Counter({"+": diagnoses}),
        "AuthReview": Counter({"+": len(reviews)}),
    }


def test_line_and_review_keys_follow_the_largest_and_the_api_assigns_after_them(nurse: Any) -> None:
    with use_vba_database("demo"):
        assert auth_batch_upsert(items=[auth_item("OLD1")], user=nurse).counts() == {201: 1}
        line = {"authProcCodes_Key": 5000, "auth_Number": "OLD1", "exclude_Modifier_Match": False}
        assert batch_upsert(AUTH_PROC_CODES, [line], user=nurse).counts() == {201: 1}
    generate("--count", "30", "--database", "demo")
    with use_vba_database("demo"):
        keys = sorted(AuthProcCodes.objects.values_list("pk", flat=True))
        assert keys[0] == 5000 and keys[1:] == list(range(5001, 5000 + len(keys)))
        review_keys = sorted(AuthReview.objects.values_list("pk", flat=True))
        assert review_keys == list(range(1, len(review_keys) + 1))
        added = batch_upsert(AUTH_PROC_CODES, [line | {"authProcCodes_Key": 0}], user=nurse)
        review = {"authReview_Key": 0, "auth_Number": "OLD1"}
        added_review = batch_upsert(AUTH_REVIEW, [review], user=nurse)
    assert [r.key for r in added.results] == [keys[-1] + 1]
    assert [r.key for r in added_review.results] == [review_keys[-1] + 1]


def test_lines_and_reviews_can_be_left_out_and_an_existing_code_is_kept(nurse: Any) -> None:
    with use_vba_database("other"):  # the payer already has APPR, with its own description
        item = {"auth_Code": "APPR", "auth_Action": "A", "description": "Approved (payer's own wording)"}
        assert batch_upsert(AUTH_CODE, [item], user=nurse).counts() == {201: 1}
    out = generate(
        *("--count", "20", "--database", "other", "--lines-per-auth", "0", "--reviews-per-auth", "0"),
        *("--diagnoses-per-auth", "0"),
    )
    assert "20 Auths (GEN000000001 … GEN000000020), 0 procedure lines, 0 diagnoses and 0 reviews" in out
    with use_vba_database("other"):
        assert not AuthProcCodes.objects.exists() and not AuthReview.objects.exists()
        assert not AuthDiagCodes.objects.exists()
        assert AuthCode.objects.get(pk="APPR").description == "Approved (payer's own wording)"
        assert AuthCode.objects.count() == len(DECISION_CODES)
        for auth in Auth.objects.all():  # without lines, the Auth's own units still agree with its decision
            approved, denied = auth.units_approved or 0, auth.units_denied or 0
            if auth.status in ("APPROVED", "PARTIAL", "DENIED"):
                assert approved + denied == auth.units_requested, auth.pk
            assert (auth.status == "DENIED") == (auth.units_requested == denied), auth.pk


def test_no_history_leaves_no_history_row_for_lines_and_reviews_either() -> None:
    generate("--count", "20", "--database", "demo", "--no-history")
    with use_vba_database("demo"):
        assert AuthProcCodes.objects.exists() and AuthReview.objects.exists() and AuthDiagCodes.objects.exists()
        assert not Auth.history.exists()  # type: ignore[attr-defined]
        assert not AuthProcCodes.history.exists() and not AuthReview.history.exists()  # type: ignore[attr-defined]
        assert not AuthDiagCodes.history.exists()  # type: ignore[attr-defined]


ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")


@pytest.mark.parametrize("per_auth", [None, 3, 12])
def test_each_auth_gets_1_to_n_distinct_diagnoses_one_primary_with_their_history_rows(per_auth: int | None) -> None:
    """Default 2; 12 asks for more than a service has codes (each Auth then gets every code of its pool, no
    duplicate). Written in chunks; every diagnosis names an Auth, its key is :func:`diag_key` of its fields, and it
    has its one '+' history row."""
    args = ["--count", "300", "--database", "demo", "--chunk-size", "70"]
    out = generate(*args, *(["--diagnoses-per-auth", str(per_auth)] if per_auth else []))
    with use_vba_database("demo"):
        auths = set(Auth.objects.values_list("pk", flat=True))
        rows = list(AuthDiagCodes.objects.all())
        history = list(AuthDiagCodes.history.values_list("auth_diag_codes_key", "history_type", "primary_diag"))  # type: ignore[attr-defined]
    assert f", {len(rows)} diagnoses and " in out
    of = Counter(d.auth_number for d in rows)
    assert set(of) == auths  # every Auth has some, every diagnosis names an Auth
    wanted = per_auth or 2
    if wanted <= 3:
        assert set(of.values()) == set(range(1, wanted + 1))
    else:  # 12: capped by the pool (a service's codes from a random one on, then 4 comorbidities)
        assert min(of.values()) == 1 and max(of.values()) == 10 and len(set(of.values())) == 10
    for d in rows:
        assert d.pk == diag_key(d.auth_number, d.diagnostic_code, d.diagnostic_code_type)
        assert ICD10.fullmatch(d.diagnostic_code) and d.diagnostic_code_type == "ICD10", d.pk
        assert d.entry_date and d.entry_user == "generate_auths" and d.update_date
        assert d.disable_provider_match is False and d.disable_diag_code_match is False
    codes = Counter((d.auth_number, d.diagnostic_code) for d in rows)
    assert set(codes.values()) == {1}  # distinct codes per Auth
    assert Counter(d.auth_number for d in rows if d.primary_diag == "Y") == Counter(dict.fromkeys(auths, 1))
    assert len({d.diagnostic_code for d in rows}) >= 15
    assert sorted(history) == sorted((d.pk, "+", d.primary_diag) for d in rows)


def test_the_same_seed_gives_the_same_auths_whatever_the_diagnoses() -> None:
    generate("--count", "30", "--database", "demo", "--seed", "3")
    generate("--count", "30", "--database", "other", "--seed", "3", "--diagnoses-per-auth", "0")
    values = []
    for database in ("demo", "other"):
        with use_vba_database(database):
            values.append(
                (
                    list(Auth.objects.values_list("auth_number", "status", "subscriber_id", "units_requested")),
                    list(AuthProcCodes.objects.values_list("pk", "auth_number", "procedure_code")),
                    list(AuthReview.objects.values_list("pk", "auth_number", "review_comment")),
                )
            )
    assert values[0] == values[1]


def test_the_api_reads_a_generated_diagnosis_by_its_path(vba: Any) -> None:
    generate("--count", "10", "--database", "demo")
    with use_vba_database("demo"):
        diagnosis = AuthDiagCodes.objects.order_by("pk").last()
        assert diagnosis is not None
        count = AuthDiagCodes.objects.filter(auth_number=diagnosis.auth_number).count()
    base = f"auths/{diagnosis.auth_number}/diagnostic-codes"
    response = vba.call("GET", f"{base}/{diagnosis.diagnostic_code}/diagnostic-code-types/ICD10")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["auth_Number"], data["diagnostic_Code"], data["diagnostic_Code_Type"]) == (
        diagnosis.auth_number,
        diagnosis.diagnostic_code,
        "ICD10",
    )
    assert data["primary_Diag"] == diagnosis.primary_diag and data["entry_User"] == "generate_auths"
    listed = vba.call("GET", base)
    assert listed.status_code == 200 and len(listed.json()["data"]) == count
