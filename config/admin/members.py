"""A member's records in a VBA database's admin (issue 23): the lists of Auths and of care cases find a member
written "109111276-01" or "109111276 01" exactly, and a record's page links to the same member's Auths and care cases.
One rule for both lists: :class:`MemberRecordsMixin`. (A list filtered to one member says so in its title: the rule of
every VBA list, :meth:`config.admin.sites.VBAModelAdmin.filtered_to`.)"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from config.admin.sites import member_of

#: "109111276-01" or "109111276 01": a subscriber and a member sequence as the lists show them.
MEMBER = re.compile(r"^\s*([A-Za-z0-9]{1,9})(?:-|\s+)([A-Za-z0-9]{1,2})\s*$")


def member_search(term: str) -> Q | None:
    """The member written ``subscriber-seq`` (or with a space): its subscriber and sequence exactly (as typed, in
    capitals or in small letters; a one-digit sequence also as the two digits the lists show, "1" as "01"),
    answered by the (subscriber_id, member_seq) index; None when the term is not so written."""
    match = MEMBER.match(term)
    if match is None:
        return None
    subscriber, seq = match.groups()
    seqs = {seq, seq.upper(), seq.lower(), *([seq.zfill(2)] if seq.isdigit() else [])}
    return Q(subscriber_id__in={subscriber, subscriber.upper(), subscriber.lower()}, member_seq__in=seqs)


def member_query(subscriber_id: str, member_seq: str | None) -> dict[str, str]:
    """A list's filter of one member (its URL parameters): a record without a member sequence is the member whose
    sequence is empty too, never the subscriber's whole family."""
    params = {"subscriber_id__exact": subscriber_id}
    if member_seq is None:
        params["member_seq__isnull"] = "True"
    else:
        params["member_seq__exact"] = member_seq
    return params


class MemberRecordsMixin:
    """For the admin of a model with ``subscriber_id`` and ``member_seq`` (indexed together): member search and a
    record's links to the member's Auths and care cases in the same database."""

    #: Shown on a record's page, in a section of its own (added by get_fieldsets, not in ``fieldsets``).
    MEMBER_LINKS = "member_records"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        member = member_search(search_term)
        if member is not None:  # "109111276-01" / "109111276 01": that member too, exactly (the member index)
            found = queryset.filter(member) | found
        return found, duplicates

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return (*fields, self.MEMBER_LINKS) if obj is not None else fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))  # type: ignore[misc]
        if obj is not None:
            fieldsets.append(("This member's records", {"fields": (self.MEMBER_LINKS,)}))
        return fieldsets

    @admin.display(description="member's records")
    def member_records(self, obj: Any) -> str:
        """Links to the same member's Auths and care cases, in this database."""
        if not obj.subscriber_id:
            return "–"
        query = urlencode(member_query(obj.subscriber_id, obj.member_seq))
        site = self.admin_site.name  # type: ignore[attr-defined]
        auths = reverse("admin:authorizations_auth_changelist", current_app=site)
        cases = reverse("admin:carecases_carecase_changelist", current_app=site)
        return format_html(
            '<a id="member-auths" href="{}?{}">Auths of member {}</a> · '
            '<a id="member-care-cases" href="{}?{}">Care cases of member {}</a>',
            auths,
            query,
            member_of(obj),
            cases,
            query,
            member_of(obj),
        )
