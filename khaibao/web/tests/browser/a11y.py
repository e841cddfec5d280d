"""Accessibility checks shared by the browser tests: axe-core (from npm, `npm ci`) with the
WCAG 2.1 A and AA rules, and the 320 px rule (no sideways scrolling on the smallest phone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NO_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def axe_violations(page: Any) -> list[str]:
    """Run axe on the page as it is now; one line per violation and element."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` (or `make setup`).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script> element: the pages'
        # Content-Security-Policy (no inline scripts) rightly refuses an injected inline script.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — {node['target']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def page_problems(page: Any, path: str) -> list[str]:
    """Open `path` and list what axe finds and any sideways scrolling at the page's width."""
    response = page.goto(path)
    assert response is not None
    assert response.status < 400, f"{path}: {response.status}"
    page.wait_for_load_state("load")
    problems = axe_violations(page)
    if not page.evaluate(NO_SCROLL):
        width = page.evaluate("document.documentElement.scrollWidth")
        problems.append(f"{page.url}: scrolls sideways ({width} px wide at {page.viewport_size['width']} px)")
    return problems
