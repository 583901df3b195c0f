"""Spry's paths, included under ``/apis/`` by ``config.urls``: the Authorization API and the OAuth token endpoint."""

from django.urls import path

from authorizations.spry.api.views import (
    AuthorizationCollectionView,
    AuthorizationDetailView,
    AuthorizationSearchView,
    SpryTokenView,
)

BASE = "soap-enrichment/v1/authorization"

urlpatterns = [
    path("v2/oauth/token", SpryTokenView.as_view(), name="spry-oauth-token"),
    path(BASE, AuthorizationCollectionView.as_view(), name="spry-authorizations"),
    # before /{authorizationId}, so that "search" is never taken for an id
    path(f"{BASE}/search", AuthorizationSearchView.as_view(), name="spry-authorization-search"),
    path(f"{BASE}/<str:authorizationId>", AuthorizationDetailView.as_view(), name="spry-authorization"),
]
