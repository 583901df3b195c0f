"""The VBA database a block of code works in: held in a context variable, selected by serving for a request
(:mod:`config.serving.tenancy`), by the admin site of the URL, or by a command or test with :func:`use_vba_database`.
The engine reads it (:func:`current_vba_database`) and never decides it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings

_current: ContextVar[str | None] = ContextVar("vba_database", default=None)


class NoVBADatabaseSelected(RuntimeError):
    """A VBA model was read or written with no VBA database selected."""


def vba_database_names() -> list[str]:
    return list(settings.VBA_DATABASES)


def is_vba_database(name: str | None) -> bool:
    return bool(name) and name in settings.VBA_DATABASES


def selected_vba_database() -> str | None:
    """The VBA database selected for this request or block, or None."""
    return _current.get()


def current_vba_database() -> str:
    alias = _current.get()
    if alias is None:
        raise NoVBADatabaseSelected(
            "No VBA database is selected: send the vbasoftware-database header, pick one in the admin, "
            "or wrap the code in use_vba_database(name)."
        )
    return alias


@contextlib.contextmanager
def use_vba_database(alias: str) -> Iterator[str]:
    if not is_vba_database(alias):
        raise ValueError(f"{alias!r} is not a configured VBA database ({', '.join(vba_database_names())})")
    token = _current.set(alias)
    try:
        yield alias
    finally:
        _current.reset(token)


def select_for_request(alias: str) -> None:
    """Select ``alias`` for the rest of the current request (called by the API view or the admin site of the URL
    once its checks have passed)."""
    _current.set(alias)
