"""``seed_demo``'s VBA records (issue 22, point 5): a new user sees a realistic review queue — decision codes with a
specific reason for each denial, Auths decided with them, procedure lines and reviews consistent with each decision,
ICD-10 diagnoses that justify each Auth's procedures, every record with its history row — and ``make run`` running
it again on every start adds nothing."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from authorizations.vba.demo import COMORBIDITIES, DIAGNOSES
from authorizations.vba.models import AUTH_ACTIONS, Auth, AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview
from config.serving.tenancy import use_vba_database

pytestmark = pytest.mark.django_db(databases="__all__")

MODELS = (AuthCode, Auth, AuthProcCodes, AuthDiagCodes, AuthReview)
#: An ICD-10-CM code: a letter, two characters, then up to four more after the dot.
ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts(database: str) -> dict[str, tuple[int, int]]:
    """Records and history rows of each model."""
    with use_vba_database(database):
        return {m.__name__: (m.objects.count(), m.history.count()) for m in MODELS}  # type: ignore[attr-defined]


@pytest.mark.parametrize("database", ["demo", "other"])
def test_the_demo_is_a_review_queue_whose_every_record_agrees_with_its_auths_decision(database: str) -> None:
    text = seed()
    with use_vba_database(database):
        codes: dict[Any, Any] = {c.auth_code: c for c in AuthCode.objects.all()}
        auths: list[Any] = list(Auth.objects.all())
        lines: dict[str, list[Any]] = defaultdict(list)
        reviews: dict[str, list[Any]] = defaultdict(list)
        diagnoses: dict[str, list[Any]] = defaultdict(list)
        for line in AuthProcCodes.objects.all():
            lines[line.auth_number].append(line)
        for diagnosis in AuthDiagCodes.objects.all():
            diagnoses[diagnosis.auth_number].append(diagnosis)
        for review in AuthReview.objects.order_by("review_date", "pk"):
            reviews[review.auth_number].append(review)
    assert (
        f"{database}: {len(codes)} decision codes, 40 Auths, {sum(map(len, lines.values()))} procedure lines, "
        f"{sum(map(len, diagnoses.values()))} diagnoses, {sum(map(len, reviews.values()))} reviews" in text
    )

    # decision codes: every action, and a specific reason for each denial (CMS-0057-F)
    assert {c.auth_action for c in codes.values()} == set(AUTH_ACTIONS)
    denials = [c for c in codes.values() if c.auth_action == "D"]
    assert len(denials) >= 3
    assert all(c.description and c.description.startswith("Denied: ") and len(c.description) > 20 for c in denials)
    assert len({c.description for c in denials}) == len(denials)

    # Auths: each decided with an existing code, its status that code's action's word; every action in the queue
    by_number = {a.auth_number: a for a in auths}
    for auth in auths:
        assert auth.auth_code in codes, auth.pk
        action = codes[auth.auth_code].auth_action
        assert auth.status == AUTH_ACTIONS[action][0], (auth.pk, auth.auth_code, auth.status)
        assert auth.approved_by and auth.approved_date and auth.received_date
        assert auth.approved_date > auth.received_date
    assert {codes[a.auth_code].auth_action for a in auths} == set(AUTH_ACTIONS)

    # lines: 1-4 per Auth, each of an existing Auth; units as its decision allows, the Auth's totals their sums
    assert set(lines) <= set(by_number) and set(reviews) <= set(by_number)
    assert all(1 <= len(lines.get(a.auth_number, [])) <= 4 for a in auths)
    assert len({line.procedure_code for ls in lines.values() for line in ls}) >= 10
    assert any(line.modifier1 for ls in lines.values() for line in ls)
    for number, its in lines.items():
        auth = by_number[number]
        requested = [line.units_requested for line in its]
        approved = [line.units_approved for line in its]
        assert all(r and r > 0 for r in requested)
        assert auth.units_requested == sum(requested)
        match auth.status:
            case "APPROVED":
                assert approved == requested and auth.units_approved == sum(requested), number
            case "PARTIAL":
                assert all(a is not None and a <= r for a, r in zip(approved, requested, strict=True)), number
                assert sum(a or 0 for a in approved) < sum(requested) and auth.units_denied, number
            case "DENIED":
                assert set(approved) == {0} and auth.units_denied == sum(requested), number
            case _:
                assert set(approved) == {None} and auth.units_approved is None, number
        for line in its:
            assert line.units_actual is None or 0 <= line.units_actual <= (line.units_approved or 0)

    # diagnoses: 1-3 distinct ICD-10 codes per Auth, one primary, each justifying one of its procedures (the primary
    # one its first line's) or a common comorbidity
    assert set(diagnoses) == set(by_number)
    assert {len(its) for its in diagnoses.values()} == {1, 2, 3}
    assert len({d.diagnostic_code for its in diagnoses.values() for d in its}) >= 15
    for number, its in diagnoses.items():
        assert all(ICD10.fullmatch(d.diagnostic_code) and d.diagnostic_code_type == "ICD10" for d in its), number
        assert sorted(d.primary_diag for d in its) == ["N"] * (len(its) - 1) + ["Y"], number
        justified = {code for line in lines[number] for code in DIAGNOSES[line.procedure_code]}
        primary = next(d.diagnostic_code for d in its if d.primary_diag == "Y")
        assert primary in justified, (number, primary)
        assert all(d.diagnostic_code in justified | set(COMORBIDITIES) for d in its), number

    # reviews: 0-3 per Auth; a denial or a partial approval is decided by a physician; the last review says why
    assert all(len(reviews.get(a.auth_number, [])) <= 3 for a in auths)
    assert any(not reviews.get(a.auth_number, []) for a in auths) and any(
        len(reviews.get(a.auth_number, [])) == 3 for a in auths
    )
    for number, rows in reviews.items():
        auth, last = by_number[number], rows[-1]
        assert all(r.review_user and r.review_level and r.review_type and r.review_comment for r in rows)
        assert all(auth.received_date < r.review_date <= auth.approved_date for r in rows)
        assert last.review_status == ("OPEN" if auth.status == "PENDED" else "COMPLETE")
        if auth.status in ("DENIED", "PARTIAL"):
            assert "PHYSICIAN" in last.review_level or "APPEAL" in last.review_level, number
        if auth.status == "DENIED":
            reason = codes[auth.auth_code].description.split(": ", 1)[1]
            assert reason in last.review_comment, (number, last.review_comment)


def test_every_demo_record_has_its_history_row_and_running_it_again_adds_nothing() -> None:
    seed()
    first = counts("demo")
    assert all(records > 0 and records == history for records, history in first.values()), first
    with use_vba_database("demo"):
        assert {h for m in MODELS for h in m.history.values_list("history_type", flat=True)} == {"+"}  # type: ignore[attr-defined]
        demo = get_user_model().objects.get(username="demo").pk  # (the users live in default)
        for model in (AuthReview, AuthDiagCodes):
            assert set(model.history.values_list("history_user_id", flat=True)) == {demo}  # type: ignore[attr-defined]
    seed()
    assert counts("demo") == first
    assert counts("other") == first


def test_running_it_again_keeps_what_a_user_changed_on_lines_diagnoses_and_reviews() -> None:
    seed()
    with use_vba_database("demo"):
        line = AuthProcCodes.objects.order_by("pk").first()
        assert line is not None
        AuthProcCodes.objects.filter(pk=line.pk).update(units_approved=1)  # (as a reviewer's edit)
        kept = AuthDiagCodes.objects.filter(primary_diag="N").order_by("pk").first()
        assert kept is not None
        AuthDiagCodes.objects.filter(pk=kept.pk).update(primary_diag="Y")
        undiagnosed = kept.auth_number
        bare = AuthDiagCodes.objects.exclude(auth_number=undiagnosed).values_list("auth_number", flat=True).first()
        AuthDiagCodes.objects.filter(auth_number=bare).delete()
        diagnoses = AuthDiagCodes.objects.count()
        reviewed = AuthReview.objects.values_list("auth_number", flat=True).first()
        AuthReview.objects.filter(auth_number=reviewed).delete()
        reviews = AuthReview.objects.count()
    seed()
    with use_vba_database("demo"):
        assert AuthProcCodes.objects.get(pk=line.pk).units_approved == 1
        # the changed diagnosis is kept and its Auth gets none added; the Auth left without any gets its own back
        assert AuthDiagCodes.objects.get(pk=kept.pk).primary_diag == "Y"
        assert AuthDiagCodes.objects.count() > diagnoses
        assert AuthDiagCodes.objects.filter(auth_number=bare).exists()
        # an Auth left without reviews gets its demo reviews back; the others are not added twice
        assert AuthReview.objects.count() > reviews
        assert AuthReview.objects.filter(auth_number=reviewed).exists()


def test_running_it_again_keeps_a_decision_and_a_code_changed_since() -> None:
    """``make run`` seeds on every start: a decision made on a demo Auth, or a decision code's new description, must
    survive the next start (an audit saw a restart put the demo's decision back, with no reason in the history)."""
    seed()
    with use_vba_database("demo"):
        auth = Auth.objects.order_by("pk").first()
        assert auth is not None
        Auth.objects.filter(pk=auth.pk).update(status="VOIDED", auth_code=None, approved_by="reviewer")
        code = AuthCode.objects.order_by("pk").first()
        assert code is not None
        AuthCode.objects.filter(pk=code.pk).update(description="reworded")
        history = (Auth.history.count(), AuthCode.history.count())  # type: ignore[attr-defined]
    seed()
    with use_vba_database("demo"):
        kept = Auth.objects.get(pk=auth.pk)
        assert (kept.status, kept.auth_code, kept.approved_by) == ("VOIDED", None, "reviewer")
        assert AuthCode.objects.get(pk=code.pk).description == "reworded"
        assert (Auth.history.count(), AuthCode.history.count()) == history  # type: ignore[attr-defined]
