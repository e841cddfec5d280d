"""The health hotlines for every page (footer, offline and status pages, news, reports)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from khaibao.core.hotlines import hotline_links


def hotlines(request: HttpRequest) -> dict[str, Any]:
    # Settings only, no database: cheap on every page. includes/hotlines.html renders the list.
    return {"hotlines": hotline_links()}
