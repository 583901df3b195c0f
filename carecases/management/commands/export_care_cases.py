from typing import Any

from django.core.management.base import CommandError
from django.db.models import QuerySet

from carecases.filters import CareCaseFilter
from carecases.models import CarePlan
from carecases.services import CARE_CASE
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the CareCases of one VBA database (as GET /care-plans/{carePlanKey}/cases renders them), or only "
        "those of --care-plan, to FILE or standard output as a JSON array, NDJSON or CSV, in key order; "
        "upsert_care_cases reads the same files back."
    )
    resource = CARE_CASE
    filterset_class = CareCaseFilter

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--care-plan", type=int, help="only the cases of this care plan (it must exist)")

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        plan = options.get("care_plan")
        if plan is None:
            return super().queryset(options)
        if not CarePlan.objects.filter(pk=plan).exists():
            raise CommandError(f"Care plan {plan} does not exist in the VBA database {options['database']!r}")
        return super().queryset(options).filter(care_plan_id=plan)
