"""Writes of the authorizations app, shared by the API, the admin and the management commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.utils import timezone
from rest_framework import exceptions, status

from authorizations.vba.models import (
    AUTH_ACTIONS,
    Auth,
    AuthCode,
    AuthProcCodes,
    AuthReview,
    auth_action_problem,
    auth_code_problem,
    auth_number_problem,
)
from config.records.batch import BatchOutcome, BatchResource, IntKeyResource, ItemResult, batch_upsert, stamp_audit
from config.records.databases import current_vba_database
from config.records.services import record_delete
from config.records.specs import INT32_MAX, INT32_MIN, RecordSpec

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


#: context key: the Auth of the path (``/auths/{authNumber}/...``)
PATH_AUTH = "auth_number"


def existing_auths(auth_numbers: set[str], using: str) -> set[str]:
    """Which of ``auth_numbers`` exist; on PostgreSQL they are also locked ``FOR KEY SHARE`` until the transaction
    ends (as a foreign key check would), so an Auth cannot be deleted between this check and the write of its
    children (:func:`auth_delete` locks it ``FOR UPDATE``)."""
    if not auth_numbers:
        return set()
    connection = connections[using]
    if connection.vendor != "postgresql":
        return set(Auth.objects.using(using).filter(pk__in=auth_numbers).values_list("pk", flat=True))
    quote = connection.ops.quote_name
    column = quote(str(Auth._meta.pk.column))
    sql = f"SELECT {column} FROM {quote(Auth._meta.db_table)} WHERE {column} = ANY(%s) FOR KEY SHARE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(auth_numbers)])
        return {row[0] for row in cursor.fetchall()}


class AuthChildResource(IntKeyResource):
    """A record that names its Auth in ``auth_Number`` (decision 15): an item whose Auth does not exist is a 400."""

    def check_references(self, items: Sequence[dict[str, Any]], using: str) -> dict[int, str]:
        found = existing_auths({attrs["auth_number"] for attrs in items}, using)
        return {
            position: f"auth_Number: Auth {attrs['auth_number']} does not exist"
            for position, attrs in enumerate(items)
            if attrs["auth_number"] not in found
        }


def user_name_for(model: Any, field: str, user: Any) -> str | None:
    """``user``'s name as ``model.field`` holds it (cut to the column's length), None for no user."""
    name = (user.get_username() if user is not None else "") or ""
    return name[: model._meta.get_field(field).max_length] or None


class AuthProcCodesResource(AuthChildResource):
    """The procedure lines of the path's Auth (``/auths/{authNumber}/procedure-codes...``, decisions 15-16): an
    item's ``auth_Number`` must be the path's (400 for that item); a line is never moved to another Auth."""

    spec = RecordSpec(AuthProcCodes, hidden=AUDIT)
    key = "auth_proc_codes_key"
    label = "AuthProcCodes"

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        error = super().prepare(attrs, context)
        path_auth = context.get(PATH_AUTH)
        if error is None and path_auth is not None and attrs["auth_number"] != path_auth:
            return (
                f"auth_Number: the item says {attrs['auth_number']!r} but the path says {path_auth!r}; they must match"
            )
        return error


#: context key: the caller (``review_User`` when null)
CALLER = "user"


class AuthReviewResource(AuthChildResource):
    """Reviews (``/auth-reviews``, decisions 15-17): each names its Auth in ``auth_Number``, which must exist (400 for
    that item). ``review_User``/``review_Date`` are kept as sent; when null, the caller's user name and now."""

    spec = RecordSpec(AuthReview, hidden=AUDIT)
    key = "auth_review_key"
    label = "AuthReview"

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        if attrs["review_user"] is None:
            attrs["review_user"] = user_name_for(AuthReview, "review_user", context.get(CALLER))
        if attrs["review_date"] is None:
            attrs["review_date"] = timezone.now()
        return super().prepare(attrs, context)


AUTH = AuthResource()
AUTH_CODE = AuthCodeResource()
AUTH_PROC_CODES = AuthProcCodesResource()
AUTH_REVIEW = AuthReviewResource()


class AuthHasChildren(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "auth_has_children"


def auth_children_problem(auth_numbers: Sequence[str]) -> str | None:
    """Why the Auths ``auth_numbers`` cannot be deleted (decision 15: never a cascade), naming the counts; or None.
    One query for both counts."""
    if not auth_numbers:
        return None
    connection = connections[current_vba_database()]
    quote, marks = connection.ops.quote_name, ", ".join(["%s"] * len(auth_numbers))
    counts = [
        f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)} WHERE {quote('Auth_Number')} IN ({marks}))"
        for m in (AuthProcCodes, AuthReview)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counts)}", [*auth_numbers, *auth_numbers])
        lines, reviews = cursor.fetchone()
    if not lines and not reviews:
        return None
    which = f"Auth {auth_numbers[0]} still has" if len(auth_numbers) == 1 else "These Auths still have"
    return (
        f"{which} {lines} procedure line(s) and {reviews} review(s); delete them first "
        "(an Auth is never deleted with its lines or reviews)"
    )


def _refuse_auth_with_children(auth: Any) -> None:
    problem = auth_children_problem([auth.pk])
    if problem:
        raise AuthHasChildren(problem)


def auth_delete(*, auth_number: str, user: Any, if_match: str | None = None) -> None:
    """Delete an Auth that has no procedure lines or reviews; one that has any is a 409 naming the counts. The Auth
    is locked first (``FOR UPDATE``): a concurrent write of a line or review, which locks it ``FOR KEY SHARE``, waits
    for this transaction, and then finds it gone."""
    record_delete(AUTH, auth_number, user=user, if_match=if_match, refuse=_refuse_auth_with_children)


def _int32(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and INT32_MIN <= value <= INT32_MAX


def auth_proc_codes_delete_batch(*, auth_number: str, keys: Sequence[Any], user: Any) -> BatchOutcome:
    """``DELETE /auths/{authNumber}/procedure-codes-batch``: one result per key, in order: 200 deleted, 404 unknown
    or not this Auth's, 400 not an int32 key. Each deletion leaves a history row."""
    label, results = AUTH_PROC_CODES.label, []
    wanted = {k for k in keys if _int32(k)}
    with transaction.atomic(using=current_vba_database()):
        lines = {
            line.pk: line
            for line in AuthProcCodes.objects.select_for_update().filter(auth_number=auth_number, pk__in=wanted)
        }
        for key in keys:
            if not _int32(key):
                results.append(ItemResult(key, 400, f"Each item must be an int32 {AUTH_PROC_CODES.key_json}"))
                continue
            line = lines.pop(key, None)
            if line is None:
                results.append(ItemResult(key, 404, f"{label} {key} of Auth {auth_number} was not found"))
                continue
            line._history_user = user  # type: ignore[attr-defined]
            line.delete()
            results.append(ItemResult(key, 200, "Deleted"))
    return BatchOutcome(AUTH_PROC_CODES.key_json, results)


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
        auth.approved_by = user_name_for(Auth, "approved_by", user)
        auth.approved_date = timezone.now()
        stamp_audit(auth, user=user, created=False)
        auth._change_reason = decision.description  # type: ignore[attr-defined]
        auth._history_user = user  # type: ignore[attr-defined]
        auth.save()
        return auth
