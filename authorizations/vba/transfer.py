"""The files of ``export_auth_codes``/``upsert_auth_codes``, ``export_auth_procedure_codes``/
``upsert_auth_procedure_codes``, ``export_auth_diagnostic_codes``/``upsert_auth_diagnostic_codes`` and
``export_auth_reviews``/``upsert_auth_reviews``: each record as the API renders it plus its four audit columns
(``entry_Date``, ``entry_User``, ``update_Date``, ``update_User``), which VBA's JSON of these records leaves out but a
copy of a database must keep (``--keep-audit``); VBA's ``AuthDiagCodes`` JSON has them already. A file without them
(an API list's output) is read too: the audit columns are then stamped, as the API does.

The resources are the API's (the same rules per item: a code's action, a line's or a review's Auth must exist) with
the audit columns in the file; the writes go through the one batch engine, with history rows."""

from __future__ import annotations

from typing import Any

import django_filters

from authorizations.vba.models import AuthCode, AuthDiagCodes, AuthProcCodes, AuthReview
from authorizations.vba.services import (
    AUTH_DIAG_CODES,
    AuthChildResource,
    AuthCodeResource,
    AuthProcCodesResource,
    AuthReviewResource,
)
from config.records.filters import APIFilterSet
from config.records.specs import RecordSpec

#: context key: an import that keeps the file's values as they are (``--keep-audit``), nulls included
AS_IN_FILE = "as_in_file"


class AuthCodeFileResource(AuthCodeResource):
    spec = RecordSpec(AuthCode)


class AuthProcCodesFileResource(AuthProcCodesResource):
    spec = RecordSpec(AuthProcCodes)


class AuthReviewFileResource(AuthReviewResource):
    """With ``--keep-audit`` a review's null ``review_User``/``review_Date`` stay null (an exact copy); otherwise
    they are the importing user and now, as through the API."""

    spec = RecordSpec(AuthReview)

    def prepare(self, attrs: dict[str, Any], context: dict[str, Any]) -> str | None:
        if context.get(AS_IN_FILE):
            return AuthChildResource.prepare(self, attrs, context)
        return super().prepare(attrs, context)


AUTH_CODE_FILE = AuthCodeFileResource()
AUTH_PROC_CODES_FILE = AuthProcCodesFileResource()
AUTH_REVIEW_FILE = AuthReviewFileResource()
#: A diagnosis's file is its API JSON (audit columns included; its one-column key, ours, is not part of it).
AUTH_DIAG_CODES_FILE = AUTH_DIAG_CODES


class AuthCodeFileFilter(APIFilterSet):
    """``GET /auth-codes`` has no filter; an export may keep one action's codes."""

    auth_Action = django_filters.CharFilter(field_name="auth_action")  # noqa: N815 - VBA's JSON name

    class Meta:
        model = AuthCode
        fields: list[str] = []


class AuthProcCodesFileFilter(APIFilterSet):
    """The lines of one Auth, as ``GET /auths/{authNumber}/procedure-codes`` lists them."""

    authNumber = django_filters.CharFilter(field_name="auth_number")  # noqa: N815 - VBA's spelling

    class Meta:
        model = AuthProcCodes
        fields: list[str] = []


class AuthDiagCodesFileFilter(APIFilterSet):
    """The diagnoses of one Auth, as ``GET /auths/{authNumber}/diagnostic-codes`` lists them."""

    authNumber = django_filters.CharFilter(field_name="auth_number")  # noqa: N815 - VBA's spelling

    class Meta:
        model = AuthDiagCodes
        fields: list[str] = []
