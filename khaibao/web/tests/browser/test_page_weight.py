"""Issue 10, low bandwidth: a citizen page's first load is at most 150 KB, a later one at most
30 KB (response bodies as sent: compressed, the service worker's downloads included), against
a server that serves static files the production way (see production.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from khaibao.web.tests.browser.conftest import PHONE
from khaibao.web.tests.browser.flows import citizen_sign_in
from khaibao.web.tests.browser.production import CountingServer, collect_compressed_static, production_server

pytestmark = pytest.mark.browser

FIRST_LOAD_BUDGET = 150 * 1024
LATER_LOAD_BUDGET = 30 * 1024


@pytest.fixture(scope="session")
def compressed_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("static")
    collect_compressed_static(root)
    return root


@pytest.fixture
def server(compressed_static: Path, transactional_db: None) -> Iterator[CountingServer]:
    yield from production_server(compressed_static)


def _load(page: Any, server: CountingServer, path: str) -> tuple[int, list[tuple[str, int]]]:
    server.take()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    # The first visit also installs the service worker, which downloads the app shell.
    page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.ready.then(() => true) : true")
    page.wait_for_load_state("networkidle")
    sent = server.take()
    return sum(size for _, size in sent), sent


def _context(browser: Any, server: CountingServer, state: Any = None) -> Any:
    context = browser.new_context(base_url=server.url, viewport=PHONE, locale="vi-VN", storage_state=state)
    context.set_default_timeout(10_000)
    return context


def test_it_keeps_public_pages_within_the_2g_budget(browser: Any, server: CountingServer, world: Any) -> None:
    over: list[str] = []
    for path, later in (("/", "/news/"), ("/sign-in/", "/"), ("/zones/", "/zones/check/"), ("/news/", "/reports/track/")):
        context = _context(browser, server)  # a phone that never saw the site
        page = context.new_page()
        first, sent = _load(page, server, path)
        assert any(p.startswith("/static/") for p, _ in sent), sent
        if first > FIRST_LOAD_BUDGET:
            over.append(f"first {path}: {first} B {sent}")
        again, sent = _load(page, server, later)
        if again > LATER_LOAD_BUDGET:
            over.append(f"later {later}: {again} B {sent}")
        context.close()
    assert not over, "\n".join(over)


def test_it_keeps_the_declaration_forms_within_the_2g_budget(browser: Any, server: CountingServer, world: Any, sms: Any) -> None:
    signing_in = _context(browser, server)
    page = signing_in.new_page()
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    state = signing_in.storage_state()
    signing_in.close()

    child = world.lan_child.id
    over: list[str] = []
    for path, later in (
        (f"/people/{child}/update/", f"/people/{child}/"),
        (f"/people/{child}/declare/", f"/people/{child}/update/"),
        (f"/people/{child}/", f"/people/{child}/declare/"),
        ("/household/", f"/people/{child}/risk/"),
    ):
        context = _context(browser, server, state)  # signed in, but nothing in its caches
        page = context.new_page()
        first, sent = _load(page, server, path)
        if first > FIRST_LOAD_BUDGET:
            over.append(f"first {path}: {first} B {sent}")
        again, sent = _load(page, server, later)
        if again > LATER_LOAD_BUDGET:
            over.append(f"later {later}: {again} B {sent}")
        # Static files come with hashed names and are never asked for again.
        assert not [p for p, _ in sent if p.startswith("/static/")], sent
        context.close()
    assert not over, "\n".join(over)
