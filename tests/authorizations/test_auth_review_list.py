"""An Auth with more reviews than its page shows links to all of them; the review list (read-only: a review is never
overwritten) lets whoever may change the Auth delete reviews, so that an Auth that has some can then be deleted
(decision 15: never a cascade)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from authorizations.vba.admin import CHILDREN_SHOWN
from authorizations.vba.models import Auth, AuthReview
from authorizations.vba.services import AUTH_REVIEW, auth_batch_upsert
from config.admin.sites import VERSION_FIELD
from config.api.models import DatabaseGrant
from config.records.batch import batch_upsert
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

AUTHS = "/admin/db/demo/authorizations/auth/"
REVIEWS = "/admin/db/demo/authorizations/authreview/"


def staff(*codenames: str) -> Client:
    person = get_user_model().objects.create_user("reviewer", password="pw", is_staff=True)
    person.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    DatabaseGrant.objects.create(user=person, database="demo")
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def reviewed(db: Any) -> None:
    """Auth A100 with CHILDREN_SHOWN + 6 reviews, B200 with one."""
    with use_vba_database("demo"):
        assert auth_batch_upsert(items=[auth_item("A100"), auth_item("B200")], user=None).counts() == {201: 2}
        items = [
            {"authReview_Key": 0, "auth_Number": "A100", "review_Comment": f"note {n}", "review_Date": None}
            for n in range(CHILDREN_SHOWN + 6)
        ]
        items.append({"authReview_Key": 0, "auth_Number": "B200", "review_Comment": "other", "review_Date": None})
        assert batch_upsert(AUTH_REVIEW, items, user=None).counts() == {201: CHILDREN_SHOWN + 7}


def confirmed(page: str) -> dict[str, str]:
    """What "Yes, I'm sure" on a delete confirmation posts."""
    version = re.search(rf'name="{VERSION_FIELD}" value="([^"]+)"', page)
    assert version is not None, "not a delete confirmation"
    return {"post": "yes", VERSION_FIELD: version[1]}


def keys(page: str) -> list[str]:
    return re.findall(r'<th class="field-auth_review_key"><a href="[^"]*">(\d+)</a>', page)


def test_the_auths_page_says_how_many_it_does_not_show_and_links_to_all(reviewed: None) -> None:
    client = staff("view_auth", "change_auth")
    page = client.get(AUTHS + "A100/change/").content.decode()
    more = re.search(r'<p id="more-reviews">(.*?)</p>', page)
    assert more is not None and f"The newest {CHILDREN_SHOWN} of {CHILDREN_SHOWN + 6} reviews" in more.group(1)
    link = re.search(r'href="([^"]+)"', more.group(1))
    assert link is not None
    listed = client.get(link.group(1).replace("&amp;", "&"))
    assert listed.status_code == 200
    text = listed.content.decode()
    assert "<h1>Auth reviews of Auth A100</h1>" in text
    assert len(keys(text)) == CHILDREN_SHOWN  # a page of 100, then the next
    assert "more-reviews" not in client.get(AUTHS + "B200/change/").content.decode()


def test_reviews_are_read_only_and_deleted_by_whoever_may_change_the_auth(reviewed: None) -> None:
    reader = staff("view_auth")
    with use_vba_database("demo"):
        review = AuthReview.objects.filter(auth_number="B200").get()
    page = reader.get(f"{REVIEWS}{review.pk}/change/").content.decode()
    assert 'name="review_comment"' not in page  # shown, never edited
    assert reader.get(f"{REVIEWS}{review.pk}/delete/").status_code == 403
    get_user_model().objects.get(username="reviewer").user_permissions.add(
        Permission.objects.get(codename="change_auth")
    )
    confirm = reader.get(f"{REVIEWS}{review.pk}/delete/")
    assert confirm.status_code == 200
    deleted = reader.post(f"{REVIEWS}{review.pk}/delete/", confirmed(confirm.content.decode()))
    assert (deleted.status_code, deleted["Location"]) == (302, f"{REVIEWS}?auth_number__exact=B200")
    with use_vba_database("demo"):
        assert not AuthReview.objects.filter(pk=review.pk).exists()
        history = AuthReview.history.filter(auth_review_key=review.pk).latest("history_id")  # type: ignore[attr-defined]
        assert history.history_type == "-"
    get_user_model().objects.get(username="reviewer").user_permissions.add(
        Permission.objects.get(codename="delete_auth")
    )
    delete = reader.get(AUTHS + "B200/delete/")  # no review left: the Auth can now be deleted
    assert reader.post(AUTHS + "B200/delete/", confirmed(delete.content.decode())).status_code == 302
    with use_vba_database("demo"):
        assert not Auth.objects.filter(pk="B200").exists()
