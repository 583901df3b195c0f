"""Template tags of the records admin: links into the per-database admin sites."""

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from config.admin.sites import home_panels, log_entry_database, log_entry_url, vba_sites

register = template.Library()


@register.simple_tag
def log_entry_link(entry: Any) -> dict[str, Any]:
    """``{"url": …, "database": …}`` of an admin log entry: its object's page in the database it was written in."""
    return {"url": log_entry_url(entry), "database": log_entry_database(entry)}


@register.simple_tag
def records_home() -> str:
    """The home page of the admin that carries no database (users, grants, Spry)."""
    return reverse("admin:index")


@register.simple_tag(takes_context=True)
def vba_database_links(context: dict[str, Any]) -> list[dict[str, Any]]:
    """For each database the staff member is granted: its home page, its model lists and its home page's counts
    (overdue, due today, by status: each a link to that list)."""
    links = []
    user = context["request"].user
    for database in context.get("vba_databases") or ():
        site = vba_sites[database]
        models = [
            {
                "name": capfirst(opts.verbose_name_plural),
                "url": reverse(admin_urlname(opts, mark_safe("changelist")), current_app=site.name),
            }
            for opts in (model._meta for model in site._registry)
        ]
        links.append(
            {
                "database": database,
                "url": reverse("admin:index", current_app=site.name),
                "models": models,
                "panels": home_panels(user, database),
            }
        )
    return links
