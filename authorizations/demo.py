"""The app's demo data (``manage.py seed_demo`` loads each app's ``demo.load``): VBA Auths, then the Spry demo."""

from __future__ import annotations

from typing import Any

from authorizations.spry import demo as spry_demo
from authorizations.vba import demo as vba_demo


def load(*, user: Any) -> str:
    """VBA Auths in every VBA database, and the Spry demo (an OAuth client and authorizations, in default)."""
    return vba_demo.load(user=user) + "\n  Spry: " + spry_demo.load(user=user)
