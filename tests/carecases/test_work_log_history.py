"""A care case's history page lists its work-log entries' changes with its own (config.admin.history), newest first:
an entry logged, then edited on its own page, with who and old → new; the entries' rows are not revertable there."""

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

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
        care_case_batch_upsert(items=[case_item(1, case_Status="OPEN")], user=admin_user, care_plan_key=1)
    return 1


def test_the_case_history_lists_its_work_log_entries_changes(staff: Client, case: int) -> None:
    form = submitted(staff.get(f"{CASES}/1/change/").content.decode(), "work_log_form")
    form.update({"work-work_log_type": "CALL", "work-work_log_minute": "25", "work-work_log_comment": "Agreed."})
    assert staff.post(f"{CASES}/1/log-work/", form).status_code == 302
    entry = submitted(staff.get(f"{ENTRIES}/1/change/").content.decode(), "carecaseworklog_form")
    entry["work_log_minute"] = "40"
    assert staff.post(f"{ENTRIES}/1/change/", entry).status_code == 302

    page = staff.get(f"{CASES}/1/history/").content.decode()
    table = page[page.index('id="change-history"') : page.index("</table>", page.index('id="change-history"'))]
    rows = [
        [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]
    assert rows[0][0] == "Work log entry 1" and rows[0][-1] == "Work log entry 1: Minutes 25 → 40"
    assert rows[0][3] == "admin" and rows[0][4] == ""
    assert rows[1][-1].startswith("Work log entry 1: added (") and "Comment Agreed." in rows[1][-1]
    assert "Minutes 25" in rows[1][-1] and "Type CALL" in rows[1][-1]
    assert rows[-1][2] == "Created"  # the case's own row, which alone links to a revert form
    assert len(re.findall(r'href="/admin/db/demo/carecases/carecase/1/history/\d+/"', page)) == 1
