"""Template tags of the records admin: links into the per-database admin sites."""

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.db import DatabaseError
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from config.admin.sites import home_panels, log_entry_database, log_entry_url, vba_sites
from config.records.dbfaults import discard_broken_connections, is_unavailable, log_unavailable
from config.serving.middleware import current_activity_id

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
                "panels": _panels_if_answering(user, database),
            }
        )
    return links


def _panels_if_answering(user: Any, database: str) -> list[dict[str, Any]] | None:
    """The database's counts, or None when it does not answer: one client's database away must not take the page
    of all the others with it (its own pages answer 503 until it is back)."""
    try:
        return home_panels(user, database)
    except DatabaseError as error:
        if not is_unavailable(error):
            raise
        log_unavailable(error, current_activity_id())
        discard_broken_connections()
        return None
