"""A fresh activity id for every request: on the request, in the ``x-activity-id`` header and in the log line."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("vbapi.request")
_activity_id: ContextVar[str | None] = ContextVar("activity_id", default=None)


def current_activity_id() -> str | None:
    return _activity_id.get()


class ActivityIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        activity_id = uuid.uuid4().hex
        request.activity_id = activity_id  # type: ignore[attr-defined]
        token = _activity_id.set(activity_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            _activity_id.reset(token)
        response["x-activity-id"] = activity_id
        logger.info(
            "%s %s %s %.1fms activityID=%s",
            request.method,
            request.get_full_path(),
            response.status_code,
            (time.perf_counter() - started) * 1000,
            activity_id,
        )
        return response
