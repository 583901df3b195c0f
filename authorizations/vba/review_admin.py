"""Every review of a VBA database in the admin: the list an Auth's page links to when it has more reviews than it
shows (``CHILDREN_SHOWN``), filtered to that Auth ("Reviews of Auth A100"). Reviews are added one at a time on their
Auth's page and never edited (issue 22: a review trail is never overwritten), so this list and a review's page only
read; whoever may change the Auth may delete its reviews here (an Auth that still has reviews is not deleted:
decision 15, never a cascade). Permissions are the Auth's: a review is part of its Auth's record."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from authorizations.vba.models import AuthReview
from authorizations.vba.services import AUTH_REVIEW
from config.admin.sites import VBAModelAdmin, moment, register_vba


def review_list_url(site: admin.AdminSite, auth_number: str) -> str:
    url = reverse("admin:authorizations_authreview_changelist", current_app=site.name)
    return f"{url}?{urlencode({'auth_number__exact': auth_number})}"


@register_vba(AuthReview)
class AuthReviewAdmin(VBAModelAdmin):
    resource = AUTH_REVIEW
    list_display = ("auth_review_key", "auth", "when", "review_user", "review_level", "review_status", "review_comment")
    search_fields = ("=auth_number", "^review_user")
    search_help_text = "Auth number (exact) or reviewer (starts with)."
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-auth_review_key",)

    def _auth_permission(self, request: HttpRequest, action: str) -> bool:
        return self._in_site_database() and request.user.has_perm(f"authorizations.{action}_auth")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._auth_permission(request, "view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._auth_permission(request, "view")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # added on the Auth's page (Add review)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a review is never overwritten

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._auth_permission(request, "change")

    def delete_model(self, request: HttpRequest, obj: AuthReview) -> None:
        request._review_auth = obj.auth_number  # type: ignore[attr-defined]  # where response_delete returns
        super().delete_model(request, obj)

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> Any:
        """Back to the reviews of the deleted review's Auth (the admin would go home: a review has no change page
        one may edit, so Django does not return to the list)."""
        response = super().response_delete(request, obj_display, obj_id)
        auth_number = getattr(request, "_review_auth", None)
        if auth_number is not None and response.status_code == 302:
            return HttpResponseRedirect(review_list_url(self.admin_site, auth_number))
        return response

    def filtered_to(self, params: Any) -> list[str]:
        number = params.get("auth_number__exact")
        return [f"Auth {number}", *super().filtered_to(params)] if number else super().filtered_to(params)

    @admin.display(description="Auth", ordering="auth_number")
    def auth(self, obj: AuthReview) -> Any:
        url = reverse(
            "admin:authorizations_auth_change", args=(quote(obj.auth_number),), current_app=self.admin_site.name
        )
        return format_html('<a href="{}">{}</a>', url, obj.auth_number)

    @admin.display(description="date", ordering="review_date")
    def when(self, obj: AuthReview) -> str:
        return moment(obj.review_date)
