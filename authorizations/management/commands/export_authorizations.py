from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from authorizations.spry.api.serializers import SpryAuthorizationOut, authorization_json
from authorizations.spry.filters import AuthorizationFilter
from authorizations.spry.selectors import authorization_queryset
from config.records.commands import ExportCommand


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

    def records(self, queryset: QuerySet) -> Iterator[dict[str, Any]]:
        for authorization in queryset.iterator(chunk_size=self.chunk_size):  # each chunk with its lists prefetched
            yield authorization_json(authorization)
