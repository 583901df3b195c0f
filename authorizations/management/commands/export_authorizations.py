from typing import Any

from django.db.models import QuerySet

from authorizations.api.spry_serializers import SpryAuthorizationOut, authorization_json
from authorizations.filters import AuthorizationFilter
from authorizations.spry_selectors import authorization_queryset
from config.api.commands import ExportCommand


class Command(ExportCommand):
    help = (
        "Write the Spry authorizations (all, or one --organisation's) as the Spry API renders them to FILE or "
        "standard output as a JSON array, NDJSON or CSV (ICD and CPT lists and the payer as JSON text), oldest first."
    )
    label = "Spry authorization"
    filterset_class = AuthorizationFilter
    columns = list(SpryAuthorizationOut.model_fields)
    vba = False

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--organisation", type=int, help="only this organisation's authorizations")

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        return authorization_queryset(organisation_id=options.get("organisation"))

    def render(self, instance: Any) -> dict[str, Any]:
        return authorization_json(instance)
