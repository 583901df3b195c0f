"""A payer's administrator in Chromium (codes without forks): the decision codes page offers the codes of the
database and refuses a new code that differs from one of them only by case, spaces or punctuation, naming it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from authorizations.vba.models import AuthCode
from authorizations.vba.services import auth_code_batch_upsert
from config.serving.tenancy import use_vba_database
from tests.browser.conftest import log_in_as

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

ADD = "/admin/db/demo/authorizations/authcode/add/"
SAVE = "input[name=_save]"


@pytest.fixture
def administrator(context: BrowserContext, live_server: Any, admin_user: Any) -> BrowserContext:
    codes = [
        {"auth_Code": "APPR", "auth_Action": "A", "description": "Approved as requested"},
        {"auth_Code": "DNMN", "auth_Action": "D", "description": "Not medically necessary"},
    ]
    with use_vba_database("demo"):
        assert auth_code_batch_upsert(items=codes, user=admin_user).counts() == {201: 2}
    log_in_as(context, live_server, admin_user.get_username())
    return context


def codes() -> list[str]:
    with use_vba_database("demo"):
        return list(AuthCode.objects.order_by("pk").values_list("pk", flat=True))


def test_a_typed_variant_of_a_decision_code_is_refused_naming_the_existing_code(
    administrator: BrowserContext, page: Page
) -> None:
    page.goto(ADD)
    offered = page.eval_on_selector(
        "#id_auth_code", "box => box.list ? Array.from(box.list.options).map(option => option.value) : null"
    )
    assert offered == ["APPR", "DNMN"]
    page.fill("#id_auth_code", "appr")
    page.select_option("#id_auth_action", "A")
    page.fill("#id_description", "Approved")
    page.click(SAVE)
    expect(page.locator(".field-auth_code .errorlist")).to_have_text(
        "Auth code: “appr” is written “APPR” in this database: that code exists already, use it."
    )
    expect(page.locator("#id_auth_code")).to_have_value("appr")  # what was typed stays in the box
    assert codes() == ["APPR", "DNMN"]
    page.fill("#id_auth_code", "APMOD")
    page.click(SAVE)
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert codes() == ["APMOD", "APPR", "DNMN"]
