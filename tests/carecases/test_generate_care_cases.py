"""``manage.py generate_care_cases``: realistic care plans, cases and work log entries, keyed from the API's key
sequence, with their history rows, readable through the API, never naming a person in a comment."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from carecases.demo import INITIAL, WORK
from carecases.management.commands import generate_care_cases
from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from carecases.rules import close_problems, is_closed_status
from carecases.services import CARE_CASE, CARE_CASE_WORK_LOG, CARE_PLAN
from config.serving.tenancy import use_vba_database
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import VBAClient

pytestmark = pytest.mark.django_db(databases="__all__")

MODELS = (CarePlan, CareCase, CareCaseWorkLog)
#: Every phrase a generated comment may be: the demo's, about the work.
PHRASES = {INITIAL[1], *(comment for _range, choices in WORK.values() for _s, comment, _b in choices)}
#: Words that would show a person named in a comment (titles, the demo's own care managers' names, common names).
NAMES = ("dr.", "mr.", "mrs.", "ms.", "alvarez", "jones", "chen", "garcia", "okafor", "smith", "john", "mary")


def generate(*args: str, database: str = "demo") -> str:
    out = io.StringIO()
    call_command("generate_care_cases", *args, "--database", database, stdout=out)
    return out.getvalue()


def test_counts_history_and_varied_cases() -> None:
    out = generate("--plans", "3", "--cases-per-plan", "400", "--work-logs-per-case", "4", "--chunk-size", "150")
    with use_vba_database("demo"):
        plans, cases = list(CarePlan.objects.all()), list(CareCase.objects.all())
        entries = CareCaseWorkLog.objects.count()
        history = {m.__name__: Counter(m.history.values_list("history_type", flat=True)) for m in MODELS}  # type: ignore[attr-defined]
        per_case = Counter(CareCaseWorkLog.objects.values_list("care_case_id", flat=True))
    assert re.search(rf"3 care plans \(keys 1 … 3\), 1200 care cases \(keys 1 … 1200\) and {entries} work log", out)
    assert len(plans) == 3 and len(cases) == 1200
    assert Counter(c.care_plan_id for c in cases) == {1: 400, 2: 400, 3: 400}
    assert history == {"CarePlan": {"+": 3}, "CareCase": {"+": 1200}, "CareCaseWorkLog": {"+": entries}}
    # 0 to 8 entries a case (4 on average), and the long-running cases with more than a case's page shows
    busy = generate_care_cases.BUSY_ENTRIES
    assert sorted(n for n in per_case.values() if n > 8) == [busy, busy]
    assert 3.5 * 1200 < entries - 2 * busy < 4.5 * 1200 and len(per_case) < 1200  # some cases have none yet
    statuses = Counter(c.case_status for c in cases)
    assert set(statuses) == {"CLOSED", "ACTIVE", "OPEN", "PENDING", "ON_HOLD"} and statuses["CLOSED"] > 300
    for case in cases:
        assert case.subscriber_id and len(case.subscriber_id) == 9 and case.member_seq, case.pk
        assert close_problems(case.case_status, case.case_end_date, case.case_close_reason) == {}, case.pk
        assert is_closed_status(case.case_status) == (case.case_end_date is not None)
        assert case.entry_date <= case.update_date
    members = Counter((c.subscriber_id, c.member_seq) for c in cases)
    assert 300 < len(members) < 1200  # a member has one to a few cases
    assert len({c.provider_id for c in cases}) >= 5 and len({c.case_priority for c in cases}) == 5


def test_entries_fall_in_their_case_period_and_start_with_the_initial_assessment() -> None:
    generate("--plans", "2", "--cases-per-plan", "100", "--work-logs-per-case", "3")
    with use_vba_database("demo"):
        cases = {c.pk: c for c in CareCase.objects.all()}
        entries = list(CareCaseWorkLog.objects.order_by("care_case_id", "work_log_date", "pk"))
    first_of: dict[int, CareCaseWorkLog] = {}
    for entry in entries:
        case = cases[entry.care_case_id]
        assert case.case_start_date is not None and entry.work_log_date is not None
        assert case.case_start_date.date() <= entry.work_log_date.date() <= case.update_date.date(), entry.pk
        if case.case_end_date:
            assert entry.work_log_date.date() <= case.case_end_date.date(), entry.pk
        first_of.setdefault(entry.care_case_id, entry)
        assert entry.work_log_user and entry.work_log_type in WORK
    assert all(e.work_log_type == "ASSESSMENT" for e in first_of.values())


def test_keys_come_after_the_sequence_and_the_api_assigns_after_them(demo: VBAClient) -> None:
    assert demo.call("POST", "care-plans", plan_item(7, care_Type="EXISTING")).status_code == 200
    assert demo.call("PUT", "care-plans/7/cases-batch", [case_item(50, 7)]).status_code == 207
    generate("--plans", "2", "--cases-per-plan", "10", "--work-logs-per-case", "2")
    with use_vba_database("demo"):
        assert sorted(CarePlan.objects.values_list("pk", flat=True)) == [7, 8, 9]
        generated = sorted(CareCase.objects.exclude(pk=50).values_list("pk", flat=True))
        assert generated == list(range(51, 71))
        last_entry = CareCaseWorkLog.objects.order_by("-pk").values_list("pk", flat=True).first()
    # the API's next keys are after the generated ones
    plan = demo.call("POST", "care-plans", plan_item(0, care_Type="NEW"))
    assert plan.json()["data"]["carePlan_Key"] == 10, plan.json()
    case = demo.call("POST", "care-plans/7/cases", case_item(0, 7))
    assert case.json()["data"]["case_Key"] == 71, case.json()
    entry = demo.call(
        "POST",
        "cases/51/work-logs",
        {"careCaseWorkLog_Key": 0, "case_Key": 51, "workLog_Type": "CALL", "workLog_Billable": False},
    )
    assert entry.status_code == 200, (entry.status_code, entry.content)
    assert entry.json()["data"]["careCaseWorkLog_Key"] == (last_entry or 0) + 1, entry.json()


def test_the_api_reads_what_it_wrote(demo: VBAClient) -> None:
    generate("--plans", "2", "--cases-per-plan", "30", "--work-logs-per-case", "3")
    with use_vba_database("demo"):
        for resource, model in ((CARE_PLAN, CarePlan), (CARE_CASE, CareCase), (CARE_CASE_WORK_LOG, CareCaseWorkLog)):
            for row in model.objects.all():
                _attrs, error = resource.spec.validate(resource.spec.render(row))
                assert error is None, (model.__name__, row.pk, error)
        case = CareCase.objects.filter(work_logs__isnull=False).order_by("pk").first()
        assert case is not None
        count = case.work_logs.count()
    plans = demo.call("GET", "care-plans")
    assert plans.status_code == 200 and len(plans.json()["data"]) == 2
    cases = demo.call("GET", f"care-plans/{case.care_plan_id}/cases")
    assert cases.status_code == 200 and len(cases.json()["data"]) == 30
    one = demo.call("GET", f"care-plans/{case.care_plan_id}/cases/{case.pk}").json()["data"]
    assert (one["subscriber_ID"], one["member_Seq"], one["case_Status"]) == (
        case.subscriber_id,
        case.member_seq,
        case.case_status,
    )
    entries = demo.call("GET", f"cases/{case.pk}/work-logs")
    assert entries.status_code == 200 and len(entries.json()["data"]) == count


def test_comments_never_name_a_person() -> None:
    generate("--plans", "2", "--cases-per-plan", "200", "--work-logs-per-case", "4")
    with use_vba_database("demo"):
        comments = set(CareCaseWorkLog.objects.values_list("work_log_comment", flat=True))
        users = set(CareCaseWorkLog.objects.values_list("work_log_user", flat=True))
        other_text = set(CareCase.objects.values_list("eligibility_verified_comment", flat=True))
        other_text |= set(CarePlan.objects.values_list("description", flat=True))
    assert comments <= PHRASES and len(comments) >= 10
    assert all(re.fullmatch(r"cm\d{3}", user or "") for user in users)  # staff accounts, not names
    for text in {*(t for t in comments | other_text if t)}:
        words = set(re.findall(r"[a-z.]+", text.lower()))
        assert not words & set(NAMES), text


def test_a_second_run_is_refused_and_writes_nothing() -> None:
    generate("--plans", "1", "--cases-per-plan", "5", "--work-logs-per-case", "1")
    with pytest.raises(CommandError, match="already holds 1 care plans written by generate_care_cases"):
        generate("--plans", "1", "--cases-per-plan", "5", "--work-logs-per-case", "1")
    with use_vba_database("demo"):
        assert (CarePlan.objects.count(), CareCase.objects.count()) == (1, 5)
    generate("--plans", "1", "--cases-per-plan", "5", "--work-logs-per-case", "1", database="other")  # another: fine


def test_the_same_seed_gives_the_same_data() -> None:
    for database in ("demo", "other"):
        generate(
            "--plans", "2", "--cases-per-plan", "20", "--work-logs-per-case", "2", "--seed", "5", database=database
        )
    values = []
    for database in ("demo", "other"):
        with use_vba_database(database):
            values.append(
                list(CareCase.objects.values_list("pk", "case_status", "subscriber_id", "case_start_date"))
                + list(CareCaseWorkLog.objects.values_list("pk", "care_case_id", "work_log_date", "work_log_comment"))
            )
    assert values[0] == values[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plans", "-1", "--cases-per-plan", "1", "--work-logs-per-case", "1"], "must be at least 0"),
        (["--plans", "1", "--cases-per-plan", "1", "--work-logs-per-case", "1", "--chunk-size", "0"], "--chunk-size"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        generate(*args)
    with pytest.raises(CommandError, match="Unknown VBA database"):
        generate("--plans", "1", "--cases-per-plan", "1", "--work-logs-per-case", "1", database="nowhere")


def test_zero_cases_is_fine() -> None:
    out = generate("--plans", "0", "--cases-per-plan", "10", "--work-logs-per-case", "4")
    assert "0 care plans (keys none), 0 care cases (keys none) and 0 work log entries" in out
