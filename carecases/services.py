"""Writes of the carecases app, shared by the API, the admin, the management command and the demo data.

CarePlan and CareCase are declarations on the one batch engine (:mod:`config.records.batch`): a model, a key and the
rules of decisions.md 6-7. Three case resources share one spec and differ only in how they check the plan:

- :data:`CARE_CASE` (``PUT /care-cases-batch``): each item's ``carePlan_Key`` must name an existing plan (400);
- :data:`PLAN_CARE_CASE` (under ``/care-plans/{carePlanKey}``): the item's plan must be the path's (400), and a case
  that already belongs to another plan is not taken over through this plan's path (400; move it through
  ``/care-cases-batch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Model

from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from config.records.batch import BatchOutcome, IntKeyResource, batch_upsert, default_caller_and_now
from config.records.services import StillInUse, existing_keys, record_delete, record_get
from config.records.specs import RecordSpec
from config.serving.tenancy import current_vba_database

PLAN_KEY = "care_plan_key"  # context key: the care plan of the path
PATH_CASE = "case_key"  # context key: the care case of the path (``/cases/{caseKey}/...``)


class CarePlanResource(IntKeyResource):
    spec = RecordSpec(CarePlan)
    key = "care_plan_key"
    label = "CarePlan"


class CareCaseResource(IntKeyResource):
    """Cases through ``/care-cases-batch``: each item names its plan, which must exist."""

    spec = RecordSpec(CareCase)
    key = "case_key"
    label = "CareCase"

    def check_references(self, items: Sequence[dict[str, Any]], using: str) -> dict[int, str]:
        found = existing_keys(CarePlan, {attrs["care_plan_id"] for attrs in items}, using)
        return {
            position: f"carePlan_Key: care plan {attrs['care_plan_id']} does not exist"
            for position, attrs in enumerate(items)
            if attrs["care_plan_id"] not in found
        }


class PlanCareCaseResource(CareCaseResource):
    """Cases under ``/care-plans/{carePlanKey}``: the path's plan (``context[PLAN_KEY]``) is the only one allowed."""

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        error = super().prepare(attrs, context)
        path_plan = context.get(PLAN_KEY)
        if error is None and path_plan is not None and attrs["care_plan_id"] != path_plan:
            return f"carePlan_Key: the item says {attrs['care_plan_id']} but the path says {path_plan}; they must match"
        return error

    def check_references(self, items: Sequence[dict[str, Any]], using: str) -> dict[int, str]:
        errors = super().check_references(items, using)
        keys = [attrs[self.key] for attrs in items]
        elsewhere = dict(CareCase.objects.using(using).filter(pk__in=keys).values_list("pk", "care_plan_id"))
        for position, attrs in enumerate(items):
            owner = elsewhere.get(attrs[self.key])
            if position not in errors and owner is not None and owner != attrs["care_plan_id"]:
                errors[position] = (
                    f"CareCase {attrs[self.key]} belongs to care plan {owner}, not {attrs['care_plan_id']}; "
                    "move it to another plan through PUT /care-cases-batch"
                )
        return errors


class CareCaseWorkLogResource(IntKeyResource):
    """The work logs of the path's case (``/cases/{caseKey}/work-logs...``, decisions 15-17): an item's ``case_Key``
    must be the path's (400 for that item) and an entry of another case is never moved to this one (400);
    ``workLog_User``/``workLog_Date`` are kept as sent, the caller's user name and now when null. The audit fields
    are part of VBA's ``CareCaseWorkLog`` JSON (server-owned: rendered, ignored on input)."""

    spec = RecordSpec(CareCaseWorkLog)
    key = "care_case_work_log_key"
    label = "CareCaseWorkLog"

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        default_caller_and_now(attrs, CareCaseWorkLog, "work_log_user", "work_log_date", context)
        error = super().prepare(attrs, context)
        path_case = context.get(PATH_CASE)
        if error is None and path_case is not None and attrs["care_case_id"] != path_case:
            return f"case_Key: the item says {attrs['care_case_id']} but the path says {path_case}; they must match"
        return error

    def check_references(self, items: Sequence[dict[str, Any]], using: str) -> dict[int, str]:
        found = existing_keys(CareCase, {attrs["care_case_id"] for attrs in items}, using)
        keys = [attrs[self.key] for attrs in items]
        owners = dict(CareCaseWorkLog.objects.using(using).filter(pk__in=keys).values_list("pk", "care_case_id"))
        errors = {}
        for position, attrs in enumerate(items):
            case, owner = attrs["care_case_id"], owners.get(attrs[self.key])
            if case not in found:
                errors[position] = f"case_Key: care case {case} does not exist"
            elif owner is not None and owner != case:
                errors[position] = (
                    f"CareCaseWorkLog {attrs[self.key]} belongs to care case {owner}, not {case}; a work log entry is "
                    "never moved to another case"
                )
        return errors


CARE_PLAN = CarePlanResource()
CARE_CASE = CareCaseResource()
PLAN_CARE_CASE = PlanCareCaseResource()
CARE_CASE_WORK_LOG = CareCaseWorkLogResource()


def care_plan_batch_upsert(*, items: Sequence[Any], user: Any, all_or_none: bool = False) -> BatchOutcome:
    """Create or replace CarePlans (``PUT /care-plans-batch``) in the selected database; one result per item."""
    return batch_upsert(CARE_PLAN, items, user=user, all_or_none=all_or_none)


def care_case_batch_upsert(
    *, items: Sequence[Any], user: Any, care_plan_key: int | None = None, all_or_none: bool = False
) -> BatchOutcome:
    """Create or replace CareCases in the selected database; one result per item.

    With ``care_plan_key`` (``PUT /care-plans/{carePlanKey}/cases-batch``) every item must belong to that plan,
    which must exist (404 otherwise); without it (``PUT /care-cases-batch``) each item's plan must exist.
    """
    if care_plan_key is None:
        return batch_upsert(CARE_CASE, items, user=user, all_or_none=all_or_none)
    care_plan_get(key=care_plan_key)
    return batch_upsert(PLAN_CARE_CASE, items, user=user, all_or_none=all_or_none, context={PLAN_KEY: care_plan_key})


def care_plan_get(*, key: int) -> Model:
    """The care plan ``key`` of the selected database, or a 404."""
    return record_get(CARE_PLAN, key)


def plan_cases_problem(keys: Sequence[int]) -> str | None:
    """Why the care plans ``keys`` cannot be deleted (never a cascade), naming the count of their cases; or None."""
    count = CareCase.objects.filter(care_plan_id__in=keys).count()
    if not count:
        return None
    return f"CarePlan {keys[0]} still has {count} care case(s); delete them or move them to another plan first"


def care_plan_delete(*, key: int, user: Any, if_match: str | None = None) -> None:
    """Delete a care plan that has no cases; one that still has cases is a 409 (never a cascade)."""
    with transaction.atomic(using=current_vba_database()):
        record_get(CARE_PLAN, key, for_update=True)  # holds off new cases until this transaction ends
        problem = plan_cases_problem([key])  # before If-Match: a plan with cases is a 409 whatever its version
        if problem:
            raise StillInUse(problem)
        record_delete(CARE_PLAN, key, user=user, if_match=if_match)


def case_work_logs_problem(keys: Sequence[int]) -> str | None:
    """Why the care cases ``keys`` cannot be deleted (decision 15: never a cascade), naming the count of their work
    log entries; or None."""
    count = CareCaseWorkLog.objects.filter(care_case_id__in=keys).count()
    if not count:
        return None
    return (
        f"CareCase {keys[0]} still has {count} work log entr{'y' if count == 1 else 'ies'}; delete them first "
        "(a case is never deleted with its work log)"
    )


def care_case_delete(*, key: int, user: Any, if_match: str | None = None) -> None:
    """Delete a care case that has no work log entries; one that has any is a 409 naming the count (decision 15:
    never a cascade). The case is locked first (``FOR UPDATE``): a concurrent write of an entry, which locks it
    ``FOR KEY SHARE``, waits for this transaction and then finds it gone."""
    record_delete(PLAN_CARE_CASE, key, user=user, if_match=if_match, in_use=lambda key: case_work_logs_problem([key]))
