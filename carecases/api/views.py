"""VBA CarePlans and CareCases: short declarations on the generic VBA view set (:mod:`config.vba.views`).

Path keys (``carePlanKey``, ``caseKey``) are int32: anything else is a 400 naming the parameter. Under
``/care-plans/{carePlanKey}/...`` an unknown plan is a 404 for the whole request (decisions.md 7).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from carecases.filters import CareCaseFilter, CarePlanFilter
from carecases.models import CareCase, CareCaseWorkLog, CarePlan
from carecases.services import (
    CARE_CASE,
    CARE_CASE_WORK_LOG,
    CARE_PLAN,
    PATH_CASE,
    PLAN_CARE_CASE,
    PLAN_KEY,
    care_case_delete,
    care_plan_delete,
)
from config.records.batch import CALLER
from config.vba.schema import vba_schema
from config.vba.views import VBAResourceViewSet, parse_int32

CARE_PLAN_KEY = OpenApiParameter("carePlanKey", OpenApiTypes.INT32, OpenApiParameter.PATH)
CASE_KEY = OpenApiParameter("caseKey", OpenApiTypes.INT32, OpenApiParameter.PATH)
WORK_LOG_KEY = OpenApiParameter("careCaseWorkLogKey", OpenApiTypes.INT32, OpenApiParameter.PATH)


@vba_schema(CARE_PLAN, key_param=CARE_PLAN_KEY, delete_conflict="The plan still has care cases (never a cascade)")
class CarePlanViewSet(VBAResourceViewSet):
    """``POST|GET /care-plans``, ``GET|PUT|DELETE /care-plans/{carePlanKey}``, ``PUT /care-plans-batch``."""

    resource = CARE_PLAN
    filterset_class = CarePlanFilter
    key_kwarg = "carePlanKey"

    def parse_key(self, raw: str) -> int:
        return parse_int32("carePlanKey", raw)

    def destroy(self, request: Request, **kwargs: Any) -> Response:
        """A plan that still has cases is a 409, not a cascade."""
        key = self._key(kwargs)
        care_plan_delete(key=key, user=request.user, if_match=request.headers.get("If-Match"))
        return Response(status=status.HTTP_204_NO_CONTENT)


@vba_schema(
    PLAN_CARE_CASE,
    key_param=CASE_KEY,
    extra_params=[CARE_PLAN_KEY],
    delete_conflict="The case still has work log entries (never a cascade)",
)
class PlanCareCaseViewSet(VBAResourceViewSet):
    """The cases of one plan: ``POST|GET /care-plans/{carePlanKey}/cases``,
    ``GET|PUT|DELETE /care-plans/{carePlanKey}/cases/{caseKey}``, ``PUT /care-plans/{carePlanKey}/cases-batch``."""

    resource = PLAN_CARE_CASE
    filterset_class = CareCaseFilter
    key_kwarg = "caseKey"
    care_plan_key: int

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # credentials, database and rate limit come first
        self.care_plan_key = parse_int32("carePlanKey", kwargs["carePlanKey"])
        if not CarePlan.objects.filter(pk=self.care_plan_key).exists():
            raise exceptions.NotFound(f"CarePlan {self.care_plan_key} was not found")

    def parse_key(self, raw: str) -> int:
        return parse_int32("caseKey", raw)

    def get_context(self) -> dict[str, Any]:
        return {PLAN_KEY: self.care_plan_key}

    def get_queryset(self) -> QuerySet:
        return CareCase.objects.filter(care_plan_id=self.care_plan_key)

    def key_filters(self) -> dict[str, Any]:
        return {"care_plan": self.care_plan_key}  # a case of another plan is not found under this plan's path

    def destroy(self, request: Request, **kwargs: Any) -> Response:
        """A case that still has work log entries is a 409 naming the count (decision 15)."""
        key = self._key(kwargs)
        care_case_delete(key=key, user=request.user, if_match=request.headers.get("If-Match"))
        return Response(status=status.HTTP_204_NO_CONTENT)


@vba_schema(CARE_CASE, key_param=CASE_KEY)
class CareCaseViewSet(VBAResourceViewSet):
    """``PUT /care-cases-batch``: each case names its plan in ``carePlan_Key`` (VBA's simplified path)."""

    resource = CARE_CASE
    filterset_class = CareCaseFilter
    key_kwarg = "caseKey"

    def parse_key(self, raw: str) -> int:
        return parse_int32("caseKey", raw)


@vba_schema(CARE_CASE_WORK_LOG, key_param=WORK_LOG_KEY, extra_params=[CASE_KEY])
class CareCaseWorkLogViewSet(VBAResourceViewSet):
    """The work log of one case (decisions 15-17): ``POST|GET /cases/{caseKey}/work-logs`` (paged),
    ``GET|PUT|DELETE /cases/{caseKey}/work-logs/{careCaseWorkLogKey}``, ``PUT /cases/{caseKey}/work-logs-batch``
    (207). An unknown case is a 404 for the whole request; an item must name the path's case; a key of 0 (or
    omitted) is assigned by the server; ``workLog_User``/``workLog_Date`` sent as null are the caller and now."""

    resource = CARE_CASE_WORK_LOG
    key_kwarg = "careCaseWorkLogKey"
    omitted_key = 0
    case_key: int

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # credentials, database and rate limit come first
        self.case_key = parse_int32("caseKey", kwargs["caseKey"])
        if not CareCase.objects.filter(pk=self.case_key).exists():
            raise exceptions.NotFound(f"CareCase {self.case_key} was not found")

    def parse_key(self, raw: str) -> int:
        return parse_int32("careCaseWorkLogKey", raw)

    def get_context(self) -> dict[str, Any]:
        return {PATH_CASE: self.case_key, CALLER: self.request.user}

    def get_queryset(self) -> QuerySet:
        return CareCaseWorkLog.objects.filter(care_case_id=self.case_key)

    def key_filters(self) -> dict[str, Any]:
        return {"care_case": self.case_key}  # an entry of another case is not found under this case's path
