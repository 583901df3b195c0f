"""``/healthz`` (the process answers) and ``/readyz`` (every database answers a query), for load balancers and
orchestrators. Neither needs credentials nor reveals more than each database's name and state."""

from __future__ import annotations

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    databases: dict[str, str] = {}
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            databases[alias] = "ok"
        except DatabaseError:
            databases[alias] = "unreachable"
    ready = all(state == "ok" for state in databases.values())
    body = {"status": "ok" if ready else "unavailable", "databases": databases}
    return JsonResponse(body, status=200 if ready else 503)
