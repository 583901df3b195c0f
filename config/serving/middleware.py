"""A fresh activity id for every request: on the request, in the ``x-activity-id`` header and in the log line.

The log line carries the method, the path (never the query string: its values may be patients' names or ids, and
nothing else may log it either, see :class:`NoQueryStringFilter`), the status, the time and the activity id."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.records.activity import current_activity_id, new_activity

logger = logging.getLogger("vbapi.request")

__all__ = ["ActivityIdMiddleware", "NoQueryStringFilter", "current_activity_id", "new_activity"]


class ActivityIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        with new_activity() as activity_id:
            request.activity_id = activity_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        response["x-activity-id"] = activity_id
        logger.info(
            "%s %s %s %.1fms activityID=%s",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            activity_id,
        )
        return response


_QUERY = re.compile(r"\?(?=[^\s\"']*=)[^\s\"']*")


class NoQueryStringFilter(logging.Filter):
    """Cuts the query string out of every URL in a log record (Django's ``django.server`` request line, the
    ``django.request`` warnings and anything else sharing the handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("?...", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub("?...", record.msg)
        return True
