"""Writes of the authorizations app, shared by the API, the admin and the management commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authorizations.models import Auth
from config.api.batch import BatchOutcome, BatchResource, batch_upsert
from config.api.records import RecordSpec


class AuthResource(BatchResource):
    spec = RecordSpec(Auth, optional_inputs=("auth_number",))
    key = "auth_number"
    label = "Auth"

    def make_key(self, number: int) -> str:
        return str(number)


AUTH = AuthResource()


def auth_batch_upsert(*, items: Sequence[Any], user: Any, all_or_none: bool = False) -> BatchOutcome:
    """Create or replace Auths (VBA ``PUT /auths``) in the selected database; one result per item."""
    return batch_upsert(AUTH, items, user=user, all_or_none=all_or_none)
