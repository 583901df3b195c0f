from typing import Any

from django.db.models import QuerySet

from carecases.filters import CarePlanFilter
from carecases.models import CarePlan
from carecases.services import CARE_PLAN
from config.api.commands import ExportCommand


class Command(ExportCommand):
    help = (
        "Write the CarePlans of one VBA database (as GET /care-plans renders them) to FILE or standard output as a "
        "JSON array, NDJSON or CSV, in key order."
    )
    label = "CarePlan"
    filterset_class = CarePlanFilter
    columns = list(CARE_PLAN.spec.json_names.values())

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        return CarePlan.objects.order_by("pk")

    def render(self, instance: Any) -> dict[str, Any]:
        return CARE_PLAN.spec.render(instance)
