from typing import Any

from django.db.models import QuerySet

from authorizations.filters import AuthFilter
from authorizations.models import Auth
from authorizations.services import AUTH
from config.api.commands import ExportCommand


class Command(ExportCommand):
    help = (
        "Write the Auths of one VBA database (as GET /auths renders them, VBA JSON names) to FILE or standard output "
        "as a JSON array, NDJSON or CSV, in key order; upsert_auths reads the same files back."
    )
    label = "Auth"
    filterset_class = AuthFilter
    columns = list(AUTH.spec.json_names.values())

    def queryset(self, options: dict[str, Any]) -> QuerySet:
        return Auth.objects.order_by("pk")

    def render(self, instance: Any) -> dict[str, Any]:
        return AUTH.spec.render(instance)
