"""The generic VBA view set: every VBA resource is a short declaration on top of :class:`VBAResourceViewSet`.

A subclass sets ``resource`` (a :class:`~config.records.batch.BatchResource`), ``filterset_class`` and, where the key is
not a string, overrides :meth:`parse_key`. It may override :meth:`get_queryset` and :meth:`get_context` (for
resources nested under a parent, as care cases are under a care plan).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from config.records.batch import BatchResource, Mode, batch_upsert, collector_paused
from config.records.parsers import PayloadTooLarge, StrictJSONParser
from config.records.services import record_create, record_delete, record_read, record_replace, rendered_etag
from config.records.specs import INT32_MAX, INT32_MIN
from config.serving.tenancy import current_vba_database
from config.vba.authentication import BearerAuthentication, ClientRateThrottle, VBAAccess
from config.vba.envelope import VBAContentNegotiation, VBARenderer, vba_exception_handler
from config.vba.paging import PAGING_PARAMETERS, paginate, pagination_header


class VBAView(APIView):
    """Authentication, tenancy, envelope, parsing and throttling shared by every VBA endpoint."""

    authentication_classes = [BearerAuthentication]
    permission_classes = [VBAAccess]
    throttle_classes = [ClientRateThrottle]
    parser_classes = [StrictJSONParser]
    renderer_classes = [VBARenderer]
    content_negotiation_class = VBAContentNegotiation

    openapi_security: list[dict[str, list[Any]]] = [{"apiKeyAuth": [], "bearerAuth": []}]

    def get_exception_handler(self) -> Any:
        return vba_exception_handler


def parse_bool_param(params: Any, name: str) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return False
    if raw.lower() not in ("true", "false"):
        raise exceptions.ValidationError({name: [f"must be true or false, not {raw!r}"]})
    return raw.lower() == "true"


def parse_int32(name: str, raw: str) -> int:
    """A path key: a whole number in int32 range, or a 400 naming the parameter."""
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    value = int(text) if digits.isascii() and digits.isdigit() else None
    if value is None or not INT32_MIN <= value <= INT32_MAX:
        raise exceptions.ValidationError(
            {name: [f"must be a whole number from {INT32_MIN} to {INT32_MAX}, not {raw!r}"]}
        )
    return value


class VBAResourceViewSet(ViewSetMixin, VBAView):
    resource: BatchResource
    filterset_class: Any = None
    key_kwarg: str = "key"  # the path parameter naming the record, as VBA names it ("authNumber", "caseKey")
    batch_mode: Mode = Mode.UPSERT  # what the batch does with an existing key (Mode.CREATE: a 409 for that item)
    #: The key an object sent without one to create or batch takes (0: "assign the next key"), or None (required).
    omitted_key: Any = None

    def _with_omitted_key(self, item: Any) -> Any:
        if self.omitted_key is not None and isinstance(item, dict):
            item.setdefault(self.resource.key_json, self.omitted_key)
        return item

    # -- hooks -----------------------------------------------------------------------------------------------
    def parse_key(self, raw: str) -> Any:
        return raw

    def path_key(self, kwargs: dict[str, Any]) -> Any:
        """The key of the record the path names (a key made of several path parameters is built here)."""
        return self.parse_key(kwargs[self.key_kwarg])

    def get_context(self) -> dict[str, Any]:
        return {}

    def get_queryset(self) -> QuerySet:
        return self.resource.spec.model._default_manager.all()

    def key_filters(self) -> dict[str, Any]:
        """Equalities a record must also meet to be found at this path (those :meth:`get_queryset` filters on)."""
        return {}

    # -- helpers ---------------------------------------------------------------------------------------------
    def _record_response(self, instance: Any, status_code: int = status.HTTP_200_OK) -> Response:
        rendered = self.resource.spec.render(instance)
        return Response(rendered, status=status_code, headers={"ETag": rendered_etag(rendered)})

    def _key(self, kwargs: dict[str, Any]) -> Any:
        key = self.path_key(kwargs)
        if not self.get_queryset().filter(pk=key).exists():
            raise exceptions.NotFound(f"{self.resource.label} {self.resource.key_text(key)} was not found")
        return key

    # -- endpoints -------------------------------------------------------------------------------------------
    def list(self, request: Request, **kwargs: Any) -> Response:
        filters = list(self.filterset_class.base_filters) if self.filterset_class is not None else []
        unknown = sorted(set(request.query_params) - {*PAGING_PARAMETERS, *filters})
        if unknown:  # a misspelt filter must not answer the unfiltered list
            known = ", ".join([*PAGING_PARAMETERS, *filters])
            raise exceptions.ValidationError({unknown[0]: [f"is not a parameter of this list (it takes {known})"]})
        queryset = self.get_queryset()
        if self.filterset_class is not None:
            filterset = self.filterset_class(request.query_params, queryset=queryset)
            if not filterset.is_valid():
                raise exceptions.ValidationError(filterset.errors)
            queryset = filterset.qs
        rows, meta = paginate(self.resource.spec, queryset, request.query_params)
        render = self.resource.spec.render_row
        return Response([render(r) for r in rows], headers={"x-pagination": pagination_header(meta)})

    def create(self, request: Request, **kwargs: Any) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError(f"The body must be a JSON object ({self.resource.label}).")
        with transaction.atomic(using=current_vba_database()):  # a failure up to the answer writes nothing
            instance = record_create(
                self.resource, self._with_omitted_key(request.data), user=request.user, context=self.get_context()
            )
            return self._record_response(instance)  # 200, as VBA's document lists (decisions.md 11)

    def retrieve(self, request: Request, **kwargs: Any) -> Response:
        """One query: the record (with the path's other keys), rendered once for the body and the ETag."""
        rendered = record_read(self.resource, self.path_key(kwargs), **self.key_filters())
        return Response(rendered, headers={"ETag": rendered_etag(rendered)})

    def update(self, request: Request, **kwargs: Any) -> Response:
        key = self._key(kwargs)
        with transaction.atomic(using=current_vba_database()):  # a failure up to the answer writes nothing
            instance = record_replace(
                self.resource,
                key,
                request.data,
                user=request.user,
                if_match=request.headers.get("If-Match"),
                context=self.get_context(),
            )
            return self._record_response(instance)

    def destroy(self, request: Request, **kwargs: Any) -> Response:
        key = self._key(kwargs)
        record_delete(self.resource, key, user=request.user, if_match=request.headers.get("If-Match"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["put"])
    def batch(self, request: Request, **kwargs: Any) -> Response:
        all_or_none = parse_bool_param(request.query_params, "allOrNone")
        context = self.get_context()
        with collector_paused():
            items = request.data
            if not isinstance(items, list):
                raise exceptions.ValidationError(f"The body must be a JSON array of {self.resource.label} objects.")
            limit = settings.VBA_BATCH_MAX_ITEMS
            if len(items) > limit:
                raise PayloadTooLarge(f"The batch has {len(items)} items; at most {limit} are allowed per request.")
            for item in items:
                self._with_omitted_key(item)
            outcome = batch_upsert(
                self.resource,
                items,
                user=request.user,
                all_or_none=all_or_none,
                mode=self.batch_mode,
                context=context,
                release_items=True,
            )
            return Response(outcome.as_json(), status=status.HTTP_207_MULTI_STATUS)
