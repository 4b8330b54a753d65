"""Headless Chromium for the user journeys (Playwright for Python driving Debian's /usr/bin/chromium).

Playwright cannot download its own browser here, so it launches the system one. A missing browser FAILS the
journeys with a clear message; only PORTAL_SKIP_BROWSER=1 turns that into a skip, never silently.
"""

import contextlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import build_reference_and_demo

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
# An <img>'s width once it has loaded (0 if it failed): lazy thumbnails and files opened in a new tab may still be
# loading when the test reaches them, so measure after the load rather than race it.
IMAGE_WIDTH_WHEN_LOADED = (
    "img => img.complete && img.naturalWidth ? img.naturalWidth : new Promise(done => "
    "{ img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })"
)



@pytest.fixture(scope="package")
def browser():
    """One Chromium for all the journeys, closed when the last of them ends.

    Package rather than session scope: while Playwright is open its event loop counts as running in this thread,
    so the ORM needs DJANGO_ALLOW_ASYNC_UNSAFE — and a session-long browser would keep both alive for every
    test that pytest-django orders after these (a `check --deploy` subprocess inherited the variable and failed).
    """
    if not CHROMIUM.exists():
        message = (f"Browser tests need Chromium at {CHROMIUM}: install it (apt-get install chromium fonts-noto-cjk, "
                   "or `make chromium`), or set PORTAL_SKIP_BROWSER=1 to skip them knowingly.")
        if os.environ.get("PORTAL_SKIP_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread while it is open, and Django's ORM then
    # refuses to run (SynchronousOnlyOperation). Nothing here touches the database from a coroutine, so the guard
    # is lifted for exactly that long.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo_city(transactional_db, rebuild_demo_after):
    """The demo city, present when a journey starts and put back after the transactional flush.

    A live_server test is transactional and its flush empties every table; `rebuild_demo_after` puts the city
    back after the whole teardown. This also rebuilds at setup, in case the test before was transactional
    without asking for the rebuild."""
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="civil_heping").exists():
        build_reference_and_demo()
    yield


@pytest.fixture
def page(browser, live_server, demo_city):
    """A fresh desktop-sized page in Chinese, its base_url the live server, the demo city loaded."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    # Stop the page's pollers (the work badge, a job's progress bar) and let the request in flight finish before
    # the test database is truncated: a request reading tables while TRUNCATE locks them deadlocks the teardown.
    for open_page in context.pages:
        with contextlib.suppress(PlaywrightError):
            open_page.wait_for_load_state("networkidle", timeout=5_000)
            open_page.goto("about:blank")
    context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, "name") → test-output/screenshots/name.png (full page), returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _take


def open_from_menu(page, menu: str, item: str):
    """Open a staff page the way a user does: the navigation groups pages in menus (下拉菜单)."""
    main_nav = page.get_by_role("navigation", name="主导航")
    main_nav.get_by_role("button", name=menu).click()
    main_nav.get_by_role("link", name=item).click()
