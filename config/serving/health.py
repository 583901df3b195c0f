"""``/healthz`` (the process answers) and ``/readyz`` (every database answers a query), for load balancers and
orchestrators. Neither needs credentials nor reveals more than each database's name and state.

``/readyz``: 200 ``{"status": "ok", "databases": {...}}`` when every database answers; 503 ``"unavailable"`` naming
the unreachable ones otherwise. On a shared cache (Redis) it also says ``"cache": "ok" | "unreachable"``: Redis away
is ``"degraded"`` with HTTP 200, since requests are still served (the rate limits fall back to per-process buckets,
:mod:`config.serving.ratelimit`)."""

from __future__ import annotations

from typing import Any

from django.db import Error, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from config.records.dbfaults import discard_broken_connections
from config.serving.ratelimit import cache_is_shared, redis_reachable


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
        except Error:  # DatabaseError, or InterfaceError (a closed connection)
            databases[alias] = "unreachable"
    if not all(state == "ok" for state in databases.values()):
        discard_broken_connections()  # the next probe (or request) connects afresh
    ready = all(state == "ok" for state in databases.values())
    body: dict[str, Any] = {"status": "ok" if ready else "unavailable", "databases": databases}
    if cache_is_shared():
        body["cache"] = "ok" if redis_reachable() else "unreachable"
        if ready and body["cache"] != "ok":
            body["status"] = "degraded"
    return JsonResponse(body, status=200 if ready else 503)
