"""Writes of the authorizations app, shared by the API, the admin and the management commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from rest_framework import exceptions

from authorizations.vba.models import (
    AUTH_ACTIONS,
    Auth,
    AuthCode,
    AuthDiagCodes,
    AuthProcCodes,
    AuthReview,
    auth_action_problem,
    auth_code_problem,
    auth_number_problem,
    diag_key,
    diag_key_parts,
    path_segment_problem,
)
from config.records.activity import current_activity_id
from config.records.batch import (
    BatchOutcome,
    BatchResource,
    IntKeyResource,
    ItemResult,
    Mode,
    allocate_keys,
    batch_upsert,
    default_caller_and_now,
    id_value,
    stamp_audit,
    user_name_for,
)
from config.records.databases import current_vba_database
from config.records.dates import parse_datetime
from config.records.parsers import StorableText
from config.records.services import existing_keys, record_delete
from config.records.specs import INT32_MAX, INT32_MIN, RecordSpec, field_error

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


class AuthReferences(BatchResource):
    """A record that names its Auth in ``auth_Number`` (decision 15): an item whose Auth does not exist is a 400."""

    def check_references(self, items: Sequence[dict[str, Any]], using: str) -> dict[int, str]:
        found = existing_keys(Auth, {attrs["auth_number"] for attrs in items}, using)
        return {
            position: f"auth_Number: Auth {attrs['auth_number']} does not exist"
            for position, attrs in enumerate(items)
            if attrs["auth_number"] not in found
        }


def path_auth_problem(attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
    """Under ``/auths/{authNumber}/…`` an item's ``auth_Number`` must be the path's (decision 15)."""
    path_auth = context.get(PATH_AUTH)
    if path_auth is not None and attrs["auth_number"] != path_auth:
        return f"auth_Number: the item says {attrs['auth_number']!r} but the path says {path_auth!r}; they must match"
    return None


class AuthChildResource(AuthReferences, IntKeyResource):
    """An Auth's child record with an int32 key the server assigns (procedure lines, reviews)."""


class AuthProcCodesResource(AuthChildResource):
    """The procedure lines of the path's Auth (``/auths/{authNumber}/procedure-codes...``, decisions 15-16): an
    item's ``auth_Number`` must be the path's (400 for that item); a line is never moved to another Auth."""

    spec = RecordSpec(AuthProcCodes, hidden=AUDIT)
    key = "auth_proc_codes_key"
    label = "AuthProcCodes"

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        return super().prepare(attrs, context) or path_auth_problem(attrs, context)


#: The three key fields of a diagnosis: attname and JSON name.
DIAG_KEY_FIELDS = (
    ("auth_number", "auth_Number"),
    ("diagnostic_code", "diagnostic_Code"),
    ("diagnostic_code_type", "diagnostic_Code_Type"),
)


class AuthDiagCodesResource(AuthReferences):
    """The diagnoses of the path's Auth (``/auths/{authNumber}/diagnostic-codes...``, decisions 15-16). VBA's key is
    three fields (``auth_Number``, ``diagnostic_Code``, ``diagnostic_Code_Type``), all sent by the client; the
    engine's key is their one-column form (:func:`~authorizations.vba.models.diag_key`), and a 207 item's ``id``
    lists the three fields. An item's ``auth_Number`` must be the path's (400 for that item). ``entry_*``/
    ``update_*`` are part of VBA's ``AuthDiagCodes`` JSON (server-owned: rendered, ignored on input)."""

    spec = RecordSpec(AuthDiagCodes, hidden=("auth_diag_codes_key",), defaulted=("disable_diag_code_match",))
    key = "auth_diag_codes_key"
    label = "AuthDiagCodes"

    @property
    def key_json(self) -> str:
        return "diagnostic_Code"  # (the key has no JSON name of its own: messages name its fields)

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        for attname, json_name in DIAG_KEY_FIELDS[1:]:
            problem = path_segment_problem(attrs[attname])
            if problem:
                return f"{json_name}: {problem}"
        attrs[self.key] = diag_key(*(attrs[attname] for attname, _ in DIAG_KEY_FIELDS))
        return path_auth_problem(attrs, context)

    def sent_key(self, item: Any) -> Any:
        """The three key fields as sent (what a refused item's ``id`` reports)."""
        return tuple(item.get(json_name) for _, json_name in DIAG_KEY_FIELDS) if isinstance(item, dict) else None

    def _parts(self, key: Any) -> tuple[Any, ...]:
        if isinstance(key, str):
            return diag_key_parts(key)
        return key if isinstance(key, tuple) else (None, None, None)

    def item_id(self, key: Any) -> list[dict[str, str | None]]:
        return [
            {"key": json_name, "value": id_value(value)}
            for (_, json_name), value in zip(DIAG_KEY_FIELDS, self._parts(key), strict=True)
        ]

    def key_text(self, key: Any) -> str:
        auth_number, code, code_type = self._parts(key)
        return f"{code} ({code_type}) of Auth {auth_number}"

    def key_mismatch(self, item: dict[str, Any], key: Any) -> str | None:
        for (_, json_name), value in zip(DIAG_KEY_FIELDS, self._parts(key), strict=True):
            sent = item.get(json_name)
            if sent is not None and sent != value:
                return f"{json_name}: the body says {sent!r} but the path says {value!r}; they must match"
        return None

    def with_key(self, item: dict[str, Any], key: Any) -> dict[str, Any]:
        return {
            **item,
            **{json_name: value for (_, json_name), value in zip(DIAG_KEY_FIELDS, self._parts(key), strict=True)},
        }


class AuthReviewResource(AuthChildResource):
    """Reviews (``/auth-reviews``, decisions 15-17): each names its Auth in ``auth_Number``, which must exist (400 for
    that item). ``review_User``/``review_Date`` are kept as sent; when null, the caller's user name and now."""

    spec = RecordSpec(AuthReview, hidden=AUDIT)
    key = "auth_review_key"
    label = "AuthReview"

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        default_caller_and_now(attrs, AuthReview, "review_user", "review_date", context)
        return super().prepare(attrs, context)


AUTH = AuthResource()
AUTH_CODE = AuthCodeResource()
AUTH_PROC_CODES = AuthProcCodesResource()
AUTH_DIAG_CODES = AuthDiagCodesResource()
AUTH_REVIEW = AuthReviewResource()


def auth_children_problem(auth_numbers: Sequence[str]) -> str | None:
    """Why the Auths ``auth_numbers`` cannot be deleted (decision 15: never a cascade), naming the counts; or None.
    One query for both counts."""
    if not auth_numbers:
        return None
    connection = connections[current_vba_database()]
    quote, marks = connection.ops.quote_name, ", ".join(["%s"] * len(auth_numbers))
    children = (AuthProcCodes, AuthDiagCodes, AuthReview)
    counts = [
        f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)} WHERE {quote('Auth_Number')} IN ({marks}))" for m in children
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counts)}", list(auth_numbers) * len(children))
        lines, diagnoses, reviews = cursor.fetchone()
    if not lines and not diagnoses and not reviews:
        return None
    which = f"Auth {auth_numbers[0]} still has" if len(auth_numbers) == 1 else "These Auths still have"
    return (
        f"{which} {lines} procedure line(s), {diagnoses} diagnosis code(s) and {reviews} review(s); delete them "
        "first (an Auth is never deleted with its lines, diagnoses or reviews)"
    )


def auth_delete(*, auth_number: str, user: Any, if_match: str | None = None) -> None:
    """Delete an Auth that has no procedure lines, diagnoses or reviews; one that has any is a 409 naming the counts.
    The Auth is locked first (``FOR UPDATE``): a concurrent write of a child, which locks it ``FOR KEY SHARE``, waits
    for this transaction, and then finds it gone."""
    record_delete(AUTH, auth_number, user=user, if_match=if_match, in_use=lambda key: auth_children_problem([key]))


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


#: Auths a refusal to delete a decision code names (then "…").
NAMED_AUTHS = 5


def auth_code_use_problem(codes: Sequence[str]) -> str | None:
    """Why the decision codes ``codes`` cannot be deleted, or None: Auths are decided with them, and a decision's code
    (its reason, for a denial) must stay readable. Counted by the index of ``Auth_Code``."""
    in_use = Auth.objects.filter(auth_code__in=list(codes)).order_by()
    count = in_use.count()
    if not count:
        return None
    numbers = sorted(in_use.values_list("auth_number", flat=True)[:NAMED_AUTHS])
    named = ", ".join(numbers) + (", …" if count > len(numbers) else "")
    which = f"AuthCode {codes[0]} is" if len(codes) == 1 else "These AuthCodes are"
    return (
        f"{which} the decision of {count} Auth(s) ({named}); decide them with another code first (a decision's code "
        "is never deleted while an Auth has it)"
    )


def auth_code_delete(*, code: str, user: Any, if_match: str | None = None) -> None:
    """Delete a decision code that no Auth has (a 409 naming them otherwise). The code is locked first (``FOR
    UPDATE``): a decision with it, which locks it ``FOR KEY SHARE``, waits for this transaction and then finds it
    gone (400)."""
    record_delete(AUTH_CODE, code, user=user, if_match=if_match, in_use=lambda key: auth_code_use_problem([key]))


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
        # the code is locked FOR KEY SHARE (PostgreSQL) until the decision commits: it cannot be deleted meanwhile
        using = current_vba_database()
        decision = AuthCode.objects.filter(pk=code).first() if existing_keys(AuthCode, {code}, using) else None
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


def _optional_date(value: Any) -> Any:
    return None if value is None else parse_datetime(value)


class AuthAdjustmentInput(BaseModel):
    """VBA's ``AuthAdjustment``: the body of ``POST /auths/{authNumber}/adjust`` (decision 20)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=False)

    auth_number: Annotated[StrictStr, Field(min_length=1, max_length=20, alias="auth_Number")]
    approved_from: Annotated[dt.datetime | None, BeforeValidator(_optional_date), Field(alias="approved_From")] = None
    approved_thru: Annotated[dt.datetime | None, BeforeValidator(_optional_date), Field(alias="approved_Thru")] = None
    recalc_ibnr: Annotated[StrictBool, Field(alias="recalcIBNR")]
    copy_proc_codes: Annotated[StrictBool, Field(alias="copyProcCodes")]
    copy_diag_codes: Annotated[StrictBool, Field(alias="copyDiagCodes")]
    procedure_code: Annotated[StrictStr, Field(max_length=8), StorableText] | None = Field(None, alias="procedure_Code")


class AdjustmentRefused(exceptions.ValidationError):
    """A body that cannot adjust the path's Auth: a 400 naming the field."""


def _adjustment(auth_number: str, adjustment: Any) -> AuthAdjustmentInput:
    if not isinstance(adjustment, dict):
        raise AdjustmentRefused("The body must be a JSON object (AuthAdjustment).")
    try:
        body = AuthAdjustmentInput.model_validate(adjustment)
    except ValidationError as exc:
        raise AdjustmentRefused("; ".join(field_error(e) for e in exc.errors(include_url=False))) from None
    if body.auth_number != auth_number:
        raise AdjustmentRefused(
            {"auth_Number": [f"the body says {body.auth_number!r} but the path says {auth_number!r}; they must match"]}
        )
    return body


def _insert_with_next_number(auth: Auth, using: str) -> None:
    """Insert ``auth`` under the next Auth number of the key sequence (the engine's, :func:`allocate_keys`); a
    number someone has taken explicitly meanwhile is skipped."""
    while True:
        (number,) = allocate_keys(AUTH, 1, using)
        if Auth.objects.filter(pk=number).exists():
            continue
        auth.pk = number
        try:
            with transaction.atomic(using=using):
                auth.save(force_insert=True)
            return
        except IntegrityError:
            if not Auth.objects.filter(pk=number).exists():
                raise  # not the number: the row itself is refused
            # created by someone else between the check and the insert: the next number


def auth_adjust(*, auth_number: str, adjustment: dict[str, Any], user: Any) -> Auth:
    """Adjust Auth ``auth_number`` of the selected database (decision 20, ``POST /auths/{authNumber}/adjust``): in
    one transaction, a new Auth under the next number copies the original's header (status and ``auth_Code``
    included) with the new approval period (a null ``approved_From``/``approved_Thru`` keeps the original's), and
    ``prior_Auth`` naming the original; it gets copies of the original's procedure lines (``copyProcCodes``) and
    diagnoses (``copyDiagCodes``), or, when lines are not copied and ``procedure_Code`` is given, one line with that
    code. Both Auths get a history row saying which adjusts which (the original's fields are unchanged);
    ``recalcIBNR`` is recorded in the new Auth's reason (there is no IBNR reserve here). Unknown Auth: 404; a body
    naming another Auth, or an invalid field: 400 naming it. Returns the new Auth."""
    using = current_vba_database()
    with transaction.atomic(using=using):
        original = Auth.objects.select_for_update().filter(pk=auth_number).first()
        if original is None:  # the path's Auth first: unknown, it is a 404 whatever the body (decision 15)
            raise exceptions.NotFound(f"Auth {auth_number} was not found")
        body = _adjustment(auth_number, adjustment)
        new = Auth(**{f.attname: getattr(original, f.attname) for f in Auth._meta.concrete_fields})
        new.approved_from = body.approved_from or original.approved_from
        new.approved_thru = body.approved_thru or original.approved_thru
        new.prior_auth = original.pk
        stamp_audit(new, user=user, created=True)
        reason = f"Adjusts Auth {original.pk}"
        if body.recalc_ibnr:
            reason += "; recalcIBNR asked (no IBNR reserve is kept here)"
        new._change_reason = reason  # type: ignore[attr-defined]
        new._history_user = user  # type: ignore[attr-defined]
        _insert_with_next_number(new, using)

        lines: list[dict[str, Any]] = []
        if body.copy_proc_codes:
            for line in AuthProcCodes.objects.filter(auth_number=original.pk).order_by("pk"):
                lines.append({**AUTH_PROC_CODES.spec.render(line), "authProcCodes_Key": 0, "auth_Number": new.pk})
        elif body.procedure_code is not None:
            lines.append(
                {
                    "authProcCodes_Key": 0,
                    "auth_Number": new.pk,
                    "exclude_Modifier_Match": False,
                    "procedure_Code": body.procedure_code,
                }
            )
        diagnoses: list[dict[str, Any]] = []
        if body.copy_diag_codes:
            for diagnosis in AuthDiagCodes.objects.filter(auth_number=original.pk):
                diagnoses.append({**AUTH_DIAG_CODES.spec.render(diagnosis), "auth_Number": new.pk})
        context = {PATH_AUTH: new.pk}
        for resource, items in ((AUTH_PROC_CODES, lines), (AUTH_DIAG_CODES, diagnoses)):
            if items:
                outcome = batch_upsert(resource, items, user=user, mode=Mode.CREATE, context=context)
                failed = [r for r in outcome.results if not r.ok]
                if failed:  # (copies of stored rows, checked lines: only a database refusal could fail one)
                    raise AdjustmentRefused(f"The new Auth's {resource.label} was refused: {failed[0].body}")

        original._change_reason = f"Adjusted by Auth {new.pk}"  # type: ignore[attr-defined]
        Auth.history.bulk_history_create(  # a row without a change: the original's fields stay as they are
            [original],
            update=True,
            default_user=user,
            custom_historical_attrs={"activity_id": current_activity_id()},
        )
        return new
