from django.urls import path

from authorizations.vba.api.views import AuthViewSet

urlpatterns = [
    path("auths", AuthViewSet.as_view({"get": "list", "post": "create", "put": "batch"}), name="auths"),
    path(
        "auths/<str:authNumber>",
        AuthViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="auth-detail",
    ),
]
