"""OpenAPI description of the VBA endpoints: VBA's JSON names, the envelope, problem details and the 207 body."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from pydantic import BaseModel, Field, RootModel, create_model

from config.records.batch import BatchResource
from config.vba.openapi import register_record


class AutoSchema(SpectacularAutoSchema):
    """Operation ids from the view's action (``PUT /auths`` is ``batch``, not a second ``update``), and VBA's
    security (``x-api-key`` and a Bearer idToken together) on the VBA endpoints."""

    def get_operation_id(self) -> str:
        action = getattr(self.view, "action", None)
        if action:
            return "_".join([*(t.replace("-", "_") for t in self._tokenize_path()), action])
        return super().get_operation_id()

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False  # every list of this project is wrapped in its protocol's envelope

    def get_auth(self) -> list[dict[str, list[Any]]]:
        security = getattr(self.view, "openapi_security", None)
        return security if security is not None else super().get_auth()


class ProblemDetails(BaseModel):
    type: str | None = Field(None, examples=["https://httpstatuses.com/404"])
    title: str | None = Field(None, examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = None
    instance: str | None = None


class Debug(BaseModel):
    activityID: str  # noqa: N815 - VBA's spelling


class BatchItemId(BaseModel):
    key: str | None
    value: Any = None


class BatchItemResult(BaseModel):
    id: list[BatchItemId]
    status: int = Field(description="The item's own HTTP status: 201 created, 200 updated, 4xx failed, 424 not applied")
    body: str = Field(description='"Created", "Updated" or the error message')


class ErrorEnvelope(BaseModel):
    data: None = None
    error: ProblemDetails
    debug: Debug


def envelope_of(name: str, data: Any) -> type[BaseModel]:
    return create_model(  # type: ignore[call-overload,no-any-return]
        name, data=(data | None, ...), error=(ProblemDetails | None, None), debug=(Debug, ...)
    )


DATABASE_HEADER = OpenApiParameter(
    "vbasoftware-database", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description="Target database"
)
ERRORS = {
    code: OpenApiResponse(ErrorEnvelope, description=text)
    for code, text in {
        400: "Bad request (the message names the field and the reason)",
        401: "Missing, invalid or expired credentials",
        403: "Unknown or unauthorized database",
        404: "Not found",
        406: "The Accept header names no JSON type",
        413: "Too many items or too large a body",
        414: "The request path is too long",
        415: "The body is not JSON (application/json, text/json or application/*+json)",
        429: "Rate limited (see Retry-After)",
    }.items()
}


def filter_parameters(filterset_class: Any) -> list[OpenApiParameter]:
    """One query parameter per filter of a django-filter FilterSet (names as the API takes them)."""
    if filterset_class is None:
        return []
    out = []
    for name, flt in filterset_class.base_filters.items():
        kind = type(flt).__name__
        api_type: Any
        if "DateTime" in kind:
            api_type, text = OpenApiTypes.DATETIME, "ISO 8601 date-time"
        elif "TypedChoice" in kind:
            api_type, text = OpenApiTypes.BOOL, "true or false"
        elif "Number" in kind:
            api_type, text = OpenApiTypes.INT, "whole number"
        else:  # sent, a text filter has a value (an empty one is a 400, config.records.filters.APIFilterSet)
            api_type, text = {"type": "string", "minLength": 1}, "exact match"
        lookup = getattr(flt, "lookup_expr", "exact")
        if lookup in ("gte", "lte"):
            text += " (from)" if lookup == "gte" else " (to)"
        out.append(OpenApiParameter(name, api_type, description=f"filter on {flt.field_name}: {text}"))
    return out


def vba_schema(
    resource: BatchResource,
    *,
    key_param: OpenApiParameter,
    extra_params: list[Any] | None = None,
    delete_conflict: str | None = None,
) -> Any:
    """``extend_schema_view`` for a :class:`~config.vba.views.VBAResourceViewSet` of ``resource`` (its list also
    documents the view set's ``filterset_class``); ``delete_conflict`` describes a 409 its delete may answer."""
    spec, label = resource.spec, resource.label
    register_record(label, spec)
    record = envelope_of(f"{label}Envelope", spec.output_model)
    records = envelope_of(f"{label}ListEnvelope", list[spec.output_model])  # type: ignore[name-defined]
    batch = envelope_of(f"{label}BatchEnvelope", list[BatchItemResult])
    params = [DATABASE_HEADER, *(extra_params or [])]
    keyed = [*params, key_param]
    if_match = OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="ETag of a read")
    list_params = [
        *params,
        OpenApiParameter("page", OpenApiTypes.INT, description="1-based page (default 1)"),
        OpenApiParameter("pageSize", OpenApiTypes.INT, description="rows per page (default 100, at most 1000)"),
        OpenApiParameter("sortBy", OpenApiTypes.STR, description="Field:desc,Other:asc (JSON names)"),
    ]
    views = dict(
        create=extend_schema(
            summary=f"Create one {label}",
            parameters=params,
            request=spec.request_model,
            responses={200: record, 409: ErrorEnvelope, **ERRORS},
        ),
        retrieve=extend_schema(summary=f"Get one {label}", parameters=keyed, responses={200: record, **ERRORS}),
        update=extend_schema(
            summary=f"Replace one {label}",
            parameters=[*keyed, if_match],
            request=spec.request_model,
            responses={200: record, 412: ErrorEnvelope, **ERRORS},
        ),
        destroy=extend_schema(
            summary=f"Delete one {label}",
            parameters=[*keyed, if_match],
            responses={
                204: None,
                412: ErrorEnvelope,
                **({409: OpenApiResponse(ErrorEnvelope, description=delete_conflict)} if delete_conflict else {}),
                **ERRORS,
            },
        ),
        batch=extend_schema(
            summary=f"Create or update {label}s (batch)",
            parameters=[
                *params,
                OpenApiParameter("allOrNone", OpenApiTypes.BOOL, description="write nothing if any item fails"),
            ],
            request=type(f"{label}Batch", (RootModel[list[spec.request_model]],), {}),  # type: ignore[name-defined]
            responses={207: batch, **ERRORS},
        ),
    )

    def decorate(view: Any) -> Any:
        listing = extend_schema(
            summary=f"List {label}s",
            parameters=[*list_params, *filter_parameters(getattr(view, "filterset_class", None))],
            responses={200: records, **ERRORS},
        )
        return extend_schema_view(list=listing, **views)(view)

    return decorate


class AuthenticationResult(BaseModel):
    idToken: str  # noqa: N815 - VBA's spelling
    accessToken: str  # noqa: N815
    refreshToken: str  # noqa: N815
    expiresIn: int  # noqa: N815


class AuthenticationData(BaseModel):
    authenticationResult: AuthenticationResult  # noqa: N815


TOKEN_RESPONSES = {
    200: envelope_of("AuthenticationEnvelope", AuthenticationData),
    **{code: ERRORS[code] for code in (400, 401, 403, 406, 413, 414, 429)},
}
