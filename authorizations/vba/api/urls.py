from django.urls import path

from authorizations.vba.api.views import (
    AuthActionsView,
    AuthAdjustView,
    AuthCodeViewSet,
    AuthDiagCodesViewSet,
    AuthProcCodesViewSet,
    AuthProcessStatusView,
    AuthReviewViewSet,
    AuthViewSet,
)

urlpatterns = [
    path("auths", AuthViewSet.as_view({"get": "list", "post": "create", "put": "batch"}), name="auths"),
    path(
        "auths/<str:authNumber>",
        AuthViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="auth-detail",
    ),
    path(
        "auths/<str:authNumber>/procedure-codes",
        AuthProcCodesViewSet.as_view({"get": "list", "post": "create"}),
        name="auth-procedure-codes",
    ),
    path(
        "auths/<str:authNumber>/procedure-codes-batch",
        AuthProcCodesViewSet.as_view({"post": "batch", "delete": "batch_delete"}),
        name="auth-procedure-codes-batch",
    ),
    path(
        "auths/<str:authNumber>/procedure-codes/<str:procedureCodeKey>",
        AuthProcCodesViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="auth-procedure-code-detail",
    ),
    path(
        "auths/<str:authNumber>/diagnostic-codes",
        AuthDiagCodesViewSet.as_view({"get": "list", "post": "create"}),
        name="auth-diagnostic-codes",
    ),
    path(
        "auths/<str:authNumber>/diagnostic-codes-batch",
        AuthDiagCodesViewSet.as_view({"put": "batch"}),
        name="auth-diagnostic-codes-batch",
    ),
    path(
        "auths/<str:authNumber>/diagnostic-codes/<str:diagnosticCode>",
        AuthDiagCodesViewSet.as_view({"get": "list"}),
        name="auth-diagnostic-code-types",
    ),
    path(
        "auths/<str:authNumber>/diagnostic-codes/<str:diagnosticCode>/diagnostic-code-types/<str:diagnosticCodeType>",
        AuthDiagCodesViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="auth-diagnostic-code-detail",
    ),
    path(
        "auths/<str:authNumber>/adjust",
        AuthAdjustView.as_view(),
        name="auth-adjust",
    ),
    path(
        "auths/<str:authNumber>/process-status/<str:newAuthCode>",
        AuthProcessStatusView.as_view(),
        name="auth-process-status",
    ),
    path("auth-codes", AuthCodeViewSet.as_view({"post": "create"}), name="auth-codes"),
    path("auth-codes-batch", AuthCodeViewSet.as_view({"put": "batch"}), name="auth-codes-batch"),
    path(
        "auth-codes/<str:authCode>",
        AuthCodeViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="auth-code-detail",
    ),
    path("auth-actions", AuthActionsView.as_view(), name="auth-actions"),
    path("auth-reviews", AuthReviewViewSet.as_view({"get": "list", "post": "create"}), name="auth-reviews"),
    path("auth-reviews-batch", AuthReviewViewSet.as_view({"put": "batch"}), name="auth-reviews-batch"),
    path(
        "auth-reviews/<str:authReviewKey>",
        AuthReviewViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="auth-review-detail",
    ),
]
