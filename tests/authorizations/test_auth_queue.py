"""The reviewer's queue (issue 23): the Auth list's received/due/time-left columns, its filters (decision clock,
several statuses, urgency, assignee, received date), sorting by due time, member search and links, and the counts of
a database's home page. "Now" is frozen (time-machine); the clock's rules are decision 18's
(``authorizations.vba.clock``)."""

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from authorizations.models import Auth
from authorizations.vba.admin import AuthAdmin
from authorizations.vba.services import auth_batch_upsert, auth_code_batch_upsert, auth_process_status
from config.api.models import DatabaseGrant
from config.serving.tenancy import use_vba_database
from tests.authorizations.factories import auth_item

pytestmark = pytest.mark.django_db(databases="__all__")

DEMO = "/admin/db/demo/authorizations/auth/"
HOME = "/admin/db/demo/"
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
MIDNIGHT = "+00%3A00%3A00%2B00%3A00"  # " 00:00:00+00:00", as the received date filter's links write a day

#: number: (status, urgent, received (before NOW), approved_date (before NOW), assigned user, subscriber, member)
QUEUE: dict[str, tuple[Any, ...]] = {
    "LATE1": ("PENDED", False, dt.timedelta(days=8), None, "nurse1", "111222333", "01"),  # overdue 1 d
    "LATE2": ("REVIEW", True, dt.timedelta(hours=75), None, None, "111222333", "02"),  # overdue 3 h
    "TODAY": ("PENDED", False, dt.timedelta(days=7, hours=-5), None, "staffer", "444555666", "01"),  # 5 h left
    "DONE1": ("APPROVED", True, dt.timedelta(days=10), dt.timedelta(days=9), None, "111222333", "01"),
    "VOID1": ("VOIDED", False, dt.timedelta(days=30), None, None, "777888999", "01"),
    "NOREC": ("PENDED", False, None, None, None, "777888999", "02"),  # no received date: no clock
}


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def no_count_reuse(settings: Any) -> None:
    settings.VBA_COUNT_CACHE_SECONDS = 0  # setup writes with .update() (no signal): count afresh


@pytest.fixture
def staff(db: Any) -> Client:
    person = get_user_model().objects.create_user("staffer", password="pw", is_staff=True)
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="authorizations", codename__endswith="_auth")
    )
    DatabaseGrant.objects.create(user=person, database="demo")
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def queue(staff: Client) -> None:
    make_queue()


def make_queue() -> None:
    """The Auths of :data:`QUEUE` in database demo, received relative to :data:`NOW`."""
    with use_vba_database("demo"):
        items = [
            auth_item(number, subscriber_ID=subscriber, member_Seq=member, urgent=urgent)
            for number, (_s, urgent, _r, _a, _u, subscriber, member) in QUEUE.items()
        ]
        assert auth_batch_upsert(items=items, user=None).counts() == {201: len(items)}
        for number, (status, _urgent, received, approved, user, _sub, _mem) in QUEUE.items():
            Auth.objects.filter(pk=number).update(  # setup only: the decision clock's inputs as they would be
                status=status,
                received_date=NOW - received if received else None,
                approved_date=NOW - approved if approved else None,
                assigned_user=user,
            )


def listed(client: Client, query: str = "") -> set[str]:
    response = client.get(DEMO + ("?" + query if query else ""))
    assert response.status_code == 200, (query, response.status_code)
    return set(re.findall(r'<th class="field-auth_number"><a href="[^"]*">([A-Z0-9]+)</a>', response.content.decode()))


def row(page: str, number: str) -> str:
    match = re.search(r"<tr>(?:(?!</tr>).)*>" + number + r"</a>(?:(?!</tr>).)*</tr>", page, re.DOTALL)
    assert match, number
    return match.group(0)


def test_the_list_shows_received_due_and_time_left(staff: Client, queue: None) -> None:
    page = staff.get(DEMO).content.decode()
    late = row(page, "LATE1")
    assert "2026-03-02 12:00" in late and "2026-03-09 12:00" in late  # received, due (+7 days)
    assert 'class="queue-overdue"' in late and "overdue 1 d<" in late
    assert "overdue 3 h<" in row(page, "LATE2")  # expedited: received 75 h ago, due after 72 h
    assert "5 h left" in row(page, "TODAY")
    done = row(page, "DONE1")
    assert "APPROVED in 1 d" in done and "queue-overdue" not in done  # decided: its decision time, never late
    assert "queue-overdue" not in row(page, "VOID1")
    assert "queue-overdue" not in row(page, "NOREC")


def test_a_decided_auth_shows_the_time_to_its_first_decision_as_the_report_counts_it(
    staff: Client, queue: None, frozen: Any
) -> None:
    """Decision 18: denied a day after receipt, approved on appeal four days later: decided in 1 d, not 5 d."""
    with use_vba_database("demo"):
        codes = [{"auth_Code": "DN", "auth_Action": "D"}, {"auth_Code": "AP", "auth_Action": "A"}]
        assert auth_code_batch_upsert(items=codes, user=None).counts() == {201: 2}
        received = Auth.objects.get(pk="LATE1").received_date
        assert received is not None
        frozen.move_to(received + dt.timedelta(days=1))
        auth_process_status(auth_number="LATE1", code="DN", user=None)
        frozen.move_to(received + dt.timedelta(days=5))
        auth_process_status(auth_number="LATE1", code="AP", user=None)
    assert "APPROVED in 1 d<" in row(staff.get(DEMO).content.decode(), "LATE1")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("clock=overdue", {"LATE1", "LATE2"}),
        ("clock=today", {"LATE2", "TODAY"}),  # due today: LATE2 at 09:00 (now overdue), TODAY at 17:00
        ("clock=running", {"LATE1", "LATE2", "TODAY"}),
        ("status__in=PENDED,REVIEW", {"LATE1", "LATE2", "TODAY", "NOREC"}),
        ("status__in=REVIEW", {"LATE2"}),
        ("status__in=PENDED,REVIEW&clock=overdue", {"LATE1", "LATE2"}),
        ("urgency=expedited", {"LATE2", "DONE1"}),
        ("urgency=standard", {"LATE1", "TODAY", "VOID1", "NOREC"}),
        ("assigned=me", {"TODAY"}),
        ("assigned_user__exact=nurse1", {"LATE1"}),
        (f"received_date__gte=2026-03-02{MIDNIGHT}&received_date__lt=2026-03-04{MIDNIGHT}", {"LATE1", "TODAY"}),
        ("subscriber_id__exact=111222333&member_seq__exact=01", {"LATE1", "DONE1"}),
        ("q=111222333-01", {"LATE1", "DONE1"}),
        ("q=111222333+01", {"LATE1", "DONE1"}),
        ("q=111222333-02", {"LATE2"}),
        ("q=111222333-2", {"LATE2"}),  # a one-digit sequence as the list writes it: 02
        ("q=777888999+1", {"VOID1"}),
        ("q=111222333", {"LATE1", "LATE2", "DONE1"}),
    ],
)
def test_filters_and_member_search(staff: Client, queue: None, query: str, expected: set[str]) -> None:
    assert listed(staff, query) == expected


def test_the_status_links_add_and_remove_statuses(staff: Client, queue: None) -> None:
    page = staff.get(DEMO + "?status__in=PENDED").content.decode()
    assert "?status__in=PENDED%2CREVIEW" in page  # + REVIEW
    assert re.search(r'href="\?"[^>]*>✓ PENDED<|href="\?"[^>]*>\s*✓ PENDED', page) or "✓ PENDED" in page
    page = staff.get(DEMO + "?status__in=PENDED,REVIEW").content.decode()
    assert "?status__in=REVIEW" in page and '?status__in=PENDED"' in page  # each link removes its own status


def test_the_received_date_filter_offers_today_and_the_last_7_days(staff: Client, queue: None) -> None:
    page = staff.get(DEMO).content.decode()
    assert "Past 7 days" in page and "Today" in page
    week = f"received_date__gte=2026-03-03{MIDNIGHT}&received_date__lt=2026-03-11{MIDNIGHT}"
    assert listed(staff, week) == {"LATE2", "TODAY"}


@pytest.mark.parametrize("direction", ["", "-"])
def test_sorting_by_due_time_pages_in_due_order(
    staff: Client, queue: None, monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    monkeypatch.setattr(AuthAdmin, "list_per_page", 2)  # several pages: the merge of index-ordered lists is used
    due_order = ["VOID1", "DONE1", "LATE1", "LATE2", "TODAY"]
    expected = [*due_order, "NOREC"] if not direction else ["NOREC", *reversed(due_order)]
    seen: list[str] = []
    for page_number in range(3):
        page = staff.get(DEMO + f"?o={direction}6&p={page_number + 1}").content.decode()
        seen += re.findall(r'<th class="field-auth_number"><a href="[^"]*">([A-Z0-9]+)</a>', page)
    assert seen == expected


def test_sorting_by_received_date(staff: Client, queue: None) -> None:
    page = staff.get(DEMO + "?o=5&clock=running").content.decode()
    assert re.findall(r'field-auth_number"><a href="[^"]*">([A-Z0-9]+)</a>', page) == ["LATE1", "TODAY", "LATE2"]


@pytest.mark.parametrize(
    "query",
    [
        "clock=bogus",
        "status__in=",
        "status__in=,,,",
        "status__in=NOPE,%00",
        "urgency=x",
        "assigned=everyone",
        "received_date__gte=not-a-date",
        "received_date__gte=2026-13-45",
        "assigned_user__exact=" + "x" * 300,
        "o=6.-6.99",
        "o=6&p=99999",
        "q=" + "-" * 40,
        "q=%20-%20",
    ],
)
def test_no_query_string_breaks_the_list(staff: Client, queue: None, query: str) -> None:
    assert staff.get(DEMO + "?" + query).status_code in (200, 302, 400)  # never a 500


def test_a_member_list_says_whose_it_is_and_an_auth_links_to_the_members_records(staff: Client, queue: None) -> None:
    page = staff.get(DEMO + "?subscriber_id__exact=111222333&member_seq__exact=01").content.decode()
    assert "<h1>Auths of member 111222333-01</h1>" in page
    page = staff.get(DEMO + "LATE1/change/").content.decode()
    assert 'href="/admin/db/demo/authorizations/auth/?subscriber_id__exact=111222333&amp;member_seq__exact=01"' in page
    assert 'href="/admin/db/demo/carecases/carecase/?subscriber_id__exact=111222333&amp;member_seq__exact=01"' in page


def test_the_home_page_counts_by_status_overdue_and_due_today(staff: Client, queue: None) -> None:
    page = staff.get(HOME).content.decode()
    counts = dict(
        re.findall(r'<th scope="row"><a href="[^"]*">([^<]+)</a></th><td class="home-count">([^<]+)</td>', page)
    )
    assert counts == {
        "Overdue": "2",
        "Due today": "2",
        "APPROVED": "1",
        "PENDED": "3",
        "REVIEW": "1",
        "VOIDED": "1",
    }
    links = dict(re.findall(r'<a href="([^"]*)">([^<]+)</a></th><td class="home-count">', page))
    assert listed(staff, links_for(links, "Overdue")) == {"LATE1", "LATE2"}
    assert listed(staff, links_for(links, "Due today")) == {"LATE2", "TODAY"}
    assert listed(staff, links_for(links, "PENDED")) == {"LATE1", "TODAY", "NOREC"}


def links_for(links: dict[str, str], label: str) -> str:
    url = next(url for url, text in links.items() if text == label)
    return url.split("?", 1)[1].replace("&amp;", "&")


def test_the_home_page_shows_no_counts_without_the_permission_to_view_auths(staff: Client, queue: None) -> None:
    get_user_model().objects.get(username="staffer").user_permissions.clear()
    assert "home-count" not in staff.get(HOME).content.decode()


def test_a_decision_without_an_approved_date_shows_no_decision_time_as_the_report_counts_none(
    staff: Client, queue: None
) -> None:
    """Decision 18: the decision time runs to the approved_Date the Auth had when first decided. Decided through PUT
    without one, then given one later: the list shows the status alone (the metrics count no time), never the later
    date's time."""
    received = (NOW - dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%S")
    with use_vba_database("demo"):
        decided = auth_item("LATE1", status="APPROVED", received_Date=received)
        assert auth_batch_upsert(items=[decided], user=None).counts() == {200: 1}
        approved = (NOW - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S")
        late_date = {**decided, "approved_Date": approved}
        assert auth_batch_upsert(items=[late_date], user=None).counts() == {200: 1}
    late = row(staff.get(DEMO).content.decode(), "LATE1")
    assert '<span class="queue-decided">APPROVED</span>' in late and " in " not in late


def test_an_auths_page_shows_its_decision_clock(staff: Client, queue: None) -> None:
    page = staff.get(DEMO + "LATE1/change/").content.decode()
    clock = page.split('id="decision-clock"', 1)[1].split("</div>", 1)[0]
    assert "Standard (168 h)" in clock and "received 2026-03-02 12:00" in clock and "due 2026-03-09 12:00" in clock
    assert 'class="queue-overdue"' in clock and "overdue 1 d<" in clock
    assert "Expedited (72 h)" in staff.get(DEMO + "LATE2/change/").content.decode()
    done = staff.get(DEMO + "DONE1/change/").content.decode().split('id="decision-clock"', 1)[1]
    assert "APPROVED in 1 d<" in done.split("</div>", 1)[0]
    norec = staff.get(DEMO + "NOREC/change/").content.decode().split('id="decision-clock"', 1)[1]
    assert "No received date: no decision clock." in norec.split("</div>", 1)[0]


def test_a_member_without_a_sequence_links_to_that_member_only(staff: Client, queue: None) -> None:
    with use_vba_database("demo"):
        Auth.objects.filter(pk="NOREC").update(subscriber_id="111222333", member_seq=None)
    page = staff.get(DEMO + "NOREC/change/").content.decode()
    link = re.search(r'id="member-auths" href="([^"]+)"', page)
    assert link is not None
    query = link.group(1).split("?", 1)[1].replace("&amp;", "&")
    assert listed(staff, query) == {"NOREC"}  # not LATE1, LATE2, DONE1 of the same subscriber
    assert "<h1>Auths of member 111222333 (no member sequence)</h1>" in staff.get(DEMO + "?" + query).content.decode()


def test_the_first_admin_page_counts_each_databases_queue_with_links(staff: Client, queue: None) -> None:
    page = staff.get("/admin/").content.decode()
    line = page.split('id="home-counts-demo-auths"', 1)[1].split("</div>", 1)[0]
    counts = dict(re.findall(r'<a href="[^"]*">([^<]+)</a> <span class="home-count">([^<]+)</span>', line))
    assert counts == {"Overdue": "2", "Due today": "2", "APPROVED": "1", "PENDED": "3", "REVIEW": "1", "VOIDED": "1"}
    links = dict(re.findall(r'<a href="([^"]*)">([^<]+)</a> <span', line))
    assert listed(staff, links_for(links, "Overdue")) == {"LATE1", "LATE2"}
    get_user_model().objects.get(username="staffer").user_permissions.clear()
    assert "home-count" not in staff.get("/admin/").content.decode()


def test_a_status_count_opens_the_list_with_its_status_filter_selected(staff: Client, queue: None) -> None:
    """The count's link uses the status filter's own parameter: the sidebar shows PENDED chosen, and choosing another
    status there replaces it (a second parameter once listed nothing)."""
    page = staff.get(HOME).content.decode()
    link = dict(re.findall(r'<a href="([^"]*)">([^<]+)</a></th><td class="home-count">', page))
    pended = links_for(link, "PENDED")
    assert pended == "status=PENDED"
    listing = staff.get(DEMO + "?" + pended).content.decode()
    assert re.search(r'<li class="selected">\s*<a href="\?status=PENDED"', listing)
    other = re.search(r'<a href="(\?status=REVIEW)"', listing)
    assert other is not None
    assert listed(staff, other.group(1)[1:]) == {"LATE2"}
