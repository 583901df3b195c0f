from typing import Any

from django.core.management.base import CommandError

from carecases.models import CarePlan
from carecases.services import CARE_CASE, PLAN_CARE_CASE, PLAN_KEY
from config.records.commands import UpsertCommand, vba_database_option
from config.serving.tenancy import use_vba_database


class Command(UpsertCommand):
    help = (
        "Create or replace the CareCases of a JSON file (an array, VBA JSON names) in one VBA database through the "
        "same engine as the API: with --care-plan as PUT /care-plans/{carePlanKey}/cases-batch (every case must "
        "belong to that plan), without it as PUT /care-cases-batch. Prints counts per status and each failure; "
        "exits non-zero if any item failed."
    )
    resource = CARE_CASE

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--care-plan", type=int, help="the care plan every case belongs to (it must exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        plan, database = options.get("care_plan"), options["database"]
        if plan is not None:
            self.resource = PLAN_CARE_CASE
            with use_vba_database(vba_database_option(database)):
                if not CarePlan.objects.filter(pk=plan).exists():
                    raise CommandError(f"Care plan {plan} does not exist in the VBA database {database!r}")
        super().handle(*args, **options)

    def context(self, options: dict[str, Any]) -> dict[str, Any]:
        plan = options.get("care_plan")
        return {PLAN_KEY: plan} if plan is not None else {}
