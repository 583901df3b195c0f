from django.urls import path

from carecases.api.views import CareCaseViewSet, CareCaseWorkLogViewSet, CarePlanViewSet, PlanCareCaseViewSet

urlpatterns = [
    path("care-plans", CarePlanViewSet.as_view({"get": "list", "post": "create"}), name="care-plans"),
    path("care-plans-batch", CarePlanViewSet.as_view({"put": "batch"}), name="care-plans-batch"),
    path(
        "care-plans/<str:carePlanKey>",
        CarePlanViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="care-plan-detail",
    ),
    path(
        "care-plans/<str:carePlanKey>/cases",
        PlanCareCaseViewSet.as_view({"get": "list", "post": "create"}),
        name="care-plan-cases",
    ),
    path(
        "care-plans/<str:carePlanKey>/cases-batch",
        PlanCareCaseViewSet.as_view({"put": "batch"}),
        name="care-plan-cases-batch",
    ),
    path(
        "care-plans/<str:carePlanKey>/cases/<str:caseKey>",
        PlanCareCaseViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="care-plan-case-detail",
    ),
    path("care-cases-batch", CareCaseViewSet.as_view({"put": "batch"}), name="care-cases-batch"),
    path(
        "cases/<str:caseKey>/work-logs",
        CareCaseWorkLogViewSet.as_view({"get": "list", "post": "create"}),
        name="case-work-logs",
    ),
    path(
        "cases/<str:caseKey>/work-logs-batch",
        CareCaseWorkLogViewSet.as_view({"put": "batch"}),
        name="case-work-logs-batch",
    ),
    path(
        "cases/<str:caseKey>/work-logs/<str:careCaseWorkLogKey>",
        CareCaseWorkLogViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="case-work-log-detail",
    ),
]
