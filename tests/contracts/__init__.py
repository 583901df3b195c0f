"""The contract documents the tests read, copied from ``../shared/spec/`` so that a clone of this repository alone
(CI's) tests against them. Where ``../shared/spec/`` sits beside the clone, each read checks that the copy is still
the contract: a changed contract fails the tests until the copy here is refreshed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "spec"


def read_bytes(name: str) -> bytes:
    """The contract file ``name`` (``vba-openapi.json``, ``vba.md``), as copied here."""
    copy = (HERE / name).read_bytes()
    original = SHARED / name
    if original.exists():
        assert original.read_bytes() == copy, f"tests/contracts/{name} differs from {original}: copy it again"
    return copy


def read_text(name: str) -> str:
    return read_bytes(name).decode()


def vba_openapi() -> dict[str, Any]:
    """VBA's OpenAPI document for our operations, parsed."""
    return json.loads(read_bytes("vba-openapi.json"))  # type: ignore[no-any-return]


def vba_openapi_review() -> dict[str, Any]:
    """VBA's OpenAPI document of the review and care-work records (``vba-review.md``), parsed."""
    return json.loads(read_bytes("vba-openapi-review.json"))  # type: ignore[no-any-return]
