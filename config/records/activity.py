"""The activity id of the work in progress (a request, or a block the gunicorn worker answers itself): made by
serving (:class:`config.serving.middleware.ActivityIdMiddleware`), read by the engine (batch results, history rows)
and the protocols' envelopes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_activity_id: ContextVar[str | None] = ContextVar("activity_id", default=None)


def current_activity_id() -> str | None:
    return _activity_id.get()


@contextmanager
def new_activity() -> Iterator[str]:
    """A fresh activity id, current for the block (every answer, even one the server gives before Django runs)."""
    activity_id = uuid.uuid4().hex
    token = _activity_id.set(activity_id)
    try:
        yield activity_id
    finally:
        _activity_id.reset(token)


def stamp_activity_id(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """History rows written one at a time (admin, deletes) carry the activity id of the request that made them."""
    if hasattr(history_instance, "activity_id") and not history_instance.activity_id:
        history_instance.activity_id = current_activity_id()
