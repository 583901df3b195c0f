"""The prior-authorization metrics on an admin page (decision 19, issue 23): per database, the year chosen from a
select (the current year by default), the rows and figures of ``pa_metrics`` as ``report_pa_metrics`` prints them;
linked from the database's home page; only for staff granted the database who may view Auths; a bad year is a
message (400), never a 500."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from authorizations.vba.metrics import FIELDS, HEADINGS, cell, pa_metrics
from config.api.models import DatabaseGrant
from tests.authorizations.test_pa_metrics import EXPECTED_2025, desk, year_2025  # noqa: F401 (fixtures)
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

PAGE = "/admin/db/{}/authorizations/auth/metrics/"


def staff_client(*databases: str, codenames: tuple[str, ...] = ("view_auth",), name: str = "reviewer") -> Client:
    person = get_user_model().objects.create_user(name, password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="authorizations", codename__in=codenames)
    )
    for database in databases:
        DatabaseGrant.objects.create(user=person, database=database)
    client = Client()
    client.force_login(person)
    return client


def table(page: str) -> list[list[str]]:
    """The metrics table's cells, row by row (headings first)."""
    body = re.search(r'<div class="module" id="pa-metrics">(.*?)</table>', page, re.S)
    assert body, page
    return [
        [html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", line, re.S)]
        for line in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def selected_year(page: str) -> str:
    found = re.findall(r'<option value="(\d+)" selected>', page)
    assert len(found) == 1, page
    return found[0]


@pytest.mark.usefixtures("year_2025")
def test_the_page_shows_exactly_the_figures_of_pa_metrics() -> None:
    response = staff_client("demo").get(PAGE.format("demo"), {"year": "2025"})
    assert response.status_code == 200
    page = response.content.decode()
    shown = table(page)
    assert shown[0] == [HEADINGS[f] for f in FIELDS]
    assert shown[1:] == [[cell(v) for v in row.as_dict().values()] for row in pa_metrics(database="demo", year=2025)]
    assert shown[1:] == [  # and those are the figures worked out by hand for year_2025
        ["standard", "8", "50.0", "25.0", "12.5", "98.0", "99.0", "62.5"],
        ["expedited", "6", "50.0", "33.3", "0.0", "40.8", "30.0", "66.7"],
        ["no_received_date", "2", "50.0", "50.0", "0.0", "-", "-", "-"],
        ["adjustment", "2", "100.0", "0.0", "50.0", "-", "-", "-"],
    ]
    assert pa_metrics(database="demo", year=2025) == EXPECTED_2025
    assert selected_year(page) == "2025"
    assert "Prior-authorization metrics, database demo, year 2025 (received_Date in UTC)" in page


@pytest.mark.usefixtures("year_2025")
def test_each_database_shows_its_own_figures() -> None:
    response = staff_client("demo", "other").get(PAGE.format("other"), {"year": "2025"})
    assert response.status_code == 200
    assert [line[:2] for line in table(response.content.decode())[1:]] == [
        ["standard", "0"],
        ["expedited", "0"],
        ["no_received_date", "0"],
        ["adjustment", "0"],
    ]


def test_the_year_is_the_current_one_by_default_and_chosen_from_a_select(db: Any) -> None:
    this_year = timezone.localdate().year
    page = staff_client("demo").get(PAGE.format("demo")).content.decode()
    assert selected_year(page) == str(this_year)
    assert f"database demo, year {this_year} " in page
    options = re.findall(r'<option value="(\d+)"', page)
    assert options[0] == str(this_year) and str(this_year - 1) in options


def test_the_home_page_links_to_the_metrics_for_those_who_may_view_auths(db: Any) -> None:
    home = staff_client("demo").get("/admin/db/demo/").content.decode()
    assert f'href="{PAGE.format("demo")}"' in home
    without = staff_client("demo", codenames=("view_carecase",), name="nurse").get("/admin/db/demo/").content.decode()
    assert PAGE.format("demo") not in without


@pytest.mark.usefixtures("year_2025")
def test_staff_who_may_not_view_auths_are_refused() -> None:
    response = staff_client("demo", codenames=(), name="clerk").get(PAGE.format("demo"), {"year": "2025"})
    assert response.status_code == 403
    assert "98.0" not in response.content.decode()


@pytest.mark.usefixtures("year_2025")
def test_an_ungranted_database_shows_the_not_authorized_page_and_no_figures() -> None:
    staff = staff_client("other")
    response = staff.get(PAGE.format("demo"), {"year": "2025"}, follow=True)
    assert response.redirect_chain and response.redirect_chain[0][0].startswith("/admin/db/demo/login/")
    page = response.content.decode()
    assert "not authorized to access this page" in page and "98.0" not in page


@pytest.mark.parametrize("year", ["abc", "2025x", "-2025", "0", "1899", "3000", "99999999999999999999", "２０２５"])
def test_a_bad_year_is_a_clear_message(db: Any, year: str) -> None:
    response = staff_client("demo").get(PAGE.format("demo"), {"year": year})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The year must be a whole number from 1900 to 2999" in page
    assert 'id="pa-metrics"' not in page
