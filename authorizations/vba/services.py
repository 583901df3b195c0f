"""Writes of the authorizations app, shared by the API, the admin and the management commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions

from authorizations.vba.models import (
    AUTH_ACTIONS,
    Auth,
    AuthCode,
    auth_action_problem,
    auth_code_problem,
    auth_number_problem,
)
from config.records.batch import BatchOutcome, BatchResource, batch_upsert, stamp_audit
from config.records.databases import current_vba_database
from config.records.specs import RecordSpec

AUDIT = ("entry_date", "entry_user", "update_date", "update_user")


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


class AuthCodeResource(BatchResource):
    """VBA's decision codes (``/auth-codes``): a string key the client always sends; ``auth_Action`` one of the five
    letters of :data:`~authorizations.vba.models.AUTH_ACTIONS` or null (decision 17). The audit columns are stored
    but not part of VBA's ``AuthCode`` JSON (``hidden``)."""

    spec = RecordSpec(AuthCode, hidden=AUDIT)
    key = "auth_code"
    label = "AuthCode"

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        problem = auth_code_problem(attrs[self.key])
        if problem:
            return f"{self.key_json}: {problem}"
        problem = auth_action_problem(attrs["auth_action"])
        return f"auth_Action: {problem}" if problem else None


AUTH = AuthResource()
AUTH_CODE = AuthCodeResource()


def auth_batch_upsert(*, items: Sequence[Any], user: Any, all_or_none: bool = False) -> BatchOutcome:
    """Create or replace Auths (VBA ``PUT /auths``) in the selected database; one result per item."""
    return batch_upsert(AUTH, items, user=user, all_or_none=all_or_none)


def auth_code_batch_upsert(*, items: Sequence[Any], user: Any, all_or_none: bool = False) -> BatchOutcome:
    """Create or replace AuthCodes (VBA ``PUT /auth-codes-batch``) in the selected database; one result per item."""
    return batch_upsert(AUTH_CODE, items, user=user, all_or_none=all_or_none)


def auth_actions() -> list[dict[str, str]]:
    """VBA's ``AuthAction`` list (``GET /auth-actions``): fixed, not a table."""
    return [{"auth_Action": letter, "description": text} for letter, (_word, text) in AUTH_ACTIONS.items()]


class DecisionRefused(exceptions.ValidationError):
    """A code that cannot decide (unknown, or without an action): a 400 naming the code."""


def auth_process_status(*, auth_number: str, code: str, user: Any) -> Auth:
    """Decide Auth ``auth_number`` of the selected database with decision code ``code`` (decision 17): the Auth
    (locked for the transaction) takes the code, the status word of its action, ``approved_By``/``approved_Date`` and
    the audit stamps; its history row gives the code's description as the reason. The same decision again changes
    nothing. Unknown Auth: 404; unknown code, or a code without an action: 400 naming it."""
    with transaction.atomic(using=current_vba_database()):
        auth = Auth.objects.select_for_update().filter(pk=auth_number).first()
        if auth is None:
            raise exceptions.NotFound(f"Auth {auth_number} was not found")
        decision = AuthCode.objects.filter(pk=code).first()
        if decision is None:
            raise DecisionRefused({"newAuthCode": [f"auth code {code!r} does not exist"]})
        if decision.auth_action not in AUTH_ACTIONS:
            raise DecisionRefused({"newAuthCode": [f"auth code {code!r} has no action: it cannot decide an Auth"]})
        word = AUTH_ACTIONS[decision.auth_action][0]
        if auth.auth_code == code and auth.status == word:
            return auth  # the same decision again: nothing changes, no history row
        auth.auth_code, auth.status = code, word
        max_length = Auth._meta.get_field("approved_by").max_length
        auth.approved_by = ((user.get_username() if user is not None else "") or "")[:max_length] or None
        auth.approved_date = timezone.now()
        stamp_audit(auth, user=user, created=False)
        auth._change_reason = decision.description  # type: ignore[attr-defined]
        auth._history_user = user  # type: ignore[attr-defined]
        auth.save()
        return auth
