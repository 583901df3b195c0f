"""The Auth changelist stays index-driven at scale: a list is counted through at most EXACT_UP_TO + 1 rows, a longer
one shown with PostgreSQL's estimate ("about N"), never a COUNT(*) over the table or over all the rows a filter
matches; searches an index can serve; filter values without SELECT DISTINCT over the table."""

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from authorizations.models import Auth
from authorizations.vba.services import auth_batch_upsert
from config.records import counting
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGELIST = "/admin/db/demo/authorizations/auth/"
FULL_COUNT = re.compile(r'SELECT COUNT\(\*\) AS "__count" FROM "Auth"(\s+WHERE [^)]*)?\s*$')  # not a subquery
CAPPED_COUNT = re.compile(r"SELECT COUNT\(\*\) FROM \(SELECT .* LIMIT (\d+)\) subquery")


@pytest.fixture
def staff(db: Any) -> Client:
    person = get_user_model().objects.create_superuser("boss", password="pw")
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def data() -> None:
    call_command("generate_auths", "--count", "120", "--database", "demo", stdout=io.StringIO())
    with use_vba_database("demo"):
        item = auth_item("NOSTATUS", subscriber_ID="123456789", provider_ID="PrvMixed", case_Number="case-lower")
        assert auth_batch_upsert(items=[item], user=None).counts() == {201: 1}


def get(client: Client, path: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connections["demo"]) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def shown(page: str) -> set[str]:
    return set(re.findall(r'<th class="field-auth_number"><a href="[^"]+">([^<]+)</a>', page))


def counts(queries: list[str]) -> tuple[list[str], list[int]]:
    """The full counts among ``queries``, and the limits of the capped ones."""
    capped = [int(m.group(1)) for m in map(CAPPED_COUNT.search, queries) if m]
    return [sql for sql in queries if FULL_COUNT.search(sql)], capped


@pytest.mark.postgres
def test_a_long_unfiltered_list_shows_the_tables_estimate(staff: Client, data: None, monkeypatch: Any) -> None:
    with connections["demo"].cursor() as cursor:
        cursor.execute('ANALYZE "Auth"')  # gives the planner its estimate (allowed inside the test's transaction)
    monkeypatch.setattr(counting, "EXACT_UP_TO", 10)  # a 121-row table stands in for a big one
    page, queries = get(staff, CHANGELIST)
    assert counts(queries) == ([], [11])
    assert any("pg_class" in sql for sql in queries)
    assert "about 121 auths" in page
    assert len(shown(page)) == 50 and "?p=2" in page and "?p=3" in page  # pagination links still work
    page2, _ = get(staff, CHANGELIST + "?p=3")
    assert len(shown(page2)) == 21


@pytest.mark.postgres
def test_a_long_filtered_list_shows_the_plans_estimate(staff: Client, data: None, monkeypatch: Any) -> None:
    with connections["demo"].cursor() as cursor:
        cursor.execute('ANALYZE "Auth"')
    monkeypatch.setattr(counting, "EXACT_UP_TO", 10)
    with use_vba_database("demo"):
        approved = Auth.objects.filter(status="APPROVED").count()
    assert approved > 11
    page, queries = get(staff, CHANGELIST + "?status__exact=APPROVED")
    assert counts(queries) == ([], [11])
    assert any(sql.startswith("EXPLAIN (FORMAT JSON)") for sql in queries)
    estimate = int(re.search(r"about (\d+) auths", page).group(1))  # type: ignore[union-attr]
    assert 11 <= estimate <= 121 and abs(estimate - approved) <= 0.5 * approved


def test_lists_up_to_the_bound_are_counted_exactly(staff: Client, data: None) -> None:
    page, queries = get(staff, CHANGELIST)
    assert counts(queries) == ([], [counting.EXACT_UP_TO + 1])
    assert "121 auths" in page and "about" not in page
    with use_vba_database("demo"):
        approved = Auth.objects.filter(status="APPROVED").count()
        urgent = Auth.objects.filter(urgent=True).count()
    page, queries = get(staff, CHANGELIST + "?status__exact=APPROVED")
    assert f"{approved} auths" in page and "about" not in page
    assert counts(queries) == ([], [counting.EXACT_UP_TO + 1])
    assert f"{urgent} auth" in get(staff, CHANGELIST + "?urgent__exact=1")[0]


def test_a_long_list_is_estimated_on_postgresql_only(staff: Client, data: None, monkeypatch: Any) -> None:
    """SQLite (the embedded default) has no planner estimate: a list longer than the bound is counted exactly."""
    with connections["demo"].cursor() as cursor:
        cursor.execute('ANALYZE "Auth"')
    monkeypatch.setattr(counting, "EXACT_UP_TO", 10)
    page, queries = get(staff, CHANGELIST)
    full, capped = counts(queries)
    assert capped == [11]
    if connections["demo"].vendor == "postgresql":
        assert "about 121 auths" in page and full == []
    else:
        assert "121 auths" in page and "about" not in page and len(full) == 1


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("GEN000000007", {"GEN000000007"}),
        ("gen000000007", {"GEN000000007"}),  # typed in lower case: tried in capitals too
        ("12345", {"NOSTATUS"}),  # subscriber prefix
        ("PrvMix", {"NOSTATUS"}),  # provider prefix, as stored
        ("case-lower", {"NOSTATUS"}),  # case number, exact
        ('"case-lower"', {"NOSTATUS"}),  # quoted, as Django's search allows
        ("case-low", set()),  # case numbers match exactly
        ("GEN00000000", set()),  # auth numbers match exactly
    ],
)
def test_search_finds_by_key_and_prefix_with_index_friendly_sql(
    staff: Client, data: None, term: str, expected: set[str]
) -> None:
    page, queries = get(staff, CHANGELIST + "?" + "q=" + term.replace('"', "%22"))
    assert shown(page) == expected
    assert not [sql for sql in queries if "UPPER(" in sql]  # UPPER(column) would need an expression index


def test_value_filters_list_values_without_select_distinct(staff: Client, data: None) -> None:
    page, queries = get(staff, CHANGELIST)
    with use_vba_database("demo"):
        statuses = set(Auth.objects.exclude(status=None).values_list("status", flat=True))
        types = set(Auth.objects.exclude(auth_type=None).values_list("auth_type", flat=True))
    assert len(statuses) >= 4
    for status in statuses:
        assert f'?status={status}"' in page
    for auth_type in types:
        assert f'?auth_type={auth_type}"' in page
    assert "?status__isnull=True" in page  # the NOSTATUS row: the empty choice is offered
    assert not [sql for sql in queries if "DISTINCT" in sql.upper()]
    assert "NOSTATUS" in get(staff, CHANGELIST + "?status__isnull=True")[0]
