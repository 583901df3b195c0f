"""A care manager's working record in the admin (issue 24): the case page's work-log timeline and Log work form, an
entry's own page (stale saves refused), the case list's time logged and last contact, a plan's cases by status."""

import html
from typing import Any

import pytest
from django.test import Client

from carecases.models import CareCase, CareCaseWorkLog
from carecases.services import care_case_batch_upsert, care_plan_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.admin_forms import submitted
from tests.carecases.conftest import case_item, plan_item
from tests.conftest import ALL

pytestmark = pytest.mark.django_db(databases=ALL)

CASES = "/admin/db/demo/carecases/carecase"
ENTRIES = "/admin/db/demo/carecases/carecaseworklog"


@pytest.fixture
def case(admin_user: Any) -> int:
    with use_vba_database("demo"):
        care_plan_batch_upsert(items=[plan_item(1, care_Type="DIABETES")], user=admin_user)
        care_case_batch_upsert(
            items=[case_item(1, case_Status="OPEN"), case_item(2, case_Status="OPEN")], user=admin_user, care_plan_key=1
        )
    return 1


def log_form(page: str, **fields: str) -> dict[str, Any]:
    form = submitted(page, "work_log_form")
    form.update({f"work-{name}": value for name, value in fields.items()})
    return form


def test_logging_work_adds_an_entry_stamped_with_the_user_and_shows_it_first(staff: Client, case: int) -> None:
    page = staff.get(f"{CASES}/1/change/").content.decode()
    assert "Nothing logged yet." in page and 'id="log-work"' in page
    form = log_form(page, work_log_type="CALL", work_log_hour="0", work_log_minute="25", work_log_comment="Agreed.")
    assert form["work-work_log_date_0"]  # the date defaults to now
    response = staff.post(f"{CASES}/1/log-work/", form)
    assert response.status_code == 302 and response["Location"].endswith("/carecase/1/change/#work-log")
    later = log_form(staff.get(f"{CASES}/1/change/").content.decode(), work_log_type="VISIT", work_log_hour="1",
                     work_log_minute="30", work_log_billable="on")  # fmt: skip
    assert staff.post(f"{CASES}/1/log-work/", later).status_code == 302
    with use_vba_database("demo"):
        entries = list(CareCaseWorkLog.objects.order_by("pk"))
        assert [(e.work_log_type, e.work_log_user, e.entry_user, e.work_log_billable) for e in entries] == [
            ("CALL", "admin", "admin", False),
            ("VISIT", "admin", "admin", True),
        ]
        assert CareCaseWorkLog.history.count() == 2
    page = html.unescape(staff.get(f"{CASES}/1/change/").content.decode())
    assert page.index("VISIT") < page.index("CALL")  # newest first (the same minute: the later key first)
    assert "2 entries · 1 h 55 min logged" in page and "1 h 30 min" in page and "25 min" in page
    assert '<option value="VISIT">' in page and '<option value="CALL">' in page  # the types in use are offered
    listed = html.unescape(staff.get(f"{CASES}/").content.decode())
    assert "1 h 55 min" in listed


def test_a_bad_entry_is_refused_naming_the_field_and_keeps_what_was_typed(staff: Client, case: int) -> None:
    page = staff.get(f"{CASES}/1/change/").content.decode()
    response = staff.post(
        f"{CASES}/1/log-work/", log_form(page, work_log_type="", work_log_minute="75", work_log_comment="kept text")
    )
    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "This field is required." in text and "less than or equal to 59" in text and "kept text" in text
    too_long = log_form(page, work_log_type="X" * 33)
    assert staff.post(f"{CASES}/1/log-work/", too_long).status_code == 400
    with use_vba_database("demo"):
        assert CareCaseWorkLog.objects.count() == 0


def test_an_entry_is_edited_on_its_own_page_and_a_stale_page_is_refused(
    staff: Client, case: int, admin_user: Any, django_user_model: Any
) -> None:
    page = staff.get(f"{CASES}/1/change/").content.decode()
    staff.post(f"{CASES}/1/log-work/", log_form(page, work_log_type="CALL", work_log_comment="first"))
    ann_page = staff.get(f"{ENTRIES}/1/change/").content.decode()
    ben = Client()
    ben.force_login(django_user_model.objects.create_superuser("ben", password="x"))
    ben_form = submitted(ben.get(f"{ENTRIES}/1/change/").content.decode(), "carecaseworklog_form")
    ben_form["work_log_comment"] = "ben's words"
    assert ben.post(f"{ENTRIES}/1/change/", ben_form).status_code == 302
    ann_form = submitted(ann_page, "carecaseworklog_form")
    ann_form["work_log_comment"] = "ann's words"
    refused = staff.post(f"{ENTRIES}/1/change/", ann_form)
    assert refused.status_code == 409 and "ben" in refused.content.decode()
    with use_vba_database("demo"):
        assert CareCaseWorkLog.objects.get(pk=1).work_log_comment == "ben's words"
    assert 'name="care_case"' not in ann_page  # an entry's case is fixed: never moved to another case


def test_a_plan_page_counts_its_cases_by_status_each_a_link_to_them(staff: Client, case: int, admin_user: Any) -> None:
    with use_vba_database("demo"):
        care_case_batch_upsert(
            items=[case_item(3, case_Status="CLOSED"), case_item(4)], user=admin_user, care_plan_key=1
        )
    page = html.unescape(staff.get("/admin/db/demo/carecases/careplan/1/change/").content.decode())
    assert "CLOSED: 1" in page and "OPEN: 2" in page and "no status: 1" in page
    closed = staff.get(f"{CASES}/?care_plan__care_plan_key__exact=1&case_status__exact=CLOSED")
    assert [c.pk for c in closed.context["cl"].result_list] == [3]
    none = staff.get(f"{CASES}/?care_plan__care_plan_key__exact=1&case_status__isnull=True")
    assert [c.pk for c in none.context["cl"].result_list] == [4]


def test_a_case_with_work_logged_is_not_deleted_and_the_page_says_why(staff: Client, case: int) -> None:
    page = staff.get(f"{CASES}/1/change/").content.decode()
    staff.post(f"{CASES}/1/log-work/", log_form(page, work_log_type="CALL"))
    confirmation = html.unescape(staff.get(f"{CASES}/1/delete/").content.decode())
    assert "1 work log entry still belong to this case" in confirmation
    assert f"{ENTRIES}/?care_case__case_key__exact=1" in confirmation
    assert 'type="submit"' not in confirmation.split('id="content"')[1]  # nothing to confirm
    with use_vba_database("demo"):
        assert CareCaseWorkLog.objects.filter(care_case_id=1).count() == 1
        assert CareCase.objects.filter(pk=1).exists()


def test_a_type_that_forks_one_in_use_is_refused_naming_it(staff: Client, case: int) -> None:
    page = staff.get(f"{CASES}/1/change/").content.decode()
    assert staff.post(f"{CASES}/1/log-work/", log_form(page, work_log_type="PHONE_CALL")).status_code == 302
    page = staff.get(f"{CASES}/1/change/").content.decode()
    refused = staff.post(f"{CASES}/1/log-work/", log_form(page, work_log_type="phone call"))
    assert refused.status_code == 400
    assert "Type: “phone call” is written “PHONE_CALL” in this database: use that value." in html.unescape(
        refused.content.decode()
    )
    assert staff.post(f"{CASES}/1/log-work/", log_form(page, work_log_type="HOME_VISIT")).status_code == 302
    with use_vba_database("demo"):
        assert sorted(str(t) for t in CareCaseWorkLog.objects.values_list("work_log_type", flat=True)) == [
            "HOME_VISIT",
            "PHONE_CALL",
        ]
    entry = submitted(staff.get(f"{ENTRIES}/1/change/").content.decode(), "carecaseworklog_form")
    entry["work_log_type"] = "Home-Visit"  # the entry's own page refuses it too
    assert "is written “HOME_VISIT”" in html.unescape(staff.post(f"{ENTRIES}/1/change/", entry).content.decode())


def test_a_cases_entries_list_says_it_is_that_cases(staff: Client, case: int) -> None:
    page = staff.get(f"{CASES}/1/change/").content.decode()
    staff.post(f"{CASES}/1/log-work/", log_form(page, work_log_type="CALL"))
    listed = html.unescape(staff.get(f"{ENTRIES}/?care_case__case_key__exact=1").content.decode())
    assert "Work log entries of care case 1" in listed
