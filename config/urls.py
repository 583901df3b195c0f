import sys
from typing import Any

from django.contrib import admin
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.admin.sites import select_database, vba_sites
from config.records.dbfaults import (
    UNAVAILABLE_MESSAGE,
    discard_broken_connections,
    is_unavailable,
    log_unavailable,
    retry_after,
)
from config.serving.health import healthz, readyz
from config.serving.limits import error_response
from config.serving.middleware import current_activity_id
from config.serving.tenancy import VBA_API_PREFIX
from config.spry.protocol import INTERNAL_ERROR as SPRY_INTERNAL_ERROR
from config.spry.protocol import SPRY_API_PREFIX, spry_error_response
from config.vba.auth_views import UserAuthenticationView, UserRefreshTokensView
from config.vba.envelope import INTERNAL_ERROR, vba_error_response

vba_patterns: list[URLPattern | URLResolver] = [
    path("user-authentication", UserAuthenticationView.as_view(), name="user-authentication"),
    path("user-refresh-tokens", UserRefreshTokensView.as_view(), name="user-refresh-tokens"),
    path("", include("authorizations.vba.api.urls")),
    path("", include("carecases.api.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/vba-database/", select_database, name="admin-select-database"),
    # One admin site per VBA database: the database of a VBA page is in its URL (config.admin.sites.VBAAdminSite).
    *[path(f"admin/db/{database}/", site.urls) for database, site in vba_sites.items()],
    path("admin/", admin.site.urls),
    path("vbasoftware/", include(vba_patterns)),
    path("apis/", include("authorizations.spry.api.urls")),  # Spry API and its OAuth token endpoint
    # Any other path under an API's prefix: that API's 404 envelope, with DEBUG on too (Django's debug page
    # otherwise answers an integrator running `make run`).
    re_path(r"^vbasoftware(?:/|$)", csrf_exempt(lambda request: api_not_found(request, vba_error_response))),
    re_path(r"^apis(?:/|$)", csrf_exempt(lambda request: api_not_found(request, spry_error_response))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]


def api_not_found(request: HttpRequest, envelope: Any) -> HttpResponse:
    """404 in the envelope of the API whose prefix the path has (the prefix alone included: "/vbasoftware")."""
    return envelope(request, 404, f"The requested resource ({request.path}) was not found.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(VBA_API_PREFIX):
        return api_not_found(request, vba_error_response)
    if request.path.startswith(SPRY_API_PREFIX):
        return api_not_found(request, spry_error_response)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Requests Django itself refuses (too many form fields, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad
    Host header...), in the envelope of the API."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, "Request body is too large.")
    if isinstance(exception, TooManyFieldsSent):
        return error_response(request, 400, "The request has too many form fields.")
    if request.path.startswith((VBA_API_PREFIX, SPRY_API_PREFIX)):
        return error_response(request, 400, "Bad request.")
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def handler503(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The database is unavailable (:func:`config.records.dbfaults.is_unavailable`): 503 with ``Retry-After``, in the
    envelope of the API of the path (VBA problem details; Spry code 5003), else a plain page rendered without the
    request (its context processors would ask the database again)."""
    log_unavailable(exception, current_activity_id())
    discard_broken_connections()
    if request.path.startswith(VBA_API_PREFIX):
        return vba_error_response(request, 503, UNAVAILABLE_MESSAGE)
    if request.path.startswith(SPRY_API_PREFIX):
        return spry_error_response(request, 503, UNAVAILABLE_MESSAGE)
    response = HttpResponse(render_to_string("503.html"), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = retry_after()
    return response


def handler500(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Django calls it for an exception nothing else answered (in a view or in middleware: the admin's session and
    user lookups) while the exception is being handled: an unavailable database is a 503, anything else a 500."""
    exception = sys.exc_info()[1]
    if exception is not None and is_unavailable(exception):
        return handler503(request, exception)
    if request.path.startswith(VBA_API_PREFIX):
        return vba_error_response(request, 500, INTERNAL_ERROR)
    if request.path.startswith(SPRY_API_PREFIX):
        return spry_error_response(request, 500, SPRY_INTERNAL_ERROR)
    return defaults.server_error(request)
