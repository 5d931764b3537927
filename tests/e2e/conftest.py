"""End-to-end fixtures: the real app under uvicorn on 127.0.0.1 with the demo region and a
published plan (``tests/e2e/live.py``), and headless Chromium (Debian's package, driven by
Playwright's Python API; no browser downloads).

``live_app`` is one server for all the e2e tests: loading the demo and planning take seconds,
so every page test shares them and must not rely on state another test changes (pick a visit
that is still open, and so on). It and the browser are package-scoped, which for these tests is
one per session, but ends them when the package is done: Playwright's sync API keeps an asyncio
loop marked running on the main thread while it is open, and ``asyncio.run`` in any later test
would refuse to start.

Without ``/usr/bin/chromium`` the browser tests are skipped with the reason, except in CI
(``CI=true``), where that is a failure, as for PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.live import CHROMIUM, DESKTOP, PHONE, LiveApp, launch_chromium, running_app

__all__ = ["LiveApp"]

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test here ``e2e`` (``-m "not e2e"`` leaves the browser out of a quick run)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def live_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveApp]:
    """The app as `dispatch serve` runs it (uvicorn, a real socket) on a temporary SQLite
    database holding the demo region and the published plan of GZ on the demo day."""
    with running_app(tmp_path_factory.mktemp("e2e"), migrated=sqlite_template) as app:
        yield app


def _chromium_missing(why: str) -> None:
    message = f"Chromium is not available ({why}); install Debian's package: apt-get install -y chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the e2e tests; each test gets fresh contexts from it."""
    if not CHROMIUM.exists():
        _chromium_missing(f"{CHROMIUM} not found")
    with sync_playwright() as p:
        try:
            b = launch_chromium(p)
        except PlaywrightError as exc:
            _chromium_missing(str(exc).splitlines()[0])
        yield b
        b.close()


def _page(browser: Browser, live_app: LiveApp, viewport: ViewportSize) -> Iterator[Page]:
    """A fresh context (empty localStorage: logged out) at ``viewport``, with relative URLs
    resolved against the live app. An uncaught script error on the page fails the test."""
    context = browser.new_context(viewport=viewport, base_url=live_app.base_url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    if errors:
        pytest.fail(f"uncaught script errors on the page: {errors}", pytrace=False)


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A desktop-sized page (1366×850)."""
    yield from _page(browser, live_app, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A phone-sized page (360×740)."""
    yield from _page(browser, live_app, PHONE)
