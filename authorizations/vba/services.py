"""Writes of the authorizations app, shared by the API, the admin and the management commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authorizations.vba.models import Auth, auth_number_problem
from config.records.batch import BatchOutcome, BatchResource, batch_upsert
from config.records.specs import RecordSpec


class AuthResource(BatchResource):
    spec = RecordSpec(Auth, optional_inputs=("auth_number",))
    key = "auth_number"
    label = "Auth"

    def make_key(self, number: int) -> str:
        return str(number)

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        key = attrs[self.key]
        problem = None if key is None else auth_number_problem(key)
        return f"{self.key_json}: {problem}" if problem else None


AUTH = AuthResource()


def auth_batch_upsert(*, items: Sequence[Any], user: Any, all_or_none: bool = False) -> BatchOutcome:
    """Create or replace Auths (VBA ``PUT /auths``) in the selected database; one result per item."""
    return batch_upsert(AUTH, items, user=user, all_or_none=all_or_none)
