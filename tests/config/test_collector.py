"""A batch pauses Python's cyclic garbage collector while it works, and never leaves it paused."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from config.records.batch import collector_paused
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")


def test_the_collector_runs_again_after_any_batch(vba: Any, in_demo: str, monkeypatch: Any) -> None:
    seen: list[bool] = []
    from config.vba import views

    real = views.batch_upsert

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "batch_upsert", spy)
    assert vba.call("PUT", "auths", [auth_item("GC1")]).status_code == 207
    assert vba.call("PUT", "auths", {"not": "a list"}).status_code == 400
    assert vba.call("PUT", "auths", None, data="[", content_type="application/json").status_code == 400
    assert seen == [False] and gc.isenabled()


def test_a_paused_collector_stays_paused_when_nested() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()
