"""Browser-test fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

Playwright's own browser download does not work offline, so we launch /usr/bin/chromium
(`scripts/ensure-debian-packages.sh` installs it; `make test` runs that first). The live server runs
in this process, so the `settings` overrides of khaibao/conftest.py (file SMS backend, per-test
outbox) apply to it and `sms.last_code(...)` reads the codes the pages sent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in this thread, which makes Django refuse ORM calls
# from the test body ("You cannot call this from an async context"). The test thread never
# shares a connection with the event loop, so the check is a false alarm here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("KHAIBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The smallest phone we promise to support (DESIGN.md §10).
PHONE = {"width": 320, "height": 640}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the item so fixtures can tell, at teardown, that the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package", autouse=True)
def _leave_the_database_as_found(django_db_blocker: Any) -> Iterator[None]:
    """After the last browser test of this process, leave the database as the migrations left it.

    The browser tests flush the database after each test, and nothing restores what the data
    migrations loaded (they reload only the places, in `_places`). A later `serialized_rollback`
    test restores from Django's serialized copy, which cannot go on top of the content types the
    flushes re-created under other ids. So: flush once more and load that copy; without a copy (no
    such test in this run), just the places.

    Set up before `browser` (autouse), so torn down after it: by then Playwright's event loop has
    stopped and Django's connection is this thread's own again, the one that holds the copy. While
    the loop runs, asgiref's local keeps connections per context instead of per thread, so a later
    test got a fresh connection without the copy, restored nothing and found no ward (seen: a
    privacy test failing right after test_venue_checkin in one process).
    """
    yield
    from django.core.management import call_command
    from django.db import connection

    from khaibao.places.loader import load_places
    from khaibao.places.models import Country, Province, Ward

    with django_db_blocker.unblock():
        copy = getattr(connection, "_test_serialized_contents", None)
        if copy:
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            connection.creation.deserialize_db_from_string(copy)
        elif not Province.objects.exists():
            load_places(Province, Ward, Country)


# Package, not session: Playwright's loop must stop when the browser tests end (see above).
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/ensure-debian-packages.sh` (or `make setup`).")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture(autouse=True)
def _places(transactional_db: None) -> None:
    """Reload provinces, wards and countries if an earlier live-server test flushed them.

    The live server needs committed data, so these tests run in real transactions and the
    database is emptied after each one — including the rows the places data migration loaded.
    The idempotent loader puts them back in a fraction of the time Django's serialized
    rollback takes (measured: a few tenths of a second against ~2 s per test).
    """
    from khaibao.places.loader import load_places
    from khaibao.places.models import Country, Province, Ward

    if not Province.objects.exists():
        load_places(Province, Ward, Country)


@pytest.fixture
def new_page(browser: Any, base_url: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Open a fresh browser context + page; screenshots go to test-results/ if the test fails.

    Each context is a new browser profile (no cookies). Vietnamese is the browser language by
    default, like the phones of most of our citizens.
    """
    contexts: list[Any] = []
    page_errors: list[str] = []

    def open_page(
        *, viewport: dict[str, int] | None = None, javascript: bool = True, locale: str = "vi-VN"
    ) -> Any:
        context = browser.new_context(
            base_url=base_url,
            viewport=viewport or PHONE,
            java_script_enabled=javascript,
            locale=locale,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        return page

    yield open_page

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        out = Path(request.config.rootpath) / "test-results"
        out.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                page.screenshot(path=str(out / f"{stem}-{n}-{m}.png"), full_page=True)
        if page_errors:
            (out / f"{stem}-page-errors.txt").write_text("\n".join(page_errors), encoding="utf-8")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A phone-sized page (320×640), JavaScript on, Vietnamese browser."""
    return new_page()
