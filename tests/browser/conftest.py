"""Browser tests: Playwright for Python driving Debian's Chromium (``/usr/bin/chromium``; no browser download)
against pytest-django's live server.

Without Chromium (or Playwright) every browser test is skipped with a loud reason; the PostgreSQL pass forbids
skips (``VBAPI_FORBID_SKIPS``), so CI fails instead. A failed test leaves a screenshot of each of its pages in
``test-artifacts/browser/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
VIEWPORT = {"width": 1440, "height": 900}

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_playwright = None  # type: ignore[assignment]

# Playwright's sync API runs an event loop in the test's thread; the test's own ORM calls (setup, checks) are plain
# synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _missing() -> str | None:
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium): the browser tests did not run"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    reason = _missing()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.skip(reason=f"BROWSER TESTS SKIPPED: {reason}"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reason = _missing()
    if reason is not None:
        terminalreporter.write_sep("!", f"BROWSER TESTS SKIPPED: {reason}", yellow=True, bold=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[Any]:
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # A page that waits on the live server (one thread, on a shared CI machine) may take longer than expect()'s
    # 5 s default: assertions wait as long as actions do (the context's 15 s).
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, live_server: Any, request: Any) -> Iterator[BrowserContext]:
    """A fresh browser profile at 1440×900 on the live server; screenshots of its pages if the test fails."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    yield context
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for number, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def log_in_as(context: BrowserContext, live_server: Any, username: str) -> None:
    """Give the browser a logged-in session of ``username`` (the login form itself is tested once)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def second(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    """A second staff member's browser ("ben": its own profile and login)."""
    get_user_model().objects.create_superuser("ben", password="ben-password")
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    log_in_as(context, live_server, "ben")
    yield context
    context.close()
