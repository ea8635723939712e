"""Browser tests: a real Chromium, driven through Playwright, against pytest-django's live server.

Each pytest process (each xdist worker) has its own live server; every test starts its own headless
Chromium (see `browser` for why) at desktop and at phone size. Screenshots and PDFs land in tests/e2e/screenshots/.
Chromium comes from the system (Debian's package), never from `playwright install`: set WANGGE_CHROMIUM
to use another binary. Without one the tests skip, except in CI, where they fail.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from .browser import CHROMIUM_ARGS, DESKTOP, PHONE, SCREENSHOTS, Viewport, context_options, find_chromium

# Playwright's sync API keeps an asyncio event loop in the test thread, so Django takes every ORM call made
# here (building the cast, counting in assertions) for one made from async code and raises
# SynchronousOnlyOperation. Django documents this variable as the way out for tests.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

TIMEOUT_MS = 15_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no", "off"}


def _no_chromium(reason: str) -> None:
    """Skip on a developer's machine; in CI a missing browser is a broken pipeline, not a pass."""
    if _in_ci():
        pytest.fail(f"{reason}. Browser tests never skip in CI: install Debian's chromium or set WANGGE_CHROMIUM.")
    pytest.skip(f"{reason}: install Debian's chromium to run browser tests")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium binary of this run; skips, or fails in CI, without one."""
    executable = find_chromium()
    if executable is None:
        configured = os.environ.get("WANGGE_CHROMIUM")
        _no_chromium(f"WANGGE_CHROMIUM={configured!r} is not an executable" if configured else "no Chromium found")
    return executable


@pytest.fixture
def browser(chromium_executable: str, transactional_db: None, django_db_serialized_rollback: None) -> Iterator[Browser]:
    """A headless Chromium driven by Playwright, for one test, over a committed test database.

    The database: the live server answers from another thread, so what a test creates must be committed
    (transactional_db); the flush afterwards would also wipe what migrations seeded (trades), which the
    serialized rollback puts back for the next test.

    The browser is not shared across tests, on purpose. While Playwright's sync API is started an asyncio loop
    counts as running in the test thread, and Django (asgiref) then hands out other database connections than
    the ones pytest-django prepared: the set-up of the next transactional test no longer finds the serialized
    data it must restore, and a later test's asyncio.run() or async_to_sync() fails. Requesting the database
    fixtures first makes Playwright start after the database is set up and stop before it is flushed
    (about 1.5 s per test).
    """
    driver = sync_playwright().start()
    chromium = driver.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
    yield chromium
    # The connections opened while the loop ran are not the ones Django's test teardown closes.
    connections.close_all()
    chromium.close()
    driver.stop()


@pytest.fixture(params=[DESKTOP, PHONE], ids=lambda viewport: viewport.name)
def viewport(request: pytest.FixtureRequest) -> Viewport:
    """Every browser test runs at desktop size and at phone size."""
    return request.param


@pytest.fixture
def page(browser: Browser, viewport: Viewport) -> Iterator[Page]:
    """A fresh browser context (no cookies) at the test's viewport, reading Chinese like our users do.

    An uncaught JavaScript error on any page fails the test.
    """
    context = browser.new_context(**context_options(viewport))
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(f"{new_page.url}: {error}"))
    yield new_page
    context.close()
    if errors:
        pytest.fail("JavaScript errors in the browser:\n" + "\n".join(errors))


@pytest.fixture
def new_page(browser: Browser, viewport: Viewport) -> Iterator[Callable[[], Page]]:
    """Opens another person's browser: each call a fresh context like `page`'s, for journeys of several people.

    An uncaught JavaScript error on any of these pages fails the test too.
    """
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(**context_options(viewport))
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        opened = context.new_page()
        opened.on("pageerror", lambda error: errors.append(f"{opened.url}: {error}"))
        return opened

    yield open_page
    for context in contexts:
        context.close()
    if errors:
        pytest.fail("JavaScript errors in the browser:\n" + "\n".join(errors))


@pytest.fixture
def screenshot(page: Page, viewport: Viewport) -> Callable[[str, str], Path]:
    """Save the whole page as screenshots/<journey>-<step>-<viewport>.png; returns the file."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(journey: str, step: str) -> Path:
        path = SCREENSHOTS / f"{journey}-{step}-{viewport.name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return save
